/**
 * One eBPF instruction as one C statement, with the semantics of RFC 9669 and no undefined behaviour in C.
 *
 * Registers are `uint64_t` locals `r0`..`r10`; every ALU result is computed in unsigned arithmetic (which wraps as
 * the ISA's does) and 32-bit results are truncated to `uint32_t` (zero extension). Signed comparisons, signed
 * division and arithmetic shifts go through casts to signed types, which GCC and Clang define as two's complement.
 * Shift counts are masked to the operand width, division by zero and INT_MIN / -1 are handled before C sees them
 * (`bs_sdiv64` and friends in bpfship_native.h), and memory goes through may_alias byte-aligned types.
 *
 * Author: Claude.
 *
 * @module
 */
import { AluOp, AtomicOp, InstructionClass, JumpOp, LoadImm64Source, Mode, Opcode, Size, Source, type Instruction, callTarget, jumpTarget, writesFramePointer } from '../asm/index.ts';
import { address, s32, s64, u32, u64, u64FromImm } from './c-syntax.ts';
import type { PacketFieldLoad } from './context-access.ts';
import { Bpf2cError } from './errors.ts';

/** Linux's helper id of bpf_tail_call. */
export const TAIL_CALL_HELPER = 12;

/** What translating one instruction needs to know about the rest of the image. */
export interface InstructionContext {
  /** The label of the instruction at program slot `slot` (a jump target inside the function). */
  label(slot: number): string;
  /** The helper table index of helper `id`. */
  helperIndex(id: number): number;
  /** The C function entered at program slot `slot`. */
  callee(slot: number): { readonly cName: string } | undefined;
  /**
   * Whether a tail call made here runs its target in place (subprograms: the target's r0 returns to the caller,
   * as in Linux) rather than returning to the runner (entry programs).
   */
  readonly tailCallInPlace: boolean;
  /** The context packet pointer this load reads, if it is one (see context-access.ts). */
  packetField(slot: number): PacketFieldLoad | undefined;
  /** The first and one-past-last program slots of the function being translated. */
  readonly functionStart: number;
  readonly functionEnd: number;
}

const R = (n: number): string => {
  if (n > 10) throw new RangeError(`register r${n} does not exist`);
  return `r${n}`;
};

/**
 * The C statement for `ins` (a single line; it may be a `{ ... }` block or `if (...) goto ...;`).
 *
 * @example
 * ```ts
 * instructionToC(dsl.Add.Imm(R1, 22), 0, ctx); // 'r1 += 22;'
 * ```
 * @throws {Bpf2cError} for an instruction native code cannot express (kfunc calls, arena casts, `lddw` of a kernel
 *   variable, map references the linker has not resolved) or a jump leaving the function.
 */
export function instructionToC(ins: Instruction, ctx: InstructionContext): string {
  const fail = (why: string): never => {
    throw new Bpf2cError(`instruction ${ins.slot}: ${why}`, { insn: ins.slot });
  };
  if (ins.dst > 10 || ins.src > 10) {
    if (!(ins.opcode === Opcode.CALL || ins.opcode === Opcode.LDDW) || ins.dst > 10) fail(`register number ${Math.max(ins.dst, ins.src)} does not exist`);
  }
  // Linux refuses a write to r10 only on paths its verifier explores, so a verified program may hold one in dead
  // code: it traps if it ever runs.
  if (writesFramePointer(ins)) return '__builtin_trap(); /* writes r10, the frame pointer: never run in a verified program */';
  const cls = ins.opcode & 0x07;
  switch (cls) {
    case InstructionClass.ALU64:
      return alu64(ins, fail);
    case InstructionClass.ALU:
      return alu32(ins, fail);
    case InstructionClass.JMP:
    case InstructionClass.JMP32:
      return jump(ins, ctx, fail);
    case InstructionClass.LDX:
      return load(ins, ctx, fail);
    case InstructionClass.ST:
    case InstructionClass.STX:
      return store(ins, fail);
    default:
      return ld(ins, ctx, fail);
  }
}

type Fail = (why: string) => never;

