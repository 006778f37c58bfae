/**
 * Rules added for parity with Linux's own verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c,
 * measured by `../shared/tools/linux-selftests.py`): one focused, hand-assembled case per rule, each with the
 * nearest program Linux refuses, so a rule that is too lax fails here as surely as one that is too strict.
 *
 * Author: Claude.
 *
 * @module
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VerifierMap } from './maps.ts';
import { testMap, testProgram } from './_test-program.ts';
import type { VerifyOptions } from './env.ts';
import { verifyLinked } from './verify.ts';

/** Verifies LLVM-syntax text as a program of `type`; returns 'pass' or `code: message` of the first diagnostic. */
function check(text: string, opts: { type?: string; attach?: string; maps?: VerifierMap[]; options?: VerifyOptions } = {}): string {
  const linked = testProgram(text);
  const verdicts = [false, true].map((every) => {
    const r = verifyLinked(linked, opts.maps ?? [testMap()], { programType: opts.type ?? 'xdp', attachType: opts.attach, gpl: true }, { ...opts.options, checkpointEveryPrunePoint: every });
    return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
  });
  assert.equal(code(verdicts[1] as string), code(verdicts[0] as string), 'the verdict must not depend on how often states are remembered');
  return verdicts[0] as string;
}

const code = (r: string): string => r.split(':')[0] ?? r;

describe('verifier parity: strict alignment (BPF_F_STRICT_ALIGNMENT)', () => {
  // XDP: data at ctx+0, data_end at ctx+4. r0 = data + 14 (+1 on one path), checked against data_end, then a
  // 4-byte store at r0 - 4: packet offset 10 (aligned with NET_IP_ALIGN: 12) or 11 (13: misaligned).
  const pruning = [
    'r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r7 = *(u32 *)(r1 + 8)', 'r0 = r2', 'r0 += 14',
    'if r7 > 1 goto +4', 'if r0 > r3 goto +1', '*(u32 *)(r0 - 4) = r0', 'r0 = 0', 'exit', 'r0 += 1', 'goto -6',
  ].join('\n');
  const strict = { options: { strictAlignment: true } };

  it('accepts misaligned packet accesses by default, as Linux on machines with efficient unaligned access', () => {
    assert.equal(check(pruning), 'pass');
  });

  it('refuses them when asked, counting NET_IP_ALIGN, on every path (the pruned one too)', () => {
    assert.match(check(pruning, strict), /^misaligned-access: misaligned packet access/);
    // data + 14 - 4 = 10, plus NET_IP_ALIGN = 12: aligned.
    assert.equal(check(pruning.replace('r0 += 1\n', 'r0 += 4\n'), strict), 'pass');
  });

  it('applies to map values and the context too, not to byte accesses', () => {
    const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\n';
    const maps = [testMap({ valueSize: 16 })];
    assert.equal(check(`${lookup}r1 = *(u64 *)(r0 + 4)\nout:\nr0 = 0\nexit`, { maps }), 'pass');
    assert.match(check(`${lookup}r1 = *(u64 *)(r0 + 4)\nout:\nr0 = 0\nexit`, { maps, ...strict }), /^misaligned-access: misaligned map value access/);
    assert.equal(check(`${lookup}r1 = *(u64 *)(r0 + 8)\nr1 = *(u8 *)(r0 + 3)\nout:\nr0 = 0\nexit`, { maps, ...strict }), 'pass');
    assert.equal(code(check('r0 = *(u16 *)(r1 + 1)\nr0 = 0\nexit', { type: 'sched_cls', ...strict })), 'misaligned-access');
  });
});

