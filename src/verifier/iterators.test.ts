/**
 * Open-coded iterators whose bounds are not known when the program is verified (`bpf_for(i, 0, n)` with `n` from a
 * map value or the context): Linux's rules, as `kfuncs.ts` and `verify.ts` implement them. The iterator is ACTIVE
 * until a `next` call's NULL branch drains it; each `next` call forks; the loop converges when a state at the `next`
 * call is included in one of an earlier iteration (imprecise numbers widened in between); what the loop does is
 * checked in each iteration explored, and the iterator must be destroyed on every path.
 *
 * Author: Claude.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kfuncProgram, testMap } from './_test-program.ts';
import { verifyLinked } from './verify.ts';

/**
 * Verifies `text` (a socket filter with one array map of 64-byte values) with states remembered as usual and at
 * every prune point, which must agree; 'pass' or the first diagnostic's `code: message`.
 */
function check(text: string, maxInsns?: number): string {
  const verdicts = [false, true].map((every) => {
    const r = verifyLinked(kfuncProgram(text), [testMap({ valueSize: 64 })], { programType: 'socket_filter', gpl: true }, {
      checkpointEveryPrunePoint: every, ...(maxInsns !== undefined ? { maxInsns } : {}),
    });
    return r.verdict === 'pass' ? 'pass' : `${r.diagnostics[0]?.code}: ${r.diagnostics[0]?.message}`;
  });
  assert.equal(code(verdicts[1] as string), code(verdicts[0] as string), 'the verdict must not depend on how often states are remembered');
  return verdicts[0] as string;
}

const code = (r: string): string => r.split(':')[0] ?? r;

/** Looks up the map's value 0 into r7 (leaving through `out` when there is none). */
const LOOKUP = 'r1 = 0\n*(u32 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nld_pseudo r1, 5, 0\ncall 1\nif r0 == 0 goto out\nr7 = r0\n';

/** An iterator at fp-8 over [0, n), n the value's first u32 (unknown when the program is verified). */
const NEW = 'r1 = r10\nr1 += -8\nw2 = 0\nr3 = *(u32 *)(r7 + 0)\nkfunc bpf_iter_num_new\n';
const NEXT = 'r1 = r10\nr1 += -8\nkfunc bpf_iter_num_next\n';
const DESTROY = 'r1 = r10\nr1 += -8\nkfunc bpf_iter_num_destroy\n';

/**
 * `bpf_for(i, 0, n) { if (i > limit) break; sum += value[i]; }` over the value's sixteen u32s: `body` runs with
 * the index checked in r1 (already scaled to a byte offset), `done` after the loop (the iterator still live).
 */
function sumLoop(limit: number, { body = '', done = DESTROY, pre = '' } = {}): string {
  return `${LOOKUP}${pre}${NEW}r6 = 0\nloop:\n${NEXT}if r0 == 0 goto done\nr1 = *(u32 *)(r0 + 0)\nif r1 > ${limit} goto done\n` +
    `r1 <<= 2\nr2 = r7\nr2 += r1\nr3 = *(u32 *)(r2 + 0)\nr6 += r3\n${body}goto loop\ndone:\n${done}out:\nr0 = 0\nexit`;
}

