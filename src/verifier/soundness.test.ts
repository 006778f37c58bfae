import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../asm/index.ts';
import { referenceExecutor } from './_reference-executor.ts';
import { GENERATED_MAPS, generateProgram } from './generator.ts';
import { checkSoundness, randomInput } from './soundness.ts';

describe('soundness: generated programs', () => {
  it('the generator makes valid-looking programs, some accepted and some not', () => {
    const p = generateProgram(3);
    assert.ok(p.instructions.length > 5);
    assert.match(p.text, /exit/);
  });

  it('the reference executor catches an out-of-bounds access', () => {
    const text = 'r6 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r6 + 100)\nexit';
    const out = referenceExecutor.run({ seed: 0, text, instructions: assemble(text), maps: GENERATED_MAPS, programType: 'xdp' }, randomInput(1));
    assert.equal(out.kind, 'fault');
  });

  it('no program the verifier accepts faults when run (randomized; figures printed)', (t) => {
    const count = Number(process.env['SOUNDNESS_COUNT'] ?? 400);
    const r = checkSoundness(referenceExecutor, { firstSeed: 1, count, inputs: 6, runRejected: true });
    t.diagnostic(`${r.generated} programs, ${r.accepted} accepted, ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run (the verifier was right); ${r.unsupported} not runnable`);
    for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
    for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed}: usual ${v.usual}; eager ${v.eager}\n${v.text}`);
    assert.equal(r.violations.length, 0);
    assert.equal(r.pruningInconsistencies.length, 0);
    assert.ok(r.accepted > count / 10, 'the generator should make some acceptable programs');
    assert.ok(r.faultsInRejected > 0, 'the generator should make some unsafe programs');
  });

  it('nor under the linux rule set (addresses may leave, never-written stack reads as unknown numbers)', (t) => {
    const count = Number(process.env['SOUNDNESS_COUNT'] ?? 300);
    const r = checkSoundness(referenceExecutor, { firstSeed: 5001, count, inputs: 6, runRejected: true, rules: 'linux', callbacks: true });
    t.diagnostic(`${r.generated} programs, ${r.accepted} accepted, ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run`);
    for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
    for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed}: usual ${v.usual}; eager ${v.eager}\n${v.text}`);
    assert.equal(r.violations.length, 0);
    assert.equal(r.pruningInconsistencies.length, 0);
    assert.ok(r.accepted > count / 10);
  });

  it('nor with callbacks: bpf_loop iterations that count, use and clobber the caller\'s stack', (t) => {
    const count = Number(process.env['SOUNDNESS_COUNT'] ?? 300);
    const r = checkSoundness(referenceExecutor, { firstSeed: 1, count, inputs: 6, runRejected: true, callbacks: true });
    t.diagnostic(`${r.generated} programs, ${r.accepted} accepted, ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run; ${r.unsupported} not runnable`);
    for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
    for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed}: usual ${v.usual}; eager ${v.eager}\n${v.text}`);
    assert.equal(r.violations.length, 0);
    assert.equal(r.pruningInconsistencies.length, 0);
    assert.equal(r.unsupported, 0);
    assert.ok(r.accepted > count / 10, 'the generator should make some acceptable programs');
    assert.ok(r.faultsInRejected > 0, 'the generator should make some unsafe programs');
  });
});
