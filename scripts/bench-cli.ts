// How long the `bpfship` command takes to start and finish small jobs, beside `node -e 0` on the same machine in
// the same run: the built package (bin/bpfship.js running dist/, what users run), each command started as a new
// process, the two commands of a pair run in turn (A B A B ...) so that a drift of the machine's speed moves both,
// and the ratio taken pair by pair; medians are printed, with the spread of the ratio.
//
//   --version, --help            nothing but the command line
//   verify connection_events.o   a small object (examples/, shipped in the package)
//   build (cached)               the same ELF and flags built before: answered from the build cache
//
// Beside the wall-clock medians, the CPU time of the children (user + system, from /proc/self/stat's cutime and
// cstime, summed over all runs of a case): on a shared machine CPU time moves much less with the load than wall
// time does. `--runs N` (default 21), `--json` prints the figures as JSON too. Goal (issue 12): each at most 2x
// `node -e 0`.
//
// Author: Claude.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const small = join(EXAMPLES, 'connection_events.o');
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

/** CPU milliseconds (user + system) of every child this process waited for so far: cutime + cstime, in ticks. */
function childrenCpuMs(): number {
  // Fields after the command name (which may hold spaces, so split after its closing parenthesis): cutime and
  // cstime are fields 16 and 17 of the line, 14 and 15 after it. Ticks are 1/100 s on Linux (USER_HZ).
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Wall and CPU milliseconds of one run of `argv` (a new process), which must exit with `expect`. */
function once(argv: readonly string[], expect = 0): { wall: number; cpu: number } {
  const cpu0 = childrenCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== expect) throw new Error(`${argv.join(' ')}: exit status ${r.status}, expected ${expect}\n${r.stderr}`);
  return { wall, cpu: childrenCpuMs() - cpu0 };
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
  /** Mean CPU time per run, and its ratio to node -e 0's. */
  readonly cpuMs: number;
  readonly nodeCpuMs: number;
  readonly cpuRatio: number;
}

const node = [process.execPath, '-e', '0'];
const cases: { name: string; argv: string[]; setup?: () => void }[] = [
  { name: '--version', argv: [process.execPath, BIN, '--version'] },
  { name: '--help', argv: [process.execPath, BIN, '--help'] },
  { name: 'verify connection_events.o', argv: [process.execPath, BIN, 'verify', small] },
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
  console.log('case                        wall: bpfship ms  node -e 0 ms  ratio (min-max)     cpu: bpfship ms  node ms  ratio');
  for (const c of cases) {
    c.setup?.();
    once(c.argv);
    const a: number[] = [];
    const b: number[] = [];
    const ratios: number[] = [];
    let cpuA = 0;
    let cpuB = 0;
    for (let i = 0; i < runs; i++) {
      const x = once(c.argv);
      const y = once(node);
      a.push(x.wall);
      b.push(y.wall);
      ratios.push(x.wall / y.wall);
      cpuA += x.cpu;
      cpuB += y.cpu;
    }
    const f: Figure = {
      case: c.name,
      command: c.argv.slice(1).map((s) => s.replace(ROOT + '/', '')).join(' '),
      medianMs: median(a),
      nodeMs: median(b),
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      cpuMs: cpuA / runs,
      nodeCpuMs: cpuB / runs,
      cpuRatio: cpuA / cpuB,
    };
    figures.push(f);
    console.log(
      `${f.case.padEnd(28)} ${f.medianMs.toFixed(1).padStart(14)} ${f.nodeMs.toFixed(1).padStart(13)}  ${`${f.ratio.toFixed(2)}x (${f.ratioMin.toFixed(2)}-${f.ratioMax.toFixed(2)})`.padEnd(18)}` +
        ` ${f.cpuMs.toFixed(1).padStart(16)} ${f.nodeCpuMs.toFixed(1).padStart(8)}  ${f.cpuRatio.toFixed(2)}x`,
    );
  }
  if (values.json) console.log(JSON.stringify({ runs, node: process.version, figures }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
