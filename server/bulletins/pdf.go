package bulletins

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"citymap/server/respond"
	"citymap/server/store"
)

// Printer prints a bulletin's HTML to PDF with headless Chromium: the page
// the browser shows is the page on paper (A4 from its @page rule), and
// Chromium embeds the subsets of the CJK fonts it used (Noto Sans CJK,
// installed with it by scripts/deps-browser.sh).
type Printer struct {
	// Path is the browser; "" looks for chromium, chromium-browser,
	// google-chrome on PATH.
	Path string
	// Timeout bounds one print.
	Timeout time.Duration
	// one print at a time: a browser is heavy and a frozen bulletin's PDF
	// is printed once and kept
	slot chan struct{}
}

// NewPrinter returns a printer that runs the browser at path ("" finds one).
func NewPrinter(path string) *Printer {
	return &Printer{Path: path, Timeout: 90 * time.Second, slot: make(chan struct{}, 1)}
}

// ErrNoBrowser says there is no browser to print with.
var ErrNoBrowser = errors.New("no headless browser (chromium) to print PDFs with")

func (p *Printer) browser() (string, error) {
	if p.Path != "" {
		if _, err := exec.LookPath(p.Path); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrNoBrowser, p.Path, err)
		}
		return p.Path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNoBrowser
}

// Print turns a self-contained HTML page into a PDF.
func (p *Printer) Print(ctx context.Context, html []byte) ([]byte, error) {
	bin, err := p.browser()
	if err != nil {
		return nil, err
	}
	select {
	case p.slot <- struct{}{}:
		defer func() { <-p.slot }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	dir, err := os.MkdirTemp("", "citymap-bulletin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "bulletin.html"), filepath.Join(dir, "bulletin.pdf")
	if err := os.WriteFile(in, html, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	// --no-sandbox: the server may run as root in a container, where
	// Chromium's sandbox cannot start; the page is our own, without script
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-extensions", "--disable-dev-shm-usage", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+out, "file://"+in)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("print bulletin: %v: %s", err, tail(msg))
	}
	pdf, err := os.ReadFile(out)
	if err != nil || len(pdf) < 5 || string(pdf[:5]) != "%PDF-" {
		return nil, fmt.Errorf("print bulletin: the browser wrote no PDF (%v)", err)
	}
	return pdf, nil
}

func tail(b []byte) string {
	if len(b) > 500 {
		b = b[len(b)-500:]
	}
	return string(b)
}

var errPDFUnavailable = respond.Unavailable("pdf_unavailable",
	"PDFs are printed with headless Chromium, which this server lacks (install chromium, or set CITYMAP_CHROMIUM): the HTML is at .html", 0)

// printPDF is GET /api/v1/bulletins/{id}.pdf: a frozen bulletin's PDF is
// printed once and kept; a draft's is printed each time.
func (a *API) printPDF(w http.ResponseWriter, r *http.Request, b store.Bulletin) {
	pdf, err := a.store.BulletinPDF(r.Context(), b.ID)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if pdf == nil {
		html, err := Render(b)
		if err == nil {
			pdf, err = a.pdf.Print(r.Context(), html)
		}
		if errors.Is(err, ErrNoBrowser) {
			respond.Fail(w, r, errPDFUnavailable)
			return
		}
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		if b.Status == store.BulletinPublished {
			// a client gone takes the request's context, and the keeping, with it
			if err := a.store.KeepBulletinPDF(r.Context(), b.ID, pdf); err != nil && !respond.ClientGone(r) {
				slog.Error("keep bulletin pdf", "id", b.ID, "err", err)
			}
		}
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bulletin-%d.pdf"`, b.ID))
	w.Header().Set("Cache-Control", "private, no-cache")
	_, _ = w.Write(pdf)
}
