/**
 * Verifies `../shared/linux-selftests` with the verifier's library API and matches the reports to the rows of
 * `expected.tsv` as `../shared/tools/linux-selftests.py` does (section and function, then function alone). Shared
 * by `linux-selftests.test.ts` (the floors), `selftests-retval.test.ts` (which programs verified) and
 * `npm run bench:verifier` (the figures per object family).
 *
 * Author: Claude.
 *
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readObject, type ObjectSpec } from '../src/spec/index.ts';
import { verifyProgram, type ProgramReport, type VerifyOptions } from '../src/verifier/index.ts';
import { kernelBtfFor } from '../src/cli/verifier-options.ts';

/** The suite's directory. */
export const SELFTESTS_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'linux-selftests');

/** One row of `expected.tsv` (the columns the tests use). */
export interface SelftestRow {
  readonly object: string;
  readonly section: string;
  readonly function: string;
  /** Linux 6.18's privileged verdict: the truth. */
  readonly truth: 'pass' | 'fail';
  readonly kernelMsg: string;
  /** The kernel's BPF_PROG_TEST_RUN return value (signed 32-bit), where the test declares `__retval`. */
  readonly retval: number | undefined;
  readonly flags: string;
  readonly progType: string;
  readonly role: string;
}

/** The rows of `expected.tsv`. */
export function readSelftestRows(dir = SELFTESTS_DIR): SelftestRow[] {
  const [header, ...lines] = readFileSync(join(dir, 'expected.tsv'), 'utf8').split('\n').filter((l) => l !== '');
  const cols = (header ?? '').split('\t');
  const at = (fields: string[], name: string): string => fields[cols.indexOf(name)] ?? '';
  return lines.map((line) => {
    const f = line.split('\t');
    const retval = at(f, 'retval');
    return {
      object: at(f, 'object'),
      section: at(f, 'section'),
      function: at(f, 'function'),
      truth: at(f, 'kernel') === 'pass' ? 'pass' : 'fail',
      kernelMsg: at(f, 'kernel_msg'),
      retval: retval === '' ? undefined : Number(retval),
      flags: at(f, 'flags'),
      progType: at(f, 'prog_type'),
      role: at(f, 'role'),
    };
  });
}

/** The report of a row's program, matched as linux-selftests.py matches it; undefined when there is none. */
export function findReport(reports: readonly ProgramReport[], row: Pick<SelftestRow, 'section' | 'function'>): ProgramReport | undefined {
  return reports.find((p) => p.name === row.function && p.section === row.section) ?? reports.find((p) => p.name === row.function);
}

/** A row with bpfship's verdict. */
export interface VerifiedRow extends SelftestRow {
  /** `missing` when the object could not be read or the program was not found. */
  readonly ours: 'pass' | 'fail' | 'missing';
  readonly report?: ProgramReport;
  /** The verifier's time for the program, in milliseconds. */
  readonly ms: number;
}

/** The suite verified. */
export interface SelftestsResult {
  readonly objects: number;
  readonly rows: readonly VerifiedRow[];
  readonly specs: ReadonlyMap<string, ObjectSpec>;
  readonly passAccepted: number;
  readonly passTotal: number;
  readonly failRejected: number;
  readonly failTotal: number;
  /** Wall time, in milliseconds. */
  readonly ms: number;
}

/**
 * The verifier options standing for the load flags the kernel was given for `row` (its `flags` column):
 * BPF_F_STRICT_ALIGNMENT and BPF_F_TEST_STATE_FREQ have counterparts; BPF_F_ANY_ALIGNMENT is the default here.
 */
function loadFlags(row: SelftestRow | undefined): VerifyOptions {
  const flags = row?.flags ?? '';
  return {
    ...(flags.includes('BPF_F_STRICT_ALIGNMENT') ? { strictAlignment: true } : {}),
    ...(flags.includes('BPF_F_TEST_STATE_FREQ') ? { checkpointEveryPrunePoint: true } : {}),
  };
}

/**
 * Verifies every object of the suite (every program, as `bpfship verify OBJ` does) and tallies the rows.
 * `options` are given to every verification (default: the CLI's, Linux's rules and the kernel BTF when present);
 * with `only`, just the rows it keeps (and their programs) are verified.
 */
export async function verifySelftests(options: VerifyOptions = {}, only?: (row: SelftestRow) => boolean, dir = SELFTESTS_DIR): Promise<SelftestsResult> {
  const t0 = performance.now();
  const rows = readSelftestRows(dir).filter((r) => only === undefined || only(r));
  const kernelBtf = await kernelBtfFor(undefined);
  const byObject = new Map<string, SelftestRow[]>();
  for (const r of rows) byObject.set(r.object, [...(byObject.get(r.object) ?? []), r]);
  const objects = readdirSync(join(dir, 'obj')).filter((f) => f.endsWith('.o') && (only === undefined || byObject.has(f))).sort();
  const verified: VerifiedRow[] = [];
  const specs = new Map<string, ObjectSpec>();
  for (const object of [...new Set([...objects, ...byObject.keys()])]) {
    const objectRows = byObject.get(object) ?? [];
    let spec: ObjectSpec | undefined;
    try {
      spec = readObject(new Uint8Array(readFileSync(join(dir, 'obj', object))), { name: object });
      specs.set(object, spec);
    } catch {
      spec = undefined;
    }
    const reports: ProgramReport[] = [];
    const ms = new Map<ProgramReport, number>();
    const wanted = new Set(objectRows.map((r) => r.function));
    for (const p of (spec?.programs ?? []).filter((q) => only === undefined || wanted.has(q.name))) {
      const t = performance.now();
      const report = verifyProgram(spec as ObjectSpec, p, { ...(kernelBtf !== undefined ? { kernelBtf } : {}), ...loadFlags(objectRows.find((r) => r.function === p.name)), ...options });
      ms.set(report, performance.now() - t);
      reports.push(report);
    }
    for (const row of objectRows) {
      const report = findReport(reports, row);
      verified.push(report === undefined ? { ...row, ours: 'missing', ms: 0 } : { ...row, ours: report.verdict === 'pass' ? 'pass' : 'fail', report, ms: ms.get(report) ?? 0 });
    }
  }
  const count = (truth: 'pass' | 'fail', ours: 'pass' | 'fail'): number => verified.filter((r) => r.truth === truth && r.ours === ours).length;
  return {
    objects: objects.length,
    rows: verified,
    specs,
    passAccepted: count('pass', 'pass'),
    passTotal: rows.filter((r) => r.truth === 'pass').length,
    failRejected: count('fail', 'fail'),
    failTotal: rows.filter((r) => r.truth === 'fail').length,
    ms: performance.now() - t0,
  };
}
