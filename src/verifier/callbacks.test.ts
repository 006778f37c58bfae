// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readObject } from '../spec/index.ts';
import type { VerifierMap } from './maps.ts';
import { testMap, testProgram, withCallbacks } from './_test-program.ts';
import type { RuleSet } from './rules.ts';
import { verifyLinked, verifyObject } from './verify.ts';

/** Verifies `text` (both with the usual checkpoints and with one at every prune point); 'pass' or 'code: message'. */
function check(text: string, opts: { type?: string; maps?: VerifierMap[]; rules?: RuleSet; functionReturns?: ('scalar' | 'other')[] } = {}): string {
  const linked = testProgram(text);
  const verdicts = [false, true].map((every) => {
    const context = { programType: opts.type ?? 'xdp', gpl: true, ...(opts.functionReturns !== undefined ? { functionReturns: opts.functionReturns } : {}) };
    const r = verifyLinked(linked, opts.maps ?? [testMap({ type: 2, valueSize: 8 })], context, { checkpointEveryPrunePoint: every, ...(opts.rules !== undefined ? { rules: opts.rules } : {}) });
    return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
  });
  assert.equal(code(verdicts[1] as string), code(verdicts[0] as string), 'the verdict must not depend on how often states are remembered');
  return verdicts[0] as string;
}

const code = (r: string): string => r.split(':')[0] ?? r;

/** bpf_loop(r1 = `count`, callback 0, ctx = fp-8 holding 0, flags 0), then r0 = 0. */
const loopOver = (count: string): string =>
  `r1 = 0\n*(u64 *)(r10 - 8) = r1\n${count}\nld_pseudo r2, 4, @0\nr3 = r10\nr3 += -8\nr4 = 0\ncall 181\nr0 = 0\nexit`;

