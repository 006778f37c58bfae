/**
 * Conditional jumps: which outcomes are possible, and what each teaches. A comparison of numbers narrows both
 * operands (and every copy of them); a comparison of a pointer that may be NULL with 0 makes it NULL on one side
 * and valid on the other (with every copy); a comparison of a packet pointer with `data_end` proves how many bytes
 * of the packet may be read (for every pointer derived from the same base).
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AluOp,
  InstructionClass,
  JumpOp,
  type Instruction,
} from '../asm/index.ts';
import type { Env } from './env.ts';
import {
  type Reg,
  RegType,
  constReg,
  describeType,
  isNullScalar,
  isPointer,
  withReg,
} from './reg.ts';
import {
  type Scalar,
  isConst,
  scalarConst,
} from './scalar.ts';
import { scalarAlu } from './scalar-alu.ts';
import {
  JSET_NOT,
  negateCondition,
  scalarBranchTaken,
  scalarRefine,
  swapCondition,
} from './scalar-branch.ts';
import {
  type VerifierState,
  cloneState,
  forEachReg,
} from './state.ts';


/** The states after a conditional jump: the fall-through one and the jump-taken one, each absent when impossible. */
export interface BranchStates {
  readonly fall: VerifierState | undefined;
  readonly jump: VerifierState | undefined;
}

/**
 * Sets register `i` of the current frame of `s` and, if it is a tracked scalar, every copy of it; a copy `k` above
 * it (see `alu.ts`, `off` the difference) gets the value plus `k` (Linux's `sync_linked_regs`).
 */
function setScalar(s: VerifierState, i: number, old: Reg, value: Scalar): void {
  const frame = s.frames[s.frames.length - 1];
  if (frame === undefined) return;
  if (old.id !== 0) {
    const id = old.id;
    forEachReg(s, (r) => {
      if (r.type !== RegType.SCALAR || r.id !== id) return undefined;
      if (r.off === old.off) return withReg(r, { value });
      return withReg(r, { value: scalarAlu(AluOp.ADD, true, false, value, scalarConst(BigInt(r.off - old.off))) });
    });
  } else {
    frame.regs[i] = withReg(old, { value });
  }
}

/** The registers and stack slots holding copies (same id) of the compared numbers, encoded for the history. */
function linkedCopies(s: VerifierState, a: Reg, b: Reg | undefined): number[] | undefined {
  const ids = [a.id, b?.id ?? 0].filter((id) => id !== 0);
  if (ids.length === 0) return undefined;
  const out: number[] = [];
  s.frames.forEach((f, fi) => {
    f.regs.forEach((r, i) => {
      if (r.type === RegType.SCALAR && ids.includes(r.id)) out.push(fi * 16 + i);
    });
    f.stack.forEach((slot, k) => {
      if (slot.spill !== undefined && slot.spill.type === RegType.SCALAR && ids.includes(slot.spill.id)) out.push(1024 + fi * 64 + k);
    });
  });
  return out.length > 1 ? out : undefined;
}

/**
 * Marks every copy of a maybe-NULL pointer (by id) as NULL or as valid. A NULL acquired object (its reference id is
 * its id) is no longer held; a NULL cast of one (`bpf_tcp_sock(sk)`: the reference is `sk`'s) releases nothing,
 * as in Linux (`mark_ptr_or_null_regs` releases only when `ref_obj_id == id`).
 */
function markNull(s: VerifierState, id: number, isNull: boolean): void {
  let released = 0;
  forEachReg(s, (r) => {
    if (r.id !== id || !r.maybeNull) return undefined;
    if (isNull) {
      if (r.refId !== 0 && r.refId === r.id) released = r.refId;
      return { ...constReg(0n), origin: r.origin };
    }
    return withReg(r, { maybeNull: false });
  });
  if (released !== 0) s.refs = s.refs.filter((ref) => ref.id !== released);
}

/** Gives every packet pointer with P's base (type and id) the range `range` if larger. */
function markRange(s: VerifierState, p: Reg, range: number): void {
  forEachReg(s, (r) => (r.type === p.type && r.id === p.id && r.range < range ? withReg(r, { range }) : undefined));
}

/** Packet offsets beyond this are never proven (the kernel's MAX_PACKET_OFF): a larger one could wrap around. */
const MAX_PACKET_OFF = 0xffff;

/** What `p op end` (p a packet pointer, end its end) teaches: the proven range, or undefined. */
function rangeFrom(p: Reg, op: number): number | undefined {
  if (p.off < 0 || p.off > MAX_PACKET_OFF || p.value.umax + BigInt(p.off) > BigInt(MAX_PACKET_OFF)) return undefined;
  if (op === JumpOp.JLE) return p.off;
  if (op === JumpOp.JLT) return p.off + 1;
  return undefined;
}

