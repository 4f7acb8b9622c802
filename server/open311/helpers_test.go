package open311_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/url"
	"testing"

	"citymap/server/apitest"
)

// env is a running instance on its own clone of the demo city, with one key per
// role and a grid manager's community (GridIn; GridOut lies in another) to test
// scopes with.
type env struct{ *apitest.Env }

type reply = apitest.Reply

func newEnv(t testing.TB) *env { return &env{apitest.New(t)} }

// written counts the rows an intake writes.
func (e *env) written() [3]int {
	e.T.Helper()
	var n [3]int
	e.Scan(`SELECT (SELECT count(*) FROM issues), (SELECT count(*) FROM issue_events), (SELECT count(*) FROM changes)`,
		nil, &n[0], &n[1], &n[2])
	return n
}

// get sends GET path with the query and role's api_key ("" for none).
func (e *env) get(path, role string, query url.Values) reply {
	e.T.Helper()
	if query == nil {
		query = url.Values{}
	}
	if role != "" {
		query.Set("api_key", e.Tokens[role])
	}
	return e.Call("GET", path+"?"+query.Encode(), "", nil)
}

// post sends a form with role's api_key ("" for none).
func (e *env) post(path, role string, form url.Values) reply {
	e.T.Helper()
	if role != "" {
		form.Set("api_key", e.Tokens[role])
	}
	return e.Call("POST", path, "", form)
}

// decode reads a JSON or XML body (after its format) into v, strictly: an XML
// answer must be well-formed and of the expected content type.
func decodeAs(t testing.TB, r reply, format string, v any) {
	t.Helper()
	ctype := r.Header.Get("Content-Type")
	var err error
	switch format {
	case "xml":
		if ctype != "text/xml; charset=utf-8" {
			t.Fatalf("content type %q for XML", ctype)
		}
		dec := xml.NewDecoder(bytes.NewReader(r.Body))
		dec.Strict = true
		err = dec.Decode(v)
	default:
		if ctype != "application/json; charset=utf-8" {
			t.Fatalf("content type %q for JSON", ctype)
		}
		err = json.Unmarshal(r.Body, v)
	}
	if err != nil {
		t.Fatalf("not %s: %v\n%s", format, err, r.Body)
	}
}

// The documents as a client reads them; the same types serve both formats.
type (
	service struct {
		Code     string `json:"service_code" xml:"service_code"`
		Name     string `json:"service_name" xml:"service_name"`
		Desc     string `json:"description" xml:"description"`
		Metadata bool   `json:"metadata" xml:"metadata"`
		Type     string `json:"type" xml:"type"`
		Keywords string `json:"keywords" xml:"keywords"`
		Group    string `json:"group" xml:"group"`
	}
	servicesXML struct {
		XMLName  xml.Name  `xml:"services"`
		Services []service `xml:"service"`
	}
	attribute struct {
		Variable bool   `json:"variable" xml:"variable"`
		Code     string `json:"code" xml:"code"`
		Datatype string `json:"datatype" xml:"datatype"`
		Required bool   `json:"required" xml:"required"`
		Order    int    `json:"order" xml:"order"`
		Desc     string `json:"description" xml:"description"`
		Values   []struct {
			Key  string `json:"key" xml:"key"`
			Name string `json:"name" xml:"name"`
		} `json:"values" xml:"values>value"`
	}
	definition struct {
		XMLName    xml.Name    `json:"-" xml:"service_definition"`
		Code       string      `json:"service_code" xml:"service_code"`
		Attributes []attribute `json:"attributes" xml:"attributes>attribute"`
	}
	// request holds both a POST answer and a request; JSON nulls read as "".
	request struct {
		ID          string  `json:"service_request_id" xml:"service_request_id"`
		Token       string  `json:"token" xml:"token"`
		Status      string  `json:"status" xml:"status"`
		StatusNotes string  `json:"status_notes" xml:"status_notes"`
		ServiceName string  `json:"service_name" xml:"service_name"`
		ServiceCode string  `json:"service_code" xml:"service_code"`
		Description string  `json:"description" xml:"description"`
		Agency      string  `json:"agency_responsible" xml:"agency_responsible"`
		Notice      string  `json:"service_notice" xml:"service_notice"`
		AccountID   string  `json:"account_id" xml:"account_id"`
		Requested   string  `json:"requested_datetime" xml:"requested_datetime"`
		Updated     string  `json:"updated_datetime" xml:"updated_datetime"`
		Expected    string  `json:"expected_datetime" xml:"expected_datetime"`
		Address     string  `json:"address" xml:"address"`
		Zipcode     string  `json:"zipcode" xml:"zipcode"`
		Lat         float64 `json:"lat" xml:"lat"`
		Long        float64 `json:"long" xml:"long"`
		MediaURL    string  `json:"media_url" xml:"media_url"`
	}
	requestsXML struct {
		XMLName  xml.Name  `xml:"service_requests"`
		Requests []request `xml:"request"`
	}
	apiError struct {
		Code        int    `json:"code" xml:"code"`
		Description string `json:"description" xml:"description"`
	}
	errorsXML struct {
		XMLName xml.Name   `xml:"errors"`
		Errors  []apiError `xml:"error"`
	}
	discovery struct {
		XMLName    xml.Name `json:"-" xml:"discovery"`
		Changeset  string   `json:"changeset" xml:"changeset"`
		Contact    string   `json:"contact" xml:"contact"`
		KeyService string   `json:"key_service" xml:"key_service"`
		Endpoints  []struct {
			Specification string   `json:"specification" xml:"specification"`
			URL           string   `json:"url" xml:"url"`
			Type          string   `json:"type" xml:"type"`
			Formats       []string `json:"formats" xml:"formats>format"`
		} `json:"endpoints" xml:"endpoints>endpoint"`
	}
)

// services reads a service list in either format.
func servicesOf(t testing.TB, r reply, format string) []service {
	t.Helper()
	if format == "xml" {
		var doc servicesXML
		decodeAs(t, r, format, &doc)
		return doc.Services
	}
	var list []service
	decodeAs(t, r, format, &list)
	return list
}

// requests reads a request list in either format.
func requestsOf(t testing.TB, r reply, format string) []request {
	t.Helper()
	if format == "xml" {
		var doc requestsXML
		decodeAs(t, r, format, &doc)
		return doc.Requests
	}
	var list []request
	decodeAs(t, r, format, &list)
	return list
}

// errors reads an error list in either format.
func errorsOf(t testing.TB, r reply, format string) []apiError {
	t.Helper()
	if format == "xml" {
		var doc errorsXML
		decodeAs(t, r, format, &doc)
		return doc.Errors
	}
	var list []apiError
	decodeAs(t, r, format, &list)
	return list
}

// ids lists the ids of requests.
func ids(rs []request) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// pngBytes is a small PNG to upload.
func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartForm encodes fields, and a file part when file is not nil.
func multipartForm(t testing.TB, fields url.Values, fileField string, file []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile(fileField, "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(file)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}
