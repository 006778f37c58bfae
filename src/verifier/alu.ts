/**
 * Arithmetic instructions: numbers through the scalar domain, pointers through the few operations that keep them
 * pointers (adding or subtracting a number, 64-bit), and the rule that no operation turns an address into a number
 * the program could store or return (a pointer leak), except the difference of two pointers into one region.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  AluOp,
  Endianness,
  InstructionClass,
  type Instruction,
} from '../asm/index.ts';
import type { Env } from './env.ts';
import {
  MAX_VAR_OFF,
} from './memory.ts';
import {
  type Reg,
  RegType,
  constReg,
  describeType,
  makeReg,
  scalarReg,
  taintedReg,
  withReg,
} from './reg.ts';
import {
  type Scalar,
  S32_MAX,
  S64_MIN,
  SCALAR_UNKNOWN,
  U32_MAX,
  formatScalar,
  isConst,
  scalarConst,
} from './scalar.ts';
import {
  scalarAlu,
  scalarByteSwap,
  scalarNeg,
  scalarSignExtend,
  scalarTruncate,
  scalarZext32,
} from './scalar-alu.ts';


const OP_NAMES: Record<number, string> = {
  [AluOp.ADD]: 'addition', [AluOp.SUB]: 'subtraction', [AluOp.MUL]: 'multiplication', [AluOp.DIV]: 'division',
  [AluOp.OR]: 'bitwise or', [AluOp.AND]: 'bitwise and', [AluOp.LSH]: 'left shift', [AluOp.RSH]: 'right shift',
  [AluOp.NEG]: 'negation', [AluOp.MOD]: 'modulo', [AluOp.XOR]: 'bitwise xor', [AluOp.ARSH]: 'arithmetic shift',
  [AluOp.END]: 'byte swap',
};

/** Checks an ALU or ALU64 instruction and updates the destination register. */
export function checkAlu(env: Env, ins: Instruction): void {
  const is64 = (ins.opcode & 0x07) === InstructionClass.ALU64;
  const op = ins.opcode & 0xf0;
  const x = (ins.opcode & 0x08) !== 0;
  const origin = { slot: env.slot, what: 'computed' };

  if (op === AluOp.END) {
    const r = env.readReg(ins.dst);
    if (r.type !== RegType.SCALAR) return taint(env, ins.dst, r, 'a byte swap');
    const width = ins.imm as 16 | 32 | 64;
    const swap = !is64 ? (ins.opcode & 0x08) === Endianness.TO_BE : true;
    env.setReg(ins.dst, withTaint(scalarReg(swap ? scalarByteSwap(r.value, width) : scalarTruncate(r.value, width / 8), origin), r.tainted));
    return;
  }
  if (op === AluOp.NEG) {
    const r = env.readReg(ins.dst);
    if (r.type !== RegType.SCALAR) return taint(env, ins.dst, r, 'a negation');
    env.setReg(ins.dst, withTaint(scalarReg(scalarNeg(r.value, is64), origin), r.tainted));
    return;
  }
  if (op === AluOp.MOV) {
    if (!x) {
      const v = is64 ? BigInt(ins.imm) : BigInt(ins.imm >>> 0);
      env.setReg(ins.dst, constReg(v, { slot: env.slot, what: 'set' }));
      return;
    }
    const src = env.readReg(ins.src);
    if (ins.offset !== 0) {
      if (src.type !== RegType.SCALAR) return taint(env, ins.dst, src, 'a sign extension', ins.src);
      env.setReg(ins.dst, withTaint(scalarReg(scalarSignExtend(src.value, ins.offset as 8 | 16 | 32, !is64), origin), src.tainted));
      return;
    }
    if (src.type !== RegType.SCALAR) {
      if (!is64) {
        taint(env, ins.dst, src, 'a 32-bit move', ins.src);
        if (src.type !== RegType.CONST_MAP && src.type !== RegType.FUNC && !src.maybeNull) env.setReg(ins.dst, withReg(env.reg(ins.dst), { lowOf: src }));
        return;
      }
      env.setReg(ins.dst, src);
      return;
    }
    if (!is64 && src.lowOf !== undefined) {
      env.setReg(ins.dst, src);
      return;
    }
    if (is64 || src.value.umax <= U32_MAX) {
      // A copy: tie the two registers so that what a branch learns about one holds for the other.
      let s = src;
      // A copy of a copy k above others starts a new family: only one difference is tracked (Linux's
      // assign_scalar_id_before_mov).
      if (s.off !== 0) s = withReg(s, { id: 0, off: 0 });
      if (!isConst(s.value) && s.id === 0) s = withReg(s, { id: env.newId() });
      if (s !== src) env.frame().regs[ins.src] = s;
      env.setReg(ins.dst, s);
      return;
    }
    env.setReg(ins.dst, withTaint(scalarReg(scalarZext32(src.value), src.origin), src.tainted));
    return;
  }

  // Binary operations. Immediate divisors of 0 and shift amounts past the width are malformed (as in Linux).
  if (!x && (op === AluOp.DIV || op === AluOp.MOD) && ins.imm === 0) env.fail('malformed', `${OP_NAMES[op]} by the constant 0`, []);
  if (!x && (op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (ins.imm < 0 || ins.imm >= (is64 ? 64 : 32))) {
    env.fail('malformed', `shift by ${ins.imm}, outside 0-${is64 ? 63 : 31}`, []);
  }
  const dst = env.readReg(ins.dst);
  const src = x ? env.readReg(ins.src) : constReg(BigInt(ins.imm));
  const srcNo = x ? ins.src : -1;
  const signedDiv = (op === AluOp.DIV || op === AluOp.MOD) && ins.offset === 1;
  const name = OP_NAMES[op] ?? 'operation';
  // The low halves of two pointers into one region, subtracted: the low half of their difference.
  if (!is64 && op === AluOp.SUB && dst.lowOf !== undefined && (src.lowOf !== undefined || (src.type !== RegType.SCALAR && !src.maybeNull))) {
    const q = src.lowOf ?? src;
    if (sameRegion(dst.lowOf, q)) {
      lowHalfDifference(env, ins.dst, dst.lowOf, q);
      return;
    }
  }
  if (dst.type === RegType.SCALAR && src.type === RegType.SCALAR) {
    const value = scalarAlu(op, is64, signedDiv, dst.value, src.value);
    // `rX += k` on a copy (k a constant in [0, 2^31)): rX stays linked to the copies, k above them, so that what a
    // branch learns about one holds for the others (Linux 6.11+'s BPF_ADD_CONST). Only once: a second addition
    // unlinks it, as in Linux.
    if (op === AluOp.ADD && is64 && dst.id !== 0 && dst.off === 0 && isConst(src.value) && src.value.varOff.value <= BigInt(S32_MAX) &&
      !dst.tainted && !src.tainted && dst.lowOf === undefined) {
      env.setReg(ins.dst, makeReg({ type: RegType.SCALAR, value, id: dst.id, off: Number(src.value.varOff.value), origin }));
      return;
    }
    env.setReg(ins.dst, withTaint(scalarReg(value, origin), dst.tainted || src.tainted));
    return;
  }
  if (dst.type !== RegType.SCALAR && src.type !== RegType.SCALAR) {
    // Two pointers: only their difference is allowed (as in Linux).
    if (op !== AluOp.SUB) env.fail('invalid-pointer-arithmetic', `${name} of two pointers (r${ins.dst}, ${describeType(dst)}, and r${ins.src}, ${describeType(src)}) is not allowed`, [ins.dst, ins.src]);
    pointerMinusPointer(env, ins, op, is64, dst, src);
    return;
  }
  // One pointer, one number: a 64-bit addition or subtraction keeps a pointer; a 32-bit subtraction gives a
  // (meaningless, tainted) number, as Linux allows a privileged program; anything else is an error, as in Linux.
  const ptrIsDst = dst.type !== RegType.SCALAR;
  const ptr = ptrIsDst ? dst : src;
  const ptrNo = ptrIsDst ? ins.dst : srcNo;
  const num = ptrIsDst ? src : dst;
  if (!is64) {
    if (op === AluOp.SUB) return taint(env, ins.dst, ptr, 'a 32-bit subtraction', ptrNo);
    env.fail('invalid-pointer-arithmetic', `32-bit ${name} on r${ptrNo}, ${describeType(ptr)}${env.originText(ptr)}: pointer arithmetic must be 64-bit`, [ptrNo]);
  }
  if (op === AluOp.SUB && !ptrIsDst) {
    env.fail('invalid-pointer-arithmetic', `r${ins.dst} -= r${srcNo} subtracts a pointer (${describeType(ptr)}${env.originText(ptr)}) from a number`, [ins.dst, srcNo]);
  }
  // Linux refuses any subtraction from a stack pointer, even of a constant ("subtraction from stack pointer
  // prohibited": JITs were not trusted with it); `r2 += -8` is the accepted spelling. Being laxer here would accept
  // programs the kernel refuses to load.
  if (op === AluOp.SUB && ptr.type === RegType.STACK) {
    env.fail('invalid-pointer-arithmetic', `subtracting from r${ptrNo}, a stack pointer${env.originText(ptr)}, is not allowed (as in Linux): add a negative number instead`, [ptrNo]);
  }
  if (op !== AluOp.ADD && op !== AluOp.SUB) {
    const bitwise = op === AluOp.AND || op === AluOp.OR || op === AluOp.XOR;
    env.fail('invalid-pointer-arithmetic', `${bitwise ? 'bitwise operation' : name} on r${ptrNo}, ${describeType(ptr)}${env.originText(ptr)}: only a number may be added to or subtracted from a pointer`, [ptrNo]);
  }
  // The pointer's new offset depends on the number's exact range.
  const numNo = ptrIsDst ? srcNo : ins.dst;
  if (numNo >= 0) env.markPrecise([numNo]);
  env.setReg(ins.dst, pointerPlus(env, ptrNo, ptr, num, numNo, op === AluOp.SUB));
}

function withTaint(r: Reg, tainted: boolean): Reg {
  return tainted ? withReg(r, { tainted: true }) : r;
}

/**
 * An operation that turns a pointer into a number (as Linux lets a privileged program do): the result is an
 * unknown number. Under the strict rule set it is marked as derived from an address, so that it can never leave
 * the program; under the linux rule set it is a number like any other, as in Linux.
 */
function taint(env: Env, dst: number, ptr: Reg, what: string, ptrNo = dst): void {
  const origin = { slot: env.slot, what: `${what} of r${ptrNo}, ${describeType(ptr)}${ptr.origin !== undefined ? ` (${ptr.origin.what} at ${env.where(ptr.origin.slot)})` : ''}` };
  env.setReg(dst, env.allowPointerLeaks ? scalarReg(SCALAR_UNKNOWN, origin) : taintedReg(SCALAR_UNKNOWN, origin));
}

/** Pointer types that may not move. */
function fixedPointer(t: number): boolean {
  return t === RegType.CONST_MAP || t === RegType.PACKET_END || t === RegType.SOCKET || t === RegType.SOCK_COMMON ||
    t === RegType.TCP_SOCK || t === RegType.XDP_SOCK || t === RegType.FUNC;
}

/** `ptr ± num` (the kernel's `adjust_ptr_min_max_vals`). */
function pointerPlus(env: Env, ptrNo: number, ptr: Reg, num: Reg, numNo: number, sub: boolean): Reg {
  const verb = sub ? 'subtracting from' : 'adding to';
  if (ptr.maybeNull) {
    env.fail('null-dereference', `pointer arithmetic on r${ptrNo}, which may be NULL${env.originText(ptr)}: compare it with 0 first`, [ptrNo]);
  }
  const v = num.value;
  // Linux lets a map pointer take `+= 0` (a known 0, added), and the flow keys move only by constants.
  if (ptr.type === RegType.CONST_MAP && !sub && isConst(v) && v.varOff.value === 0n) return ptr;
  if (fixedPointer(ptr.type)) {
    env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo}, ${describeType(ptr)}, is not allowed: it must be used as it is`, [ptrNo]);
  }
  if (ptr.type === RegType.FLOW_KEYS && !isConst(v)) {
    env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo}, the flow keys pointer, ${numNo >= 0 ? `r${numNo}` : 'the constant'} (${formatScalar(v)}): the flow keys move only by constants`, [ptrNo, numNo].filter((r) => r >= 0));
  }
  const numName = numNo >= 0 ? `r${numNo}` : 'the constant';
  if (num.tainted) {
    env.fail('pointer-leak', `${verb} r${ptrNo} (${describeType(ptr)}) ${numName}, a number derived from an address${env.originText(num)}`, [ptrNo, numNo].filter((r) => r >= 0));
  }
  if (isConst(v)) {
    const k = BigInt.asIntN(64, v.varOff.value);
    if (k >= BigInt(MAX_VAR_OFF) || k <= -BigInt(MAX_VAR_OFF)) {
      env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo} (${describeType(ptr)}) the value ${k} would move it far out of any region`, [ptrNo]);
    }
    const off = sub ? ptr.off - Number(k) : ptr.off + Number(k);
    if (off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF) env.fail('invalid-pointer-arithmetic', `r${ptrNo} would be ${off} bytes from its region`, [ptrNo]);
    return withReg(ptr, { off });
  }
  if (v.smin === S64_MIN) {
    env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo} (${describeType(ptr)}) ${numName}, whose minimum is unbounded (${formatScalar(v)}): bound it first`, [ptrNo, numNo].filter((r) => r >= 0));
  }
  if (v.smin >= BigInt(MAX_VAR_OFF) || v.smin <= -BigInt(MAX_VAR_OFF)) {
    env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo} (${describeType(ptr)}) ${numName} (${formatScalar(v)}) would move it out of any region`, [ptrNo, numNo].filter((r) => r >= 0));
  }
  const value: Scalar = scalarAlu(sub ? AluOp.SUB : AluOp.ADD, true, false, ptr.value, v);
  if (value.smin <= -BigInt(MAX_VAR_OFF) || value.smin >= BigInt(MAX_VAR_OFF)) {
    env.fail('invalid-pointer-arithmetic', `${verb} r${ptrNo} (${describeType(ptr)}) ${numName} (${formatScalar(v)}) makes its offset unbounded`, [ptrNo, numNo].filter((r) => r >= 0));
  }
  if (ptr.type === RegType.PACKET || ptr.type === RegType.PACKET_META) {
    // A new variable part: what was proven about the old pointer's range no longer applies.
    return withReg(ptr, { value, id: env.newId(), range: 0 });
  }
  return withReg(ptr, { value });
}

/** `w = low32(p) - low32(q)` for p and q in one region: the low 32 bits of p - q. */
function lowHalfDifference(env: Env, dst: number, p: Reg, q: Reg): void {
  const origin = { slot: env.slot, what: 'the difference of two pointers' };
  const exact = isConst(p.value) && isConst(q.value) && (p.type === RegType.STACK || (p.type === q.type && p.id === q.id && p.type !== RegType.PACKET_END));
  if (exact) {
    const d = BigInt(p.off - q.off) + BigInt.asIntN(64, p.value.varOff.value) - BigInt.asIntN(64, q.value.varOff.value);
    env.setReg(dst, scalarReg(scalarConst(BigInt.asUintN(32, d)), origin));
    return;
  }
  env.setReg(dst, scalarReg(scalarZext32(SCALAR_UNKNOWN), origin));
}

/** Regions whose pointers may be subtracted from each other. */
function sameRegion(a: Reg, b: Reg): boolean {
  const pkt = (t: number): boolean => t === RegType.PACKET || t === RegType.PACKET_END || t === RegType.PACKET_META;
  if (pkt(a.type) && pkt(b.type)) return true;
  if (a.type !== b.type) return false;
  if (a.type === RegType.STACK) return a.frame === b.frame;
  if (a.type === RegType.MAP_VALUE) return a.map === b.map && a.id === b.id;
  return false;
}

/** `ptr - ptr` into one region gives a number (an offset, not an address); anything else with two pointers taints. */
function pointerMinusPointer(env: Env, ins: Instruction, op: number, is64: boolean, dst: Reg, src: Reg): void {
  if (!sameRegion(dst, src) || dst.maybeNull || src.maybeNull) {
    // Linux lets a privileged program subtract any two pointers: a meaningless number, which must not escape.
    taint(env, ins.dst, dst, 'a subtraction of two pointers into different regions,');
    return;
  }
  const origin = { slot: env.slot, what: 'the difference of two pointers' };
  if (!is64) {
    env.setReg(ins.dst, scalarReg(scalarZext32(SCALAR_UNKNOWN), origin));
    return;
  }
  const exact = isConst(dst.value) && isConst(src.value) &&
    (dst.type === RegType.STACK || (dst.type === src.type && dst.id === src.id && dst.type !== RegType.PACKET_END));
  if (exact) {
    const d = BigInt(dst.off - src.off) + BigInt.asIntN(64, dst.value.varOff.value) - BigInt.asIntN(64, src.value.varOff.value);
    env.setReg(ins.dst, scalarReg(scalarConst(d), origin));
    return;
  }
  env.setReg(ins.dst, scalarReg(SCALAR_UNKNOWN, origin));
}
