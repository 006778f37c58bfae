/**
 * Kfunc calls: references from KF_ACQUIRE kfuncs released on every path, KF_RET_NULL results checked, program types
 * per kfunc set, argument types, loads through the kernel objects kfuncs return, and the runtimes' refusal.
 *
 * Author: Claude.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kfuncAllowed, kfuncByName } from '../abi/index.ts';
import { parseBtf } from '../btf/index.ts';
import { LoadError, prepareLinkedProgram } from '../interp/index.ts';
import { readObject } from '../spec/index.ts';
import { kfuncProgram, testMap } from './_test-program.ts';
import { verifyLinked, verifyObject } from './verify.ts';
import { parsedKernelBtf } from './kernel-btf.ts';

/** Verifies kfunc text as a program of `type`; 'pass' or the first diagnostic as `code: message`. */
function check(text: string, type = 'syscall', sleepable = false): string {
  const verdicts = [false, true].map((every) => {
    const r = verifyLinked(kfuncProgram(text), [testMap()], { programType: type, gpl: true, sleepable }, { checkpointEveryPrunePoint: every });
    return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
  });
  assert.equal(code(verdicts[1] as string), code(verdicts[0] as string), 'the verdict must not depend on how often states are remembered');
  return verdicts[0] as string;
}

const code = (r: string): string => r.split(':')[0] ?? r;

/** bpf_task_from_pid(1) into r6, NULL-checked. */
const FROM_PID = 'r1 = 1\nkfunc bpf_task_from_pid\nr6 = r0\nif r6 == 0 goto out\n';

describe('kfuncs: the abi table', () => {
  it('has the flags and program types of Linux\'s kfunc sets', () => {
    const fromPid = kfuncByName('bpf_task_from_pid');
    assert.ok(fromPid !== undefined);
    assert.equal(kfuncAllowed(fromPid, 'syscall'), true);
    assert.equal(kfuncAllowed(fromPid, 'tracepoint'), true);
    assert.equal(kfuncAllowed(fromPid, 'raw_tracepoint'), false);
    const create = kfuncByName('bpf_cpumask_create');
    assert.ok(create !== undefined);
    assert.equal(kfuncAllowed(create, 'xdp'), false, 'the cpumask set is registered for tracing, struct_ops and syscall only');
    const cast = kfuncByName('bpf_rdonly_cast');
    assert.ok(cast !== undefined);
    assert.equal(kfuncAllowed(cast, 'raw_tracepoint'), true, 'the common set is for every program type');
  });
});