describe('callbacks: bpf_loop', () => {
  it('verifies the callback with its index and context, and reaches a fixed point whatever the count', () => {
    const sum = 'r3 = *(u64 *)(r2 + 0)\nr3 += r1\n*(u64 *)(r2 + 0) = r3\nr0 = 0\nexit';
    assert.equal(check(withCallbacks(loopOver('r1 = 10'), sum)), 'pass');
    // An unknown count (up to 2^23 iterations): the sum in the context is widened instead of iterated.
    const r = verifyLinked(testProgram(withCallbacks(loopOver('call 7\nr1 = r0'), sum)), [testMap()], { programType: 'xdp', gpl: true });
    assert.equal(r.verdict, 'pass', r.diagnostics[0]?.message);
    assert.ok(r.insnsProcessed < 100, `${r.insnsProcessed} instructions processed`);
  });

  it('gives a u32 index below the count', () => {
    // The index is below 10, so it fits an 8-byte map value after `& 7`... and without the mask it does not.
    const lookup = 'r6 = r1\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto +3\n';
    const masked = `${lookup}r6 &= 7\nr0 += r6\n*(u8 *)(r0 + 0) = 1\nr0 = 0\nexit`;
    assert.equal(check(withCallbacks(loopOver('r1 = 10'), masked)), 'pass');
    assert.equal(code(check(withCallbacks(loopOver('r1 = 10'), masked.replace('r6 &= 7\n', '')))), 'out-of-bounds');
  });

  it('requires flags 0 and a function of the program', () => {
    assert.match(check(withCallbacks(loopOver('r1 = 4').replace('r4 = 0', 'r4 = 1'), 'r0 = 0\nexit')), /^invalid-helper-argument: the flags of bpf_loop \(r4\) must be 0/);
    assert.match(check('r1 = 4\nr2 = 0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit'), /^invalid-helper-argument: argument 2 of bpf_loop \(r2\) must be a function of this program/);
    // The context is a stack pointer or NULL.
    assert.match(check(withCallbacks(loopOver('r1 = 4').replace('r3 = r10\nr3 += -8', 'r3 = r1'), 'r0 = 0\nexit')), /^invalid-helper-argument: argument 3 of bpf_loop/);
  });

  it('requires the callback to return a known 0 or 1', () => {
    assert.match(check(withCallbacks(loopOver('r1 = 4'), 'r0 = 2\nexit')), /^invalid-return: the callback of bpf_loop must return a value in \[0, 1\].*but r0 is 2/);
    assert.match(check(withCallbacks(loopOver('r1 = 4'), 'exit')), /^invalid-return: the callback of bpf_loop must return .* but r0 is not set/);
    assert.match(check(withCallbacks(loopOver('r1 = 4'), 'r0 = r10\nexit')), /^invalid-return: .* but r0 holds a stack pointer/);
    assert.equal(code(check(withCallbacks(loopOver('r1 = 4'), 'r0 = r1\nexit'))), 'invalid-return');
    assert.equal(check(withCallbacks(loopOver('r1 = 4'), 'r0 = r1\nr0 &= 1\nexit')), 'pass');
  });

  it('covers every number of calls: none, and each one after the others', () => {
    // The callback writes fp-16, which the caller reads: the callback may not run at all.
    const init = 'r1 = 5\n*(u64 *)(r2 - 8) = r1\nr0 = 0\nexit';
    const main = loopOver('r1 = 4').replace('r0 = 0\nexit', 'r0 = *(u64 *)(r10 - 16)\nexit');
    assert.equal(code(check(withCallbacks(main, init), { rules: 'strict' })), 'uninitialized-stack');
    // Linux lets a privileged program read it (an unknown number): the linux rule set does too.
    assert.equal(check(withCallbacks(main, init)), 'pass');
    // The context holds a map value pointer; the callback uses it, then overwrites it with its index: the second
    // call dereferences a number.
    const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto +8\n*(u64 *)(r10 - 16) = r0\n';
    const call = 'r1 = 2\nld_pseudo r2, 4, @0\nr3 = r10\nr3 += -16\nr4 = 0\ncall 181\nr0 = 0\nexit';
    const useThenClobber = 'r3 = *(u64 *)(r2 + 0)\nr4 = *(u64 *)(r3 + 0)\n*(u64 *)(r2 + 0) = r1\nr0 = 0\nexit';
    assert.match(check(withCallbacks(`${lookup}${call}`, useThenClobber)), /^invalid-pointer: a load through r3, which holds a number/);
    assert.equal(check(withCallbacks(`${lookup}${call}`, useThenClobber.replace('*(u64 *)(r2 + 0) = r1\n', ''))), 'pass');
  });

  it('counts the callback\'s frame in the call depth and its stack in the combined stack', () => {
    const deep = 'r1 = 0\n*(u64 *)(r10 - 256) = r1\nr0 = 0\nexit';
    const main = loopOver('r1 = 2').replace('r0 = 0\nexit', 'r1 = 0\n*(u64 *)(r10 - 304) = r1\nr0 = 0\nexit');
    assert.match(check(withCallbacks(main, deep)), /^stack-limit: the calls prog -> f1 use 560 bytes/);
    assert.equal(check(withCallbacks(main, deep.replace('256', '200'))), 'pass');
    // A callback that calls bpf_loop with itself.
    const self = 'r1 = 2\nld_pseudo r2, 4, @0\nr3 = 0\nr4 = 0\ncall 181\nr0 = 0\nexit';
    assert.match(check(withCallbacks(loopOver('r1 = 2'), self)), /^call-depth: recursive call to f1 as the callback of bpf_loop/);
  });

  it('refuses tail calls in callbacks', () => {
    const tail = 'r6 = r2\nr1 = *(u64 *)(r6 + 0)\nld_pseudo r2, 5, 1\nr3 = 0\ncall 12\nr0 = 0\nexit';
    const main = loopOver('r1 = 2').replace('r1 = 0\n*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 8) = r1');
    const maps = [testMap(), testMap({ name: 'jump', type: 3, keySize: 4, valueSize: 4 })];
    // (With BTF saying the callback returns an integer; without, Linux refuses a tail call in any subprogram.)
    assert.match(check(withCallbacks(main, tail), { maps, functionReturns: ['scalar', 'scalar'] }), /^helper-not-allowed: bpf_tail_call cannot be used in a callback/);
    assert.match(check(withCallbacks(main, tail), { maps }), /^invalid-return: bpf_tail_call in the subprogram .* no BTF function info/);
  });

  it('still finds an infinite loop around the call', () => {
    // r6 <= 5 keeps the loop going forever; the states at the call differ only between executions of it.
    const main = 'call 7\nr6 = r0\nloop:\nr1 = 1\nld_pseudo r2, 4, @0\nr3 = 0\nr4 = 0\ncall 181\nif r6 > 5 goto out\ngoto loop\nout:\nr0 = 0\nexit';
    assert.equal(code(check(withCallbacks(main, 'r0 = 0\nexit'))), 'infinite-loop');
  });
});

