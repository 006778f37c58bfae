// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceExecutor } from './_reference-executor.ts';
import { generateProgram, programFromText } from './generator.ts';
import type { RuleSet } from './rules.ts';
import { checkProgram, checkSoundness, randomInput } from './soundness.ts';

describe('soundness: generated programs', () => {
  it('the generator makes valid-looking programs, some accepted and some not', () => {
    const p = generateProgram(3);
    assert.ok(p.instructions.length > 5);
    assert.match(p.text, /exit/);
  });

  it('the reference executor catches an out-of-bounds access and a NULL dereference under either rule set', () => {
    const outside = programFromText('r6 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r6 + 100)\nexit');
    const nullValue = programFromText('*(u32 *)(r10 - 4) = 0\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nr0 = *(u8 *)(r0 + 0)\nexit');
    const absent = { ...randomInput(1), present: () => false };
    for (const rules of ['linux', 'strict'] as const) {
      assert.equal(referenceExecutor.run(outside, randomInput(1), rules).kind, 'fault', rules);
      assert.equal(referenceExecutor.run(nullValue, absent, rules).kind, 'fault', rules);
    }
  });

  it('a read of stack never written is a fault under strict only (linux reads an unknown number)', () => {
    const p = programFromText('r0 = *(u64 *)(r10 - 24)\nr0 &= 1\nexit');
    const strict = referenceExecutor.run(p, randomInput(1), 'strict');
    assert.equal(strict.kind, 'fault');
    assert.match(strict.kind === 'fault' ? strict.message : '', /read of stack byte -24 never written/);
    assert.equal(referenceExecutor.run(p, randomInput(1), 'linux').kind, 'ok');
    // The verifier agrees: the program passes under linux and fails under strict, and no run faults either way.
    assert.equal(checkProgram(referenceExecutor, p, 'linux', { inputs: 4 }).pass, true);
    assert.equal(checkProgram(referenceExecutor, p, 'strict', { inputs: 4 }).pass, false);
    // A never-written key handed to a helper, likewise.
    const key = programFromText('r2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nr0 = 0\nexit');
    assert.equal(referenceExecutor.run(key, randomInput(1), 'strict').kind, 'fault');
    assert.equal(referenceExecutor.run(key, randomInput(1), 'linux').kind, 'ok');
  });

  it('the reference executor runs may_goto with a budget per call: fall through while it lasts, then jump', () => {
    const p = programFromText('r0 = 0\nloop:\nmay_goto out\nr0 += 1\ngoto loop\nout:\nexit');
    for (const budget of [0, 1, 5, 64]) {
      const out = referenceExecutor.run(p, { ...randomInput(1), mayGotoBudget: budget }, 'linux');
      assert.deepEqual(out, { kind: 'ok', r0: BigInt(budget) });
    }
  });

  it('the reference executor runs bpf_iter_num iterators as the kernel does, and faults on their misuse', () => {
    // Counts the values in r6 and adds them up in r7.
    const loop = (start: number, end: number, after = '') => programFromText(`r6 = 0\nr7 = 0\nr1 = r10\nr1 += -8\nw2 = ${start}\nw3 = ${end}\nkfunc bpf_iter_num_new\nr8 = r0\n` +
      `loop:\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\nif r0 == 0 goto done\nr6 += 1\nr0 = *(s32 *)(r0 + 0)\nr7 += r0\ngoto loop\n` +
      `done:\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\n${after}r0 = r6\nr0 <<= 16\nr7 &= 0xffff\nr0 |= r7\nexit`);
    const run = (start: number, end: number): bigint | string => {
      const out = referenceExecutor.run(loop(start, end), randomInput(1), 'strict');
      return out.kind === 'ok' ? out.r0 : JSON.stringify(out);
    };
    assert.equal(run(0, 3), (3n << 16n) | 3n); // 0, 1, 2
    assert.equal(run(-2, 2), (4n << 16n) | 0xfffen); // -2, -1, 0, 1
    assert.equal(run(5, 3), 0n); // -EINVAL: no values
    assert.equal(run(0, 1 << 24), 0n); // -E2BIG: no values
    assert.equal(run(4, 4), 0n);
    const leak = programFromText('r1 = r10\nr1 += -8\nw2 = 0\nw3 = 3\nkfunc bpf_iter_num_new\nr0 = 0\nexit');
    assert.match(JSON.stringify(referenceExecutor.run(leak, randomInput(1), 'linux')), /never destroyed/);
    const twice = loop(0, 3, 'r1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\n');
    assert.match(JSON.stringify(referenceExecutor.run(twice, randomInput(1), 'linux')), /holds no live iterator/);
  });

  it('the reference executor hands out task references and faults on a leak, a double release and a NULL release', () => {
    const run = (text: string, found: boolean): string => {
      const out = referenceExecutor.run(programFromText(text), { ...randomInput(1), present: () => found }, 'linux');
      return out.kind === 'fault' ? out.message : out.kind;
    };
    const acquire = 'r1 = 1\nkfunc bpf_task_from_pid\n';
    assert.equal(run(`${acquire}if r0 == 0 goto out\nr1 = r0\nkfunc bpf_task_release\nout:\nr0 = 0\nexit`, true), 'ok');
    assert.match(run(`${acquire}r0 = 0\nexit`, true), /never released/);
    assert.equal(run(`${acquire}r0 = 0\nexit`, false), 'ok', 'no task, no reference');
    assert.match(run(`${acquire}r6 = r0\nr1 = r0\nkfunc bpf_task_release\nr1 = r6\nkfunc bpf_task_release\nr0 = 0\nexit`, true), /no task reference held/);
    assert.match(run(`${acquire}r1 = r0\nkfunc bpf_task_release\nr0 = 0\nexit`, false), /no task reference held/);
  });

  for (const rules of ['strict', 'linux'] as const satisfies readonly RuleSet[]) {
    it(`no program the verifier accepts under ${rules} faults when run (randomized; figures printed)`, (t) => {
      const count = Number(process.env['SOUNDNESS_COUNT'] ?? 400);
      const r = checkSoundness(referenceExecutor, { firstSeed: 1, count, inputs: 6, runRejected: true, rules });
      t.diagnostic(`${r.generated} programs, ${r.accepted} accepted, ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run (the verifier was right); ${r.unsupported} not runnable`);
      for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
      for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed}: usual ${v.usual}; eager ${v.eager}\n${v.text}`);
      assert.equal(r.violations.length, 0);
      assert.equal(r.pruningInconsistencies.length, 0);
      assert.ok(r.accepted > count / 10, 'the generator should make some acceptable programs');
      assert.ok(r.faultsInRejected > 0, 'the generator should make some unsafe programs');
    });
  }

  const features = [
    { what: 'may_goto loops', firstSeed: 7001, options: { mayGoto: true } },
    { what: 'iterator loops and task references (kfuncs)', firstSeed: 9001, options: { iterators: true } },
  ] as const;
  for (const f of features) {
    it(`nor with ${f.what}, under either rule set`, (t) => {
      const count = Number(process.env['SOUNDNESS_COUNT'] ?? 200);
      const r = checkSoundness(referenceExecutor, { firstSeed: f.firstSeed, count, inputs: 6, runRejected: true, rules: 'both', ...f.options });
      t.diagnostic(`${r.generated} programs, ${r.accepted} verifications passed (of ${2 * r.generated}), ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run; ${r.unsupported} not runnable`);
      for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (--rules ${v.rules}, packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
      for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed} (--rules ${v.rules}): usual ${v.usual}; eager ${v.eager}\n${v.text}`);
      assert.equal(r.violations.length, 0);
      assert.equal(r.pruningInconsistencies.length, 0);
      assert.equal(r.unsupported, 0);
      assert.ok(r.accepted > count / 10, 'the generator should make some acceptable programs');
      assert.ok(r.faultsInRejected > 0, 'the generator should make some unsafe programs');
    });
  }

  it('nor with callbacks under the linux rule set (addresses may leave, never-written stack reads as unknown numbers)', (t) => {
    const count = Number(process.env['SOUNDNESS_COUNT'] ?? 300);
    const r = checkSoundness(referenceExecutor, { firstSeed: 5001, count, inputs: 6, runRejected: true, rules: 'linux', callbacks: true });
    t.diagnostic(`${r.generated} programs, ${r.accepted} accepted, ${r.runs} runs; ${r.faultsInRejected} rejected programs faulted when run`);
    for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (packet ${v.packetSize} bytes): ${JSON.stringify(v.outcome)}\n${v.text}`);
    for (const v of r.pruningInconsistencies.slice(0, 3)) t.diagnostic(`PRUNING seed ${v.seed}: usual ${v.usual}; eager ${v.eager}\n${v.text}`);
    assert.equal(r.violations.length, 0);
    assert.equal(r.pruningInconsistencies.length, 0);
    assert.ok(r.accepted > count / 10);
  });

  it('nor with callbacks under strict: bpf_loop iterations that count, use and clobber the caller\'s stack', (t) => {
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