describe('verifier parity: sockmap and sockhash updates (may_update_sockmap)', () => {
  // Map 5: a sockmap (type 15, 4-byte keys, 8-byte values); map 6: a sockhash (type 18).
  const maps = [testMap({ name: 'sockmap', type: 15, valueSize: 8 }), testMap({ name: 'sockhash', type: 18, valueSize: 8 })];
  const key = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\n';
  const del = (map: number): string => `${key}ld_pseudo r1, 5, ${map}\ncall 3\n`;
  // skb->sk (a sock_common or NULL) at offset 168 of struct __sk_buff (r7 the context), checked, then stored
  // under key 0.
  const update = (map: number): string => `r6 = *(u64 *)(r7 + 168)\nif r6 == 0 goto out${map}\n${key}ld_pseudo r1, 5, ${map}\nr3 = r6\nr4 = 0\ncall 2\nout${map}:\n`;
  const end = 'r0 = 0\nexit';

  it('lets the program types Linux lists delete from and update them', () => {
    for (const type of ['socket_filter', 'sched_cls', 'sched_act', 'xdp', 'sk_reuseport', 'flow_dissector', 'sk_lookup']) {
      assert.equal(check(`${del(0)}${del(1)}${end}`, { type, maps }), 'pass', type);
    }
    for (const type of ['socket_filter', 'sched_cls', 'sched_act']) assert.equal(check(`r7 = r1\n${update(0)}${update(1)}${end}`, { type, maps }), 'pass', type);
    assert.equal(check(`${del(0)}${end}`, { type: 'sock_ops', maps }), 'pass');
  });

  it('refuses them elsewhere ("cannot update sockmap in this context")', () => {
    assert.match(check(`${del(0)}${end}`, { type: 'raw_tracepoint', maps }), /^invalid-helper-argument: bpf_map_delete_elem cannot be used with map 'sockmap'/);
    assert.match(check(`${del(1)}${end}`, { type: 'kprobe', maps }), /^invalid-helper-argument: bpf_map_delete_elem cannot be used/);
    // sock_ops may delete, and update only through bpf_sock_map_update.
    const sockOpsUpdate = `${key}ld_pseudo r1, 5, 0\nr3 = r2\nr4 = 0\ncall 2\n${end}`;
    assert.match(check(sockOpsUpdate, { type: 'sock_ops', maps }), /^invalid-helper-argument: bpf_map_update_elem cannot be used/);
  });

  it('takes a socket as the value of an update, never memory', () => {
    const stackValue = `${key}r3 = r2\nld_pseudo r1, 5, 0\nr4 = 0\ncall 2\n${end}`;
    assert.match(check(stackValue, { type: 'sched_cls', maps }), /^invalid-helper-argument: argument 3 of bpf_map_update_elem \(r3\) must be a socket pointer/);
    // Unchecked skb->sk may be NULL.
    assert.equal(code(check(`r7 = r1\n${update(0).replace('if r6 == 0 goto out0\n', '')}${end}`, { type: 'sched_cls', maps })), 'null-dereference');
  });
});

describe('verifier parity: references shared by socket casts (is_ptr_cast_function)', () => {
  // bpf_sk_lookup_tcp(ctx, tuple on the stack, 36, 0, 0) acquires a socket, r6 = it, checked.
  const lookup = [
    'r2 = 0', '*(u32 *)(r10 - 8) = r2', '*(u64 *)(r10 - 16) = r2', '*(u64 *)(r10 - 24) = r2', '*(u64 *)(r10 - 32) = r2',
    '*(u64 *)(r10 - 40) = r2', '*(u64 *)(r10 - 48) = r2', 'r2 = r10', 'r2 += -48', 'r3 = 36', 'r4 = 0', 'r5 = 0', 'call 84',
    'if r0 != 0 goto +2', 'r0 = 0', 'exit', 'r6 = r0', 'r1 = r0',
  ].join('\n') + '\n';
  const tc = { type: 'sched_cls' };

  it('keeps a listener socket (no reference of its own) valid after the socket it came from is released', () => {
    // bpf_get_listener_sock (98) is no cast: its result holds no reference.
    const prog = `${lookup}call 98\nif r0 != 0 goto +4\nr1 = r6\ncall 86\nr0 = 0\nexit\nr1 = r6\nr6 = r0\ncall 86\nr0 = *(u32 *)(r6 + 44)\nexit`;
    assert.equal(check(prog, tc), 'pass');
  });

  it('releases a socket through its cast (bpf_skc_to_tcp_sock), and invalidates the cast with it', () => {
    const prog = `${lookup}call 137\nif r0 != 0 goto +4\nr1 = r6\ncall 86\nr0 = 0\nexit\nr1 = r0\ncall 86\nr0 = 0\nexit`;
    assert.equal(check(prog, tc), 'pass');
    // bpf_tcp_sock (96), then the socket released: the tcp_sock pointer is gone too.
    const after = `${lookup}call 96\nif r0 != 0 goto +4\nr1 = r6\ncall 86\nr0 = 0\nexit\nr7 = r0\nr1 = r6\ncall 86\nr0 = *(u32 *)(r7 + 0)\nexit`;
    assert.equal(code(check(after, tc)), 'invalid-pointer');
  });

  it('still holds the socket when its cast is NULL (Linux releases only when the NULL pointer is the reference)', () => {
    // bpf_tcp_sock(sk) == NULL, then exit without releasing sk: a leak.
    const leak = `${lookup}call 96\nif r0 != 0 goto +2\nr0 = 0\nexit\nr1 = r6\ncall 86\nr0 = 0\nexit`;
    assert.equal(code(check(leak, tc)), 'unreleased-reference');
  });
});