function alu64(ins: Instruction, fail: Fail): string {
  const d = R(ins.dst);
  const x = (ins.opcode & 0x08) === Source.X;
  const src = x ? R(ins.src) : u64FromImm(ins.imm);
  const op = ins.opcode & 0xf0;
  switch (op) {
    case AluOp.ADD: return `${d} += ${src};`;
    case AluOp.SUB: return `${d} -= ${src};`;
    case AluOp.MUL: return `${d} *= ${src};`;
    case AluOp.OR: return `${d} |= ${src};`;
    case AluOp.AND: return `${d} &= ${src};`;
    case AluOp.XOR: return `${d} ^= ${src};`;
    case AluOp.LSH: return x ? `${d} <<= (${src} & 63);` : `${d} <<= ${ins.imm & 63};`;
    case AluOp.RSH: return x ? `${d} >>= (${src} & 63);` : `${d} >>= ${ins.imm & 63};`;
    case AluOp.ARSH: return `${d} = (uint64_t)((int64_t)${d} >> ${x ? `(${src} & 63)` : ins.imm & 63});`;
    case AluOp.NEG: return `${d} = 0 - ${d};`;
    case AluOp.MOV:
      if (ins.offset === 0) return `${d} = ${src};`;
      if (ins.offset === 1) fail('addr_space_cast (arena pointers) has no native translation');
      if (!x) fail(`movsx needs a register source`);
      if (ins.offset === 8) return `${d} = (uint64_t)(int64_t)(int8_t)${src};`;
      if (ins.offset === 16) return `${d} = (uint64_t)(int64_t)(int16_t)${src};`;
      if (ins.offset === 32) return `${d} = (uint64_t)(int64_t)(int32_t)${src};`;
      return fail(`movsx with offset ${ins.offset} (expected 8, 16 or 32)`);
    case AluOp.DIV:
    case AluOp.MOD: {
      const signed = ins.offset === 1;
      if (ins.offset !== 0 && !signed) fail(`${op === AluOp.DIV ? 'div' : 'mod'} with offset ${ins.offset} (expected 0 or 1)`);
      if (x) return `${d} = bs_${signed ? 's' : ''}${op === AluOp.DIV ? 'div' : 'mod'}64(${d}, ${src});`;
      const k = BigInt(ins.imm | 0);
      if (op === AluOp.DIV) {
        if (k === 0n) return `${d} = 0; /* division by zero */`;
        if (!signed) return `${d} /= ${src};`;
        if (k === -1n) return `${d} = 0 - ${d};`;
        return `${d} = (uint64_t)((int64_t)${d} / ${s64(k)});`;
      }
      if (k === 0n) return `/* ${d} %= 0 leaves ${d} unchanged */;`;
      if (!signed) return `${d} %= ${src};`;
      if (k === -1n) return `${d} = 0;`;
      return `${d} = (uint64_t)((int64_t)${d} % ${s64(k)});`;
    }
    case AluOp.END:
      if (x) fail('bswap with the source bit set');
      switch (ins.imm) {
        case 16: return `${d} = BS_BSWAP16(${d});`;
        case 32: return `${d} = BS_BSWAP32(${d});`;
        case 64: return `${d} = BS_BSWAP64(${d});`;
        default: return fail(`bswap width ${ins.imm} (expected 16, 32 or 64)`);
      }
    default:
      return fail(`unknown ALU64 operation 0x${op.toString(16)}`);
  }
}

