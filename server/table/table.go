// Package table writes tabular answers — reports, lists — in the format the client
// asks for: JSON, CSV that Excel opens (UTF-8 with a byte order mark, a header
// row), or GeoJSON when the rows have geometry. The format comes from the format
// query parameter or else the Accept header. It does no I/O besides writing the
// answer.
package table

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"citymap/server/respond"
)

// Table is a list of rows with named columns.
type Table struct {
	Columns []string
	// Rows hold nil, strings, bools, integers, float64s and time.Times.
	Rows [][]any
	// Geometry holds each row's GeoJSON geometry; nil when the rows have none,
	// and then the table has no GeoJSON form.
	Geometry []json.RawMessage
	// IDColumn names the column whose value is each feature's id in GeoJSON.
	IDColumn string
	// Meta describes the whole answer (the range, the level, …): members of the
	// JSON object and foreign members of the FeatureCollection; CSV has no room
	// for it.
	Meta map[string]any
	// Zone is the zone times are written in; nil keeps each time's own.
	Zone *time.Location
}

// HasGeometry reports whether the table can be written as GeoJSON.
func (t *Table) HasGeometry() bool { return t.Geometry != nil }

// Write answers t in format f with status 200. name, when not empty, names the
// CSV file a browser saves.
func Write(w http.ResponseWriter, f Format, t *Table, name string) error {
	w.Header().Add("Vary", "Accept")
	bw := bufio.NewWriterSize(w, 64<<10)
	var err error
	switch f {
	case CSV:
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		if name != "" {
			w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		}
		err = t.writeCSV(bw)
	case GeoJSON:
		w.Header().Set("Content-Type", "application/geo+json")
		err = t.writeGeoJSON(bw)
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		err = t.writeJSON(bw)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// Serve writes t as the answer to r, like Write. A failure once the answer
// has begun can only be logged: at debug when the client went away (a
// download cancelled), else as an error.
func Serve(w http.ResponseWriter, r *http.Request, f Format, t *Table, name string) {
	if err := Write(w, f, t, name); err != nil {
		respond.LogError(r, "write table", err, "name", name)
	}
}

// bom makes Excel read the file as UTF-8 rather than the system code page, which
// would garble Chinese names.
const bom = "\uFEFF"

func (t *Table) writeCSV(w *bufio.Writer) error {
	if _, err := w.WriteString(bom); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel and RFC 4180 expect
	if err := cw.Write(t.Columns); err != nil {
		return err
	}
	record := make([]string, len(t.Columns))
	for _, row := range t.Rows {
		for i, v := range row {
			record[i] = t.text(v)
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// text is a value as a CSV field: empty for NULL, numbers in full precision,
// text kept from being read as a formula (inert).
func (t *Table) text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return inert(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return t.time(x).Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// inert keeps a spreadsheet from taking text for a formula (CSV injection): a
// zone named =HYPERLINK(…) must not become a link, nor @SUM(…) a sum, when a
// planner opens the export in Excel. Text that begins with = + - @, a tab or a
// carriage return gets a leading single quote, as OWASP's guidance on CSV
// injection says, and then shows as the text it is. Only text: numbers are not
// strings here, so a -3.5 in a numeric column stays a number.
func inert(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func (t *Table) time(x time.Time) time.Time {
	if t.Zone != nil {
		return x.In(t.Zone)
	}
	return x
}

// writeJSON writes {meta…, "rows": [{column: value, …}, …]}, each row's members in
// column order.
func (t *Table) writeJSON(w *bufio.Writer) error {
	if err := t.writeMeta(w, '{'); err != nil {
		return err
	}
	w.WriteString(`"rows":[`)
	m := &members{t: t, w: w}
	for r, row := range t.Rows {
		if r > 0 {
			w.WriteByte(',')
		}
		if err := m.writeObject(row); err != nil {
			return err
		}
	}
	_, err := w.WriteString("]}\n")
	return err
}

// writeMeta opens an object with open and writes the meta members, each followed
// by a comma.
func (t *Table) writeMeta(w *bufio.Writer, open byte) error {
	w.WriteByte(open)
	if len(t.Meta) == 0 { // nil marshals as null, which has no members to cut out
		return nil
	}
	b, err := json.Marshal(t.Meta)
	if err != nil {
		return err
	}
	w.Write(b[1 : len(b)-1])
	w.WriteByte(',')
	return nil
}

// members writes rows' members to w, encoding each in one buffer reused row
// after row.
type members struct {
	t       *Table
	w       *bufio.Writer
	scratch []byte
}

func (m *members) writeObject(row []any) error {
	m.w.WriteByte('{')
	for i, v := range row {
		if i > 0 {
			m.w.WriteByte(',')
		}
		if err := m.write(m.t.Columns[i], v); err != nil {
			return err
		}
	}
	m.w.WriteByte('}')
	return nil
}

func (m *members) write(name string, v any) error {
	if x, ok := v.(time.Time); ok {
		v = m.t.time(x)
	}
	b := m.scratch[:0]
	if plainASCII(name) {
		b = append(append(append(b, '"'), name...), '"', ':')
	} else {
		b = append(strconv.AppendQuote(b, name), ':')
	}
	b, err := appendJSON(b, v)
	if err != nil {
		return fmt.Errorf("column %s: %w", name, err)
	}
	m.w.Write(b)
	m.scratch = b
	return nil
}

// writeGeoJSON writes a FeatureCollection with one Feature per row.
func (t *Table) writeGeoJSON(w *bufio.Writer) error {
	if !t.HasGeometry() {
		return fmt.Errorf("table: no geometry for GeoJSON")
	}
	id := -1
	for i, c := range t.Columns {
		if c == t.IDColumn {
			id = i
		}
	}
	if err := t.writeMeta(w, '{'); err != nil {
		return err
	}
	w.WriteString(`"type":"FeatureCollection","features":[`)
	m := &members{t: t, w: w}
	for r, row := range t.Rows {
		if r > 0 {
			w.WriteByte(',')
		}
		w.WriteString(`{"type":"Feature",`)
		if id >= 0 && row[id] != nil {
			if err := m.write("id", row[id]); err != nil {
				return err
			}
			w.WriteByte(',')
		}
		w.WriteString(`"geometry":`)
		if g := t.Geometry[r]; len(g) > 0 {
			w.Write(g)
		} else {
			w.WriteString("null")
		}
		w.WriteString(`,"properties":`)
		if err := m.writeObject(row); err != nil {
			return err
		}
		w.WriteByte('}')
	}
	_, err := w.WriteString("]}\n")
	return err
}