describe('verifier parity: results bounded by the size argument (do_refine_retval_range)', () => {
  // r7 = a 48-byte map value; n = bpf_get_stack(ctx, r7, 24, 0) (67); then n more bytes, into r7 + n.
  const maps = [testMap({ valueSize: 48 })];
  const prog = (size: number, guard: string): string => [
    'r6 = r1', 'r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'ld_pseudo r1, 5, 0', 'call 1',
    'if r0 == 0 goto out', 'r7 = r0', 'r1 = r6', 'r2 = r7', `r3 = ${size}`, 'r4 = 0', 'call 67', guard,
    'r2 = r7', 'r2 += r0', 'r1 = r6', 'r3 = 24', 'r4 = 0', 'call 67', 'out:', 'r0 = 0', 'exit',
  ].join('\n');
  const tp = { type: 'tracepoint', maps };

  it('knows bpf_get_stack returns at most its size, or a negative errno', () => {
    assert.equal(check(prog(24, 'if r0 s< 0 goto out'), tp), 'pass');
  });

  it('and nothing more: a larger size, or no check of the errno, is refused', () => {
    assert.equal(code(check(prog(25, 'if r0 s< 0 goto out'), tp)), 'out-of-bounds');
    assert.equal(code(check(prog(24, 'r0 += 0'), tp)), 'out-of-bounds');
  });
});

describe('verifier parity: a signed 32-bit range that wraps, intersected with an unsigned one (__reg32_deduce_bounds)', () => {
  // w0 unsigned <= 0x80000003 and signed in [-3, 5]: only [0, 5] is in both, so `w0 <= 5` always holds and the
  // write to r10 after it is dead code (Linux never looks at it, and neither may we).
  const prog = (last: string): string => [
    'call 7', 'w0 &= -1', 'if w0 > -2147483645 goto +4', 'if w0 s< -3 goto +3', 'if w0 s> 5 goto +2', last, 'r10 = 0',
    'r0 = 0', 'exit',
  ].join('\n');

  it('knows the value is in [0, 5]', () => {
    assert.equal(check(prog('if w0 <= 5 goto +1'), { type: 'socket_filter' }), 'pass');
  });

  it('and no more', () => {
    assert.equal(code(check(prog('if w0 <= 4 goto +1'), { type: 'socket_filter' })), 'malformed');
  });
});

describe('verifier parity: bpf_fastcall spills and fills do not count toward the combined stack', () => {
  // The program uses all 512 bytes and calls a function that saves r1 around bpf_get_smp_processor_id (8) in its
  // lowest slot: Linux inlines the call, deletes the pair, and the function uses no stack.
  const prog = (sub: string): string => ['r1 = 42', '*(u64 *)(r10 - 512) = r1', 'call sub', 'r0 = 0', 'exit', 'sub:', sub].join('\n');
  const pattern = ['*(u64 *)(r10 - 8) = r1', 'call 8', 'r1 = *(u64 *)(r10 - 8)', 'r0 = 0', 'exit'];

  it('accepts the pattern', () => {
    assert.equal(check(prog(pattern.join('\n')), { type: 'socket_filter' }), 'pass');
  });

  it('counts the slot when something else touches it, or when the call is not inlined', () => {
    const touched = ['r2 = 0', '*(u64 *)(r10 - 8) = r2', ...pattern].join('\n');
    assert.match(check(prog(touched), { type: 'socket_filter' }), /^stack-limit: .* use 528 bytes of stack together/);
    // bpf_get_prandom_u32 (7) is not inlined: the pair stays.
    assert.equal(code(check(prog(pattern.join('\n').replace('call 8', 'call 7')), { type: 'socket_filter' })), 'stack-limit');
    // A register the call clobbers (r0) is no part of a pattern.
    const r0 = ['r0 = 1', '*(u64 *)(r10 - 8) = r0', 'call 8', 'r0 = *(u64 *)(r10 - 8)', 'r0 = 0', 'exit'].join('\n');
    assert.equal(code(check(prog(r0), { type: 'socket_filter' })), 'stack-limit');
  });
});

