/**
 * `npm run bench:verifier`: runs the verifier over every program of the corpus (`../shared/corpus/expected.tsv`),
 * tallies the verdicts against the truth (safe: Linux loads it; unsafe; malformed) and prints our figures beside
 * PREVAIL's from the same file, then the programs we get wrong, grouped by the first message.
 *
 * Options: `--filter TEXT` (rows whose project/file/section/function contain TEXT), `--limit-ms N` (per-program
 * time limit, default 10000), `--json FILE` (write every row's result), `--verbose` (print every row), `--kernel`
 * (also load each program into the running kernel, as root, and compare with its verdict).
 *
 * Then Linux's own verifier selftests (`../shared/linux-selftests`, test/linux-selftests-run.ts): kernel-pass
 * programs accepted and kernel-fail programs rejected, in all and per object family (`verifier_bounds*.o` is
 * `bounds`), with bpfship's verification time beside the running kernel's for the same programs (the kernel
 * oracle, test/verifier-oracle.ts: root, cc and libbpf; its BPF_LOG_STATS "verification time") with `--kernel`
 * (a process per program: about 85 s for the suite); without it the output says so. `--no-selftests` leaves
 * the suite out.
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BpfshipError } from '../src/internal/errors.ts';
import { readObject, selectPrograms, type ObjectSpec } from '../src/spec/index.ts';
import { linkProgram } from '../src/spec/index.ts';
import { mapTable, verifyProgram, type ProgramReport } from '../src/verifier/index.ts';
import { kernelVerdict, oracleAvailable } from '../test/verifier-oracle.ts';
import { verifySelftests, type VerifiedRow } from '../test/linux-selftests-run.ts';

const root = resolve(import.meta.dirname, '..', '..', 'shared', 'corpus');
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = flag('--filter');
const limitMs = Number(flag('--limit-ms') ?? 10_000);
const jsonOut = flag('--json');
const verbose = args.includes('--verbose');
const withKernel = args.includes('--kernel');
const withSelftests = !args.includes('--no-selftests');

interface Row {
  project: string;
  file: string;
  section: string;
  fn: string;
  truth: 'safe' | 'unsafe' | 'malformed';
  prevailVerdict: string;
  prevailSeconds: number;
}

interface Result {
  row: Row;
  /** Our verdict: pass, fail, or error (the object could not be read or the program found). */
  verdict: 'pass' | 'fail' | 'error';
  type: string;
  message: string;
  code: string;
  insns: number;
  ms: number;
  /** The running kernel's verdict, with --kernel. */
  kernel?: string;
  kernelLog?: string;
}

const rows: Row[] = readFileSync(join(root, 'expected.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
  const [project, file, section, fn, truth, prevailVerdict, prevailSeconds] = l.split('\t');
  return { project: project ?? '', file: file ?? '', section: section ?? '', fn: fn ?? '', truth: truth as Row['truth'], prevailVerdict: prevailVerdict ?? '', prevailSeconds: Number(prevailSeconds) };
}).filter((r) => filter === undefined || `${r.project}/${r.file}/${r.section}/${r.fn}`.includes(filter));

/**
 * The program type to verify a row as when its section name does not say (the corpus predates libbpf's section
 * conventions): cilium's tail-call sections are tc programs, or XDP in the XDP objects; Linux samples name their
 * tc programs freely; a few test programs are socket filters.
 */
function programTypeFor(row: Row, sectionType: string): string | undefined {
  if (row.project.startsWith('cilium') && row.project !== 'cilium-examples') {
    if (/xdp/.test(row.file)) return 'xdp';
    if (sectionType === 'unspec' || sectionType === 'socket_filter' || row.section === '.text') return 'sched_cls';
    return undefined;
  }
  if (sectionType !== 'unspec') return undefined;
  if (row.project === 'linux') {
    if (row.file.startsWith('lwt_len_hist')) return 'lwt_xmit';
    return 'sched_cls';
  }
  return 'socket_filter';
}

const specs = new Map<string, ObjectSpec | Error>();
function load(row: Row): ObjectSpec | Error {
  const path = join(root, 'ebpf-samples', row.project, row.file);
  let s = specs.get(path);
  if (s === undefined) {
    try {
      s = readObject(new Uint8Array(readFileSync(path)), { name: `${row.project}/${row.file}` });
    } catch (e) {
      s = e instanceof Error ? e : new Error(String(e));
    }
    specs.set(path, s);
  }
  return s;
}

