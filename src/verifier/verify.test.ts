import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VerifierMap } from './maps.ts';
import { testMap, testProgram, withCallbacks } from './_test-program.ts';
import { verifyLinked } from './verify.ts';

/** Verifies LLVM-syntax text as a program of `type` with `maps`; returns the first diagnostic's code or 'pass'. */
function check(text: string, opts: { type?: string; attach?: string; maps?: VerifierMap[]; functions?: number[] } = {}): string {
  const linked = testProgram(text, opts.functions !== undefined ? { functions: opts.functions } : {});
  const verdicts = [false, true].map((every) => {
    // Both with the usual checkpoints and with one at every prune point (which prunes as much as possible).
    const r = verifyLinked(linked, opts.maps ?? [testMap()], { programType: opts.type ?? 'xdp', attachType: opts.attach, gpl: true }, { checkpointEveryPrunePoint: every });
    return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
  });
  assert.equal(code(verdicts[1] as string), code(verdicts[0] as string), 'the verdict must not depend on how often states are remembered');
  return verdicts[0] as string;
}

const code = (r: string): string => r.split(':')[0] ?? r;

describe('verifier: registers and stack', () => {
  it('accepts the smallest program and rejects an unset r0', () => {
    assert.equal(check('r0 = 0\nexit'), 'pass');
    assert.equal(code(check('exit')), 'invalid-return');
  });

  it('rejects reading a register never written', () => {
    assert.match(check('r0 = r3\nexit'), /^uninitialized-register: r3 is read before it is written/);
  });

  it('rejects reading stack bytes never written, and accepts them once written', () => {
    assert.equal(code(check('r0 = *(u64 *)(r10 - 8)\nexit')), 'uninitialized-stack');
    assert.equal(check('r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit'), 'pass');
    // A 4-byte store leaves the other half of the slot unreadable.
    assert.equal(code(check('r1 = 5\n*(u32 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit')), 'uninitialized-stack');
  });

  it('keeps pointers spilled to the stack, and refuses partial reads of them', () => {
    assert.equal(check('*(u64 *)(r10 - 8) = r1\nr2 = *(u64 *)(r10 - 8)\nr0 = *(u32 *)(r2 + 0)\nr0 = 0\nexit'), 'pass');
    assert.equal(code(check('*(u64 *)(r10 - 8) = r1\nr0 = *(u32 *)(r10 - 8)\nexit')), 'pointer-leak');
  });

  it('rejects stack accesses outside the frame and misaligned ones', () => {
    assert.equal(code(check('r1 = 0\n*(u64 *)(r10 - 520) = r1\nr0 = 0\nexit')), 'out-of-bounds');
    assert.equal(code(check('r1 = 0\n*(u64 *)(r10 + 0) = r1\nr0 = 0\nexit')), 'out-of-bounds');
    assert.equal(code(check('r1 = 0\n*(u64 *)(r10 - 12) = r1\nr0 = 0\nexit')), 'misaligned-access');
  });

  it('refuses writes to r10', () => {
    assert.equal(code(check('r10 = 0\nr0 = 0\nexit')), 'malformed');
  });
});

