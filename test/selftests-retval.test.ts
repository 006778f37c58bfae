/**
 * The `__retval` programs of Linux's verifier selftests (`../shared/linux-selftests`, the `retval` column: what
 * Linux 6.18's BPF_PROG_TEST_RUN returned on a 64-byte zeroed packet) run in interpret, jit and native mode, each
 * compared with the kernel's value. Before the run, key 0 of `map_array_ro` and `map_array_48b` holds the
 * selftests' `struct test_val` (prog_tests/verifier.c, init_test_val_map): index = 28, foo[6] = 0xabcdef12.
 *
 * Only programs bpfship's verifier accepts are run (every row with a retval is one Linux accepts), of the program
 * types our runtimes run (RUNNABLE_LINUX_TYPES: lwt_* and netfilter programs are left out, and said so). A
 * disagreement fails the test unless KNOWN_WRONG lists it with the bug; a program that cannot run in our runtimes
 * must be listed in CANNOT_RUN with the reason.
 *
 * Author: Claude.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNative } from '../src/native/index.ts';
import { openNativeObject, type NativeObject } from '../src/runtime/native/native-object.ts';
import { runNativeProgram } from '../src/runtime/native/native-test-run.ts';
import { Runtime, RUNNABLE_LINUX_TYPES } from '../src/runtime/index.ts';
import type { ObjectSpec } from '../src/spec/index.ts';
import { SELFTESTS_DIR, verifySelftests, type VerifiedRow } from './linux-selftests-run.ts';

const MODES = ['interpret', 'jit', 'native'] as const;
type Mode = (typeof MODES)[number];

/** The packet every program runs on, as the suite's figures were taken. */
const PACKET_LENGTH = 64;

/** `struct test_val` as the selftests put it at key 0 (index = (6 + 1) * sizeof(int), foo[6] = 0xabcdef12). */
function testVal(valueSize: number): Uint8Array {
  const v = new Uint8Array(valueSize);
  const dv = new DataView(v.buffer);
  dv.setUint32(0, 28, true);
  if (valueSize >= 32) dv.setUint32(28, 0xabcdef12, true);
  return v;
}
const FILLED_MAPS = ['map_array_ro', 'map_array_48b'];
const KEY0 = new Uint8Array(4);

/**
 * Programs that cannot run in a mode of our runtimes, and why: keyed `OBJECT FUNCTION`, or `OBJECT` for every
 * program of the object (every map of an object is created when one of its programs is loaded; a native image
 * is built from the programs run, as libbpf loads the programs left to autoload).
 */
const CANNOT_RUN: Readonly<Record<string, { readonly modes: readonly Mode[]; readonly reason: string }>> = {
  'verifier_sock.o': { modes: ['interpret', 'jit', 'native'], reason: "the object's sk_storage_map (BPF_MAP_TYPE_SK_STORAGE) is a map type the runtime core does not create, and every map of an object is created when one of its programs is loaded: socket storage lives on sockets, and our runtimes have none (skb->sk is NULL, socket lookups find none), so such a map could never hold anything" },
};

/**
 * Programs whose return value differs from the kernel's because of a known runtime bug, by mode, with the bug:
 * none today (LD_IND at SKF_LL_OFF, verifier_ld_ind's ind_check_calling_conv_r7, was one until the engines
 * learned the negative offsets). The test fails on any other disagreement.
 */
const KNOWN_WRONG: Readonly<Record<string, { readonly modes: readonly Mode[]; readonly reason: string }>> = {};

/** The entry of `table` for a row in a mode (by program, else by object). */
function listed(table: typeof CANNOT_RUN, row: VerifiedRow, mode: Mode): string | undefined {
  for (const k of [`${row.object} ${row.function}`, row.object]) {
    const e = table[k];
    if (e !== undefined && e.modes.includes(mode)) return e.reason;
  }
  return undefined;
}

/** What one program gave in one mode. */
type Outcome = { readonly kind: 'ran'; readonly retval: number } | { readonly kind: 'error'; readonly reason: string };

const key = (r: VerifiedRow): string => `${r.object} ${r.function}`;
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';

function runInRuntime(spec: ObjectSpec, row: VerifiedRow, mode: 'interpret' | 'jit'): Outcome {
  try {
    const obj = Runtime.createSync().load(spec, { mode, programs: [row.function] });
    try {
      for (const m of FILLED_MAPS) {
        const map = spec.maps.find((x) => x.name === m);
        if (map !== undefined) obj.map(m).update(KEY0, testVal(map.valueSize));
      }
      return { kind: 'ran', retval: obj.program(row.function).run({ data: new Uint8Array(PACKET_LENGTH) }).retval | 0 };
    } finally {
      obj.close();
    }
  } catch (e) {
    return { kind: 'error', reason: message(e) };
  }
}