/** Whether `p op end` is decided by the range already proven. */
function packetDecided(p: Reg, op: number): boolean | undefined {
  if (p.off < 0 || p.off > MAX_PACKET_OFF || p.value.umax + BigInt(p.off) > BigInt(MAX_PACKET_OFF)) return undefined;
  // base + range <= end and p = base + off: off <= range gives p <= end, off < range gives p < end.
  const le = p.off <= p.range;
  const lt = p.off < p.range;
  switch (op) {
    case JumpOp.JLE: return le ? true : undefined;
    case JumpOp.JGT: return le ? false : undefined;
    case JumpOp.JLT: return lt ? true : undefined;
    case JumpOp.JGE: return lt ? false : undefined;
    default: return undefined;
  }
}

/** Whether `r` is a packet pointer at the start of its region (data + 0), for meta-vs-data comparisons. */
function isInitPacket(r: Reg): boolean {
  return r.type === RegType.PACKET && r.off === 0 && isConst(r.value) && r.value.varOff.value === 0n;
}

/**
 * Checks a conditional jump and splits the current state (which becomes the fall-through state) into the states
 * of its two outcomes.
 */
export function checkCondJump(env: Env, ins: Instruction): BranchStates {
  const is32 = (ins.opcode & 0x07) === InstructionClass.JMP32;
  const op = ins.opcode & 0xf0;
  const x = (ins.opcode & 0x08) !== 0;
  const dst = env.readReg(ins.dst);
  const src = x ? env.readReg(ins.src) : constReg(is32 ? BigInt(ins.imm >>> 0) : BigInt(ins.imm));
  const cur = env.cur;

  const decided = (taken: boolean | undefined): BranchStates | undefined => {
    if (taken === true) return { fall: undefined, jump: cur };
    if (taken === false) return { fall: cur, jump: undefined };
    return undefined;
  };

  // Numbers.
  if (dst.type === RegType.SCALAR && src.type === RegType.SCALAR) {
    const d = decided(scalarBranchTaken(op, dst.value, src.value, is32));
    if (d !== undefined) {
      // Only one outcome was explored, on the strength of the operands' ranges.
      env.markPrecise(x ? [ins.dst, ins.src] : [ins.dst]);
      return d;
    }
    const onJump = scalarRefine(op, dst.value, src.value, is32);
    const onFall = scalarRefine(negateCondition(op), dst.value, src.value, is32);
    // An outcome no values allow (`r & 255` false with r in [8, 255], which the tnums alone do not decide) is not
    // explored either: the branch is decided by the operands' ranges as much as above, so they are precise too, or
    // a state where they allow that outcome would be pruned against this one.
    if ((onJump === undefined) !== (onFall === undefined)) env.markPrecise(x ? [ins.dst, ins.src] : [ins.dst]);
    env.lastLink = linkedCopies(cur, dst, x ? src : undefined);
    const jump = cloneState(cur);
    const apply = (s: VerifierState, r: ReturnType<typeof scalarRefine>): boolean => {
      if (r === undefined) return false;
      setScalar(s, ins.dst, dst, r[0]);
      if (x && ins.src !== ins.dst) setScalar(s, ins.src, src, r[1]);
      return true;
    };
    const okJump = apply(jump, onJump);
    const okFall = apply(cur, onFall);
    return { fall: okFall ? cur : undefined, jump: okJump ? jump : undefined };
  }

  // A maybe-NULL pointer compared with the immediate 0 (64-bit `==` or `!=`): NULL on one side, valid on the other,
  // for every copy. Linux learns nothing from other spellings (a register holding 0, a 32-bit comparison).
  if (!is32 && !x && ins.imm === 0 && (op === JumpOp.JEQ || op === JumpOp.JNE) && isPointer(dst) && dst.maybeNull) {
    const jump = cloneState(cur);
    markNull(jump, dst.id, op === JumpOp.JEQ);
    markNull(cur, dst.id, op !== JumpOp.JEQ);
    return { fall: cur, jump };
  }

  // A pointer Linux knows is not NULL compared with 0 (an immediate or a register known to hold 0): `!=` always,
  // `==` never (the kernel's is_branch_taken with reg_not_null). Any other comparison with 0 is explored both ways,
  // as Linux explores it, even where the pointer cannot be 0 (a stack, context or packet pointer): a branch decided
  // here but not in Linux would hide instructions Linux checks.
  const ptr = isPointer(dst) ? ins.dst : ins.src;
  const pr = isPointer(dst) ? dst : src;
  if (!is32 && !pr.maybeNull && (isNullScalar(dst) || isNullScalar(src)) && op !== JumpOp.JSET) {
    if ((op === JumpOp.JEQ || op === JumpOp.JNE) && knownNotNull(pr)) {
      // A decision resting on a register known to hold 0: that 0 must stay precise.
      if (x) env.markPrecise([isPointer(dst) ? ins.src : ins.dst]);
      return decided(op === JumpOp.JNE) as BranchStates;
    }
    return { fall: cur, jump: cloneState(cur) };
  }

  if (dst.type !== RegType.SCALAR && src.type !== RegType.SCALAR && !is32 && op !== JumpOp.JSET) {
    // A packet pointer compared with the end of its region.
    let p = dst;
    let e = src;
    let cond = op;
    const endOf = (a: Reg, b: Reg): boolean =>
      (a.type === RegType.PACKET && b.type === RegType.PACKET_END) || (a.type === RegType.PACKET_META && isInitPacket(b));
    if (!endOf(p, e) && endOf(e, p)) {
      [p, e] = [e, p];
      cond = swapCondition(op);
    }
    if (endOf(p, e) && (cond === JumpOp.JGT || cond === JumpOp.JGE || cond === JumpOp.JLT || cond === JumpOp.JLE)) {
      const d = decided(packetDecided(p, cond));
      if (d !== undefined) return d;
      const jump = cloneState(cur);
      const rj = rangeFrom(p, cond);
      if (rj !== undefined) markRange(jump, p, rj);
      const rf = rangeFrom(p, negateCondition(cond));
      if (rf !== undefined) markRange(cur, p, rf);
      return { fall: cur, jump };
    }
    // Two pointers, one maybe NULL and the other not, equal: the first is not NULL either (Linux's "jeq infer not
    // null", for that register only). Kernel object pointers are left out, as in Linux (they may be NULL unmarked).
    if ((op === JumpOp.JEQ || op === JumpOp.JNE) && dst.maybeNull !== src.maybeNull && dst.type !== RegType.BTF_ID && src.type !== RegType.BTF_ID &&
      (env.allowPointerLeaks || sameKind(dst, src))) {
      const jump = cloneState(cur);
      const eq = op === JumpOp.JEQ ? jump : cur;
      const n = dst.maybeNull ? ins.dst : ins.src;
      const frame = eq.frames[eq.frames.length - 1];
      if (frame !== undefined) frame.regs[n] = withReg(frame.regs[n] as Reg, { maybeNull: false });
      return { fall: cur, jump };
    }
    // Other comparisons of two pointers into one kind of region: allowed, nothing learnt.
    if (sameKind(dst, src) && !dst.maybeNull && !src.maybeNull) {
      return { fall: cur, jump: cloneState(cur) };
    }
  }

  // Anything else involving a pointer: a privileged Linux program may compare it (nothing is learnt); under the
  // strict rule set the outcome would reveal an address.
  if (env.allowPointerLeaks) return { fall: cur, jump: cloneState(cur) };
  if (pr.maybeNull) {
    env.fail('null-dereference', `r${ptr} may be NULL${env.originText(pr)}: only a 64-bit comparison with the constant 0 (\`if r${ptr} == 0\`) checks it, and it must come before any other comparison`, [ptr]);
  }
  return env.fail('pointer-leak', `comparing r${ins.dst} (${describeType(dst)}) with ${x ? `r${ins.src} (${describeType(src)})` : `the constant ${ins.imm}`} would reveal an address; pointers may be compared only with 0 or with pointers into the same region`, x ? [ins.dst, ins.src] : [ins.dst]);
}

/**
 * Pointers Linux's `reg_not_null` knows are not NULL (once checked): sockets, map values and keys, memory, maps,
 * kernel objects. It leaves out stack, context and packet pointers, though none of them can be 0.
 */
function knownNotNull(r: Reg): boolean {
  switch (r.type) {
    case RegType.SOCKET:
    case RegType.TCP_SOCK:
    case RegType.SOCK_COMMON:
    case RegType.MAP_VALUE:
    case RegType.MAP_KEY:
    case RegType.MEM:
    case RegType.CONST_MAP:
      return !r.maybeNull;
    default:
      return false;
  }
}

/** Whether two pointers point into one kind of region (the packet's pointers count as one kind). */
function sameKind(a: Reg, b: Reg): boolean {
  const kind = (r: Reg): number => (r.type === RegType.PACKET_END || r.type === RegType.PACKET_META ? RegType.PACKET : r.type);
  return kind(a) === kind(b);
}

export { JSET_NOT };