describe('kfuncs: references', () => {
  it('accepts an acquired reference released on every path', () => {
    assert.equal(check(`${FROM_PID}r1 = r6\nkfunc bpf_task_release\nout:\nr0 = 0\nexit`), 'pass');
  });

  it('refuses an acquired reference left unreleased on a path', () => {
    assert.match(check(`${FROM_PID}r0 = 0\nexit\nout:\nr0 = 0\nexit`), /^unreleased-reference: the reference acquired by bpf_task_from_pid/);
  });

  it('refuses a release of a reference already released, through a copy too', () => {
    assert.equal(code(check(`${FROM_PID}r7 = r6\nr1 = r6\nkfunc bpf_task_release\nr1 = r7\nkfunc bpf_task_release\nout:\nr0 = 0\nexit`)), 'invalid-helper-argument');
  });

  it('refuses a result that may be NULL passed on or dereferenced before the check', () => {
    assert.match(check('r1 = 1\nkfunc bpf_task_from_pid\nr1 = r0\nkfunc bpf_task_release\nr0 = 0\nexit'), /^null-dereference: argument 1 of bpf_task_release \(r1\) may be NULL/);
    assert.equal(code(check('r1 = 1\nkfunc bpf_task_from_pid\nr6 = r0\nr0 = *(u32 *)(r6 + 0)\nif r6 == 0 goto out\nr1 = r6\nkfunc bpf_task_release\nout:\nr0 = 0\nexit')), 'null-dereference');
  });

  it('refuses to release what was not acquired, and kernel objects of the wrong type', () => {
    // bpf_cpumask_acquire's result is never NULL: no check needed, but it must be released.
    assert.equal(check('kfunc bpf_cpumask_create\nr6 = r0\nif r6 == 0 goto out\nr1 = r6\nkfunc bpf_cpumask_acquire\nr1 = r0\nkfunc bpf_cpumask_release\nr1 = r6\nkfunc bpf_cpumask_release\nout:\nr0 = 0\nexit'), 'pass');
    assert.match(check(`${FROM_PID}r1 = r6\nkfunc bpf_cgroup_release\nout:\nr0 = 0\nexit`), /^invalid-helper-argument: .*points to a struct task_struct .* takes a struct cgroup/);
    assert.match(check('r1 = r10\nr1 += -8\nkfunc bpf_task_release\nr0 = 0\nexit'), /^invalid-helper-argument: argument 1 of bpf_task_release \(r1\) must point to a struct task_struct/);
    // A kernel object of a type the verifier cannot tell (a helper's result) is not taken for a task.
    assert.equal(code(check('call 158\nr1 = r0\nkfunc bpf_task_acquire\nr0 = 0\nexit', 'tracing')), 'unsupported');
  });

  it('refuses kernel objects from kfuncs as helper arguments (bpf_sk_release must not release a task)', () => {
    assert.match(check(`${FROM_PID}r1 = r6\ncall 86\nout:\nr0 = 0\nexit`, 'sched_cls'), /^unsupported: .*struct task_struct/);
  });

  it('accepts a bpf_cpumask where a struct cpumask is taken (its first member), not the reverse', () => {
    assert.equal(check('kfunc bpf_cpumask_create\nr6 = r0\nif r6 == 0 goto out\nw1 = 0\nr2 = r6\nkfunc bpf_cpumask_test_cpu\nr1 = r6\nkfunc bpf_cpumask_release\nout:\nr0 = 0\nexit'), 'pass');
  });
});

describe('kfuncs: program types and unsupported kfuncs', () => {
  it('refuses a kfunc whose set is not registered for the program type', () => {
    const text = `${FROM_PID}r1 = r6\nkfunc bpf_task_release\nout:\nr0 = 0\nexit`;
    assert.match(check(text, 'raw_tracepoint'), /^helper-not-allowed: calling kernel function bpf_task_from_pid is not allowed in raw_tracepoint programs/);
    assert.equal(check(text, 'tracepoint'), 'pass');
    assert.equal(check(text, 'perf_event'), 'pass');
  });

  it('allows KF_SLEEPABLE kfuncs only in sleepable programs', () => {
    const text = 'w1 = 1\nr2 = 0\nkfunc bpf_lookup_user_key\nif r0 == 0 goto out\nr1 = r0\nkfunc bpf_key_put\nout:\nr0 = 0\nexit';
    assert.equal(check(text, 'lsm', true), 'pass');
    assert.match(check(text, 'lsm'), /^helper-not-allowed: bpf_lookup_user_key may sleep/);
    assert.equal(code(check(text, 'syscall', true)), 'helper-not-allowed', 'the key kfuncs are registered for tracing programs only');
  });

  it('refuses kfuncs the table does not have as unsupported', () => {
    assert.match(check('kfunc bpf_no_such_kfunc\nr0 = 0\nexit'), /^unsupported: call to the external function 'bpf_no_such_kfunc', which is neither a helper, a kfunc this verifier knows/);
  });
});

/** `bpf_iter_num_new(fp-8, START, END)`, then a loop over it counting in r6, then its destruction. */
function iterLoop(start: string, end: string, body = 'r1 = *(u32 *)(r0 + 0)\n', after = ''): string {
  return `r1 = r10\nr1 += -8\nw2 = ${start}\nw3 = ${end}\nkfunc bpf_iter_num_new\nr6 = 0\nloop:\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\n` +
    `if r0 == 0 goto done\n${body}r6 += 1\ngoto loop\ndone:\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\n${after}r0 = r6\nexit`;
}