describe('iterators with bounds known only at run time', () => {
  it('accepts a loop whose index is checked against the value\'s size', () => {
    assert.equal(check(sumLoop(15)), 'pass');
    // The same with the bound from the context (a socket buffer's length), and bounds both unknown.
    const fromCtx = `r9 = r1\n${LOOKUP}r1 = r10\nr1 += -8\nr2 = *(u32 *)(r9 + 0)\nr3 = *(u32 *)(r9 + 4)\nkfunc bpf_iter_num_new\n` +
      `loop:\n${NEXT}if r0 == 0 goto done\nr1 = *(u32 *)(r0 + 0)\nif r1 > 63 goto done\nr2 = r7\nr2 += r1\nr3 = *(u8 *)(r2 + 0)\ngoto loop\ndone:\n${DESTROY}out:\nr0 = 0\nexit`;
    assert.equal(check(fromCtx), 'pass');
  });

  it('refuses an access out of bounds in the loop body', () => {
    // One u32 past the value: index 16 passes the check.
    assert.match(check(sumLoop(16)), /^out-of-bounds: /);
    // No check at all.
    const unchecked = sumLoop(15).replace('if r1 > 15 goto done\n', '');
    assert.match(check(unchecked), /^unbounded-access: /);
  });

  it('refuses an iterator not destroyed, on every path or on the break path only', () => {
    assert.match(check(sumLoop(15, { done: '' })), /^unreleased-reference: .*bpf_iter_num_new/);
    const breakLeaks = sumLoop(15).replace('if r1 > 15 goto done\n', 'if r1 > 15 goto out\n');
    assert.match(check(breakLeaks), /^unreleased-reference: .*bpf_iter_num_new/);
  });

  it('refuses next or destroy after destroy, and a second new over a live iterator', () => {
    assert.equal(code(check(sumLoop(15, { done: `${DESTROY}${NEXT}` }))), 'invalid-helper-argument');
    assert.equal(code(check(sumLoop(15, { done: `${DESTROY}${DESTROY}` }))), 'invalid-helper-argument');
    assert.equal(code(check(sumLoop(15, { body: NEW }))), 'invalid-helper-argument');
  });

  it('refuses a NULL value used unchecked: the loop may end at any call', () => {
    const unchecked = `${LOOKUP}${NEW}${NEXT}r6 = *(u32 *)(r0 + 0)\n${DESTROY}out:\nr0 = 0\nexit`;
    assert.equal(code(check(unchecked)), 'null-dereference');
  });

  it('widens numbers nothing needs precisely, and follows precise ones until they fail', () => {
    // A counter kept across iterations (r8, not widened: it moves a pointer) reaches the end of the value after 16
    // iterations, and n may be larger: refused, as Linux refuses it.
    const counter = sumLoop(15, { pre: 'r8 = 0\n', body: 'r2 = r7\nr2 += r8\nr3 = *(u32 *)(r2 + 0)\nr8 += 4\n' });
    assert.match(check(counter), /^out-of-bounds: /);
    // Checked each time round, it is safe.
    const checked = sumLoop(15, { pre: 'r8 = 0\n', body: 'if r8 > 60 goto done\nr2 = r7\nr2 += r8\nr3 = *(u32 *)(r2 + 0)\nr8 += 4\n' });
    assert.equal(check(checked), 'pass');
    // A precise counter that grows without end never converges: too complex (here the paths leaving the loop at
    // each iteration pile up past 8,192 pending branches, Linux's "sequence of 8193 jumps is too complex"), not
    // accepted.
    const growing = sumLoop(15, { pre: 'r8 = 0\n', body: 'r8 += 1\nr2 = r8\nr2 &= 63\nr4 = r7\nr4 += r2\nr3 = *(u8 *)(r4 + 0)\n' });
    assert.equal(code(check(growing, 50_000)), 'too-complex');
  });

  it('verifies nested loops over two iterators', () => {
    const inner = (leak: boolean): string => `${LOOKUP}${NEW}outer:\n${NEXT}if r0 == 0 goto done\n` +
      'r1 = r10\nr1 += -24\nw2 = 0\nr3 = *(u32 *)(r7 + 4)\nkfunc bpf_iter_num_new\n' +
      'inner:\nr1 = r10\nr1 += -24\nkfunc bpf_iter_num_next\nif r0 == 0 goto inner_done\nr1 = *(u32 *)(r0 + 0)\n' +
      'if r1 > 63 goto inner_done\nr2 = r7\nr2 += r1\nr3 = *(u8 *)(r2 + 0)\ngoto inner\n' +
      `inner_done:\n${leak ? '' : 'r1 = r10\nr1 += -24\nkfunc bpf_iter_num_destroy\n'}goto outer\ndone:\n${DESTROY}out:\nr0 = 0\nexit`;
    assert.equal(check(inner(false)), 'pass');
    assert.match(check(inner(true)), /^(unreleased-reference|invalid-helper-argument): /);
  });

  it('catches a loop that re-creates its iterator each time round, which no iterator bounds', () => {
    const again = `${LOOKUP}top:\n${NEW}${NEXT}${DESTROY}goto top\nout:\nr0 = 0\nexit`;
    assert.equal(code(check(again)), 'infinite-loop');
  });

  // Linux's own hard cases for iterator convergence (selftests progs/iters.c, written anew here with the bound
  // read from the context, so that the iterators are ACTIVE rather than counted): each hides an unsafe access behind
  // marks that are not final when the loop first seems to converge.
  const CTX_END = 'r3 = *(u32 *)(r9 + 0)\n';
  const newAt = (off: number): string => `r1 = r10\nr1 += -${off}\nw2 = 0\n${CTX_END}kfunc bpf_iter_num_new\n`;
  const nextAt = (off: number): string => `r1 = r10\nr1 += -${off}\nkfunc bpf_iter_num_next\n`;
  const destroyAt = (off: number): string => `r1 = r10\nr1 += -${off}\nkfunc bpf_iter_num_destroy\n`;

  it('refuses a pointer overwritten in a later iteration (a read mark not final at convergence)', () => {
    // r7 points to the stack until an iteration replaces it with a number; another iteration writes through it.
    const text = 'r9 = r1\nr7 = r10\nr7 += -16\nr0 = 0\n*(u64 *)(r7 + 0) = r0\ncall 7\nr6 = r0\n' + newAt(8) +
      `loop:\n${nextAt(8)}if r0 == 0 goto end\nr6 += 1\nif r6 != 42 goto write\nr7 = 57005\ngoto loop\n` +
      `write:\nr1 = 7\n*(u64 *)(r7 + 0) = r1\ngoto loop\nend:\n${destroyAt(8)}r0 = 0\nexit`;
    assert.match(check(text), /^invalid-pointer: /);
  });

  it('refuses a stack offset changed in a later iteration (a precision mark not final at convergence)', () => {
    const text = 'r9 = r1\nr8 = 0\n*(u64 *)(r10 - 16) = r8\nr7 = -16\ncall 7\nr6 = r0\n' + newAt(8) +
      `loop:\n${nextAt(8)}if r0 == 0 goto end\nif r6 != 42 goto use\nr7 = -33\ncall 7\nr6 = r0\ngoto loop\n` +
      `use:\nr0 = r10\nr0 += r7\nr8 = *(u64 *)(r0 + 0)\ncall 7\nr6 = r0\ngoto loop\nend:\n${destroyAt(8)}r0 = 0\nexit`;
    // Linux: "math between fp pointer and register with unbounded min value".
    assert.equal(code(check(text)), 'invalid-pointer-arithmetic');
  });

  it('refuses an offset set in an outer loop\'s second iteration and used in the inner loop\'s second', () => {
    // Outer iterator at fp-16, inner at fp-8; a and b (r6, r7) step through 0 -> 1 -> (0, b = 1) in the inner loop,
    // and only then is c (r8) used, which the outer loop sets to a misaligned -25 after its first iteration.
    const inner = (label: string, onB1: string): string => `${label}:\n${nextAt(8)}if r0 == 0 goto ${label}_end\n` +
      `if r6 != 1 goto ${label}_zero\nr6 = 0\nr7 = 1\ngoto ${label}\n${label}_zero:\nif r6 != 0 goto ${label}\nr6 = 1\n` +
      `call 7\nif r0 != 42 goto ${label}_b\ngoto ${label}\n${label}_b:\nif r7 != 1 goto ${label}\n${onB1}`;
    const use = `r0 = r10\nr0 += r8\nr1 = 7\n*(u64 *)(r0 + 0) = r1\n${destroyAt(8)}${destroyAt(16)}r0 = 0\nexit\n`;
    const deps1 = `r9 = r1\n${newAt(16)}r6 = 0\nr7 = 0\nr8 = -24\nouter:\n${nextAt(16)}if r0 == 0 goto outer_end\n` +
      `${newAt(8)}r6 = 0\nr7 = 0\n${inner('i', use)}i_end:\n${destroyAt(8)}r6 = 0\nr7 = 0\nr8 = -25\ngoto outer\n` +
      `outer_end:\n${destroyAt(16)}r0 = 0\nexit`;
    assert.equal(code(check(deps1)), 'invalid-pointer-arithmetic');
    // The same, c set in a second inner loop's second iteration.
    const deps2 = `r9 = r1\n${newAt(16)}r6 = 0\nr7 = 0\nr8 = -24\nouter:\n${nextAt(16)}if r0 == 0 goto outer_end\n` +
      `${newAt(8)}r6 = 0\nr7 = 0\n${inner('i', use)}i_end:\n${destroyAt(8)}` +
      `${newAt(8)}r6 = 0\nr7 = 0\n${inner('j', 'r6 = 0\nr8 = -25\ngoto j\n')}j_end:\n${destroyAt(8)}r6 = 0\nr7 = 0\ngoto outer\n` +
      `outer_end:\n${destroyAt(16)}r0 = 0\nexit`;
    assert.equal(code(check(deps2)), 'invalid-pointer-arithmetic');
  });

  it('converges on a spilled counter, many continues, and a bound checked against the array\'s size', () => {
    const spill = `r9 = r1\nr0 = 0\n*(u64 *)(r10 - 16) = r0\n${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\n` +
      `r0 = *(u64 *)(r10 - 16)\nr0 += 1\n*(u64 *)(r10 - 16) = r0\ngoto loop\nend:\n${destroyAt(8)}r0 = 0\nexit`;
    assert.equal(check(spill), 'pass');
    const continues = `r9 = r1\n${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\ncall 7\nif r0 != 42 goto loop\n` +
      `call 7\nif r0 != 42 goto loop\ncall 7\nif r0 != 42 goto loop\nr0 += 0\ngoto loop\nend:\n${destroyAt(8)}r0 = 0\nexit`;
    assert.equal(check(continues), 'pass');
    // bpf_for(i, 0, n) after `if (n > 16) return`: the macro's own check (i >= 0 && i < n) bounds i.
    const actualCount = `${LOOKUP}r8 = *(u32 *)(r7 + 0)\nif w8 s> 16 goto out\nr1 = r10\nr1 += -8\nw2 = 0\nw3 = w8\nkfunc bpf_iter_num_new\n` +
      `loop:\n${NEXT}if r0 == 0 goto done\nr1 = *(s32 *)(r0 + 0)\nif w1 s< 0 goto done\nif w1 s>= w8 goto done\n` +
      `r1 <<= 32\nr1 s>>= 32\nr1 <<= 2\nr2 = r7\nr2 += r1\nr3 = *(u32 *)(r2 + 0)\ngoto loop\ndone:\n${DESTROY}out:\nr0 = 0\nexit`;
    assert.equal(check(actualCount), 'pass');
  });

  it('refuses what a loop may have done to a pointer (NULL, a number) after it', () => {
    // map_val = NULL in the body: after the loop it may be a number.
    const nulled = `r9 = r1\n${LOOKUP}${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\nr7 = 0\ngoto loop\n` +
      `end:\n${destroyAt(8)}r1 = 123\n*(u32 *)(r7 + 0) = r1\nout:\nr0 = 0\nexit`;
    assert.match(code(check(nulled)), /^(null-dereference|invalid-pointer)$/);
    // map_val looked up again in the body, unchecked: after the loop it may be NULL.
    const relooked = `r9 = r1\n${LOOKUP}${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\n` +
      'r1 = 0\n*(u32 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nld_pseudo r1, 5, 0\ncall 1\nr7 = r0\ngoto loop\n' +
      `end:\n${destroyAt(8)}r1 = 123\n*(u32 *)(r7 + 0) = r1\nout:\nr0 = 0\nexit`;
    assert.equal(code(check(relooked)), 'null-dereference');
    // Found and checked before the loop is left: fine.
    const found = `r9 = r1\nr6 = 0\nr7 = 0\n${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\n` +
      'r1 = 0\n*(u32 *)(r10 - 16) = r1\nr2 = r10\nr2 += -16\nld_pseudo r1, 5, 0\ncall 1\nr7 = r0\nif r7 == 0 goto loop\nr6 = 1\n' +
      `end:\n${destroyAt(8)}if r6 == 0 goto out\nr1 = 123\n*(u32 *)(r7 + 0) = r1\nout:\nr0 = 0\nexit`;
    assert.equal(check(found), 'pass');
  });

  it('follows an iterator that a subprogram advances through a pointer to its caller\'s stack', () => {
    // iter_pass_iter_ptr_to_subprog's shape: the caller creates and destroys, the callee loops over `next`.
    const program = (limit: number): string => `${LOOKUP}${NEW}r1 = r10\nr1 += -8\nr2 = r7\ncall fill\n${DESTROY}out:\nr0 = 0\nexit\n` +
      `fill:\nr6 = r1\nr7 = r2\nloop:\nr1 = r6\nkfunc bpf_iter_num_next\nif r0 == 0 goto end\nr1 = *(u32 *)(r0 + 0)\n` +
      `if r1 > ${limit} goto end\nr1 <<= 2\nr2 = r7\nr2 += r1\nr3 = 1\n*(u32 *)(r2 + 0) = r3\ngoto loop\nend:\nr0 = 0\nexit`;
    assert.equal(check(program(15)), 'pass');
    assert.match(check(program(16)), /^out-of-bounds: /);
  });

  it('keeps states still being explored at the next call long enough to converge (checkpoint_states_deletion)', () => {
    // Six lookups per iteration, each NULL or not: 64 states per iteration at the `next` call, which eviction must not
    // drop before the loop converges (Linux keeps them for 64 misses per hit there too).
    const lookup = (dst: string): string => `r2 = r10\nr2 += -16\nld_pseudo r1, 5, 0\ncall 1\n${dst}\n`;
    const text = 'r9 = r1\nr6 = 0\nr7 = 0\nr8 = 0\n*(u64 *)(r10 - 24) = r6\n*(u64 *)(r10 - 32) = r6\n*(u64 *)(r10 - 40) = r6\n' +
      `r5 = 0\n*(u64 *)(r10 - 48) = r5\n${newAt(8)}loop:\n${nextAt(8)}if r0 == 0 goto end\nr1 = 0\n*(u64 *)(r10 - 16) = r1\n` +
      lookup('r6 = r0') + lookup('r7 = r0') + lookup('r8 = r0') + lookup('*(u64 *)(r10 - 24) = r0') +
      lookup('*(u64 *)(r10 - 32) = r0') + lookup('*(u64 *)(r10 - 40) = r0') +
      'r5 = *(u64 *)(r10 - 48)\nif r6 == 0 goto +1\nr5 += 1\nif r7 == 0 goto +1\nr5 += 1\nif r8 == 0 goto +1\nr5 += 1\n' +
      'r0 = *(u64 *)(r10 - 24)\nif r0 == 0 goto +1\nr5 += 1\nr0 = *(u64 *)(r10 - 32)\nif r0 == 0 goto +1\nr5 += 1\n' +
      'r0 = *(u64 *)(r10 - 40)\nif r0 == 0 goto +1\nr5 += 1\n*(u64 *)(r10 - 48) = r5\n' +
      `goto loop\nend:\n${destroyAt(8)}r0 = 0\nexit`;
    assert.equal(check(text), 'pass');
  });

  it('keeps counting iterators with constant bounds exactly', () => {
    const eight = sumLoop(15, { pre: 'r8 = 0\n', body: 'r2 = r7\nr2 += r8\nr3 = *(u32 *)(r2 + 0)\nr8 += 4\n' }).replace('r3 = *(u32 *)(r7 + 0)\nkfunc bpf_iter_num_new', 'w3 = 16\nkfunc bpf_iter_num_new');
    assert.equal(check(eight), 'pass');
  });
});