function runNative(native: NativeObject, spec: ObjectSpec, row: VerifiedRow): Outcome {
  try {
    for (const m of FILLED_MAPS) {
      const map = spec.maps.find((x) => x.name === m);
      if (map !== undefined) native.map(m).update(KEY0, testVal(map.valueSize));
    }
    return { kind: 'ran', retval: runNativeProgram(native, row.function, { data: new Uint8Array(PACKET_LENGTH) }).retval | 0 };
  } catch (e) {
    return { kind: 'error', reason: message(e) };
  }
}

test('Linux selftests __retval programs: interpret, jit and native give the kernel\'s return value', { skip: !existsSync(join(SELFTESTS_DIR, 'expected.tsv')) && 'no ../shared/linux-selftests' }, async (t) => {
  const verified = await verifySelftests({}, (r) => r.retval !== undefined);
  const runnable = verified.rows.filter((r) => RUNNABLE_LINUX_TYPES.includes(r.report?.type ?? r.progType));
  const notRunnableType = verified.rows.filter((r) => !runnable.includes(r));
  const rejected = runnable.filter((r) => r.ours !== 'pass');
  const candidates = runnable.filter((r) => r.ours === 'pass');
  t.diagnostic(`${verified.rows.length} programs with a retval: ${notRunnableType.length} of program types our runtimes do not run (${[...new Set(notRunnableType.map((r) => r.report?.type ?? r.progType))].join(', ')}), ${rejected.length} rejected by our verifier, ${candidates.length} run`);

  const outcomes = new Map<Mode, Map<string, Outcome>>(MODES.map((m) => [m, new Map()]));
  const byObject = new Map<string, VerifiedRow[]>();
  for (const r of candidates) byObject.set(r.object, [...(byObject.get(r.object) ?? []), r]);
  for (const [object, rows] of byObject) {
    const spec = verified.specs.get(object) as ObjectSpec;
    for (const row of rows) {
      for (const mode of ['interpret', 'jit'] as const) outcomes.get(mode)?.set(key(row), runInRuntime(spec, row, mode));
    }
    // One native image per object, of the programs run (as libbpf loads the programs left to autoload; interpret
    // and jit load only the program run), through the build cache. Every map of the object is created.
    let native: NativeObject | undefined;
    let buildError = '';
    try {
      const elf = new Uint8Array(readFileSync(join(SELFTESTS_DIR, 'obj', object)));
      native = openNativeObject(buildNative(elf, { sourceName: object, programs: rows.map((r) => r.function) }).so, { name: object.replace(/\.o$/, '.so') });
    } catch (e) {
      buildError = `the native build failed: ${message(e)}`;
    }
    try {
      for (const row of rows) outcomes.get('native')?.set(key(row), native === undefined ? { kind: 'error', reason: buildError } : runNative(native, spec, row));
    } finally {
      native?.close();
    }
  }

  const disagreements: string[] = [];
  const unexpectedErrors: string[] = [];
  const knownWrong: string[] = [];
  for (const mode of MODES) {
    let ran = 0;
    let agree = 0;
    for (const row of candidates) {
      const o = outcomes.get(mode)?.get(key(row));
      if (o === undefined) continue;
      if (o.kind === 'error') {
        if (listed(CANNOT_RUN, row, mode) === undefined) unexpectedErrors.push(`${mode}: ${key(row)}: ${o.reason}`);
        continue;
      }
      ran++;
      if (o.retval === row.retval) agree++;
      else {
        const known = listed(KNOWN_WRONG, row, mode);
        if (known !== undefined) knownWrong.push(`${mode}: ${key(row)}: returned ${o.retval}, the kernel ${row.retval}: ${known}`);
        else disagreements.push(`${mode}: ${key(row)} (${row.report?.type}): returned ${o.retval}, the kernel ${row.retval}`);
      }
    }
    t.diagnostic(`${mode}: ${ran}/${candidates.length} ran, ${agree}/${ran} agree with the kernel`);
  }
  for (const d of knownWrong) t.diagnostic(`known runtime bug: ${d}`);
  for (const d of disagreements) t.diagnostic(`disagrees: ${d}`);
  for (const d of unexpectedErrors) t.diagnostic(`could not run: ${d}`);
  for (const mode of MODES) {
    for (const row of notRunnableType) t.diagnostic(`not run (${mode}): ${key(row)}: program type ${row.report?.type ?? row.progType} does not run in bpfship's runtimes`);
  }
  assert.deepEqual(disagreements, [], 'every program that verified and ran returns the kernel\'s value (or is a known bug in KNOWN_WRONG)');
  assert.deepEqual(unexpectedErrors, [], 'every program that cannot run is listed in CANNOT_RUN with its reason');
});
