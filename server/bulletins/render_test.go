package bulletins_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/bulletins"
)

// A unit name with markup prints as text; the page is A4 with its map.
func TestHTMLEscapes(t *testing.T) {
	e := withFixture(t, server.Config{})
	evil := `<script>alert("x")</script>单位&<b>`
	e.Exec(`UPDATE points SET unit = $1 WHERE code = 'FX-P3'`, evil)
	var b bulletin
	e.Must(http.StatusCreated, "POST", "/api/v1/bulletins", access.Reviewer,
		map[string]string{"period": "month", "date": "2020-03-01", "notes": "<img src=x onerror=alert(1)>"}).Decode(t, &b)
	res := e.Get(fmt.Sprintf("/api/v1/bulletins/%d.html", b.ID), access.Unit)
	page := string(res.Body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("policy %q", csp)
	}
	for _, bad := range []string{"<script>", "<b>", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %s unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;单位&amp;&lt;b&gt;", "&lt;img src=x onerror=alert(1)&gt;",
		"@page", "size: A4", "<svg", "2020年第1期", "测试单位甲", "约谈", "奖补"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// The PDF is printed on the server with the Chinese text in it.
func TestPDF(t *testing.T) {
	pdftotext := apitest.RequireTool(t, "pdftotext", "CITYMAP_REQUIRE_PDFTOTEXT", "install poppler-utils (scripts/deps-browser.sh)")
	e := withFixture(t, server.Config{})
	var b bulletin
	e.Must(http.StatusCreated, "POST", "/api/v1/bulletins", access.Reviewer, map[string]string{"period": "month", "date": "2020-03-01"}).
		Decode(t, &b)
	res := e.Get(fmt.Sprintf("/api/v1/bulletins/%d.pdf", b.ID), access.Viewer)
	if !bytes.HasPrefix(res.Body, []byte("%PDF-")) || res.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("not a PDF: %q %q", res.Header.Get("Content-Type"), res.Body[:min(20, len(res.Body))])
	}
	file := t.TempDir() + "/b.pdf"
	if err := os.WriteFile(file, res.Body, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{"2020年第1期", "测试单位甲", "责任单位红黑榜", "建议约谈"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text[:min(len(text), 2000)])
		}
	}
	// printed once, then kept
	if e.Int(`SELECT count(*) FROM bulletins WHERE id = $1 AND pdf IS NOT NULL`, b.ID) != 1 {
		t.Error("the PDF is not kept")
	}
	again := e.Get(fmt.Sprintf("/api/v1/bulletins/%d.pdf", b.ID), access.Unit)
	if !bytes.Equal(again.Body, res.Body) {
		t.Error("the second download differs from the first")
	}
}

// Without a browser the PDF is a 503 that says so.
func TestPDFWithoutBrowser(t *testing.T) {
	_, err := bulletins.NewPrinter("/nonexistent/chromium").Print(context.Background(), []byte("<p>x</p>"))
	if !errors.Is(err, bulletins.ErrNoBrowser) {
		t.Errorf("no browser: %v", err)
	}
	e := withFixture(t, server.Config{Chromium: "/nonexistent/chromium"})
	var b bulletin
	e.Must(http.StatusCreated, "POST", "/api/v1/bulletins", access.Reviewer, map[string]string{"period": "week", "date": "2020-03-02"}).
		Decode(t, &b)
	code, _ := e.Call("GET", fmt.Sprintf("/api/v1/bulletins/%d.pdf", b.ID), access.Reviewer, nil).
		Want(t, http.StatusServiceUnavailable).ErrorOf(t)
	if code != "pdf_unavailable" {
		t.Errorf("code %q", code)
	}
}
