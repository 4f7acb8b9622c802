// Builds the web map into dist/, which the Go binary embeds. No network at run time:
// MapLibre, ECharts and every asset are bundled.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync, readdirSync } from 'node:fs';

const pages = readdirSync('src').filter((f) => f.endsWith('.html'));
const entries = readdirSync('src').filter((f) => /^[a-z]+\.js$/.test(f) && pages.includes(f.replace('.js', '.html')));

rmSync('dist/assets', { recursive: true, force: true });
mkdirSync('dist/assets', { recursive: true });
await esbuild.build({
  entryPoints: entries.map((f) => `src/${f}`),
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  splitting: true,
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: 'dist/assets',
  loader: { '.png': 'file', '.svg': 'file', '.woff2': 'file' },
  logLevel: 'warning',
});
for (const p of pages) cpSync(`src/${p}`, `dist/${p}`);
console.log(`webmap: built ${entries.length} pages into dist/`);