function alu32(ins: Instruction, fail: Fail): string {
  const d = R(ins.dst);
  const x = (ins.opcode & 0x08) === Source.X;
  const src = x ? `(uint32_t)${R(ins.src)}` : u32(ins.imm);
  const dd = `(uint32_t)${d}`;
  const op = ins.opcode & 0xf0;
  const bin = (sym: string): string => `${d} = (uint32_t)(${dd} ${sym} ${src});`;
  switch (op) {
    case AluOp.ADD: return bin('+');
    case AluOp.SUB: return bin('-');
    case AluOp.MUL: return bin('*');
    case AluOp.OR: return bin('|');
    case AluOp.AND: return bin('&');
    case AluOp.XOR: return bin('^');
    case AluOp.LSH: return `${d} = (uint32_t)(${dd} << ${x ? `(${src} & 31)` : ins.imm & 31});`;
    case AluOp.RSH: return `${d} = ${dd} >> ${x ? `(${src} & 31)` : ins.imm & 31};`;
    case AluOp.ARSH: return `${d} = (uint32_t)((int32_t)${dd} >> ${x ? `(${src} & 31)` : ins.imm & 31});`;
    case AluOp.NEG: return `${d} = (uint32_t)(0u - ${dd});`;
    case AluOp.MOV:
      if (ins.offset === 0) return `${d} = ${src};`;
      if (!x) fail('movsx needs a register source');
      if (ins.offset === 8) return `${d} = (uint32_t)(int32_t)(int8_t)${R(ins.src)};`;
      if (ins.offset === 16) return `${d} = (uint32_t)(int32_t)(int16_t)${R(ins.src)};`;
      return fail(`movsx32 with offset ${ins.offset} (expected 8 or 16)`);
    case AluOp.DIV:
    case AluOp.MOD: {
      const signed = ins.offset === 1;
      if (ins.offset !== 0 && !signed) fail(`${op === AluOp.DIV ? 'div' : 'mod'}32 with offset ${ins.offset} (expected 0 or 1)`);
      if (x) return `${d} = bs_${signed ? 's' : ''}${op === AluOp.DIV ? 'div' : 'mod'}32(${d}, ${R(ins.src)});`;
      const k = ins.imm | 0;
      if (op === AluOp.DIV) {
        if (k === 0) return `${d} = 0; /* division by zero */`;
        if (!signed) return `${d} = ${dd} / ${src};`;
        if (k === -1) return `${d} = (uint32_t)(0u - ${dd});`;
        return `${d} = (uint32_t)((int32_t)${dd} / ${s32(k)});`;
      }
      if (k === 0) return `${d} = ${dd}; /* modulo by zero keeps the low 32 bits */`;
      if (!signed) return `${d} = ${dd} % ${src};`;
      if (k === -1) return `${d} = 0;`;
      return `${d} = (uint32_t)((int32_t)${dd} % ${s32(k)});`;
    }
    case AluOp.END: {
      const be = x; // in class ALU the source bit selects big-endian
      switch (ins.imm) {
        case 16: return `${d} = BS_TO_${be ? 'BE' : 'LE'}16(${d});`;
        case 32: return `${d} = BS_TO_${be ? 'BE' : 'LE'}32(${d});`;
        case 64: return `${d} = BS_TO_${be ? 'BE' : 'LE'}64(${d});`;
        default: return fail(`byte swap width ${ins.imm} (expected 16, 32 or 64)`);
      }
    }
    default:
      return fail(`unknown ALU operation 0x${op.toString(16)}`);
  }
}

function condition(ins: Instruction, fail: Fail): string {
  const wide = (ins.opcode & 0x07) === InstructionClass.JMP;
  const x = (ins.opcode & 0x08) === Source.X;
  const op = ins.opcode & 0xf0;
  const d = R(ins.dst);
  const signed = op === JumpOp.JSGT || op === JumpOp.JSGE || op === JumpOp.JSLT || op === JumpOp.JSLE;
  let a: string, b: string;
  if (wide) {
    a = signed ? `(int64_t)${d}` : d;
    b = x ? (signed ? `(int64_t)${R(ins.src)}` : R(ins.src)) : signed ? s64(BigInt(ins.imm | 0)) : u64FromImm(ins.imm);
  } else {
    a = signed ? `(int32_t)${d}` : `(uint32_t)${d}`;
    b = x ? (signed ? `(int32_t)${R(ins.src)}` : `(uint32_t)${R(ins.src)}`) : signed ? s32(ins.imm) : u32(ins.imm);
  }
  switch (op) {
    case JumpOp.JEQ: return `${a} == ${b}`;
    case JumpOp.JNE: return `${a} != ${b}`;
    case JumpOp.JGT: case JumpOp.JSGT: return `${a} > ${b}`;
    case JumpOp.JGE: case JumpOp.JSGE: return `${a} >= ${b}`;
    case JumpOp.JLT: case JumpOp.JSLT: return `${a} < ${b}`;
    case JumpOp.JLE: case JumpOp.JSLE: return `${a} <= ${b}`;
    case JumpOp.JSET: return `(${a} & ${b}) != 0`;
    default: return fail(`unknown jump operation 0x${op.toString(16)}`);
  }
}

