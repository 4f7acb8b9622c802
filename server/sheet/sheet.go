// Package sheet reads the tables a city keeps in spreadsheets (the indicator
// catalogue, the holiday calendar): an XLSX workbook's first sheet, or CSV in
// UTF-8 with or without a byte-order mark, as the rows and the line each came
// from, so that an importer can name the line of a bad row.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Read decodes at most max bytes of r: an XLSX workbook when the bytes are a
// zip archive, else CSV. Records and Lines run in step.
func Read(r io.Reader, max int64) (records [][]string, lines []int, err error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > max {
		return nil, nil, fmt.Errorf("the file is larger than %d bytes", max)
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(data)
	}
	return readCSV(data)
}

func readCSV(data []byte) ([][]string, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return nil, nil, errors.New("the CSV file is not UTF-8 (save it as \"CSV UTF-8\")")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var records [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return records, lines, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("CSV: %w", err)
		}
		line, _ := cr.FieldPos(0)
		records, lines = append(records, rec), append(lines, line)
	}
}

func readXLSX(data []byte) ([][]string, []int, error) {
	// a city's table unpacks to some megabytes: a workbook that claims more is refused
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return nil, nil, fmt.Errorf("XLSX: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, errors.New("XLSX: the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, nil, fmt.Errorf("XLSX: %w", err)
	}
	lines := make([]int, len(rows))
	for i := range rows {
		lines[i] = i + 1
	}
	return rows, lines, nil
}

// Blank reports whether a row holds nothing but spaces (a sheet's trailing rows).
func Blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}