const results: Result[] = [];
const t0 = performance.now();
for (const row of rows) {
  const start = performance.now();
  const spec = load(row);
  if (spec instanceof Error) {
    results.push({ row, verdict: 'error', type: '', message: spec instanceof BpfshipError ? spec.message : `internal error: ${spec.message}`, code: spec instanceof BpfshipError ? spec.code : 'internal', insns: 0, ms: performance.now() - start });
    continue;
  }
  const programs = selectPrograms(spec, { section: row.section, name: row.fn });
  const program = programs[0] ?? selectPrograms(spec, { section: row.section })[0];
  if (program === undefined) {
    results.push({ row, verdict: 'error', type: '', message: `no program ${row.section}/${row.fn} in the object`, code: 'not-found', insns: 0, ms: performance.now() - start });
    continue;
  }
  const type = programTypeFor(row, program.kind.programType);
  let report: ProgramReport;
  try {
    // Objects without a license section get one from their loader (falco's passes GPL).
    const license = spec.license ?? 'GPL';
    report = verifyProgram(spec, program, { timeLimitMs: limitMs, license, ...(type !== undefined ? { programType: type } : {}) });
  } catch (e) {
    results.push({ row, verdict: 'error', type: type ?? program.kind.programType, message: `internal error: ${(e as Error).stack ?? String(e)}`, code: 'internal', insns: 0, ms: performance.now() - start });
    continue;
  }
  const d = report.diagnostics[0];
  const result: Result = { row, verdict: report.verdict, type: report.type, message: d?.message ?? '', code: d?.code ?? '', insns: report.insnsProcessed, ms: performance.now() - start };
  if (withKernel) {
    try {
      const k = kernelVerdict(linkProgram(spec, program).instructions, mapTable(spec), report.type, program.kind.attachType, spec.license ?? 'GPL');
      result.kernel = k.verdict;
      result.kernelLog = k.log.trim().split('\n').filter((l) => l !== '' && !l.startsWith('processed') && !l.startsWith('verification time') && !l.startsWith('stack depth')).slice(-1)[0] ?? '';
    } catch (e) {
      result.kernel = 'unavailable';
      result.kernelLog = (e as Error).message;
    }
  }
  results.push(result);
  if (verbose) console.log(`${report.verdict}\t${row.truth}\t${(performance.now() - start).toFixed(0)}ms\t${row.project}/${row.file}\t${row.section}/${row.fn}\t${d?.message ?? ''}`);
}
const totalMs = performance.now() - t0;

// Tally.
const count = (pred: (r: Result) => boolean): number => results.filter(pred).length;
const safe = results.filter((r) => r.row.truth === 'safe');
const unsafe = results.filter((r) => r.row.truth === 'unsafe');
const malformed = results.filter((r) => r.row.truth === 'malformed');
const ok = (r: Result): boolean => (r.row.truth === 'safe' ? r.verdict === 'pass' : r.verdict !== 'pass');
const prevailOk = (r: Result): boolean => (r.row.truth === 'safe' ? r.row.prevailVerdict === 'pass' : r.row.prevailVerdict !== 'pass');
const pct = (a: number, b: number): string => `${a}/${b} (${b === 0 ? '-' : ((100 * a) / b).toFixed(1)}%)`;
const prevailSum = rows.reduce((s, r) => s + (Number.isFinite(r.prevailSeconds) ? r.prevailSeconds : 0), 0);
const slowest = [...results].sort((a, b) => b.ms - a.ms)[0];
const clearError = (r: Result): boolean => r.verdict !== 'pass' && r.message !== '' && !r.message.startsWith('internal error');

