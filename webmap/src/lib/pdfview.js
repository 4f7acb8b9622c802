// PDF pages drawn onto canvases with PDF.js. Documents are fetched with the
// token and handed over as bytes: the document URL itself answers with a sandbox
// CSP and Content-Disposition: attachment, and headless or locked-down browsers
// have no PDF plugin anyway. PDF.js is loaded (its own chunk) only when a PDF is
// shown; its worker is /assets/pdf.worker.js, bundled by build.mjs.
import { h } from './dom.js';

let lib;
async function pdfjs() {
  if (!lib) {
    lib = await import('pdfjs-dist');
    lib.GlobalWorkerOptions.workerSrc = '/assets/pdf.worker.js';
  }
  return lib;
}

const MAX_PAGES = 20; // a declaration's evidence is read here, not printed
const WIDTH = 720; // CSS pixels of a rendered page

// renderPDF draws the first pages of the PDF in bytes (an ArrayBuffer) into box,
// one canvas each, and resolves with the number of pages drawn.
export async function renderPDF(box, bytes) {
  const { getDocument } = await pdfjs();
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false, // the CSP has no 'unsafe-eval'
    cMapUrl: '/assets/pdfjs/cmaps/',
    cMapPacked: true,
    standardFontDataUrl: '/assets/pdfjs/standard_fonts/',
  });
  const doc = await task.promise;
  const n = Math.min(doc.numPages, MAX_PAGES);
  for (let i = 1; i <= n; i++) {
    const page = await doc.getPage(i);
    const base = page.getViewport({ scale: 1 });
    const scale = Math.min(2, WIDTH / base.width);
    const dpr = window.devicePixelRatio || 1;
    const vp = page.getViewport({ scale: scale * dpr });
    const canvas = h('canvas', { class: 'pdf-page', width: Math.floor(vp.width), height: Math.floor(vp.height),
      dataset: { page: String(i) } });
    canvas.style.width = `${Math.floor(vp.width / dpr)}px`;
    box.append(canvas);
    await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport: vp }).promise;
    canvas.dataset.rendered = 'true';
  }
  if (doc.numPages > n) box.append(h('p', { class: 'muted' }, `… ${doc.numPages - n}`));
  await task.destroy(); // the worker's copy of the document: the canvases keep the pages
  return n;
}
