// Builds the web map into dist/, which the Go binary embeds. No network at run time:
// MapLibre (with its worker and CSS), ECharts, PDF.js (with its worker, CMaps and
// standard fonts) and every asset are bundled.
//
// Each src/<page>.html with a src/<page>.js is a page; the script's CSS imports
// become dist/assets/<page>.css. Shared code lives in src/lib/.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, readdirSync } from 'node:fs';

const pages = readdirSync('src').filter((f) => f.endsWith('.html'));
const entries = readdirSync('src').filter((f) => /^[a-z]+\.js$/.test(f) && pages.includes(f.replace('.js', '.html')));

rmSync('dist/assets', { recursive: true, force: true });
mkdirSync('dist/assets', { recursive: true });
await esbuild.build({
  // PDF.js renders declaration documents on /review and /tasks; its worker is a
  // module loaded by URL from /assets (lib/pdfview.js), so the CSP's worker-src
  // 'self' admits it.
  entryPoints: [...entries.map((f) => `src/${f}`), { in: 'node_modules/pdfjs-dist/build/pdf.worker.mjs', out: 'pdf.worker' }],
  bundle: true,
  minify: true,
  sourcemap: false, // the binary embeds dist/: maps would add ~9 MB
  format: 'esm',
  splitting: true,
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: 'dist/assets',
  loader: { '.png': 'file', '.svg': 'file', '.woff2': 'file' },
  logLevel: 'warning',
});
// The questionnaire page /s/{survey} is rendered by the server
// (server/surveys/page.html); only its few KB of script and style sheet are
// built, by themselves (no shared chunk: one request less on a slow phone).
await esbuild.build({
  entryPoints: ['src/survey.js'], bundle: true, minify: true, format: 'esm', target: ['chrome110', 'firefox115', 'safari16'],
  outdir: 'dist/assets', logLevel: 'warning',
});
// MapLibre runs its tile work in a module worker loaded by URL (lib/map.js sets it).
cpSync('node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs', 'dist/assets/maplibre-gl-worker.mjs');
// PDF.js reads these for documents that do not embed their fonts (CMaps: the
// predefined CJK encodings Chinese office software writes).
cpSync('node_modules/pdfjs-dist/cmaps', 'dist/assets/pdfjs/cmaps', { recursive: true });
cpSync('node_modules/pdfjs-dist/standard_fonts', 'dist/assets/pdfjs/standard_fonts', { recursive: true });
for (const p of pages) cpSync(`src/${p}`, `dist/${p}`);
// The start page has no script, only its stylesheet (no inline style: the CSP).
cpSync('src/index.css', 'dist/assets/index.css');
console.log(`webmap: built ${entries.length} pages into dist/`);
