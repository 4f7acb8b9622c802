// Package replica decides where a read that may be a little stale goes: to a
// streaming replica that is up, close enough behind the primary and has
// replayed what its reader must see, or else to the primary. It holds the
// pure parts: WAL positions, the choice, the lag in seconds, the position a
// request carries (HTTP header or cookie) and the per-request choice kept in
// its context. The store runs the replicas' pools and their checks.
package replica

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a position in the primary's write-ahead log, as pg_lsn holds it.
type LSN uint64

// ParseLSN reads PostgreSQL's text form of a WAL position, two hexadecimal
// numbers of up to 32 bits each: "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" {
		return 0, fmt.Errorf("%q is no WAL position (want e.g. 16/B374D848)", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is no WAL position (want e.g. 16/B374D848)", s)
	}
	return LSN(h<<32 | l), nil
}

// String writes the position as PostgreSQL does.
func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint32(l>>32), uint32(l)) }

// MarshalText writes the position as String does (JSON: a string).
func (l LSN) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText reads the text form (a JSON string).
func (l *LSN) UnmarshalText(b []byte) error {
	v, err := ParseLSN(string(b))
	*l = v
	return err
}