describe('kfuncs: open-coded iterators (bpf_iter_num_*)', () => {
  it('follows a loop over an iterator with constant bounds iteration by iteration', () => {
    assert.equal(check(iterLoop('0', '3'), 'socket_filter'), 'pass');
    // Exactly 3 values: the count is known after the loop.
    const bad = 'if r6 == 3 goto fine\nr0 = *(u64 *)(r9 + 0)\nfine:\n';
    assert.equal(check(iterLoop('0', '3', undefined, bad), 'socket_filter'), 'pass');
    assert.equal(code(check(iterLoop('0', '4', undefined, bad), 'socket_filter')), 'uninitialized-register');
    // start > end: no values (bpf_iter_num_new fails with -EINVAL), the iterator must still be destroyed.
    assert.equal(check(iterLoop('5', '3', undefined, 'if r6 == 0 goto fine\nr0 = *(u64 *)(r9 + 0)\nfine:\n'), 'socket_filter'), 'pass');
  });

  it('refuses a missing destroy, a next or destroy without new, a second new, and use after destroy', () => {
    const noDestroy = 'r1 = r10\nr1 += -8\nw2 = 0\nw3 = 3\nkfunc bpf_iter_num_new\nr0 = 0\nexit';
    assert.match(check(noDestroy, 'socket_filter'), /^unreleased-reference: .*bpf_iter_num_new/);
    assert.equal(code(check('r1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\nr0 = 0\nexit', 'socket_filter')), 'invalid-helper-argument');
    assert.equal(code(check('r1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\nr0 = 0\nexit', 'socket_filter')), 'invalid-helper-argument');
    const twice = 'r1 = r10\nr1 += -8\nw2 = 0\nw3 = 3\nkfunc bpf_iter_num_new\nr1 = r10\nr1 += -8\nw2 = 0\nw3 = 3\nkfunc bpf_iter_num_new\nr0 = 0\nexit';
    assert.equal(code(check(twice, 'socket_filter')), 'invalid-helper-argument');
    assert.equal(code(check(iterLoop('0', '3', undefined, 'r1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\n'), 'socket_filter')), 'invalid-helper-argument');
    // A store over the iterator ends it: it can no longer be destroyed.
    assert.equal(code(check(iterLoop('0', '3', 'r1 = 0\n*(u64 *)(r10 - 8) = r1\n'), 'socket_filter')), 'invalid-helper-argument');
  });

  it('refuses a NULL next value used unchecked, writes through it, and a loop that never stops', () => {
    const unchecked = 'r1 = r10\nr1 += -8\nw2 = 0\nw3 = 1\nkfunc bpf_iter_num_new\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\nr6 = *(u32 *)(r0 + 0)\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\nr0 = r6\nexit';
    assert.equal(code(check(unchecked, 'socket_filter')), 'null-dereference');
    assert.equal(code(check(iterLoop('0', '3', 'r1 = 7\n*(u32 *)(r0 + 0) = r1\n'), 'socket_filter')), 'read-only');
    const forever = 'r1 = r10\nr1 += -8\nw2 = 0\nw3 = 2\nkfunc bpf_iter_num_new\nloop:\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\ngoto loop';
    assert.equal(code(check(forever, 'socket_filter')), 'infinite-loop');
  });

  it('accepts bounds not known when the program is verified (Linux\'s convergence, iterators.test.ts)', () => {
    assert.equal(check('r2 = *(u32 *)(r1 + 0)\nr1 = r10\nr1 += -8\nw3 = 3\nkfunc bpf_iter_num_new\nr1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\nr0 = 0\nexit', 'socket_filter'), 'pass');
  });
});

