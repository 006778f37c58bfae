/**
 * The concrete semantics of arithmetic and comparisons (RFC 9669), on unsigned 64-bit bigints: what one instruction
 * computes from known inputs. The abstract domain folds constants with it, and the tests check every abstract
 * operation against it (a value inside the inputs' abstractions must give a result inside the output's).
 *
 * Author: Claude.
 *
 * @module
 */

import { AluOp, JumpOp } from '../asm/index.ts';

const U64 = (1n << 64n) - 1n;
const U32 = 0xffffffffn;

/**
 * `dst op src` for an ALU instruction: `op` is the operation bits of the opcode (`AluOp`), `is64` the class,
 * `offset` the instruction's offset (1 selects signed division and modulo; 8, 16, 32 the sign extension of
 * `movsx`). Shift amounts are masked as the ISA says; division by zero gives 0 and modulo by zero leaves `dst`
 * (its low 32 bits for 32-bit operations). For `END`, `src` is the width in bits and `offset` is 1 for a byte
 * swap (to big-endian or `bswap`), 0 for to-little-endian. Inputs and the result are unsigned 64-bit.
 */
export function evalAlu(op: number, is64: boolean, offset: number, dst: bigint, src: bigint): bigint {
  const bits = is64 ? 64 : 32;
  const mask = is64 ? U64 : U32;
  const a = dst & mask;
  const b = src & mask;
  const signed = (x: bigint): bigint => BigInt.asIntN(bits, x);
  const wrap = (x: bigint): bigint => BigInt.asUintN(bits, x);
  switch (op) {
    case AluOp.ADD: return wrap(a + b);
    case AluOp.SUB: return wrap(a - b);
    case AluOp.MUL: return wrap(a * b);
    case AluOp.DIV:
      if (b === 0n) return 0n;
      if (offset === 1) return wrap(truncDiv(signed(a), signed(b)));
      return a / b;
    case AluOp.MOD:
      if (b === 0n) return a;
      if (offset === 1) return wrap(truncMod(signed(a), signed(b)));
      return a % b;
    case AluOp.OR: return a | b;
    case AluOp.AND: return a & b;
    case AluOp.XOR: return a ^ b;
    case AluOp.LSH: return wrap(a << (b & BigInt(bits - 1)));
    case AluOp.RSH: return a >> (b & BigInt(bits - 1));
    case AluOp.ARSH: return wrap(signed(a) >> (b & BigInt(bits - 1)));
    case AluOp.NEG: return wrap(-a);
    case AluOp.MOV:
      if (offset === 8 || offset === 16 || offset === 32) return wrap(BigInt.asIntN(offset, src));
      return b;
    case AluOp.END: {
      const width = Number(src);
      const low = dst & ((1n << BigInt(width)) - 1n);
      return offset === 1 ? byteSwap(low, width) : low;
    }
    default:
      throw new RangeError(`Unknown ALU operation 0x${op.toString(16)}`);
  }
}

/** Signed division rounding toward zero, as C and the ISA define it; the minimum divided by -1 wraps. */
function truncDiv(a: bigint, b: bigint): bigint {
  return a / b; // bigint division truncates toward zero
}

/** The remainder that goes with {@link truncDiv}: its sign is the dividend's. */
function truncMod(a: bigint, b: bigint): bigint {
  return a % b;
}

/** Reverses the order of the low `width` bits' bytes. */
export function byteSwap(x: bigint, width: number): bigint {
  let r = 0n;
  for (let i = 0; i < width / 8; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/**
 * Whether a conditional jump is taken: `op` is the operation bits (`JumpOp`), `is32` for class JMP32 (which
 * compares the low 32 bits). Inputs are unsigned 64-bit.
 */
export function evalCondition(op: number, is32: boolean, dst: bigint, src: bigint): boolean {
  const bits = is32 ? 32 : 64;
  const a = BigInt.asUintN(bits, dst);
  const b = BigInt.asUintN(bits, src);
  const sa = BigInt.asIntN(bits, a);
  const sb = BigInt.asIntN(bits, b);
  switch (op) {
    case JumpOp.JEQ: return a === b;
    case JumpOp.JNE: return a !== b;
    case JumpOp.JGT: return a > b;
    case JumpOp.JGE: return a >= b;
    case JumpOp.JLT: return a < b;
    case JumpOp.JLE: return a <= b;
    case JumpOp.JSGT: return sa > sb;
    case JumpOp.JSGE: return sa >= sb;
    case JumpOp.JSLT: return sa < sb;
    case JumpOp.JSLE: return sa <= sb;
    case JumpOp.JSET: return (a & b) !== 0n;
    default:
      throw new RangeError(`Unknown jump operation 0x${op.toString(16)}`);
  }
}