describe('verifier parity: copies a constant apart (BPF_ADD_CONST, sync_linked_regs)', () => {
  // r0 in [0, 9]; loop: r1 = buf + r2 (r2 = r0), a byte read, r0 = r2 + 1, `if r2 < 9` again. The branch bounds r2
  // to [0, 8], and r0, linked to it one above, to [1, 9]: the next read stays inside the 10-byte value.
  const maps = [testMap({ valueSize: 10 })];
  const prog = (limit: number, add: string): string => [
    'r1 = 0', '*(u32 *)(r10 - 4) = r1', 'r2 = r10', 'r2 += -4', 'ld_pseudo r1, 5, 0', 'call 1', 'if r0 == 0 goto out',
    'r6 = r0', 'call 7', 'if r0 > 9 goto out', 'loop:', 'r1 = r6', 'r2 = r0', 'r1 += r2', 'r3 = *(u8 *)(r1 + 0)', 'r0 = r2', add,
    `if r2 < ${limit} goto loop`, 'out:', 'r0 = 0', 'exit',
  ].join('\n');
  const sf = { type: 'socket_filter', maps };

  it('carries what a branch learns about one to the other', () => {
    assert.equal(check(prog(9, 'r0 += 1'), sf), 'pass');
  });

  it('with the right difference, and not past a second addition', () => {
    assert.equal(code(check(prog(10, 'r0 += 1'), sf)), 'out-of-bounds');
    assert.equal(code(check(prog(9, 'r0 += 2'), sf)), 'out-of-bounds');
    // Two additions unlink the copy (as in Linux): r0 is then only known to be in [2, 11].
    assert.equal(code(check(prog(8, 'r0 += 1\nr0 += 1'), sf)), 'out-of-bounds');
  });

  it('narrows the base from the copy above it, and forgets the link when either is overwritten', () => {
    // r2 = r0 (any u8), r0 += 5; `r0 < 10` leaves r2 in [0, 4]: an index into 5 bytes, not into 4.
    const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr6 = r0\n';
    const body = (between: string): string => `${lookup}r0 = *(u8 *)(r6 + 0)\nr2 = r0\nr0 += 5\n${between}if r0 >= 10 goto out\nr6 += r2\nr0 = *(u8 *)(r6 + 0)\nout:\nr0 = 0\nexit`;
    assert.equal(check(body(''), { type: 'socket_filter', maps: [testMap({ valueSize: 5 })] }), 'pass');
    assert.equal(code(check(body(''), { type: 'socket_filter', maps: [testMap({ valueSize: 4 })] })), 'out-of-bounds');
    // r0 replaced by another number: the branch says nothing about r2 (any u8).
    assert.equal(code(check(body('r0 = *(u8 *)(r6 + 1)\n'), { type: 'socket_filter', maps: [testMap({ valueSize: 5 })] })), 'out-of-bounds');
    // A copy of the copy unlinks it: r0 learns nothing for r2.
    assert.equal(code(check(body('r3 = r0\n'), { type: 'socket_filter', maps: [testMap({ valueSize: 5 })] })), 'out-of-bounds');
  });
});

describe('verifier parity: departures on numbers Linux does not fold (DESIGN.md, departure 5)', () => {
  // flow_dissector: the flow keys pointer at context offset 144 (struct __sk_buff.flow_keys).
  const flowKeys = (compute: string): string => `r6 = r1\nr7 = *(u64 *)(r6 + 144)\n${compute}\nr7 += r8\nr0 = *(u64 *)(r7 + 0)\nr0 = 0\nexit`;

  it('moves the flow keys by a number folded to a constant, and never by one that is not', () => {
    assert.equal(check(flowKeys('r8 = 8\nr8 /= 1\nr8 &= 8'), { type: 'flow_dissector' }), 'pass');
    assert.match(check(flowKeys('r8 = *(u64 *)(r7 + 0)\nr8 &= 8'), { type: 'flow_dissector' }), /^invalid-pointer-arithmetic: .*the flow keys move only by constants/);
  });

  it('folds a 32-bit shift by 32 as RFC 9669 does (the count masked), as every runtime computes it', () => {
    const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\n';
    const prog = (count: number): string => `${lookup}r2 = ${count}\nr1 = 1\nw1 <<= w2\nr1 &= 0xffff\nr0 += r1\nr0 = *(u8 *)(r0 + 0)\nout:\nr0 = 0\nexit`;
    assert.equal(check(prog(32), { type: 'socket_filter' }), 'pass');
    assert.equal(code(check(prog(35), { type: 'socket_filter' })), 'out-of-bounds');
  });
});