const line = (label: string, ours: string, theirs: string): string => `${label.padEnd(28)}${ours.padEnd(26)}${theirs}`;
console.log(line('', 'bpfship', 'PREVAIL'));
console.log(line('safe accepted', pct(count((r) => r.row.truth === 'safe' && r.verdict === 'pass'), safe.length), pct(safe.filter(prevailOk).length, safe.length)));
console.log(line('unsafe rejected', pct(count((r) => r.row.truth === 'unsafe' && r.verdict !== 'pass'), unsafe.length), pct(unsafe.filter(prevailOk).length, unsafe.length)));
console.log(line('malformed rejected (clear)', pct(count((r) => r.row.truth === 'malformed' && clearError(r)), malformed.length), pct(malformed.filter(prevailOk).length, malformed.length)));
console.log(line('total time', `${(totalMs / 1000).toFixed(1)} s`, `101.5 s in one process (${prevailSum.toFixed(1)} s summed per program)`));
if (slowest !== undefined) console.log(line('slowest program', `${(slowest.ms / 1000).toFixed(2)} s`, `${slowest.row.project}/${slowest.row.file} ${slowest.row.section}/${slowest.row.fn}`));
console.log(line('over 10 s', String(count((r) => r.ms > 10_000)), ''));
console.log(line('instructions processed', results.reduce((s, r) => s + r.insns, 0).toLocaleString('en-US'), ''));

if (withKernel) {
  const k = results.filter((r) => r.kernel === 'pass' || r.kernel === 'fail');
  console.log(line('kernel agrees with truth', `${k.filter((r) => (r.kernel === 'pass') === (r.row.truth === 'safe')).length}/${k.length}`, `(${results.length - k.length} not loadable by the oracle)`));
  console.log(line('we agree with kernel', `${k.filter((r) => (r.kernel === 'pass') === (r.verdict === 'pass')).length}/${k.length}`, ''));
  const kernelPassWeFail = k.filter((r) => r.kernel === 'pass' && r.verdict !== 'pass');
  console.log(`\nkernel accepts, we reject (${kernelPassWeFail.length}):`);
  for (const r of kernelPassWeFail) console.log(`    ${r.row.project}/${r.row.file} ${r.row.section}/${r.row.fn} (${r.type}): ${r.message.slice(0, 160)}`);
  const kernelFailWePass = k.filter((r) => r.kernel === 'fail' && r.verdict === 'pass');
  console.log(`\nkernel rejects, we accept (${kernelFailWePass.length}):`);
  for (const r of kernelFailWePass) console.log(`    ${r.row.project}/${r.row.file} ${r.row.section}/${r.row.fn} (${r.type}): kernel: ${r.kernelLog}`);
  const truthWrong = k.filter((r) => r.kernel === 'fail' && r.row.truth === 'safe');
  console.log(`\nsafe by the truth file, but the kernel rejects (${truthWrong.length}):`);
  for (const r of truthWrong) console.log(`    ${r.row.project}/${r.row.file} ${r.row.section}/${r.row.fn} (${r.type}; ours: ${r.verdict}): kernel: ${r.kernelLog}`);
}

// Linux's verifier selftests, per object family, beside the running kernel's time on the same programs.
if (withSelftests) await benchSelftests();

