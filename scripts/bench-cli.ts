// How long the `bpfship` command takes to start and finish small jobs, beside `node -e 0` on the same machine in
// the same run: the built package (bin/bpfship.js running dist/, what users run), each command started as a new
// process, the two commands of a pair run in turn (A B A B ...) so that a drift of the machine's speed moves both,
// and the ratio taken pair by pair; medians are printed, with the spread of the ratio.
//
//   --version, --help            nothing but the command line
//   verify hello_world.o         a small object (examples/, shipped in the package)
//   build (cached)               the same ELF and flags built before: answered from the build cache
//
// `--runs N` (default 21), `--json` prints the figures as JSON too. Goal (issue 12): each at most 2x `node -e 0`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'bpfship.js');
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('bench-cli: dist/ is not built: run npm run build');
  process.exit(2);
}
const EXAMPLES = join(ROOT, 'examples');
const small = join(EXAMPLES, 'hello_world.o');
const buildInput = join(EXAMPLES, 'xdp_firewall.o');
for (const f of [small, buildInput]) {
  if (!existsSync(f)) {
    console.error(`bench-cli: ${f} is missing`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bpfship-bench-cli-'));
// A cache of its own, so the cached build measures a hit and leaves the user's cache alone; no audit log.
const env = { ...process.env, BPFSHIP_CACHE: join(dir, 'cache'), XDG_STATE_HOME: join(dir, 'state') };

/** Wall milliseconds of one run of `argv` (a new process), which must exit with `expect`. */
function once(argv: readonly string[], expect = 0): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== expect) throw new Error(`${argv.join(' ')}: exit status ${r.status}, expected ${expect}\n${r.stderr}`);
  return ms;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface Figure {
  readonly case: string;
  readonly command: string;
  readonly medianMs: number;
  readonly nodeMs: number;
  readonly ratio: number;
  readonly ratioMin: number;
  readonly ratioMax: number;
}

const node = [process.execPath, '-e', '0'];
const cases: { name: string; argv: string[]; setup?: () => void }[] = [
  { name: '--version', argv: [process.execPath, BIN, '--version'] },
  { name: '--help', argv: [process.execPath, BIN, '--help'] },
  { name: 'verify hello_world.o', argv: [process.execPath, BIN, 'verify', small] },
  {
    name: 'build (cached)',
    argv: [process.execPath, BIN, 'build', buildInput, '-o', join(dir, 'xdp_firewall.so')],
    setup: () => void once([process.execPath, BIN, 'build', buildInput, '-o', join(dir, 'xdp_firewall.so')]),
  },
];

const figures: Figure[] = [];
try {
  // Warm the file cache and node itself.
  for (let i = 0; i < 3; i++) once(node);
  console.log(`bpfship start-up beside node -e 0 (${process.version}), ${runs} interleaved pairs, medians; the built dist/ through bin/bpfship.js`);
  console.log('case                      bpfship ms   node -e 0 ms   ratio (min-max)');
  for (const c of cases) {
    c.setup?.();
    once(c.argv);
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    for (let i = 0; i < runs; i++) {
      const x = once(c.argv);
      const y = once(node);
      a.push(x);
      b.push(y);
      ratios.push(x / y);
    }
    const f: Figure = {
      case: c.name,
      command: c.argv.slice(1).map((s) => s.replace(ROOT + '/', '')).join(' '),
      medianMs: median(a),
      nodeMs: median(b),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
    };
    figures.push(f);
    console.log(`${f.case.padEnd(24)} ${f.medianMs.toFixed(1).padStart(10)} ${f.nodeMs.toFixed(1).padStart(14)}   ${f.ratio.toFixed(2)}x (${f.ratioMin.toFixed(2)}-${f.ratioMax.toFixed(2)})`);
  }
  if (values.json) console.log(JSON.stringify({ runs, node: process.version, figures }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