describe('kfuncs: casts', () => {
  it('bpf_cast_to_kern_ctx takes the context, unmoved', () => {
    assert.equal(check('kfunc bpf_cast_to_kern_ctx\nr0 = 0\nexit', 'xdp'), 'pass');
    assert.equal(code(check('r1 += 8\nkfunc bpf_cast_to_kern_ctx\nr0 = 0\nexit', 'xdp')), 'invalid-helper-argument');
    assert.equal(code(check('r1 = r10\nkfunc bpf_cast_to_kern_ctx\nr0 = 0\nexit', 'xdp')), 'invalid-helper-argument');
  });

  it('refuses loads through kernel objects whose layout the verifier does not have', () => {
    assert.match(check('kfunc bpf_cast_to_kern_ctx\nr0 = *(u32 *)(r0 + 0)\nr0 = 0\nexit', 'xdp'), /^unsupported: a load through r0, a pointer to struct xdp_buff/);
  });

  it('bpf_rdonly_cast needs a constant type id', () => {
    assert.equal(code(check('r1 = *(u32 *)(r1 + 0)\nr2 = r1\nkfunc bpf_rdonly_cast\nr0 = 0\nexit', 'xdp')), 'invalid-helper-argument');
  });
});

describe('kfuncs: compiled programs (testdata/kfuncs.c)', () => {
  const file = join(import.meta.dirname, 'testdata', 'kfuncs.o');
  const spec = readObject(new Uint8Array(readFileSync(file)), { name: 'kfuncs.o' });
  const report = verifyObject(spec);
  const verdict = (name: string): string => {
    const p = report.programs.find((x) => x.name === name);
    assert.ok(p !== undefined, name);
    return p.verdict === 'pass' ? 'pass' : `${p.diagnostics[0]?.code}: ${p.diagnostics[0]?.message}`;
  };

  it('accepts references acquired, checked and released, and loads inside the struct the object\'s BTF gives', () => {
    assert.equal(verdict('ok_acquire_release'), 'pass');
  });

  it('refuses leaks, double releases, missing NULL checks, the wrong program type, loads past the struct, uses after release', () => {
    assert.equal(code(verdict('bad_leak')), 'unreleased-reference');
    assert.equal(code(verdict('bad_release_twice')), 'invalid-helper-argument');
    assert.equal(code(verdict('bad_no_null_check')), 'null-dereference');
    assert.equal(code(verdict('bad_load_no_null_check')), 'null-dereference');
    assert.equal(code(verdict('bad_prog_type')), 'helper-not-allowed');
    assert.match(verdict('bad_load_past_struct'), /^out-of-bounds: .*struct task_struct/);
    assert.equal(code(verdict('bad_use_after_release')), 'invalid-pointer');
  });

  it('with the kernel\'s BTF, checks loads against the kernel\'s struct layout', { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no kernel BTF here' }, () => {
    const kernelBtf = parsedKernelBtf('/sys/kernel/btf/vmlinux', parseBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'))));
    const withKernel = verifyObject(spec, {}, { kernelBtf });
    const v = (name: string): string | undefined => withKernel.programs.find((x) => x.name === name)?.verdict;
    assert.equal(v('ok_acquire_release'), 'pass');
    // Offset 8 is past the test's two-field stand-in, but inside the kernel's struct task_struct.
    assert.equal(v('bad_load_past_struct'), 'pass');
    assert.equal(v('bad_leak'), 'fail');
  });

  it('the interpreter refuses a kfunc call by name, as bpf2c does', () => {
    const p = spec.programs.find((x) => x.name === 'ok_acquire_release');
    assert.ok(p !== undefined);
    const linked = kfuncProgram('r1 = 1\nkfunc bpf_task_from_pid\nr0 = 0\nexit');
    assert.throws(() => prepareLinkedProgram(linked), (e: unknown) => e instanceof LoadError && /kfunc bpf_task_from_pid is not available in this runtime/.test(e.message));
  });
});
