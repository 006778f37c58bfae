// Bundles the command line for start-up speed, into dist/bundle/ (what bin/bpfship.js runs; the library,
// `import ... from 'bpfship'`, stays dist/):
//
//   main.cjs         main.ts, the command table, commander: all `bpfship --help` and `--version` need
//   cmd-NAME.cjs     one per command module (src/cli/commands/NAME.ts), with every layer it uses, loaded when the
//                    command runs (the command table's `import('./commands/NAME.ts')` becomes
//                    `__bpfshipLoadCommand('NAME')`, which bin/bpfship.js provides)
//   NAME-worker.js   worker threads started from a file next to their starter (`new URL('./build-worker.js',
//                    import.meta.url)`), found in src/ and bundled as ES modules
//
// Why CommonJS bundles: on Node 20 every ES module costs a resolution, a read and a link, and a command's hundred
// modules cost more than its work; and only a script (not an ES module) can be handed V8's code cache, which
// src/cli/code-cache.ts keeps per user (Node 22's module.enableCompileCache does the same for every module). A
// command's bundle carries its own copy of the layers it uses: main.ts and exit-code.ts tell errors apart by shape,
// never by class, and the verifier is chosen inside the command (verifierFor).
//
// Every bundle lives two directories below the package root, like every module of dist/, so the files modules find
// relative to themselves (package.json, build/core/bpfship_core.wasm, src/core, the native headers, examples/,
// dist/web/static) are found the same way; `import.meta.url` is the bundle's own URL. Packages with native parts or
// their own loading (koffi, better-sqlite3, fastify...) stay external and are required; commander is bundled, its
// eager require('node:child_process') (net, dgram, streams, for executable sub-commands we do not have) replaced by
// a stand-in that loads it on first use.
//
// Author: Claude.
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outdir = resolve(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));
const external = [...Object.keys(pkg.dependencies).filter((d) => !d.startsWith('commander') && !d.startsWith('@commander-js/')), 'tsx'];
const tableFile = resolve(root, 'src', 'cli', 'command-table.ts');

/** The command modules the table loads: NAME of `import('./commands/NAME.ts')`. */
const commandModules = [...new Set([...readFileSync(tableFile, 'utf8').matchAll(/import\('\.\/commands\/([\w-]+)\.ts'\)/g)].map((m) => m[1]))];

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

/** Commander's node:child_process, loaded the first time anything of it is used. */
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

/** The command table with each command's module loaded from its own bundle. */
const tableLoadsBundles = {
  name: 'command-table-loads-bundles',
  setup(b) {
    b.onLoad({ filter: /src\/cli\/command-table\.ts$/ }, () => ({
      contents: readFileSync(tableFile, 'utf8').replace(/import\('\.\/commands\/([\w-]+)\.ts'\)/g, "globalThis.__bpfshipLoadCommand('$1')"),
      loader: 'ts',
    }));
  },
};

/** What every CommonJS bundle shares. */
const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  // import() of a package becomes require() (a bundle runs as a script, which cannot import()).
  supported: { 'dynamic-import': false },
  // Less source to parse on a first run; names are kept, so stack traces of internal errors still read.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: "const __bpfshipImportMetaUrl = require('node:url').pathToFileURL(__filename).href; const __bpfshipImportMetaResolve = (s) => require('node:url').pathToFileURL(require.resolve(s)).href;",
  },
  define: { 'import.meta.url': '__bpfshipImportMetaUrl', 'import.meta.filename': '__filename', 'import.meta.dirname': '__dirname', 'import.meta.resolve': '__bpfshipImportMetaResolve' },
  plugins: [lazyChildProcess],
};

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: join(outdir, 'main.cjs'), plugins: [lazyChildProcess, tableLoadsBundles] });
await build({ ...common, entryPoints: Object.fromEntries(commandModules.map((m) => [`cmd-${m}`, `src/cli/commands/${m}.ts`])), outdir, outExtension: { '.js': '.cjs' } });
const workers = workerEntries();
await build({
  absWorkingDir: root,
  entryPoints: workers,
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __bpfshipCreateRequire } from 'node:module'; const require = __bpfshipCreateRequire(import.meta.url);" },
});
console.log(`bundle-cli: ${outdir}: main.cjs, ${commandModules.length} commands, workers ${Object.keys(workers).join(', ') || 'none'}`);

