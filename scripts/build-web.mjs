// Bundles the explorer page (src/web/page, Preact) with esbuild into dist/web/static: index.html, explorer.js,
// explorer.css and chunks loaded on demand (Graphviz for the graph, the verifier for refused uploads). Run by
// `npm run build`; tests call buildPage() to serve the current sources. No network at build or run time.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');

/** Builds the page into `outdir` (default dist/web/static); returns the directory. */
export async function buildPage(outdir = join(root, 'dist', 'web', 'static')) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [{ in: join(root, 'src/web/page/explorer-main.tsx'), out: 'explorer' }],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    minify: true,
    sourcemap: true,
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    chunkNames: 'chunks/[name]-[hash]',
    legalComments: 'linked',
    logLevel: 'warning',
    absWorkingDir: root,
  });
  copyFileSync(join(root, 'src/web/page/index.html'), join(outdir, 'index.html'));
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = performance.now();
  const dir = await buildPage(process.argv[2]);
  console.log(`build-web: ${dir} (${(performance.now() - t).toFixed(0)} ms)`);
}
