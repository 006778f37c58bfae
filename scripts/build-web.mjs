// Bundles the explorer page (src/web/page, Preact) with esbuild into dist/web/static: index.html, explorer.js,
// explorer.css and chunks loaded on demand (Graphviz for the graph, the verifier for refused uploads). Run by
// `npm run build`; tests call buildPage() to serve the current sources. No network at build or run time.
//
// Author: Claude.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
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

/** The newest modification time of the page's sources (src/web and the layers it bundles). */
function newestSource(dir = join(root, 'src')) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (!name.endsWith('.test.ts')) newest = Math.max(newest, st.mtimeMs);
  }
  return newest;
}

/**
 * Builds the page into dist/web/static unless it is newer than every source. For tests, which may run this at the
 * same time in several processes: each builds beside it and swaps its build in with renames.
 */
export async function ensurePageBuilt() {
  const dir = join(root, 'dist', 'web', 'static');
  const built = join(dir, 'explorer.js');
  if (existsSync(built) && statSync(built).mtimeMs >= newestSource()) return dir;
  const tmp = `${dir}.${process.pid}.${Date.now()}`;
  await buildPage(tmp);
  const old = `${tmp}.old`;
  try {
    renameSync(dir, old);
  } catch {
    // None yet, or another process is swapping: ours goes in next.
  }
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const t = performance.now();
  const dir = await buildPage(process.argv[2]);
  console.log(`build-web: ${dir} (${(performance.now() - t).toFixed(0)} ms)`);
}
