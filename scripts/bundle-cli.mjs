// Bundles the command line for start-up speed: dist/bundle/bpfship.js (what bin/bpfship.js runs) with one chunk per
// command and the chunks they share, so that a command loads a handful of files instead of the ~90 modules of
// dist/ (on Node 20, resolving and linking each ES module costs more than running a small command; see
// docs/design.md, "The command line's start-up"). The library (`import ... from 'bpfship'`) stays dist/.
//
// The bundle lives two directories below the package root, like every module of dist/, so the files modules find
// relative to themselves (package.json, build/core/bpfship_core.wasm, src/core, the native headers) are found the
// same way. Worker threads started from a file next to their starter (`new URL('./build-worker.js',
// import.meta.url)`) get entries of their own beside the chunks: every such file is found in src/ and bundled.
// Packages with native parts or their own loading (koffi, better-sqlite3, fastify and its plugins) stay external;
// commander is bundled.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outdir = resolve(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const pkg = JSON.parse(await (await import('node:fs/promises')).readFile(resolve(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((d) => !d.startsWith('commander') && !d.startsWith('@commander-js/'));

/** `name -> src/.../name.ts` for every `new URL('./name.js', import.meta.url)` in the sources (worker files). */
function workerEntries(dir = resolve(root, 'src'), out = {}) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) workerEntries(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) {
      for (const m of readFileSync(p, 'utf8').matchAll(/new URL\([^)]*'\.\/([\w-]+)\.js'\s*,\s*import\.meta\.url\)/g)) {
        out[m[1]] = relative(root, join(dir, `${m[1]}.ts`));
      }
    }
  }
  return out;
}

/**
 * Commander requires node:child_process at load, for executable sub-commands bpfship does not have; loading it
 * drags in net, dgram and streams, several milliseconds of every start. Commander gets a stand-in that loads the
 * real module the first time anything of it is used.
 */
const lazyChildProcess = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^node:child_process$/ }, (args) => (args.importer.includes('/node_modules/commander/') ? { path: 'lazy-child-process', namespace: 'bpfship-lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'bpfship-lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

const workers = workerEntries();
await build({
  plugins: [lazyChildProcess],
  absWorkingDir: root,
  entryPoints: { bpfship: 'src/cli/main.ts', ...workers },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, 'tsx'],
  sourcemap: 'linked',
  legalComments: 'none',
  // Less source to parse at every start (parsing is most of a short command's time); names are kept, so stack
  // traces of internal errors still read.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Commander is CommonJS: give the ESM bundle a require() for what it requires (Node's own modules).
  banner: { js: "import { createRequire as __bpfshipCreateRequire } from 'node:module'; const require = __bpfshipCreateRequire(import.meta.url);" },
});
console.log(`bundle-cli: ${outdir} (workers: ${Object.keys(workers).join(', ') || 'none'})`);