describe('verifier: maps and NULL checks', () => {
  const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\n';
  it('rejects a lookup result used without a NULL check', () => {
    assert.match(check(lookup + 'r0 = *(u64 *)(r0 + 0)\nexit'), /^null-dereference: possible NULL dereference of r0 \(returned by bpf_map_lookup_elem/);
  });

  it('accepts it after the check, and tracks copies of it', () => {
    assert.equal(check(lookup + 'r6 = r0\nif r0 == 0 goto +2\nr0 = *(u64 *)(r6 + 0)\nexit\nr0 = 0\nexit'), 'pass');
  });

  it('bounds map value accesses', () => {
    assert.equal(code(check(lookup + 'if r0 == 0 goto +2\nr0 = *(u64 *)(r0 + 4)\nexit\nr0 = 0\nexit')), 'out-of-bounds');
    // A variable offset bounded by a comparison.
    const indexed = lookup + 'r6 = r0\ncall 7\nif r6 == 0 goto out\nif r0 > 7 goto out\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nexit\nout:\nr0 = 0\nexit';
    assert.equal(check(indexed), 'pass');
    const unbounded = lookup + 'r6 = r0\ncall 7\nif r6 == 0 goto out\nr6 += r0\nr0 = *(u8 *)(r6 + 0)\nexit\nout:\nr0 = 0\nexit';
    assert.equal(code(check(unbounded)), 'unbounded-access');
  });

  it('checks keys: initialized and inside the stack', () => {
    assert.equal(code(check('r2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nr0 = 0\nexit')), 'uninitialized-stack');
  });

  it('refuses storing a pointer into a map value, and returning one', () => {
    assert.equal(code(check(lookup + 'if r0 == 0 goto +2\n*(u64 *)(r0 + 0) = r10\nr0 = 0\nexit')), 'pointer-leak');
    assert.equal(code(check('r0 = r10\nexit')), 'pointer-leak');
    // A pointer turned into a number by a 32-bit move may not be stored or returned either.
    assert.equal(code(check('w0 = w10\nexit')), 'pointer-leak');
  });

  it('keeps a precise bound through joins (precision tracking must not prune it away)', () => {
    // Two paths give r7 = 0 or r7 = 100; the map value has 8 bytes: the second path must be explored and fail.
    const prog = lookup + 'r6 = r0\ncall 7\nr7 = 0\nif r0 > 5 goto join\nr7 = 100\njoin:\nif r6 == 0 goto out\nr6 += r7\nr0 = *(u8 *)(r6 + 0)\nexit\nout:\nr0 = 0\nexit';
    assert.equal(code(check(prog)), 'out-of-bounds');
  });
});

describe('verifier: pointer arithmetic, never laxer than Linux', () => {
  // One register holding each kind of pointer (r2), with r3 a known number; ctx is r1.
  const pointers: Record<string, string> = {
    stack: 'r2 = r10\nr2 += -8',
    context: 'r2 = r1',
    packet: 'r2 = *(u32 *)(r1 + 0)',
    'map value': 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr2 = r0',
    function: 'ld_pseudo r2, 4, @0',
  };
  // The function pointer's target is a function of its own (reachable through its address).
  const program = (setup: string, rest: string): string =>
    setup.includes('@0') ? withCallbacks(`${setup}\n${rest}`, 'r0 = 0\nexit') : `${setup}\n${rest}`;
  const run = (setup: string, op: string): string => check(program(setup, `r3 = 2\n${op}\nout:\nr0 = 0\nexit`));

  it('refuses every 32-bit operation on a pointer but a subtraction, whose result is a number that must not escape', () => {
    // Linux: "R2 32-bit pointer arithmetic prohibited" (adjust_ptr_min_max_vals), for every pointer type; a
    // privileged program may subtract, getting an unknown number.
    for (const [kind, setup] of Object.entries(pointers)) {
      for (const op of ['w2 s>>= 18', 'w2 += 2', 'w2 &= w3', 'w2 <<= 1', 'w2 *= w3', 'w3 += w2', 'w3 |= w2']) {
        assert.equal(code(run(setup, op)), 'invalid-pointer-arithmetic', `${kind}: ${op}`);
      }
      assert.equal(run(setup, 'w2 -= w3'), 'pass', kind);
      assert.equal(code(check(program(setup, 'w2 -= 1\nr0 = r2\nout:\nexit'))), 'pointer-leak', kind);
    }
  });

  it('refuses bitwise and other 64-bit operations on a pointer but adding or subtracting a number', () => {
    // Linux: "R2 bitwise operator &= on pointer prohibited", "pointer arithmetic with <<= operator prohibited".
    for (const [kind, setup] of Object.entries(pointers)) {
      for (const op of ['r2 &= 15', 'r2 |= r3', 'r2 ^= 1', 'r2 <<= 1', 'r2 s>>= 1', 'r2 *= r3', 'r2 /= 2', 'r3 &= r2', 'r3 -= r2']) {
        assert.equal(code(run(setup, op)), 'invalid-pointer-arithmetic', `${kind}: ${op}`);
      }
    }
  });

  it('refuses a subtraction from a stack pointer, even of a constant, as Linux does', () => {
    // Linux: "R2 subtraction from stack pointer prohibited" (found by comparing every operation on every pointer kind
    // with the kernel); adding a negative number is the accepted spelling.
    assert.match(run(pointers.stack as string, 'r2 -= 2'), /^invalid-pointer-arithmetic: subtracting from r2, a stack pointer/);
    assert.equal(code(run(pointers.stack as string, 'r2 -= r3')), 'invalid-pointer-arithmetic');
    assert.equal(run(pointers.stack as string, 'r2 += -2'), 'pass');
    assert.equal(run(pointers['map value'] as string, 'r2 -= 2\nr2 += 2\nr0 = *(u8 *)(r2 + 0)'), 'pass');
  });

  // The differential fuzzer (scripts/fuzz-verifier.ts --callbacks --kernel, seed 5 onward) found programs we accept
  // and Linux 6.18 rejects. Each is an instruction Linux refuses on a path that only Linux's imprecision makes
  // reachable: our folded division or modulo, or a pointer we know is not NULL compared with 0, decides the branch
  // before it (DESIGN.md, departure 5). The same instruction behind an undecided branch is refused, as in Linux.
  const divided = 'r4 = 7\nr4 /= r4\nif r4 & 31 goto out\n'; // 7 / 7 = 1: always taken; Linux: unknown
  const unknown = 'r6 = r1\ncall 7\nr4 = r0\nr1 = r6\nif r4 & 31 goto out\n';
  const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\n';
  const tail = '\nout:\nr0 = 0\nexit';

  it('fuzzer seeds 13 and 24: a 32-bit or bitwise operation on a pointer behind a division Linux cannot decide', () => {
    assert.equal(check(`${divided}r2 = r10\nw2 s>>= 18${tail}`), 'pass');
    assert.equal(code(check(`${unknown}r2 = r10\nw2 s>>= 18${tail}`)), 'invalid-pointer-arithmetic');
    assert.equal(check(`r3 = 16\nr3 /= 14\nif r3 <= 7 goto out\nr2 = *(u32 *)(r1 + 0)\nr2 &= 15${tail}`), 'pass');
    assert.equal(code(check(`${unknown}r2 = *(u32 *)(r1 + 0)\nr2 &= 15${tail}`)), 'invalid-pointer-arithmetic');
    // The same with a function pointer (lddw r2, func).
    const fn = (guard: string): string => check(withCallbacks(`${guard}ld_pseudo r2, 4, @0\nw2 s>>= 18${tail}`, 'r0 = 0\nexit'));
    assert.equal(fn(divided), 'pass');
    assert.equal(code(fn(unknown)), 'invalid-pointer-arithmetic');
  });

  it('fuzzer seed 683: a maybe-NULL dereference behind an unsigned comparison of a valid pointer with 0', () => {
    // `fp >= 0` holds for every value and `fp != 0` for every valid pointer; Linux decides neither for a stack or
    // packet pointer (its reg_not_null leaves them out, and it decides only == and !=), so it reaches the load.
    for (const cond of ['r2 >= 0', 'r2 > 0', 'r2 != 0']) {
      assert.equal(check(`${lookup}r8 = r0\nr2 = r10\nif ${cond} goto out\nr4 = *(u32 *)(r8 + 8)${tail}`), 'pass', cond);
    }
    assert.equal(code(check(`${lookup}r8 = r0\nr2 = r10\nif r2 == 0 goto out\nr4 = *(u32 *)(r8 + 8)${tail}`)), 'null-dereference');
    assert.equal(code(check(`${lookup}r8 = r0\nr2 = r10\nif r2 <= 0 goto out\nr4 = *(u32 *)(r8 + 8)${tail}`)), 'null-dereference');
  });

  it('fuzzer seed 1055: an out-of-bounds map value access behind a modulo Linux cannot decide', () => {
    const access = `${lookup}if r0 == 0 goto out\nr2 = *(u8 *)(r0 + 8)${tail}`; // the value has 8 bytes
    assert.equal(check(`r5 = 32\nr2 = 3\nr5 %= r2\nif r5 s< 20 goto out\n${access}`), 'pass'); // 32 % 3 = 2
    assert.equal(code(check(`call 7\nr5 = r0\nif r5 s< 20 goto out\n${access}`)), 'out-of-bounds');
  });
});

describe('verifier: packets and context', () => {
  it('requires a data_end check before packet reads', () => {
    assert.equal(code(check('r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit')), 'out-of-bounds');
    const ok = 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 14\nif r4 > r3 goto +2\nr0 = *(u16 *)(r2 + 12)\nexit\nr0 = 2\nexit';
    assert.equal(check(ok), 'pass');
    assert.equal(code(check(ok.replace('(r2 + 12)', '(r2 + 13)'))), 'out-of-bounds');
  });

  it('applies the program type\'s context rules', () => {
    assert.equal(code(check('r2 = 0\n*(u32 *)(r1 + 0) = r2\nr0 = 0\nexit')), 'invalid-context-access');
    assert.equal(code(check('r0 = *(u32 *)(r1 + 24)\nexit')), 'invalid-context-access');
    assert.equal(check('r0 = *(u32 *)(r1 + 0)\nr0 = 0\nexit', { type: 'socket_filter' }), 'pass');
    assert.equal(code(check('r0 = *(u32 *)(r1 + 76)\nr0 = 0\nexit', { type: 'socket_filter' })), 'invalid-context-access');
  });

  it('checks return values where the program type restricts them', () => {
    assert.equal(code(check('r0 = 2\nexit', { type: 'cgroup_skb' })), 'invalid-return');
    assert.equal(check('r0 = 1\nexit', { type: 'cgroup_skb' }), 'pass');
  });
});

describe('verifier: control flow', () => {
  it('explores bounded loops and rejects infinite ones', () => {
    assert.equal(check('r0 = 0\nr1 = 0\nr1 += 1\nif r1 < 10 goto -2\nexit'), 'pass');
    assert.equal(code(check('r1 = 0\nloop:\nif r1 == 1 goto out\ngoto loop\nout:\nr0 = 0\nexit')), 'infinite-loop');
  });

  it('rejects malformed control flow', () => {
    assert.equal(code(check('r0 = 0\ngoto +5\nexit')), 'malformed');
    assert.equal(code(check('r0 = 0')), 'malformed');
    assert.equal(code(check('r0 = 0\nexit\nr0 = 1\nexit')), 'malformed');
  });

  it('follows BPF-to-BPF calls and rejects recursion', () => {
    assert.equal(check('r1 = 1\ncall f\nexit\nf:\nr0 = r1\nr0 += 1\nexit'), 'pass');
    assert.equal(code(check('call f\nexit\nf:\ncall f\nexit')), 'call-depth');
  });

  it('requires references to be released on every path', () => {
    const ring = testMap({ type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const reserve = 'ld_pseudo r1, 5, 0\nr2 = 8\nr3 = 0\ncall 131\n';
    assert.equal(code(check(reserve + 'r0 = 0\nexit', { maps: [ring] })), 'unreleased-reference');
    assert.equal(check(reserve + 'if r0 == 0 goto +4\nr1 = r0\nr2 = 0\ncall 132\nr0 = 0\nexit', { maps: [ring] }), 'pass');
  });
});

describe('verifier: may_goto', () => {
  const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr6 = r0\n';

  it('accepts a loop only may_goto ends, with a sum that converges by widening', () => {
    assert.equal(check('r0 = 0\nloop:\nmay_goto out\nr0 += 3\ngoto loop\nout:\nr0 &= 1\nexit'), 'pass');
  });

  it('iterates a counter used as an index until an iteration goes out of bounds', () => {
    // Each iteration reads byte r7 of the 8-byte value: the ninth is out of bounds (precise numbers are not widened).
    const reads = lookup + 'r7 = 0\nloop:\nmay_goto out\nr1 = r6\nr1 += r7\nr0 = *(u8 *)(r1 + 0)\nr7 += 1\ngoto loop\nout:\nr0 = 0\nexit';
    assert.match(check(reads), /^out-of-bounds: .*offset 8/);
    // Bounded by a check as well, it is safe.
    const bounded = lookup + 'r7 = 0\nloop:\nmay_goto out\nif r7 > 7 goto out\nr1 = r6\nr1 += r7\nr0 = *(u8 *)(r1 + 0)\nr7 += 1\ngoto loop\nout:\nr0 = 0\nexit';
    assert.equal(check(bounded), 'pass');
    // A counter used only after the loop: every number of iterations the budget may allow is an exit to check.
    const indexAfter = lookup + 'r7 = 0\nloop:\nmay_goto done\nr7 += 1\ngoto loop\ndone:\nr6 += r7\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit\nout:\nr0 = 0\nexit';
    assert.match(check(indexAfter), /^out-of-bounds: .*offset 8/);
  });

  it('rejects a may_goto that jumps to itself (the jump path loops in the same state)', () => {
    assert.equal(code(check('r0 = 0\nloop:\nmay_goto loop\nexit')), 'infinite-loop');
  });

  it('accepts may_goto +0 (both ways lead to the next instruction)', () => {
    assert.equal(check('r0 = 0\nmay_goto +0\nexit'), 'pass');
  });
});

describe('verifier: pruning stays sound', () => {
  // A map value of 8 bytes; `off` is 0 on one path and 100 on the other, and used to index the value after a join.
  const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr6 = r0\ncall 7\n';
  const tail = 'r6 += r7\nr0 = *(u8 *)(r6 + 0)\nr0 = 0\nexit\nout:\nr0 = 0\nexit';

  // Each case both ways round: the safe value on the path explored first (so the unsafe one meets a remembered
  // state), and the other way.
  const both = (a: number, b: number): [string, string] => [`r7 = ${a}\nif r0 > 5 goto j\nr7 = ${b}\nj:\n`, `r7 = ${b}\nif r0 > 5 goto j\nr7 = ${a}\nj:\n`];

  it('at a join', () => {
    for (const diamond of both(0, 100)) assert.equal(code(check(lookup + diamond + tail)), 'out-of-bounds');
  });

  it('through a value spilled to the stack and filled back', () => {
    for (const diamond of both(0, 100)) {
      const prog = lookup + diamond + '*(u64 *)(r10 - 16) = r7\nr1 = 1\nr1 = 2\nr7 = *(u64 *)(r10 - 16)\n' + tail;
      assert.equal(code(check(prog)), 'out-of-bounds');
    }
  });

  it('through a subprogram\'s return value', () => {
    for (const [a, b] of [[0, 100], [100, 0]]) {
      const prog = lookup + 'r1 = r0\ncall pick\nr7 = r0\n' + tail + `\npick:\nr0 = ${a}\nif r1 > 5 goto done\nr0 = ${b}\ndone:\nexit`;
      assert.equal(code(check(prog)), 'out-of-bounds');
    }
  });

  it('through copies narrowed by a branch', () => {
    // r7 is bounded only through its copy r8; on the other path it is not bounded at all.
    const prog = lookup + 'r7 = r0\nr8 = r7\nif r0 > 3 goto j\nif r8 > 7 goto out\nj:\n' + tail;
    assert.equal(code(check(prog)), 'unbounded-access');
    const ok = lookup + 'r7 = r0\nr8 = r7\nif r8 > 7 goto out\n' + tail;
    assert.equal(check(ok), 'pass');
  });

  it('with stack bytes written on one path only', () => {
    const prog = 'call 7\nif r0 > 5 goto j\nr1 = 1\n*(u64 *)(r10 - 8) = r1\nj:\nr1 = 2\nr1 = 3\nr0 = *(u64 *)(r10 - 8)\nexit';
    assert.equal(code(check(prog)), 'uninitialized-stack');
  });

  it('with a key initialized on one path only', () => {
    const prog = 'call 7\nif r0 > 5 goto j\nr1 = 1\n*(u32 *)(r10 - 4) = r1\nj:\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nr0 = 0\nexit';
    assert.equal(code(check(prog)), 'uninitialized-stack');
  });

  it('with a packet range proven on one path only', () => {
    const prog = 'r6 = *(u32 *)(r1 + 0)\nr7 = *(u32 *)(r1 + 4)\ncall 7\nif r0 > 5 goto j\nr4 = r6\nr4 += 8\nif r4 > r7 goto out\nj:\nr1 = 1\nr1 = 2\nr0 = *(u32 *)(r6 + 4)\nexit\nout:\nr0 = 0\nexit';
    assert.equal(code(check(prog)), 'out-of-bounds');
  });
});

describe('verifier: spin locks', () => {
  const lookup = 'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr6 = r0\n';
  it('requires the lock to be released on every path, and no calls while it is held', () => {
    assert.equal(check(lookup + 'r1 = r6\ncall 93\nr1 = r6\ncall 94\nr0 = 0\nexit\nout:\nr0 = 0\nexit'), 'pass');
    assert.equal(code(check(lookup + 'r1 = r6\ncall 93\nr0 = 0\nexit\nout:\nr0 = 0\nexit')), 'unreleased-reference');
    assert.equal(code(check(lookup + 'r1 = r6\ncall 93\ncall 7\nr1 = r6\ncall 94\nr0 = 0\nexit\nout:\nr0 = 0\nexit')), 'unreleased-reference');
    assert.equal(code(check(lookup + 'r1 = r6\ncall 94\nr0 = 0\nexit\nout:\nr0 = 0\nexit')), 'invalid-helper-argument');
  });
});