function jump(ins: Instruction, ctx: InstructionContext, fail: Fail): string {
  const op = ins.opcode & 0xf0;
  if (ins.opcode === Opcode.EXIT) return 'return r0;';
  if (op === JumpOp.CALL) return call(ins, ctx, fail);
  const target = jumpTarget(ins, ins.slot);
  if (target === undefined) return fail(`unknown jump opcode 0x${ins.opcode.toString(16)}`);
  if (target < ctx.functionStart || target >= ctx.functionEnd) fail(`the jump to ${target} leaves its function (slots ${ctx.functionStart}-${ctx.functionEnd - 1})`);
  const label = ctx.label(target);
  if (ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32) return `goto ${label};`;
  if (ins.opcode === Opcode.MAY_GOTO) return `if (bs_loop_budget == 0) goto ${label}; bs_loop_budget--;`;
  return `if (${condition(ins, fail)}) goto ${label};`;
}

function call(ins: Instruction, ctx: InstructionContext, fail: Fail): string {
  const args = 'r1, r2, r3, r4, r5, run_ctx';
  if (ins.opcode === Opcode.CALLX) return `r0 = bs_callx(&bs_runtime, ${R(ins.dst)}, ${args});`;
  switch (ins.src) {
    case 0: {
      const index = ctx.helperIndex(ins.imm);
      const c = `r0 = BS_HELPER(${index})(${args});`;
      if (ins.imm !== TAIL_CALL_HELPER) return c;
      return ctx.tailCallInPlace ? `${c} if (BS_TAIL_CALL_TAKEN(run_ctx)) return bs_tail_call_here(&bs_runtime, r1, run_ctx);` : `${c} if (BS_TAIL_CALL_TAKEN(run_ctx)) return 0;`;
    }
    case 1: {
      const target = callTarget(ins, ins.slot) as number;
      const callee = ctx.callee(target);
      if (callee === undefined) return fail(`the call to ${target} does not enter a function`);
      return `r0 = ${callee.cName}(${args});`;
    }
    case 2:
      return fail('calls to kernel functions (kfuncs) have no native translation');
    default:
      return fail(`call with src ${ins.src} (expected 0 helper, 1 local, 2 kfunc)`);
  }
}

const LOAD_MACRO: Record<number, string> = { [Size.B]: 'U8', [Size.H]: 'U16', [Size.W]: 'U32', [Size.DW]: 'U64' };
const LOADSX_MACRO: Record<number, string> = { [Size.B]: 'S8', [Size.H]: 'S16', [Size.W]: 'S32' };

function load(ins: Instruction, ctx: InstructionContext, fail: Fail): string {
  const mode = ins.opcode & 0xe0;
  const size = ins.opcode & 0x18;
  const field = ctx.packetField(ins.slot);
  if (field === 'refused-ldsx') return '__builtin_trap(); /* a sign-extending load of a context packet pointer: Linux refuses it, never run in a verified program */';
  if (field !== undefined) return `${R(ins.dst)} = run_ctx->${field};`;
  const addr = address(R(ins.src), ins.offset);
  if (mode === Mode.MEM) return `${R(ins.dst)} = BS_LOAD_${LOAD_MACRO[size] as string}(${addr});`;
  if (mode === Mode.MEMSX) {
    const m = LOADSX_MACRO[size];
    if (m === undefined) fail('a sign-extending load of 64 bits does not exist');
    return `${R(ins.dst)} = BS_LOAD_${m as string}(${addr});`;
  }
  return fail(`load mode 0x${mode.toString(16)} is not a memory load`);
}

