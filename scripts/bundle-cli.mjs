// Bundles the command line for start-up speed: dist/bundle/bpfship.js (what bin/bpfship.js runs) with one chunk per
// command and the chunks they share, so that a command loads a handful of files instead of the ~90 modules of
// dist/ (on Node 20, resolving and linking each ES module costs more than running a small command; see
// docs/design.md, "The command line's start-up"). The library (`import ... from 'bpfship'`) stays dist/.
//
// The bundle lives two directories below the package root, like every module of dist/, so the files modules find
// relative to themselves (package.json, build/core/bpfship_core.wasm, src/core, the native headers) are found the
// same way. The service's build worker is an entry of its own beside the chunks (build-pool.ts starts
// ./build-worker.js next to itself). Packages with native parts or their own loading (koffi, better-sqlite3,
// fastify and its plugins) stay external; commander is bundled.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const outdir = resolve(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
const pkg = JSON.parse(await (await import('node:fs/promises')).readFile(resolve(root, 'package.json'), 'utf8'));
const external = Object.keys(pkg.dependencies).filter((d) => !d.startsWith('commander') && !d.startsWith('@commander-js/'));
await build({
  absWorkingDir: root,
  entryPoints: { bpfship: 'src/cli/main.ts', 'build-worker': 'src/service/build-worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: [...external, 'tsx'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Commander is CommonJS: give the ESM bundle a require() for what it requires (Node's own modules).
  banner: { js: "import { createRequire as __bpfshipCreateRequire } from 'node:module'; const require = __bpfshipCreateRequire(import.meta.url);" },
});
console.log(`bundle-cli: ${outdir}`);
