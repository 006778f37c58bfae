/**
 * A random generator of valid-looking programs for testing the verifier's soundness: packet parsing with bounds
 * checks (right, off by a few bytes, or missing), map lookups with and without NULL checks, indexed map value
 * accesses with bounded and unbounded indexes, stack spills and fills, arithmetic, forward branches and small
 * bounded loops. Options add features: with `callbacks`, bpf_loop calls whose callbacks count, use, check and
 * clobber what the caller handed them through its stack; with `mayGoto`, loops that `may_goto` ends (alone or with a
 * bound of their own) whose counter indexes map values and the packet, inside the loop and after it; with
 * `iterators`, loops over bpf_iter_num open-coded iterators from constant bounds or bounds known only at run time
 * (the value `next` returns NULL-checked or not, used as an
 * index with or without a bound; the iterations counted and the count used as an index after the loop) and task
 * references from bpf_task_from_pid, released (or not, or twice) by bpf_task_release. Some
 * programs are safe and some are not; the verifier must accept only safe ones, which a bounds-checking execution
 * then confirms (see `soundness.ts`).
 *
 * Programs are XDP programs over one hash map (key 4 bytes, value 16 bytes) and one array map (key 4, value 64),
 * written as LLVM-syntax text and assembled, so a failing case prints as readable assembly (`kfunc NAME` is a call
 * of the kernel function NAME, as the kfunc tests write it).
 *
 * Author: Claude.
 *
 * @module
 */

import { assemble, type Instruction } from '../asm/index.ts';
import { Random } from './_random.ts';
import type { LinkedProgram } from '../spec/index.ts';
import { testProgram, withCallbacks } from './_test-program.ts';
import type { VerifierMap } from './maps.ts';

/** A generated program with everything needed to verify and run it. */
export interface GeneratedProgram {
  readonly seed: number;
  /** The assembly text (LLVM syntax). */
  readonly text: string;
  readonly instructions: readonly Instruction[];
  readonly maps: readonly VerifierMap[];
  readonly programType: 'xdp';
  /** The kfunc calls (`call` with src 2), by slot. */
  readonly kfuncs: readonly { readonly slot: number; readonly name: string }[];
}

/** `p` as a linked program, its kfunc calls named as the linker names them. */
export function linkGenerated(p: GeneratedProgram): LinkedProgram {
  const linked = testProgram(p.instructions);
  return p.kfuncs.length === 0 ? linked : { ...linked, references: p.kfuncs.map((k) => ({ kind: 'kfunc' as const, ...k })) };
}

/** Features the generated programs may use beyond the basic snippets (none by default). */
export interface GeneratorOptions {
  /** bpf_loop calls with generated callbacks. */
  readonly callbacks?: boolean;
  /** Loops ended by `may_goto`. */
  readonly mayGoto?: boolean;
  /** Loops over bpf_iter_num open-coded iterators, and task references from bpf_task_from_pid (kfuncs). */
  readonly iterators?: boolean;
}

/** The maps every generated program may use. */
export const GENERATED_MAPS: readonly VerifierMap[] = [
  { name: 'hash', type: 1, keySize: 4, valueSize: 16, maxEntries: 64, flags: 0, readOnly: false, frozen: undefined, inner: undefined, isData: false },
  { name: 'array', type: 2, keySize: 4, valueSize: 64, maxEntries: 8, flags: 0, readOnly: false, frozen: undefined, inner: undefined, isData: false },
];

/** Registers the snippets use for numbers. */
const NUMS = ['r2', 'r3', 'r4', 'r5'];
const SIZES = ['u8', 'u16', 'u32', 'u64'] as const;
const SIZE_BYTES: Record<string, number> = { u8: 1, u16: 2, u32: 4, u64: 8 };