function store(ins: Instruction, fail: Fail): string {
  const mode = ins.opcode & 0xe0;
  const size = ins.opcode & 0x18;
  const addr = address(R(ins.dst), ins.offset);
  const isSt = (ins.opcode & 0x07) === InstructionClass.ST;
  if (mode === Mode.MEM) {
    let value: string;
    if (isSt) value = size === Size.DW ? u64FromImm(ins.imm) : size === Size.W ? u32(ins.imm) : size === Size.H ? u32(ins.imm & 0xffff) : u32(ins.imm & 0xff);
    else value = R(ins.src);
    return `BS_STORE_${LOAD_MACRO[size] as string}(${addr}, ${value});`;
  }
  if (mode === Mode.ATOMIC && !isSt) return atomic(ins, addr, fail);
  return fail(`store mode 0x${mode.toString(16)} is not a memory store`);
}

function atomic(ins: Instruction, addr: string, fail: Fail): string {
  const size = ins.opcode & 0x18;
  if (size !== Size.W && size !== Size.DW) fail('atomic operations exist only for 32 and 64 bits');
  const w = size === Size.DW ? '64' : '32';
  const s = R(ins.src);
  const fetch = (ins.imm & AtomicOp.FETCH) !== 0;
  const name = ({ [AtomicOp.ADD]: 'ADD', [AtomicOp.OR]: 'OR', [AtomicOp.AND]: 'AND', [AtomicOp.XOR]: 'XOR' } as Record<number, string>)[ins.imm & ~AtomicOp.FETCH];
  if (ins.imm === AtomicOp.XCHG) return `${s} = BS_ATOMIC_XCHG${w}(${addr}, ${s});`;
  if (ins.imm === AtomicOp.CMPXCHG) return `r0 = bs_atomic_cmpxchg${w}(${addr}, r0, ${s});`;
  if (name === undefined) return fail(`atomic operation 0x${ins.imm.toString(16)}`);
  return fetch ? `${s} = BS_ATOMIC_FETCH_${name}${w}(${addr}, ${s});` : `BS_ATOMIC_${name}${w}(${addr}, ${s});`;
}

function ld(ins: Instruction, ctx: InstructionContext, fail: Fail): string {
  const mode = ins.opcode & 0xe0;
  const size = ins.opcode & 0x18;
  if (ins.opcode === Opcode.LDDW) {
    const d = R(ins.dst);
    const imm64 = ins.imm64 ?? BigInt(ins.imm);
    switch (ins.src) {
      case LoadImm64Source.IMM64: return `${d} = ${u64(imm64)};`;
      case LoadImm64Source.MAP_IDX: return `${d} = BS_MAP(${ins.imm});`;
      case LoadImm64Source.MAP_IDX_VALUE: {
        const off = Number(BigInt.asIntN(32, imm64 >> 32n));
        return `${d} = ${address(`BS_MAP_VALUE(${ins.imm})`, off)};`;
      }
      case LoadImm64Source.CODE_ADDR: {
        const callee = ctx.callee(ins.slot + 1 + ins.imm);
        if (callee === undefined) return fail(`the function address ${ins.slot + 1 + ins.imm} is not the start of a function`);
        return `${d} = BS_FUNC_ADDR(${callee.cName});`;
      }
      case LoadImm64Source.MAP_FD:
      case LoadImm64Source.MAP_VALUE:
        return fail('lddw of a map by file descriptor: native images refer to maps by index (link the program first)');
      case LoadImm64Source.VAR_ADDR:
        return fail('lddw of a kernel variable (ksym) has no native translation');
      default:
        return fail(`lddw with src ${ins.src}`);
    }
  }
  if (mode === Mode.ABS || mode === Mode.IND) {
    const bytes = size === Size.W ? 4 : size === Size.H ? 2 : size === Size.B ? 1 : fail('a legacy packet load of 64 bits does not exist');
    const off = mode === Mode.ABS ? u64(BigInt(ins.imm | 0)) : `(uint64_t)(int64_t)(int32_t)(uint32_t)(${R(ins.src)} + ${u64FromImm(ins.imm)})`;
    return `if (!bs_load_packet(run_ctx, ${off}, ${bytes}, &r0)) return 0;`;
  }
  return fail(`unknown opcode 0x${ins.opcode.toString(16)}`);
}
