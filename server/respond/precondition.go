package respond

import (
	"net/http"
	"strconv"
	"strings"
)

// IfMatch reads the versions of an If-Match header ("3", W/"3", or a list),
// for resources whose entity tag is their quoted version. No header or "*"
// sets no precondition. Tags that are not versions can never match, so they
// yield an impossible version and the write answers 412, as RFC 9110 asks.
func IfMatch(r *http.Request) []int {
	header := strings.TrimSpace(strings.Join(r.Header.Values("If-Match"), ","))
	if header == "" || header == "*" {
		return nil
	}
	var versions []int
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		v, err := strconv.Atoi(strings.Trim(tag, `"`))
		if err == nil && strings.HasPrefix(tag, `"`) && strings.HasSuffix(tag, `"`) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return []int{-1}
	}
	return versions
}
