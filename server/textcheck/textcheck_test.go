package textcheck

import (
	"strings"
	"testing"
)

func TestCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"NM0001": true, "ZH0001": true, "P-0001": true, "FX-P2": true, "a.b_c-1": true,
		strings.Repeat("x", 64):    true,
		"":                         false,
		"../x":                     false,
		"a..b":                     false,
		".hidden":                  false,
		"%_":                       false,
		"a%":                       false,
		"a_%":                      false,
		"a b":                      false,
		"a/b":                      false,
		"点位1":                      false,
		"a\x00":                    false,
		strings.Repeat("x", 65):    false,
		strings.Repeat("x", 10000): false,
	} {
		if got := Code(code) == ""; got != ok {
			t.Errorf("Code(%.20q) ok=%v, want %v: %s", code, got, ok, Code(code))
		}
	}
}

func TestColumn(t *testing.T) {
	cases := []struct {
		column, v string
		ok, long  bool
	}{
		{"name", "宜兴市人民医院", true, false},
		{"name", strings.Repeat("名", 200), true, false},
		{"name", strings.Repeat("名", 201), false, true},
		{"name", strings.Repeat("x", 1<<20), false, true},
		{"address", strings.Repeat("路", 500), true, false},
		{"address", strings.Repeat("路", 501), false, true},
		{"phone", strings.Repeat("1", 51), false, true},
		{"person", "a\x00b", false, false},
		{"unit", "\xff", false, false},
		{"category", strings.Repeat("x", 1000), true, false}, // a foreign key: the database judges it
	}
	for _, c := range cases {
		p := Column(c.column, c.v)
		if (p == "") != c.ok || TooLong(p) != c.long {
			t.Errorf("Column(%s, %.20q) = %q, want ok=%v long=%v", c.column, c.v, p, c.ok, c.long)
		}
	}
}
