// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, PROGRAMS_OBJ } from '../internal/test-files.ts';
import { readObject, type ObjectSpec } from '../spec/index.ts';
import { testMap, testProgram } from './_test-program.ts';
import type { RecordedState, StateRecording } from './state-recorder.ts';
import { verifyLinked, verifyProgram } from './verify.ts';

function load(path: string): ObjectSpec {
  return readObject(new Uint8Array(readFileSync(path)), { name: path });
}

/** r`n` of a recorded state's innermost frame, as the recording describes it. */
function reg(rec: StateRecording, s: RecordedState, n: number): StateRecording['values'][number] | undefined {
  const i = s.frames[s.frames.length - 1]?.regs[n] ?? -1;
  return i < 0 ? undefined : rec.values[i];
}

describe('state recorder', () => {
  const bind = load(join(PROGRAMS_OBJ, 'bind_monitor.o'));
  const report = verifyProgram(bind, bind.programs[0]!, { record: {} });
  const rec = report.recording!;

  it('records the path to the error, ending at the failing instruction with r7 a map value that may be NULL', () => {
    assert.equal(report.verdict, 'fail');
    const path = rec.errorPath!.map((i) => rec.states[i]!);
    assert.equal(path[0]!.slot, 0);
    assert.equal(path.at(-1)!.slot, 32);
    assert.ok(path.every((s) => s.errorPath === true));
    // The path took the jump at 16 (count != NULL): 0..16, then 28..32.
    assert.deepEqual(path.map((s) => s.slot), [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 15, 16, 28, 29, 30, 31, 32]);
    const decision = rec.paths[path.at(-1)!.path]!;
    assert.deepEqual(decision, { parent: -1, kind: 'branch', slot: 16, taken: true });
    const r7 = reg(rec, path.at(-1)!, 7)!;
    assert.equal(r7.type, 'map_value_or_null');
    assert.equal(r7.maybeNull, true);
    assert.equal(r7.map, 'bind_limit');
    assert.equal(r7.description, 'a map value pointer or NULL');
    // Produced by the lookup at 9, last changed on this path by the move at 10.
    assert.equal(r7.origin?.slot, 9);
    assert.equal(path.at(-1)!.frames[0]!.written[7], 10);
  });

  it('links each state to the one after its instruction', () => {
    const call = rec.states.find((s) => s.slot === 9)!;
    assert.equal(reg(rec, call, 1)?.type, 'map_ptr');
    assert.equal(reg(rec, call, 2)?.text, 'fp-8');
    const after = rec.states[call.next!]!;
    assert.equal(after.slot, 10);
    assert.equal(reg(rec, after, 0)?.type, 'map_value_or_null');
    assert.equal(after.frames[0]!.written[0], 9);
    // r1-r5 are clobbered by the call.
    assert.equal(reg(rec, after, 1), undefined);
  });

  it('counts arrivals, branch outcomes and keeps bounds and tnums as text', () => {
    assert.equal(rec.visits.reduce((a, b) => a + b, 0), report.insnsProcessed + rec.pruned.reduce((a, b) => a + b, 0));
    assert.equal(rec.taken[16], 1);
    assert.equal(rec.fallthrough[16], 1);
    const shifted = rec.states.find((s) => s.slot === 2)!;
    const r0 = reg(rec, shifted, 0)!;
    assert.equal(r0.type, 'scalar');
    assert.equal(r0.value.umax, '4294967295');
    assert.equal(r0.value.tnum.mask, '0xffffffff');
    assert.equal(JSON.parse(JSON.stringify(rec)).states.length, rec.states.length);
  });

  it('keeps at most maxStatesPerInsn states per instruction (plus successors), counting the others', () => {
    // A branchy program: many paths reach the last instructions.
    const text = 'r2 = *(u32 *)(r1 + 12)\nr4 = *(u32 *)(r1 + 16)\n' + Array.from({ length: 6 }, (_, i) => `if r${i % 2 === 0 ? 2 : 4} > ${i * 3} goto +1\nr3 = ${i}`).join('\n') + '\nr0 = 2\nexit';
    const linked = testProgram(text);
    const r = verifyLinked(linked, [testMap()], { programType: 'xdp', gpl: true }, { record: { maxStatesPerInsn: 2 } });
    assert.equal(r.verdict, 'pass');
    const counts = new Map<number, number>();
    for (const s of r.recording!.states) counts.set(s.slot, (counts.get(s.slot) ?? 0) + 1);
    assert.ok([...counts.values()].every((n) => n <= 4), `per-slot counts ${[...counts.values()]}`);
    assert.ok(r.recording!.omitted > 0);
    // The same verification without recording.
    const plain = verifyLinked(linked, [testMap()], { programType: 'xdp', gpl: true });
    assert.equal(plain.insnsProcessed, r.insnsProcessed);
  });

  it('keeps the path to the error past the budget, and says the budget ran out', () => {
    const r = verifyProgram(bind, bind.programs[0]!, { record: { maxBytes: 1, maxStatesPerInsn: 1 } });
    const rr = r.recording!;
    assert.equal(rr.truncated, true);
    assert.equal(rr.errorPath!.length, 20);
    assert.equal(rr.states[rr.errorPath!.at(-1)!]!.slot, 32);
  });

  it('refuses bounds that are not positive integers', () => {
    assert.throws(() => verifyProgram(bind, bind.programs[0]!, { record: { maxStatesPerInsn: 0 } }), /maxStatesPerInsn must be a positive integer/);
  });

  it('does not change the verification of a large program, and stays within its budget', () => {
    const lxc = load(join(CORPUS, 'cilium', 'bpf_lxc.o'));
    const prog = lxc.programs.find((p) => p.name === 'tail_ipv4_to_ipv6')!;
    const plain = verifyProgram(lxc, prog, { programType: 'sched_cls' });
    const recorded = verifyProgram(lxc, prog, { programType: 'sched_cls', record: { maxBytes: 2 << 20 } });
    assert.equal(recorded.verdict, plain.verdict);
    assert.equal(recorded.insnsProcessed, plain.insnsProcessed);
    assert.equal(recorded.statesStored, plain.statesStored);
    assert.ok(JSON.stringify(recorded.recording).length < 3 << 20);
  });
});