class Builder {
  readonly lines: string[] = [];
  private label = 0;
  /** Numbers known to be initialized. */
  readonly init = new Set<string>();
  /** Whether r7 holds a checked packet pointer and how many bytes past it are proven. */
  packetBytes = -1;
  /** r8 holds a map value pointer (checked or not), into map index... */
  mapValue: { checked: boolean; size: number } | undefined;
  /** Stack slots written (offsets). */
  readonly stack = new Set<number>();
  /** Iterator loops emitted. */
  iterators = 0;
  /** may_goto loops emitted. */
  mayGotoLoops = 0;
  /** The callbacks' bodies, laid out after the program. */
  readonly callbacks: string[] = [];

  readonly r: Random;

  constructor(r: Random) {
    this.r = r;
  }

  fresh(): string {
    return `L${this.label++}`;
  }

  emit(...l: string[]): void {
    this.lines.push(...l);
  }

  num(): string {
    const inited = NUMS.filter((x) => this.init.has(x));
    if (inited.length === 0 || this.r.chance(0.15)) {
      const reg = this.r.pick(NUMS);
      this.emit(`${reg} = ${this.smallInt()}`);
      this.init.add(reg);
      return reg;
    }
    return this.r.pick(inited);
  }

  smallInt(): number {
    return this.r.pick([0, 1, 2, 3, 4, 7, 8, 12, 14, 15, 16, 20, 31, 32, 63, 64, 100, 255, -1, -8]);
  }

  /** After a call, r1-r5 are clobbered. */
  clobber(): void {
    for (const x of ['r1', 'r2', 'r3', 'r4', 'r5']) this.init.delete(x);
  }
}

type Snippet = (b: Builder) => void;