describe('callbacks: bpf_for_each_map_elem', () => {
  const each = (cb: string, map = 0): string => withCallbacks(`ld_pseudo r1, 5, ${map}\nld_pseudo r2, 4, @0\nr3 = 0\nr4 = 0\ncall 164\nr0 = 0\nexit`, cb);
  const maps = [testMap({ name: 'h', type: 1, keySize: 4, valueSize: 16 }), testMap({ name: 'ro', type: 2, readOnly: true })];

  it('passes the map, a read-only key and a writable value of the map\'s sizes', () => {
    assert.equal(check(each('r0 = *(u32 *)(r2 + 0)\n*(u64 *)(r3 + 8) = r0\nr0 = 0\nexit'), { maps }), 'pass');
    assert.match(check(each('r0 = *(u64 *)(r2 + 0)\nr0 = 0\nexit'), { maps }), /^out-of-bounds: a load of 8 bytes at offset 0 through r2 is outside a key of map 'h' \(4 bytes\)/);
    assert.equal(code(check(each('r0 = *(u64 *)(r3 + 12)\nr0 = 0\nexit'), { maps })), 'out-of-bounds');
    assert.equal(code(check(each('r0 = 0\n*(u32 *)(r2 + 0) = r0\nexit'), { maps })), 'read-only');
    assert.equal(code(check(each('r0 = 0\n*(u32 *)(r3 + 0) = r0\nexit', 1), { maps })), 'read-only');
    // The map and key may go to map helpers.
    assert.equal(check(each('call 1\nr0 = 0\nexit'), { maps }), 'pass');
    // r4 is the context: NULL here.
    assert.match(check(each('r0 = *(u64 *)(r4 + 0)\nr0 = 0\nexit'), { maps }), /^null-dereference/);
  });

  it('refuses maps it cannot walk', () => {
    const ring = [testMap({ name: 'rb', type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 })];
    assert.match(check(each('r0 = 0\nexit'), { maps: ring }), /^invalid-helper-argument: bpf_for_each_map_elem cannot be used with map 'rb'/);
  });
});

describe('callbacks: bpf_find_vma', () => {
  it('passes the task, a read-only vma and the context', () => {
    const main = 'call 158\nr1 = r0\nr2 = 0\nld_pseudo r3, 4, @0\nr4 = 0\nr5 = 0\ncall 180\nr0 = 0\nexit';
    assert.equal(check(withCallbacks(main, 'r0 = *(u64 *)(r2 + 0)\nr0 = 1\nexit'), { type: 'perf_event' }), 'pass');
    assert.equal(code(check(withCallbacks(main, 'r0 = 0\n*(u64 *)(r2 + 0) = r0\nexit'), { type: 'perf_event' })), 'read-only');
    assert.match(check(withCallbacks(main, 'r0 = 2\nexit'), { type: 'perf_event' }), /^invalid-return: the callback of bpf_find_vma must return a value in \[0, 1\], but r0 is 2/);
    assert.match(check(withCallbacks(main.replace('r5 = 0', 'r5 = 1'), 'r0 = 0\nexit'), { type: 'perf_event' }), /^invalid-helper-argument: the flags of bpf_find_vma \(r5\) must be 0/);
  });
});

