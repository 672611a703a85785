// Bundles the console (admin-ui/src) into dist/admin-ui: one hashed JS file, one hashed CSS file and
// an index.html that names them. Run by `npm run build` after `nest build` (which empties dist/).
// No inline script or style anywhere: the console's CSP is `default-src 'self'`.
import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const outdir = join(root, '..', 'dist', 'admin-ui');

await rm(outdir, { recursive: true, force: true });
await mkdir(join(outdir, 'assets'), { recursive: true });
const result = await build({
  entryPoints: [join(root, 'src', 'main.tsx')],
  outdir: join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
const js = outputs.find((file) => file.endsWith('.js'));
const css = outputs.find((file) => file.endsWith('.css'));
if (!js || !css) throw new Error(`admin-ui build: expected one .js and one .css output, got ${outputs.join(', ')}`);
const template = await readFile(join(root, 'index.html'), 'utf8');
await writeFile(join(outdir, 'index.html'), template.replace('{{css}}', css).replace('{{js}}', js));
await copyFile(join(root, 'favicon.svg'), join(outdir, 'assets', 'favicon.svg'));
console.log(`admin-ui: dist/admin-ui/assets/${js}, ${css}`);