/** `(r6 + 4)` or `(r6 - 4)`. */
function at(reg: string, off: number): string {
  return `(${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
}

const arith: Snippet = (b) => {
  const dst = b.num();
  const op = b.r.pick(['+=', '-=', '*=', '&=', '|=', '^=', '<<=', '>>=', 's>>=', '/=', '%=']);
  const width = b.r.chance(0.25) ? 'w' : 'r';
  const d = width + dst.slice(1);
  if (b.r.chance(0.5) || op.includes('<<') || op.includes('>>')) {
    const k = op.includes('<') || op.includes('>') ? b.r.int(width === 'w' ? 32 : 64) : b.smallInt();
    b.emit(`${d} ${op} ${k}`);
  } else {
    const src = b.num();
    b.emit(`${d} ${op} ${width}${src.slice(1)}`);
  }
};

const packetCheck: Snippet = (b) => {
  // r6 = data, r7 = data_end, then check data + n <= data_end and remember n.
  const n = b.r.pick([1, 2, 4, 8, 14, 20, 34, 54]);
  const exit = 'Lexit';
  b.emit('r6 = *(u32 *)(r9 + 0)', 'r7 = *(u32 *)(r9 + 4)', 'r2 = r6', `r2 += ${n}`, `if r2 > r7 goto ${exit}`);
  b.init.add('r2');
  b.packetBytes = n;
};

const packetRead: Snippet = (b) => {
  if (b.packetBytes < 0) return packetCheck(b);
  const size = b.r.pick(SIZES);
  const max = b.packetBytes - SIZE_BYTES[size]!;
  // Usually in bounds; sometimes one past or a few bytes past the proven range.
  const off = b.r.chance(0.8) ? b.r.int(Math.max(1, max + 1)) : max + 1 + b.r.int(4);
  const dst = b.r.pick(NUMS);
  b.emit(`${dst} = *(${size} *)${at('r6', off)}`);
  b.init.add(dst);
};

const packetWrite: Snippet = (b) => {
  if (b.packetBytes < 0) return packetCheck(b);
  const size = b.r.pick(SIZES);
  const max = b.packetBytes - SIZE_BYTES[size]!;
  const off = b.r.chance(0.85) ? b.r.int(Math.max(1, max + 1)) : max + 1 + b.r.int(3);
  b.emit(`*(${size} *)${at('r6', off)} = ${b.num()}`);
};

const lookup: Snippet = (b) => {
  const m = b.r.int(2);
  const key = b.num();
  b.emit(`*(u32 *)(r10 - 4) = ${key}`, 'r2 = r10', 'r2 += -4', `ld_pseudo r1, 5, ${m}`, 'call 1');
  b.clobber();
  const checked = b.r.chance(0.8);
  if (checked) b.emit('if r0 == 0 goto Lexit');
  b.emit('r8 = r0');
  b.mapValue = { checked, size: GENERATED_MAPS[m]!.valueSize };
};

const mapAccess: Snippet = (b) => {
  if (b.mapValue === undefined) return lookup(b);
  const size = b.r.pick(SIZES);
  const max = b.mapValue.size - SIZE_BYTES[size]!;
  const off = b.r.chance(0.85) ? b.r.int(max + 1) : max + 1 + b.r.int(4);
  if (b.r.chance(0.5)) {
    const dst = b.r.pick(NUMS);
    b.emit(`${dst} = *(${size} *)${at('r8', off)}`);
    b.init.add(dst);
  } else {
    b.emit(`*(${size} *)${at('r8', off)} = ${b.num()}`);
  }
};

const indexed: Snippet = (b) => {
  if (b.mapValue === undefined) return lookup(b);
  const idx = b.num();
  const size = b.mapValue.size;
  // Bound the index right, off by one, or not at all.
  const choice = b.r.int(4);
  if (choice === 0) b.emit(`${idx} &= ${size - 1}`);
  else if (choice === 1) b.emit(`if ${idx} > ${size - 1} goto Lexit`);
  else if (choice === 2) b.emit(`if ${idx} > ${size} goto Lexit`);
  b.emit('r1 = r8', `r1 += ${idx}`, `${idx} = *(u8 *)(r1 + 0)`);
  b.init.add('r1');
};

const spill: Snippet = (b) => {
  const off = b.r.pick([8, 16, 24, 32, 40]);
  if (b.r.chance(0.6)) {
    const src = b.r.chance(0.3) && b.mapValue !== undefined ? 'r8' : b.num();
    b.emit(`*(u64 *)(r10 - ${off}) = ${src}`);
    b.stack.add(off);
  } else {
    const dst = b.r.pick(NUMS);
    // Usually a slot written before; sometimes one that was not.
    const from = b.stack.size > 0 && b.r.chance(0.85) ? b.r.pick([...b.stack]) : off;
    b.emit(`${dst} = *(u64 *)(r10 - ${from})`);
    b.init.add(dst);
  }
};

const branch: Snippet = (b) => {
  const a = b.num();
  const op = b.r.pick(['==', '!=', '>', '>=', '<', '<=', 's>', 's<', '&']);
  b.emit(`if ${a} ${op} ${b.smallInt()} goto Lexit`);
};

const loop: Snippet = (b) => {
  const n = b.r.pick([2, 3, 4, 8]);
  const head = b.fresh();
  const acc = b.num();
  b.emit('r1 = 0', `${head}:`, `${acc} += r1`, 'r1 += 1', `if r1 < ${n} goto ${head}`);
  b.init.add('r1');
};

const helperScalar: Snippet = (b) => {
  b.emit(`call ${b.r.pick([5, 7, 8])}`);
  b.clobber();
  b.emit(`${b.r.pick(NUMS)} = r0`);
  const reg = b.lines[b.lines.length - 1]!.split(' ')[0]!;
  b.init.add(reg);
};

/** A diamond: a forward branch over a few updates, so paths join with different values (pruning's hard case). */
const diamond: Snippet = (b) => {
  const a = b.num();
  const join = b.fresh();
  const op = b.r.pick(['==', '!=', '>', '<', 's>', '&']);
  b.emit(`if ${a} ${op} ${b.smallInt()} goto ${join}`);
  const inner = 1 + b.r.int(2);
  for (let i = 0; i < inner; i++) {
    switch (b.r.int(4)) {
      case 0: {
        const x = b.r.pick(NUMS);
        b.emit(`${x} = ${b.smallInt()}`);
        // Only counts as initialized after the join if it already was.
        break;
      }
      case 1:
        if (b.init.size > 0) b.emit(`*(u64 *)(r10 - ${b.r.pick([8, 16, 24])}) = ${b.num()}`);
        break;
      case 2:
        arith(b);
        break;
      default:
        if (b.packetBytes >= 0) b.emit(`r6 += ${b.r.pick([1, 2, 4])}`);
        break;
    }
  }
  b.emit(`${join}:`);
};

/**
 * A bpf_loop call. The context is the caller's stack at fp-64: a pointer slot (the map value in r8, or 0) and a
 * counter at fp-56. The callback counts, uses the pointer (checked or not), clobbers it with its index, indexes a
 * map value with the counter (bounded right, off by one, or not), and returns 0, 1, its index's low bit or (rarely)
 * 2. The caller may reload the pointer into r8 afterwards and use it as before.
 */
const callback: Snippet = (b) => {
  const k = b.callbacks.length;
  const withPointer = b.mapValue !== undefined && b.r.chance(0.7);
  b.emit(withPointer ? '*(u64 *)(r10 - 64) = r8' : '*(u64 *)(r10 - 64) = 0');
  // The counter starts at 0, at some number the program computed, or (rarely) nowhere.
  if (b.r.chance(0.6)) b.emit('*(u64 *)(r10 - 56) = 0');
  else if (b.r.chance(0.85)) b.emit(`*(u64 *)(r10 - 56) = ${b.num()}`);
  if (b.r.chance(0.25)) b.emit('call 7', 'r1 = r0', `r1 &= ${b.r.pick([3, 7, 15])}`);
  else b.emit(`r1 = ${b.r.pick([0, 1, 2, 3, 5, 9])}`);
  b.emit(`ld_pseudo r2, 4, @${k}`, 'r3 = r10', 'r3 += -64', 'r4 = 0', 'call 181');
  b.clobber();
  if (withPointer && b.r.chance(0.5)) b.emit('r8 = *(u64 *)(r10 - 64)');
  if (b.r.chance(0.3)) {
    const dst = b.r.pick(NUMS);
    b.emit(`${dst} = *(u64 *)(r10 - 56)`);
    b.init.add(dst);
  }
  const out = `Lcb${k}`;
  const body = ['r6 = r2'];
  const parts = 1 + b.r.int(3);
  for (let i = 0; i < parts; i++) {
    switch (b.r.int(6)) {
      case 0:
        body.push('r3 = *(u64 *)(r6 + 8)', 'r3 += 1', '*(u64 *)(r6 + 8) = r3');
        break;
      case 4:
        // Iterations that differ: by index, or by the counter.
        body.push(b.r.chance(0.5) ? `if r1 > ${b.r.int(4)} goto ${out}` : `r3 = *(u64 *)(r6 + 8)\nif r3 > ${b.r.pick([1, 3, 8, 62, 63, 64])} goto ${out}`);
        break;
      case 5:
        body.push('r3 = *(u64 *)(r6 + 8)', `r3 ${b.r.pick(['&=', '+=', '*=', '|='])} ${b.r.pick([1, 2, 3, 7, 63])}`, '*(u64 *)(r6 + 8) = r3');
        break;
      case 1:
        body.push('*(u64 *)(r6 + 0) = r1');
        break;
      case 2:
        body.push('r3 = *(u64 *)(r6 + 0)');
        if (b.r.chance(0.7)) body.push(`if r3 == 0 goto ${out}`);
        body.push(`r4 = *(u8 *)(r3 + ${b.r.pick([0, 7, 15, 16, 63, 64])})`);
        break;
      default: {
        body.push('r7 = r1', '*(u32 *)(r10 - 4) = 0', 'r2 = r10', 'r2 += -4', 'ld_pseudo r1, 5, 1', 'call 1', `if r0 == 0 goto ${out}`, 'r1 = r7');
        body.push('r3 = *(u64 *)(r6 + 8)');
        const bound = b.r.int(4);
        if (bound === 0) body.push('r3 &= 63');
        else if (bound === 1) body.push(`if r3 > 63 goto ${out}`);
        else if (bound === 2) body.push(`if r3 > 64 goto ${out}`);
        body.push('r0 += r3', '*(u8 *)(r0 + 0) = 1');
        break;
      }
    }
  }
  body.push(b.r.pick(['r0 = 0', 'r0 = 0', 'r0 = 1', 'r0 = r1\nr0 &= 1', 'r0 = r1\nr0 &= 1', 'r0 = 2']), 'exit');
  // The early return, when something jumps to it (unreachable code would make the program malformed).
  if (body.some((l) => l.endsWith(`goto ${out}`))) body.push(`${out}:`, 'r0 = 0', 'exit');
  b.callbacks.push(body.join('\n'));
};

/**
 * A loop that `may_goto` ends, alone or with a bound of its own, counting in r1 from 0 or from a number the program
 * computed, by 1, 2 or 8. The body adds the counter up, writes it to a stack slot (then written only if the loop
 * ran), and in a loop with a bound also indexes the map value in r8 with it (bounded right, off by one, masked, or
 * not) or reads the packet at it (checked against data_end, for a byte too few, or not). After a loop with a bound,
 * the counter may index the map value too.
 *
 * Only loops with a bound use the counter as an index: that makes it precise, so the verifier follows the loop
 * iteration by iteration (as Linux does), which a loop only `may_goto` ends turns into a too-complex verdict after
 * seconds of work.
 */
const mayGotoLoop: Snippet = (b) => {
  // At most two per program: loops in sequence multiply the paths the verifier follows.
  if (b.mayGotoLoops++ >= 2) return;
  const head = b.fresh();
  const done = b.fresh();
  const size = b.mapValue?.size ?? 16;
  b.emit(b.r.chance(0.75) ? 'r1 = 0' : `r1 = ${b.num()}`, `${head}:`, `may_goto ${done}`);
  b.init.add('r1');
  const bounded = b.r.int(4);
  switch (bounded) {
    case 0: break;
    case 1: b.emit(`if r1 > ${b.r.pick([3, 7, size - 1, size])} goto ${done}`); break;
    case 2: b.emit(`if r1 >= ${b.r.pick([4, 8, size])} goto ${done}`); break;
    default: b.emit(`if r1 s> ${b.r.pick([3, 8, size - 1])} goto ${done}`); break;
  }
  const parts = 1 + b.r.int(2);
  for (let i = 0; i < parts; i++) {
    const part = b.r.int(5);
    switch (bounded === 0 && (part === 1 || part === 2) ? 0 : part) {
      case 0: {
        // Not r2, which a packet check leaves holding a pointer (a pointer that grows each time round is never widened).
        const acc = b.r.pick(['r4', 'r5']);
        if (!b.init.has(acc)) b.emit(`${acc} = 0`);
        b.emit(`${acc} += r1`);
        b.init.add(acc);
        break;
      }
      case 1: {
        if (b.mapValue === undefined) break;
        // Bounded right, off by one, masked, or not at all.
        const bound = b.r.int(4);
        if (bound === 0) b.emit(`if r1 > ${size - 1} goto ${done}`);
        else if (bound === 1) b.emit(`if r1 > ${size} goto ${done}`);
        b.emit('r3 = r8', bound === 2 ? `r0 = r1
r0 &= ${size - 1}
r3 += r0` : 'r3 += r1');
        b.emit(b.r.chance(0.5) ? 'r3 = *(u8 *)(r3 + 0)' : `*(u8 *)(r3 + 0) = ${b.r.pick([0, 1, 7])}`);
        b.init.add('r3');
        break;
      }
      case 2: {
        if (b.packetBytes < 0) break;
        // The packet at the counter, checked against data_end (right, or for one byte too few) or not.
        const check = b.r.int(3);
        b.emit('r3 = r6', 'r3 += r1');
        if (check < 2) b.emit('r0 = r3', `r0 += ${check === 0 ? 1 : 0}`, `if r0 > r7 goto ${done}`);
        b.emit('r3 = *(u8 *)(r3 + 0)');
        b.init.add('r3');
        break;
      }
      case 3:
        b.emit(`*(u64 *)(r10 - ${b.r.pick([8, 16, 24, 32, 40])}) = r1`);
        break;
      default:
        b.emit(`r1 += ${b.r.pick([1, 1, 2, 8])}`);
        break;
    }
  }
  b.emit(`r1 += ${b.r.pick([1, 1, 1, 2])}`, `goto ${head}`, `${done}:`);
  if (bounded !== 0 && b.mapValue !== undefined && b.r.chance(0.4)) {
    const bound = b.r.int(3);
    if (bound === 0) b.emit(`r1 &= ${size - 1}`);
    else if (bound === 1) b.emit(`if r1 > ${b.r.pick([size - 1, size])} goto Lexit`);
    b.emit('r3 = r8', 'r3 += r1', 'r3 = *(u8 *)(r3 + 0)');
    b.init.add('r3');
  }
};

/**
 * A loop over a bpf_iter_num iterator in the stack slot at fp-72 or fp-80, from constant bounds (empty, reversed,
 * negative, or more than BPF_MAX_LOOPS values, which make it yield nothing) or, half the time, with one bound or both
 * known only at run time (a byte of the checked map value, or a number the program computed; masked, moved by the
 * constant bound, negated, or as it is), which the verifier proves by Linux's convergence at `next`. Each value `next` returns is
 * NULL-checked before it is read (as u32 or s32), or (rarely) after; it may index the map value in r8 (bounded
 * right, off by one, masked, or not), end the loop early, or be added up at fp-104; the iterations are counted at
 * fp-96. The loop ends in `destroy` (rarely left out: a leaked iterator). After it the count may index the map
 * value, with or without a bound (the verifier counts an iterator's values exactly, so with small bounds none is
 * needed).
 */
const iteratorLoop: Snippet = (b) => {
  if (b.iterators++ >= 2) return;
  const head = b.fresh();
  const done = b.fresh();
  const it = b.r.pick([72, 80]);
  const size = b.mapValue?.size ?? 16;
  const [start, end] = b.r.pick([[0, 0], [0, 1], [0, 3], [1, 4], [0, 8], [0, 16], [2, 17], [0, 64], [1, 65], [5, 3], [-2, 2], [-1, 0], [0, 1 << 24]]) as [number, number];
  // Half the time a bound (or both) is only known at run time (verified by Linux's convergence at `next`).
  const unknown = b.r.chance(0.5) ? b.r.pick(['end', 'end', 'start', 'both'] as const) : undefined;
  const counted = b.r.chance(0.5);
  if (counted) b.emit('r0 = 0', '*(u64 *)(r10 - 96) = r0');
  // The sum at fp-104 starts at 0, or (rarely) from bytes never written.
  if (b.r.chance(0.85)) b.emit('r0 = 0', '*(u64 *)(r10 - 104) = r0');
  const bound = (reg: 'r2' | 'r3', fixed: number): string[] => {
    // A byte of the checked map value (the executor's inputs vary it), masked to a small range or not, moved by
    // a constant or negated (a reversed or negative range); or a number the program computed.
    const src = b.mapValue?.checked === true ? `${reg} = *(u8 *)(r8 + ${b.r.int(Math.min(8, b.mapValue.size))})` : `${reg} = ${b.num()}`;
    const lines = [src];
    const shape = b.r.int(5);
    if (shape === 0) lines.push(`${reg} &= ${b.r.pick([3, 7, 15, 63])}`);
    else if (shape === 1) lines.push(`${reg} += ${fixed}`);
    else if (shape === 2) lines.push(`${reg} = -${reg}`);
    return lines;
  };
  b.emit('r1 = r10', `r1 += -${it}`);
  b.emit(...(unknown === 'start' || unknown === 'both' ? bound('r2', start) : [`w2 = ${start}`]));
  b.emit(...(unknown === 'end' || unknown === 'both' ? bound('r3', end) : [`w3 = ${end}`]));
  b.emit('kfunc bpf_iter_num_new');
  b.emit(`${head}:`, 'r1 = r10', `r1 += -${it}`, 'kfunc bpf_iter_num_next');
  b.clobber();
  // The value is read after the NULL check or (rarely) before it.
  const checked = b.r.chance(0.9);
  if (checked) b.emit(`if r0 == 0 goto ${done}`);
  b.emit(`r3 = *(${b.r.chance(0.75) ? 'u32' : 's32'} *)(r0 + 0)`);
  if (!checked) b.emit(`if r0 == 0 goto ${done}`);
  if (counted) b.emit('r4 = *(u64 *)(r10 - 96)', 'r4 += 1', '*(u64 *)(r10 - 96) = r4');
  // With a bound known only at run time the count is unbounded unless the loop caps it (mostly it does: a count
  // used as an index after the loop is precise, so an uncapped one never converges and is too complex).
  if (counted && unknown !== undefined && b.r.chance(0.8)) b.emit(`if r4 > ${b.r.pick([2, 7, size - 1, size])} goto ${done}`);
  switch (b.r.int(4)) {
    case 0:
    case 1: {
      if (b.mapValue === undefined) break;
      const bound = b.r.int(4);
      if (bound === 0) b.emit(`if r3 > ${size - 1} goto ${done}`);
      else if (bound === 1) b.emit(`if r3 > ${size} goto ${done}`);
      else if (bound === 2) b.emit(`r3 &= ${size - 1}`);
      b.emit('r2 = r8', 'r2 += r3', b.r.chance(0.5) ? 'r2 = *(u8 *)(r2 + 0)' : '*(u8 *)(r2 + 0) = 1');
      break;
    }
    case 2:
      b.emit(`if r3 == ${b.r.pick([0, 2, 7])} goto ${done}`);
      break;
    default:
      b.emit('r5 = *(u64 *)(r10 - 104)', 'r5 += r3', '*(u64 *)(r10 - 104) = r5');
      break;
  }
  b.emit(`goto ${head}`, `${done}:`);
  if (b.r.chance(0.97)) b.emit('r1 = r10', `r1 += -${it}`, 'kfunc bpf_iter_num_destroy');
  b.clobber();
  if (counted && b.mapValue !== undefined && b.r.chance(0.6)) {
    b.emit('r4 = *(u64 *)(r10 - 96)');
    const bound = b.r.int(3);
    if (bound === 0) b.emit(`if r4 > ${size - 1} goto Lexit`);
    else if (bound === 1) b.emit(`if r4 > ${size} goto Lexit`);
    b.emit('r2 = r8', 'r2 += r4', 'r2 = *(u8 *)(r2 + 0)');
  }
};

/**
 * A reference from an acquiring kfunc: `bpf_task_from_pid` (of pid 1 or a number the program computed), its result
 * NULL-checked (or, rarely, not), kept in the stack slot at fp-112 across a diamond, and released by
 * `bpf_task_release` on every path, or (rarely) on one path only, not at all, or twice.
 */
const taskReference: Snippet = (b) => {
  const skip = b.fresh();
  const join = b.fresh();
  b.emit(b.r.chance(0.7) ? 'r1 = 1' : `w1 = w${b.num().slice(1)}`, 'kfunc bpf_task_from_pid');
  b.clobber();
  if (b.r.chance(0.9)) b.emit(`if r0 == 0 goto ${skip}`);
  b.emit('*(u64 *)(r10 - 112) = r0', 'call 7', `if r0 > ${b.r.pick([5, 0x7fffffff])} goto ${join}`);
  const how = b.r.int(20);
  // On the diamond's one side: nothing, or (rarely) a release there too.
  if (how === 0) b.emit('r1 = *(u64 *)(r10 - 112)', 'kfunc bpf_task_release', `goto ${skip}`);
  else b.emit('r0 = 0');
  b.emit(`${join}:`);
  if (how !== 1) b.emit('r1 = *(u64 *)(r10 - 112)', 'kfunc bpf_task_release');
  if (how === 2) b.emit('r1 = *(u64 *)(r10 - 112)', 'kfunc bpf_task_release');
  b.emit(`${skip}:`);
  b.clobber();
};

const SNIPPETS: readonly [Snippet, number][] = [
  [diamond, 3],
  [arith, 4], [packetCheck, 1], [packetRead, 3], [packetWrite, 2], [lookup, 2], [mapAccess, 3], [indexed, 2],
  [spill, 3], [branch, 2], [loop, 1], [helperScalar, 1],
];

function pickSnippet(r: Random, snippets: readonly [Snippet, number][]): Snippet {
  const total = snippets.reduce((s, [, w]) => s + w, 0);
  let x = r.int(total);
  for (const [s, w] of snippets) {
    if (x < w) return s;
    x -= w;
  }
  return arith;
}

/**
 * A random program from `seed`.
 *
 * @example
 * ```ts
 * const p = generateProgram(42);
 * verifyLinked(testProgram(p.instructions), p.maps, { programType: p.programType, gpl: true });
 * ```
 */
export function generateProgram(seed: number, length = 12, options: GeneratorOptions = {}): GeneratedProgram {
  const r = new Random(seed);
  const b = new Builder(r);
  // Without options, the snippets (and so every seed's program) are as they always were.
  const snippets = [...SNIPPETS];
  if (options.callbacks === true) snippets.push([callback, 3]);
  if (options.mayGoto === true) snippets.push([mayGotoLoop, 3]);
  if (options.iterators === true) snippets.push([iteratorLoop, 3], [taskReference, 1]);
  b.emit('r9 = r1');
  const n = 3 + r.int(length);
  for (let i = 0; i < n; i++) pickSnippet(r, snippets)(b);
  b.emit(`r0 = ${r.pick([0, 1, 2])}`, 'exit');
  // The shared early exit, when something jumps to it (unreachable code would make the program malformed).
  if (b.lines.some((l) => l.endsWith('goto Lexit'))) b.emit('Lexit:', 'r0 = 0', 'exit');
  return programFromText(b.lines.join('\n'), seed, b.callbacks);
}

/**
 * A program from LLVM-syntax text in which `kfunc NAME` lines call the kernel function NAME, followed by `callbacks`
 * (see `withCallbacks`; they call no kfunc), with the generated programs' maps.
 *
 * @example
 * ```ts
 * const p = programFromText('r1 = r10\nr1 += -8\nw2 = 0\nw3 = 3\nkfunc bpf_iter_num_new\n...');
 * ```
 */
export function programFromText(main: string, seed = 0, callbacks: readonly string[] = []): GeneratedProgram {
  // Kfunc calls assemble as `call -1`, then become src-2 calls named by slot.
  const lines = main.split('\n');
  const kfuncNames = lines.filter((l) => l.startsWith('kfunc ')).map((l) => l.slice('kfunc '.length));
  const plain = lines.map((l) => (l.startsWith('kfunc ') ? 'call -1' : l)).join('\n');
  const assembled = callbacks.length > 0 ? withCallbacks(plain, ...callbacks) : plain;
  let k = 0;
  const text = kfuncNames.length === 0 ? assembled : assembled.replace(/^call -1$/gm, () => `kfunc ${kfuncNames[k++] ?? '?'}`);
  let instructions = assemble(assembled);
  const kfuncs = instructions.filter((i) => i.opcode === 0x85 && i.imm === -1).map((i, n) => ({ slot: i.slot, name: kfuncNames[n] ?? '?' }));
  if (kfuncs.length > 0) instructions = instructions.map((i) => (i.opcode === 0x85 && i.imm === -1 ? { ...i, src: 2 } : i));
  return { seed, text, instructions, maps: GENERATED_MAPS, programType: 'xdp', kfuncs };
}