async function benchSelftests(): Promise<void> {
  const suite = await verifySelftests({ timeLimitMs: limitMs });
  // The oracle loads each program from a process of its own: about 85 s for the suite on the development machine,
  // more than the corpus takes; so only with --kernel.
  const oracle = withKernel && oracleAvailable();
  const family = (object: string): string => object.replace(/^verifier_/, '').replace(/\.o$/, '').split('_')[0] ?? object;
  const kernel = new Map<VerifiedRow, { verdict: string; usec: number | undefined }>();
  const tk = performance.now();
  if (oracle) {
    for (const row of suite.rows) {
      const spec = suite.specs.get(row.object);
      const program = spec?.programs.find((p) => p.name === row.function && p.sectionName === row.section) ?? spec?.programs.find((p) => p.name === row.function);
      if (spec === undefined || program === undefined || row.report === undefined) continue;
      try {
        const k = kernelVerdict(linkProgram(spec, program).instructions, mapTable(spec), row.report.type, program.kind.attachType, spec.license ?? 'GPL');
        kernel.set(row, { verdict: k.verdict, usec: k.usec });
      } catch {
        kernel.set(row, { verdict: 'unavailable', usec: undefined });
      }
    }
  }
  const oracleMs = performance.now() - tk;
  const pctOf = (a: number, b: number): string => `${a}/${b}${b === 0 ? '' : ` (${((100 * a) / b).toFixed(1)}%)`}`;
  console.log(`\nlinux selftests (../shared/linux-selftests, ${suite.objects} objects, ${suite.rows.length} programs; truth: Linux 6.18 as root)`);
  console.log(line('kernel-pass accepted', pctOf(suite.passAccepted, suite.passTotal), ''));
  console.log(line('kernel-fail rejected', pctOf(suite.failRejected, suite.failTotal), ''));
  const ourMs = suite.rows.reduce((s, r) => s + r.ms, 0);
  const loaded = [...kernel.entries()].filter(([, k]) => k.verdict === 'pass' || k.verdict === 'fail');
  const kernelUsec = loaded.reduce((s, [, k]) => s + (k.usec ?? 0), 0);
  if (!oracle) {
    const why = withKernel ? 'the kernel oracle needs root, cc and libbpf' : 'run with --kernel to measure it: the oracle loads each program from a process of its own, about 85 s for the suite';
    console.log(line('verification time', `${(ourMs / 1000).toFixed(2)} s`, `the running kernel's: not measured (${why})`));
  } else {
    const sameMs = loaded.reduce((s, [r]) => s + r.ms, 0);
    console.log(line('verification time', `${(ourMs / 1000).toFixed(2)} s`, `the running kernel: ${(kernelUsec / 1e6).toFixed(2)} s for the ${loaded.length} programs it loaded (bpfship ${(sameMs / 1000).toFixed(2)} s on those; oracle run ${(oracleMs / 1000).toFixed(1)} s)`));
    console.log(line('oracle agrees with table', `${loaded.filter(([r, k]) => k.verdict === r.truth).length}/${loaded.length}`, `(${suite.rows.length - loaded.length} not loadable by the oracle: kfuncs, BTF, flags the table applied)`));
  }
  const groups = new Map<string, VerifiedRow[]>();
  for (const r of suite.rows) groups.set(family(r.object), [...(groups.get(family(r.object)) ?? []), r]);
  console.log(`\n  ${'family'.padEnd(22)}${'kernel-pass accepted'.padEnd(22)}${'kernel-fail rejected'.padEnd(22)}${'bpfship ms'.padStart(11)}${'kernel ms'.padStart(11)}`);
  for (const [name, rows] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
    const pass = rows.filter((r) => r.truth === 'pass');
    const fail = rows.filter((r) => r.truth === 'fail');
    const ms = rows.reduce((s, r) => s + r.ms, 0);
    const kus = rows.reduce((s, r) => s + (kernel.get(r)?.usec ?? 0), 0);
    const kernelCell = oracle ? (kus / 1000).toFixed(1) : '-';
    console.log(`  ${name.padEnd(22)}${`${pass.filter((r) => r.ours === 'pass').length}/${pass.length}`.padEnd(22)}${`${fail.filter((r) => r.ours === 'fail').length}/${fail.length}`.padEnd(22)}${ms.toFixed(1).padStart(11)}${kernelCell.padStart(11)}`);
  }
}

// The rows we get wrong, grouped by the first message with numbers and names blurred.
const wrong = results.filter((r) => !ok(r));
const shape = (m: string): string => m.replace(/'[^']*'/g, "'…'").replace(/\b(r|fp)\d+/g, '$1N').replace(/-?\d+/g, 'N').replace(/\(.*?\)/g, '(…)').slice(0, 140);
const groups = new Map<string, Result[]>();
for (const r of wrong) {
  const key = `${r.row.truth === 'safe' ? 'safe rejected' : `${r.row.truth} ACCEPTED`}: [${r.code}] ${shape(r.message)}`;
  const g = groups.get(key) ?? [];
  g.push(r);
  groups.set(key, g);
}
console.log(`\n${wrong.length} programs where we disagree with the truth:`);
for (const [key, g] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`\n${String(g.length).padStart(4)}  ${key}`);
  for (const r of g.slice(0, verbose ? g.length : 4)) console.log(`        ${r.row.project}/${r.row.file} ${r.row.section}/${r.row.fn} (${r.type}): ${r.message.slice(0, 200)}`);
  if (!verbose && g.length > 4) console.log(`        ... and ${g.length - 4} more`);
}
if (jsonOut !== undefined) {
  writeFileSync(jsonOut, JSON.stringify(results.map((r) => ({ ...r.row, verdict: r.verdict, type: r.type, code: r.code, message: r.message, insns: r.insns, ms: Math.round(r.ms), kernel: r.kernel, kernelLog: r.kernelLog })), null, 1));
}
process.exitCode = results.some((r) => r.row.truth !== 'safe' && r.verdict === 'pass') ? 1 : 0;