describe('callbacks: what is not supported', () => {
  it('reports helpers whose callbacks take arguments it does not model', () => {
    const drain = withCallbacks('ld_pseudo r1, 5, 0\nld_pseudo r2, 4, @0\nr3 = 0\nr4 = 0\ncall 209\nr0 = 0\nexit', 'r0 = 0\nexit');
    const maps = [testMap({ name: 'urb', type: 31, keySize: 0, valueSize: 0, maxEntries: 4096 })];
    assert.match(check(drain, { maps }), /^unsupported: bpf_user_ringbuf_drain takes a callback, which this verifier does not support yet/);
  });
});

describe('callbacks: compiled programs (testdata/callbacks.c)', () => {
  const file = join(import.meta.dirname, 'testdata', 'callbacks.o');
  const spec = readObject(new Uint8Array(readFileSync(file)), { name: 'callbacks.o' });
  // The expectations are the strict rule set's; the linux one differs on two programs (below).
  const report = verifyObject(spec, {}, { rules: 'strict' });
  const expected: Record<string, RegExp> = {
    bad_clobbered_pointer: /^invalid-pointer: a load through r1, which holds a number, not a pointer/,
    bad_second_iteration: /^invalid-pointer: a load through r3, which holds a number, not a pointer/,
    bad_counted: /^out-of-bounds: a store of 1 bytes at offset 8 through r0 is outside the value of map 'arr'/,
    bad_return_two: /^invalid-return: the callback of bpf_loop must return a value in \[0, 1\]/,
    bad_key_overrun: /^out-of-bounds: .* outside a key of map 'counts' \(4 bytes\)/,
    bad_unchecked_lookup: /^null-dereference: possible NULL dereference of r0 \(returned by bpf_map_lookup_elem/,
    bad_cursor_overrun: /^out-of-bounds: a store through r5 touches fp\+0/,
    bad_maybe_uninit: /^uninitialized-stack/,
    bad_stale_packet: /^uninitialized-register: r6 is read before it is written \(its value was a packet pointer invalidated by bpf_xdp_adjust_head/,
    bad_tail_call: /^helper-not-allowed: bpf_tail_call cannot be used in a callback/,
    bad_read_only_value: /^read-only: a store into the value of map 'frozen'/,
    bad_map_value_context: /^invalid-helper-argument: argument 3 of bpf_loop \(r3\) must be a stack pointer or NULL/,
  };

  it('accepts the safe ones (ok_*) and rejects the unsafe ones (bad_*) for the right reason', () => {
    assert.ok(report.programs.length >= 20);
    for (const p of report.programs) {
      const got = p.verdict === 'pass' ? 'pass' : `${p.diagnostics[0]?.code}: ${p.diagnostics[0]?.message}`;
      if (p.name.startsWith('ok_')) assert.equal(got, 'pass', p.name);
      else assert.match(got, expected[p.name] ?? /^$/, p.name);
    }
  });

  it('under the linux rule set, reads of maybe-unwritten stack pass and invalidated pointers become numbers, as in Linux', () => {
    const linux = verifyObject(spec);
    for (const p of linux.programs) {
      const got = p.verdict === 'pass' ? 'pass' : `${p.diagnostics[0]?.code}: ${p.diagnostics[0]?.message}`;
      if (p.name === 'bad_maybe_uninit') assert.equal(got, 'pass', p.name);
      else if (p.name === 'bad_stale_packet') assert.match(got, /^invalid-pointer: a load through r6, which holds a number/, p.name);
      else if (p.name.startsWith('ok_')) assert.equal(got, 'pass', p.name);
      else assert.match(got, expected[p.name] ?? /^$/, p.name);
    }
  });

  it('points at the callback\'s source line, with the call on the path', () => {
    const p = report.programs.find((x) => x.name === 'bad_return_two');
    const d = p?.diagnostics[0];
    assert.match(d?.source?.text ?? '', /return 2;/);
    assert.equal(d?.function, 'two');
    assert.ok(d?.path.some((s) => s.kind === 'call' && /call 0xb5|call 181/.test(s.instruction)));
  });
});
