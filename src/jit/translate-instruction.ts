/**
 * One eBPF instruction in WebAssembly: the ALU, loads and stores (atomics included), 64-bit immediates, legacy
 * packet loads and calls. Both shapes of generated code share it: the structured one (one WebAssembly function
 * per eBPF function, `block`/`loop` from the control-flow graph) and the dispatcher (the whole program in one
 * function, a `br_table` over its blocks). What differs between them (where registers live, how a function is
 * left, how a BPF-to-BPF call is made) comes in as a {@link TranslationContext}; jumps and `exit` are theirs.
 *
 * Memory checks. Without a runtime binding (conformance runs) every access is checked against the window
 * `[low, low + span)` the run gives. With one (the runtime's jit mode) the memory is the core's, the program has
 * been verified, and an access only has to stay below 4 GiB (a 64-bit address would wrap in the 32-bit memory;
 * anything below that the engine bounds-checks itself): the check is one compare of the base register against a
 * constant, and is left out when the register's upper 32 bits are known to be zero (WebAssembly adds a memarg
 * offset without wrapping), when the same register, unchanged since, was checked for at least as many bytes
 * earlier on every path to the access ({@link RegisterFacts}), or for an access inside the
 * current 512-byte stack frame through r10 (which the generated code never writes).
 *
 * Author: Claude.
 *
 * @module
 */

import { writesFramePointer, type Instruction } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { CODE_ADDRESS_TAG, STACK_FRAME_SIZE, type PreparedProgram } from '../interp/index.ts';
import type { JitMapLookup, JitRuntimeBinding } from './runtime-binding.ts';
import { JitFault, JIT_CALLBACK_DEPTH_OFFSET, T_CORE_HELPER, T_MAP_LOOKUP, T_RUN, F_FAULT, F_HELPER, F_TAIL, CORE_TABLE, PROGRAM_TABLE } from './module-layout.ts';
import { BlockType, ByteWriter, Op, TABLE_SIZE_SUBOP } from './wasm-encoder.ts';

/** bpf_tail_call's helper id. */
const TAIL_CALL_HELPER = 12;
/** bpf_map_lookup_elem's helper id. */
const MAP_LOOKUP_HELPER = 1;
/** What bpf_tail_call returns when it does not jump: -E2BIG (index past the array), -EBUSY (33 tail calls made), -ENOENT (empty slot). */
const TAIL_CALL_E2BIG = -7n, TAIL_CALL_EBUSY = -16n, TAIL_CALL_ENOENT = -2n;
/** Linux's MAX_TAIL_CALL_CNT. */
const MAX_TAIL_CALLS = 33;
/** The bit of a program array slot that says it holds a program. */
const PROG_SLOT_PRESENT = 1n << 32n;
const FOUR_GIB = 1n << 32n;

/** Where one generated function keeps its state, and what only its shape knows how to do. */
export interface TranslationContext {
  /** The local holding each register r0-r10 (i64). */
  readonly reg: readonly number[];
  /** Scratch locals: two i32 (`a`, `s32`, `d32`) and two i64 (`t0`, `t1`). */
  readonly a: number;
  readonly t0: number;
  readonly t1: number;
  readonly s32: number;
  readonly d32: number;
  /** A local (i32) holding r10 - 512, the current frame's lowest address, when accesses inside it go unchecked. */
  readonly frameBase: number | undefined;
  /** Pushes the run context's address (i32). */
  pushRunCtx(): void;
  /** Pushes the frame area's address (i32). */
  pushFrames(): void;
  /** Pushes the current call depth (i32). */
  pushDepth(): void;
  /** Pushes what a tail-called module's `run` takes after r10: frames, low, span, fuel, run context, depth. */
  pushTailCallFrame(): void;
  /** Pushes the memory window's low end and span (i64 each), for conformance checks. */
  pushWindowLow(): void;
  pushWindowSpan(): void;
  /** Leaves the eBPF function with r0 as it is; `extra` counts the blocks opened since the block's level. */
  exitFunction(extra: number): void;
  /** A BPF-to-BPF call at `slot` to the function at `target`; r0 holds its result afterwards. */
  localCall(slot: number, target: number): void;
  /** callx at `slot` on a code address of this program in register `reg` (tag checked); r0 holds the result. */
  callCodeAddress(slot: number, reg: number): void;
}

/** @internal The error for an instruction the JIT cannot translate. */
export function jitError(detail: string, prog: PreparedProgram, slot: number): BpfshipError {
  return new BpfshipError('JIT_UNSUPPORTED', `program '${prog.name}': ${detail}`, { ...prog.where, insn: slot });
}

/** LD_ABS/LD_IND: negative offsets from these reach the network and the link-layer header (linux/filter.h). */
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;
const ETH_HLEN = 14;
/** The program types whose data starts at the Ethernet header (enum bpf_prog_type). */
const PROG_TYPE_SCHED_CLS = 3;
const PROG_TYPE_SCHED_ACT = 4;

const LOAD_U: Record<number, number> = { 1: Op.i64_load8_u, 2: Op.i64_load16_u, 4: Op.i64_load32_u, 8: Op.i64_load };
const LOAD_S: Record<number, number> = { 1: Op.i64_load8_s, 2: Op.i64_load16_s, 4: Op.i64_load32_s };
const STORE: Record<number, number> = { 1: Op.i64_store8, 2: Op.i64_store16, 4: Op.i64_store32, 8: Op.i64_store };
const ATOMIC_LOAD: Record<number, number> = { 4: Op.i64_load32_u, 8: Op.i64_load };
const ATOMIC_ARITH: Record<number, number> = { 0x00: Op.i64_add, 0x40: Op.i64_or, 0x50: Op.i64_and, 0xa0: Op.i64_xor };
const ALU64: Record<number, number> = { 0x00: Op.i64_add, 0x10: Op.i64_sub, 0x20: Op.i64_mul, 0x40: Op.i64_or, 0x50: Op.i64_and, 0x60: Op.i64_shl, 0x70: Op.i64_shr_u, 0xa0: Op.i64_xor, 0xc0: Op.i64_shr_s };
const ALU32: Record<number, number> = { 0x00: Op.i32_add, 0x10: Op.i32_sub, 0x20: Op.i32_mul, 0x40: Op.i32_or, 0x50: Op.i32_and, 0x60: Op.i32_shl, 0x70: Op.i32_shr_u, 0xa0: Op.i32_xor, 0xc0: Op.i32_shr_s };
const CMP64: Record<number, number> = { 0x10: Op.i64_eq, 0x20: Op.i64_gt_u, 0x30: Op.i64_ge_u, 0x50: Op.i64_ne, 0x60: Op.i64_gt_s, 0x70: Op.i64_ge_s, 0xa0: Op.i64_lt_u, 0xb0: Op.i64_le_u, 0xc0: Op.i64_lt_s, 0xd0: Op.i64_le_s };

/**
 * What the generated code knows about each register at one point of a function: facts that hold on every path
 * to it, forgotten when the register is written. The structured shape carries them from a block into the blocks
 * only it leads to; where paths join, or in the dispatcher, a block starts knowing nothing.
 */
export class RegisterFacts {
  /** The largest `offset + size` an access through the register was checked for (0: none): reg + that stays below 4 GiB. */
  readonly bound = new Int32Array(11);
  /** 1 where the register's upper 32 bits are known to be zero. */
  readonly zext = new Uint8Array(11);
  /**
   * 1 where the register is either below 4 GiB or, wrapped to 32 bits, at least 2 GiB: as an address wrapped to
   * 32 bits it is exact or traps, since the core's memory never grows past 2 GiB (CORE_MEMORY_MAX_PAGES).
   * A register that a positive constant below 2 GiB takes below 4 GiB is one: it is below 4 GiB too unless the
   * addition wrapped past 2^64, and then its low half is within that constant of 4 GiB. This is `p + i` in
   * `if (p + i + 1 > end) break; ... p[i]`, the packet loop clang writes.
   */
  readonly wrapTraps = new Uint8Array(11);
  /** The register that this one equals plus {@link delta} (as 64-bit integers), -1 for none. */
  readonly base = new Int8Array(11).fill(-1);
  /** See {@link base}: from 0 to 2^31 - 1. */
  readonly delta = new Int32Array(11);
  /** The address of the map the register holds (what a `lddw` of a map loaded into it), -1 for none. */
  readonly map = new Float64Array(11).fill(-1);

  /** A copy. */
  copy(): RegisterFacts {
    const f = new RegisterFacts();
    f.assign(this);
    return f;
  }

  /** Takes the facts of `other`. */
  assign(other: RegisterFacts): void {
    this.bound.set(other.bound);
    this.zext.set(other.zext);
    this.wrapTraps.set(other.wrapTraps);
    this.base.set(other.base);
    this.delta.set(other.delta);
    this.map.set(other.map);
  }

  /** Forgets everything. */
  clear(): void {
    this.bound.fill(0);
    this.zext.fill(0);
    this.wrapTraps.fill(0);
    this.base.fill(-1);
    this.delta.fill(0);
    this.map.fill(-1);
  }

  /** Forgets what was known about register `r` (it is being written), and every register's relation to it. */
  forget(r: number): void {
    this.bound[r] = 0;
    this.zext[r] = 0;
    this.wrapTraps[r] = 0;
    this.base[r] = -1;
    this.delta[r] = 0;
    this.map[r] = -1;
    for (let q = 0; q <= 10; q++) if (this.base[q] === r) this.base[q] = -1;
  }

  /** Records that register `r` is below 4 GiB, and what that proves of the register it is a constant above. */
  below4GiB(r: number): void {
    this.zext[r] = 1;
    const b = this.base[r] as number;
    if (b < 0) return;
    if (this.delta[r] === 0) this.zext[b] = 1;
    else this.wrapTraps[b] = 1;
  }
}

/** The size in bytes of a load or store opcode. */
export function accessSize(opcode: number): number {
  return [4, 2, 1, 8][(opcode >> 3) & 3] as number;
}

/** Translates the instructions of one program into a function body written by `b`. */
export class InstructionTranslator {
  readonly b: ByteWriter;
  private readonly prog: PreparedProgram;
  private readonly runtime: JitRuntimeBinding | undefined;
  private ctx: TranslationContext;
  /** What is known about the registers where the code being written runs. */
  readonly facts = new RegisterFacts();

  constructor(b: ByteWriter, prog: PreparedProgram, runtime: JitRuntimeBinding | undefined, ctx: TranslationContext) {
    this.b = b;
    this.prog = prog;
    this.runtime = runtime;
    this.ctx = ctx;
  }

  /** Switches to another function's context (the structured shape translates function by function). */
  useContext(ctx: TranslationContext): void {
    this.ctx = ctx;
    this.facts.clear();
  }

  /** Pushes register `r` (i64). */
  get(r: number): void {
    this.b.byte(Op.local_get).u32(this.ctx.reg[r] as number);
  }

  /** Pops an i64 into register `r`, forgetting what was known about it. */
  set(r: number): void {
    this.b.byte(Op.local_set).u32(this.ctx.reg[r] as number);
    this.facts.forget(r);
  }

  /** Pops an i64 whose upper 32 bits are zero into register `r`. */
  private setZext(r: number): void {
    this.set(r);
    this.facts.zext[r] = 1;
  }

  private lget(l: number): void {
    this.b.byte(Op.local_get).u32(l);
  }

  private lset(l: number): void {
    this.b.byte(Op.local_set).u32(l);
  }

  private i64c(v: bigint): void {
    this.b.byte(Op.i64_const).s64(v);
  }

  private i32c(v: number): void {
    this.b.byte(Op.i32_const).s32(v);
  }

  private mem(op: number, align: number, offset = 0): void {
    this.b.byte(op).u32(align).u32(offset);
  }

  /** Emits a call of env.fault(kind, slot), which never returns. */
  fault(kind: JitFault, slot: number): void {
    this.i32c(kind); this.i32c(slot); this.b.byte(Op.call).u32(F_FAULT); this.b.byte(Op.unreachable);
  }

  /**
   * Pushes the i32 address of `size` bytes at reg + off, after checking it (see the module comment); returns the
   * offset the load or store must add itself (its memarg offset).
   */
  private address(reg: number, off: number, size: number, slot: number): number {
    const b = this.b;
    if (this.runtime === undefined) {
      // The window [low, low + span): (reg + off - low) > span - size, unsigned, is outside.
      this.get(reg); this.i64c(BigInt(off)); b.byte(Op.i64_add); b.byte(Op.local_tee).u32(this.ctx.t0);
      this.ctx.pushWindowLow(); b.byte(Op.i64_sub);
      this.ctx.pushWindowSpan(); this.i64c(BigInt(size)); b.byte(Op.i64_sub);
      b.byte(Op.i64_gt_u);
      b.byte(Op.if).byte(BlockType.empty); this.fault(JitFault.MEMORY, slot); b.byte(Op.end);
      this.lget(this.ctx.t0); b.byte(Op.i32_wrap_i64);
      return 0;
    }
    const frameBase = this.ctx.frameBase;
    if (reg === 10 && frameBase !== undefined && off >= -STACK_FRAME_SIZE && off + size <= 0) {
      // Inside the current frame: r10 is never written, and the run's entry checked it.
      this.lget(frameBase);
      return off + STACK_FRAME_SIZE;
    }
    if (off >= 0 && (this.facts.zext[reg] === 1 || this.facts.wrapTraps[reg] === 1)) {
      // The register is below 2^32, so wrapping it to i32 loses nothing, and WebAssembly adds the memarg offset
      // without wrapping (an effective address past the memory traps): nothing to check. Packet pointers are
      // such registers (4-byte loads of the context's data fields), and most packet accesses go through them.
      // A register whose wrapped value is past the 2 GiB memory when it is not below 2^32 needs no check either.
      this.get(reg); b.byte(Op.i32_wrap_i64);
      return off;
    }
    if (off >= 0) {
      // reg + off + size <= 4 GiB, i.e. reg <= 4 GiB - off - size; the engine checks the rest.
      const need = off + size;
      if ((this.facts.bound[reg] as number) < need) {
        this.get(reg); this.i64c(FOUR_GIB - BigInt(need)); b.byte(Op.i64_gt_u);
        b.byte(Op.if).byte(BlockType.empty); this.fault(JitFault.MEMORY, slot); b.byte(Op.end);
        this.facts.bound[reg] = need;
      }
      this.get(reg); b.byte(Op.i32_wrap_i64);
      return off;
    }
    this.get(reg); this.i64c(BigInt(off)); b.byte(Op.i64_add); b.byte(Op.local_tee).u32(this.ctx.t0);
    this.i64c(FOUR_GIB - BigInt(size)); b.byte(Op.i64_gt_u);
    b.byte(Op.if).byte(BlockType.empty); this.fault(JitFault.MEMORY, slot); b.byte(Op.end);
    this.lget(this.ctx.t0); b.byte(Op.i32_wrap_i64);
    return 0;
  }

  /** Pushes the source operand of an ALU or jump instruction as i64. */
  src64(ins: { opcode: number; src: number; imm: number }): void {
    if (ins.opcode & 8) this.get(ins.src); else this.i64c(BigInt(ins.imm | 0));
  }

  /** Pushes the source operand of an ALU or jump instruction as i32. */
  src32(ins: { opcode: number; src: number; imm: number }): void {
    if (ins.opcode & 8) { this.get(ins.src); this.b.byte(Op.i32_wrap_i64); } else this.i32c(ins.imm | 0);
  }

  /**
   * Pushes the condition of conditional jump `ins` (i32, non-zero when it jumps).
   *
   * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an unknown jump opcode.
   */
  condition(ins: Instruction, slot: number): void {
    const b = this.b;
    const w64 = (ins.opcode & 7) === 5;
    const op = ins.opcode & 0xf0;
    if (op === 0x40) { // jset
      if (w64) { this.get(ins.dst); this.src64(ins); b.byte(Op.i64_and); b.byte(Op.i64_eqz); }
      else { this.get(ins.dst); b.byte(Op.i32_wrap_i64); this.src32(ins); b.byte(Op.i32_and); b.byte(Op.i32_eqz); }
      b.byte(Op.i32_eqz);
      return;
    }
    const cmp64 = CMP64[op];
    if (cmp64 === undefined) throw jitError(`unknown jump opcode 0x${ins.opcode.toString(16)}`, this.prog, slot);
    if (w64) { this.get(ins.dst); this.src64(ins); b.byte(cmp64); }
    else { this.get(ins.dst); b.byte(Op.i32_wrap_i64); this.src32(ins); b.byte(cmp64 - (Op.i64_eq - Op.i32_eq)); }
  }

  /**
   * What a 64-bit unsigned comparison proves on one of its edges (`taken`: the jump is made): a register at most
   * another whose upper half is zero, or at most a non-negative immediate, has its upper half zero too. Packet
   * bounds checks (`if r3 > data_end goto`) make the pointer they test such a register on the way on, so the
   * accesses through it need no 4 GiB check. Equality with such a value proves the same.
   */
  refineBranch(ins: Instruction, taken: boolean): void {
    if ((ins.opcode & 7) !== 5) return; // JMP32 compares the low halves only
    const op = ins.opcode & 0xf0;
    const z = this.facts.zext;
    const x = (ins.opcode & 8) !== 0;
    // dst < src or dst <= src (unsigned) holds on this edge: +1; src < dst or src <= dst: -1; dst == src: 2.
    let order = 0;
    if (op === 0x10) order = taken ? 2 : 0; // jeq
    else if (op === 0x50) order = taken ? 0 : 2; // jne
    else if (op === 0x20 || op === 0x30) order = taken ? -1 : 1; // jgt, jge
    else if (op === 0xa0 || op === 0xb0) order = taken ? 1 : -1; // jlt, jle
    if (order === 0 || ins.dst === 10) return;
    const facts = this.facts;
    if (!x) {
      if ((order === 1 || order === 2) && ins.imm >= 0) facts.below4GiB(ins.dst);
      return;
    }
    if ((order === 1 || order === 2) && z[ins.src] === 1) facts.below4GiB(ins.dst);
    if ((order === -1 || order === 2) && z[ins.dst] === 1 && ins.src !== 10) facts.below4GiB(ins.src);
  }

  /**
   * The pair clang writes to widen the low half of a register, `rX <<= 32; rX >>= 32` (zero) or `rX s>>= 32`
   * (sign), as one extension, when `ins` and `following` are that pair; returns whether it did. (The engine keeps
   * two shifts as two shifts.) The caller knows the two run together: no jump lands on the second.
   */
  extensionPair(ins: Instruction, following: Instruction): boolean {
    if (ins.opcode !== 0x67 || ins.imm !== 32 || following.dst !== ins.dst || following.imm !== 32) return false;
    if (following.opcode !== 0x77 && following.opcode !== 0xc7) return false;
    if (ins.dst === 10) return false; // a write to r10: left to fault
    this.get(ins.dst); this.b.byte(Op.i32_wrap_i64);
    if (following.opcode === 0x77) { this.b.byte(Op.i64_extend_i32_u); this.setZext(ins.dst); }
    else { this.b.byte(Op.i64_extend_i32_s); this.set(ins.dst); }
    return true;
  }

  /**
   * Translates the instruction at `slot`, which is no jump and no `exit` (those belong to the shape of the code).
   *
   * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an instruction the JIT cannot translate.
   */
  instruction(slot: number, ins: Instruction): void {
    const b = this.b;
    const { opcode, dst, src, offset } = ins;
    const imm = ins.imm | 0;
    const cls = opcode & 7;
    // Linux refuses a write to r10 only on paths it explores, so dead code may hold one: it traps if it ever runs.
    if (writesFramePointer(ins)) {
      this.fault(JitFault.FRAME_WRITE, slot);
      return;
    }
    switch (cls) {
      case 0: { // LD
        if (opcode !== 0x18) { if (!this.packetLoad(opcode, src, imm)) this.fault(JitFault.UNSUPPORTED, slot); return; }
        const lo = BigInt((this.prog.code[2 * slot + 1] as number) >>> 0);
        const hi = BigInt((this.prog.code[2 * slot + 3] as number) >>> 0);
        this.i64c((hi << 32n) | lo);
        if (hi === 0n) this.setZext(dst); else this.set(dst);
        if (src === 5) this.facts.map[dst] = Number(lo); // a map, by index (resolved to its address)
        return;
      }
      case 1: { // LDX
        const mode = opcode & 0xe0;
        const size = accessSize(opcode);
        const load = mode === 0x60 ? LOAD_U[size] : mode === 0x80 ? LOAD_S[size] : undefined;
        if (load === undefined) throw jitError(`unknown load mode 0x${mode.toString(16)}`, this.prog, slot);
        const at = this.address(src, offset, size, slot);
        this.mem(load, Math.log2(size), at);
        if (mode === 0x60 && size <= 4) this.setZext(dst); else this.set(dst);
        return;
      }
      case 2:
      case 3: { // ST, STX
        this.store(slot, ins, cls, imm);
        return;
      }
      case 4:
      case 7:
        this.alu(opcode, dst, src, offset, imm, cls === 7, slot);
        return;
      default: { // JMP, JMP32: only calls get here
        if (opcode === 0x85) {
          if (src === 1) this.ctx.localCall(slot, slot + 1 + imm);
          else this.helperCall(imm, slot);
          return;
        }
        if (opcode === 0x8d) { // callx
          this.get(dst); this.i64c(32n); b.byte(Op.i64_shr_u); this.i64c(BigInt(CODE_ADDRESS_TAG + this.prog.id)); b.byte(Op.i64_eq);
          b.byte(Op.if).byte(BlockType.empty);
          this.ctx.callCodeAddress(slot, dst);
          b.byte(Op.else);
          this.get(dst); this.i64c(0x7fffffffn); b.byte(Op.i64_gt_u);
          b.byte(Op.if).byte(BlockType.empty); this.fault(JitFault.BAD_CALL, slot); b.byte(Op.end);
          this.dynamicHelperCall(dst, 1);
          b.byte(Op.end);
          return;
        }
        throw jitError(`instruction 0x${opcode.toString(16)} is a jump; the code's shape translates it`, this.prog, slot);
      }
    }
  }

  private store(slot: number, ins: Instruction, cls: number, imm: number): void {
    const b = this.b;
    const { opcode, dst, src, offset } = ins;
    const mode = opcode & 0xe0;
    const size = accessSize(opcode);
    const store = STORE[size] as number;
    const align = Math.log2(size);
    if (mode === 0x60) {
      const at = this.address(dst, offset, size, slot);
      if (cls === 2) this.i64c(BigInt(imm)); else this.get(src);
      this.mem(store, align, at);
      return;
    }
    const load = ATOMIC_LOAD[size];
    if (mode !== 0xc0 || cls !== 3 || load === undefined) throw jitError(`unknown store mode 0x${mode.toString(16)}`, this.prog, slot);
    const a = this.ctx.a;
    const t0 = this.ctx.t0;
    const at = this.address(dst, offset, size, slot);
    this.lset(a);
    this.lget(a); this.mem(load, align, at); this.lset(t0); // the old value (zero-extended for 32 bits)
    const fetch = (imm & 1) === 1;
    const arith = ATOMIC_ARITH[imm & ~1];
    if (arith !== undefined) {
      this.lget(a); this.lget(t0); this.get(src); b.byte(arith); this.mem(store, align, at);
      if (fetch) { this.lget(t0); this.setOld(src, size); }
    } else if (imm === 0xe1) { // xchg
      this.lget(a); this.get(src); this.mem(store, align, at);
      this.lget(t0); this.setOld(src, size);
    } else if (imm === 0xf1) { // cmpxchg
      this.lget(t0); this.get(0);
      if (size === 4) { this.i64c(0xffffffffn); b.byte(Op.i64_and); }
      b.byte(Op.i64_eq);
      b.byte(Op.if).byte(BlockType.empty); this.lget(a); this.get(src); this.mem(store, align, at); b.byte(Op.end);
      this.lget(t0); this.setOld(0, size);
    } else {
      throw jitError(`unknown atomic operation 0x${imm.toString(16)}`, this.prog, slot);
    }
  }

  /** Pops the old value an atomic operation of `size` bytes read into register `r` (zero-extended from 32 bits). */
  private setOld(r: number, size: number): void {
    if (size === 4) this.setZext(r); else this.set(r);
  }

  /** A byte swap of the i64 on the stack; the result is zero-extended from `width` bits. */
  private bswap(width: number): void {
    const b = this.b;
    const d32 = this.ctx.d32;
    const t1 = this.ctx.t1;
    if (width === 16) {
      b.byte(Op.i32_wrap_i64); this.lset(d32);
      this.lget(d32); this.i32c(8); b.byte(Op.i32_shr_u); this.i32c(0xff); b.byte(Op.i32_and);
      this.lget(d32); this.i32c(0xff); b.byte(Op.i32_and); this.i32c(8); b.byte(Op.i32_shl);
      b.byte(Op.i32_or); b.byte(Op.i64_extend_i32_u);
    } else if (width === 32) {
      b.byte(Op.i32_wrap_i64); this.lset(d32);
      this.lget(d32); this.i32c(8); b.byte(Op.i32_shr_u); this.i32c(0x00ff00ff); b.byte(Op.i32_and);
      this.lget(d32); this.i32c(0x00ff00ff); b.byte(Op.i32_and); this.i32c(8); b.byte(Op.i32_shl);
      b.byte(Op.i32_or); this.i32c(16); b.byte(Op.i32_rotl); b.byte(Op.i64_extend_i32_u);
    } else {
      this.lset(t1);
      this.lget(t1); this.i64c(8n); b.byte(Op.i64_shr_u); this.i64c(0x00ff00ff00ff00ffn); b.byte(Op.i64_and);
      this.lget(t1); this.i64c(0x00ff00ff00ff00ffn); b.byte(Op.i64_and); this.i64c(8n); b.byte(Op.i64_shl);
      b.byte(Op.i64_or); this.lset(t1);
      this.lget(t1); this.i64c(16n); b.byte(Op.i64_shr_u); this.i64c(0x0000ffff0000ffffn); b.byte(Op.i64_and);
      this.lget(t1); this.i64c(0x0000ffff0000ffffn); b.byte(Op.i64_and); this.i64c(16n); b.byte(Op.i64_shl);
      b.byte(Op.i64_or); this.i64c(32n); b.byte(Op.i64_rotl);
    }
  }

  private alu(opcode: number, dst: number, src: number, offset: number, imm: number, w64: boolean, slot: number): void {
    const b = this.b;
    const op = opcode & 0xf0;
    const x = (opcode & 8) !== 0;
    const ins = { opcode, src, imm };
    if (w64) {
      const facts = this.facts;
      // Whether the source operand's upper 32 bits are zero (an immediate is sign-extended).
      const srcZext = x ? facts.zext[src] === 1 : imm >= 0;
      const simple = ALU64[op];
      if (simple !== undefined) {
        // Results whose upper half stays zero: and/or/xor of such operands (and with one: always), a right shift
        // of one, a right shift by 32 or more.
        const dstZext = facts.zext[dst] === 1;
        const zext = (op === 0x50 && (dstZext || srcZext)) || ((op === 0x40 || op === 0xa0) && dstZext && srcZext) ||
          (op === 0x70 && (dstZext || (!x && (imm & 63) >= 32)));
        // dst += k for a constant k in [0, 2^31) keeps dst's relation to the register it was copied from.
        const b0 = facts.base[dst] as number, d0 = facts.delta[dst] as number;
        this.get(dst); this.src64(ins); b.byte(simple);
        if (zext) this.setZext(dst); else this.set(dst);
        if (op === 0x00 && !x && imm >= 0 && b0 >= 0 && b0 !== dst && d0 + imm <= 0x7fffffff) {
          facts.base[dst] = b0; facts.delta[dst] = d0 + imm;
        }
        return;
      }
      if ((op === 0x30 || op === 0x90) && offset === 0 && facts.zext[dst] === 1 && srcZext) {
        // Unsigned division of two values below 2^32: the 32-bit instruction gives the same result (division by
        // zero included), and it is the one a C compiler picks for such operands (far cheaper than a 64-bit
        // divide on x86).
        this.divMod32(op, dst, ins, 0);
        return;
      }
      switch (op) {
        case 0x30: case 0x90: { // div, mod (offset 1: signed)
          const t1 = this.ctx.t1;
          this.src64(ins); this.lset(t1);
          this.lget(t1); b.byte(Op.i64_eqz);
          b.byte(Op.if).byte(BlockType.i64);
          if (op === 0x30) this.i64c(0n); else this.get(dst);
          b.byte(Op.else);
          if (offset === 1) {
            this.lget(t1); this.i64c(-1n); b.byte(Op.i64_eq);
            b.byte(Op.if).byte(BlockType.i64);
            if (op === 0x30) { this.i64c(0n); this.get(dst); b.byte(Op.i64_sub); } else this.i64c(0n);
            b.byte(Op.else); this.get(dst); this.lget(t1); b.byte(op === 0x30 ? Op.i64_div_s : Op.i64_rem_s); b.byte(Op.end);
          } else {
            this.get(dst); this.lget(t1); b.byte(op === 0x30 ? Op.i64_div_u : Op.i64_rem_u);
          }
          b.byte(Op.end); this.set(dst);
          return;
        }
        case 0x80: this.i64c(0n); this.get(dst); b.byte(Op.i64_sub); this.set(dst); return;
        case 0xb0:
          if (x && offset !== 0) {
            this.get(src);
            b.byte(({ 8: Op.i64_extend8_s, 16: Op.i64_extend16_s, 32: Op.i64_extend32_s } as Record<number, number>)[offset] ?? Op.unreachable);
            this.set(dst);
          } else {
            const map = x ? (facts.map[src] as number) : -1;
            const wrapTraps = x ? (facts.wrapTraps[src] as number) : 0;
            this.src64(ins);
            if (srcZext) this.setZext(dst); else this.set(dst);
            facts.map[dst] = map;
            facts.wrapTraps[dst] = wrapTraps;
            if (x && src !== dst) { facts.base[dst] = src; facts.delta[dst] = 0; }
          }
          return;
        case 0xd0: this.get(dst); this.bswap(imm); this.set(dst); return; // ALU64 END: unconditional bswap
        default: throw jitError(`unknown ALU64 opcode 0x${opcode.toString(16)}`, this.prog, slot);
      }
    }
    // ALU32: every result is zero-extended.
    const simple = ALU32[op];
    const dst32 = (): void => { this.get(dst); b.byte(Op.i32_wrap_i64); };
    if (simple !== undefined) { dst32(); this.src32(ins); b.byte(simple); b.byte(Op.i64_extend_i32_u); this.setZext(dst); return; }
    switch (op) {
      case 0x30: case 0x90:
        this.divMod32(op, dst, ins, offset);
        return;
      case 0x80: this.i32c(0); dst32(); b.byte(Op.i32_sub); b.byte(Op.i64_extend_i32_u); this.setZext(dst); return;
      case 0xb0:
        if (x && offset !== 0) {
          this.get(src); b.byte(Op.i32_wrap_i64);
          b.byte(({ 8: Op.i32_extend8_s, 16: Op.i32_extend16_s } as Record<number, number>)[offset] ?? Op.nop_);
        } else this.src32(ins);
        b.byte(Op.i64_extend_i32_u); this.setZext(dst);
        return;
      case 0xd0: {
        this.get(dst);
        const be = (opcode & 8) !== 0;
        if (be) this.bswap(imm); // be: swap on this little-endian machine
        else if (imm === 16) { this.i64c(0xffffn); b.byte(Op.i64_and); }
        else if (imm === 32) { this.i64c(0xffffffffn); b.byte(Op.i64_and); }
        if (imm === 16 || imm === 32) this.setZext(dst); else this.set(dst);
        return;
      }
      default: throw jitError(`unknown ALU opcode 0x${opcode.toString(16)}`, this.prog, slot);
    }
  }

  /** 32-bit div or mod (`offset` 1: signed), eBPF's way: x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN. */
  private divMod32(op: number, dst: number, ins: { opcode: number; src: number; imm: number }, offset: number): void {
    const b = this.b;
    const s32 = this.ctx.s32;
    const dst32 = (): void => { this.get(dst); b.byte(Op.i32_wrap_i64); };
    this.src32(ins); this.lset(s32);
    this.lget(s32); b.byte(Op.i32_eqz);
    b.byte(Op.if).byte(BlockType.i32);
    if (op === 0x30) this.i32c(0); else dst32();
    b.byte(Op.else);
    if (offset === 1) {
      this.lget(s32); this.i32c(-1); b.byte(Op.i32_eq);
      b.byte(Op.if).byte(BlockType.i32);
      if (op === 0x30) { this.i32c(0); dst32(); b.byte(Op.i32_sub); } else this.i32c(0);
      b.byte(Op.else); dst32(); this.lget(s32); b.byte(op === 0x30 ? Op.i32_div_s : Op.i32_rem_s); b.byte(Op.end);
    } else {
      dst32(); this.lget(s32); b.byte(op === 0x30 ? Op.i32_div_u : Op.i32_rem_u);
    }
    b.byte(Op.end); b.byte(Op.i64_extend_i32_u); this.setZext(dst);
  }

  /**
   * After a call that may have been bpf_tail_call: when the core recorded a pending tail call, the target runs and
   * its r0 leaves this function. A target in the runtime's program table (a program loaded in jit mode) is called
   * straight from here, WebAssembly to WebAssembly; anything else (a program that is not JIT'd, an id the table
   * does not hold) goes through env.tail_call, which runs it or says why it cannot. `extra` counts the blocks
   * open around the call.
   */
  private afterTailCall(extra: number): void {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    const b = this.b;
    const rc = runtime.runCtx;
    const a = this.ctx.a;
    this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.tailCallPending);
    b.byte(Op.if).byte(BlockType.empty);
    this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.tailCallTarget); b.byte(Op.local_tee).u32(a);
    const marks = runtime.jitPrograms;
    if (marks !== undefined) {
      // The runtime's byte for the id: set only while the table holds a JIT'd program there.
      this.i32c(marks.limit); b.byte(Op.i32_lt_u);
      b.byte(Op.if).byte(BlockType.i32);
      this.lget(a); this.mem(Op.i32_load8_u, 0, marks.address);
      b.byte(Op.else); this.i32c(0); b.byte(Op.end);
    } else {
      b.byte(Op.prefix_fc).u32(TABLE_SIZE_SUBOP).u32(PROGRAM_TABLE); b.byte(Op.i32_lt_u);
      b.byte(Op.if).byte(BlockType.i32);
      this.lget(a); b.byte(Op.table_get).u32(PROGRAM_TABLE); b.byte(Op.ref_is_null); b.byte(Op.i32_eqz);
      b.byte(Op.else); this.i32c(0); b.byte(Op.end);
    }
    b.byte(Op.if).byte(BlockType.empty);
    this.ctx.pushRunCtx(); this.i32c(0); this.mem(Op.i32_store, 2, rc.tailCallPending);
    this.get(1); for (let r = 2; r <= 5; r++) this.i64c(0n);
    this.get(10); this.ctx.pushTailCallFrame(); this.i32c(0); this.lget(a);
    b.byte(Op.call_indirect).u32(T_RUN).u32(PROGRAM_TABLE); this.set(0);
    b.byte(Op.else);
    this.get(1); this.get(10); this.ctx.pushDepth(); this.ctx.pushRunCtx(); this.ctx.pushFrames(); b.byte(Op.call).u32(F_TAIL); this.set(0);
    b.byte(Op.end);
    this.ctx.exitFunction(extra + 1);
    b.byte(Op.end);
  }

  private helperCall(id: number, slot: number): void {
    const runtime = this.runtime;
    const b = this.b;
    const map = this.facts.map[1] as number;
    if (id === MAP_LOOKUP_HELPER && map >= 0 && runtime?.mapLookup !== undefined) {
      const lookup = runtime.mapLookup(map);
      if (lookup !== undefined) {
        this.mapLookup(map, lookup, slot);
        return;
      }
    }
    const progArray = this.facts.map[2] as number;
    if (id === TAIL_CALL_HELPER && progArray >= 0 && runtime?.jitPrograms !== undefined) {
      const slots = runtime.progArray?.(progArray);
      if (slots !== undefined) {
        this.tailCall(slots, runtime.jitPrograms);
        return;
      }
    }
    const index = runtime?.helperTableIndex(id);
    if (runtime !== undefined && index === undefined) throw jitError(`helper #${id} is not in the runtime core`, this.prog, slot);
    if (runtime?.callsBack(id) === true) { this.ctx.pushFrames(); this.ctx.pushDepth(); this.mem(Op.i32_store, 2, JIT_CALLBACK_DEPTH_OFFSET); }
    if (index !== undefined) {
      for (let r = 1; r <= 5; r++) this.get(r);
      this.ctx.pushRunCtx(); this.i32c(index); b.byte(Op.call_indirect).u32(T_CORE_HELPER).u32(CORE_TABLE);
      this.set(0);
    } else {
      this.i32c(id); for (let r = 1; r <= 5; r++) this.get(r); this.ctx.pushRunCtx(); b.byte(Op.call).u32(F_HELPER); this.set(0);
    }
    // The helper may have changed r1-r5 as far as the program knows (it may not read them again), never the
    // locals: what was checked about them still holds.
    if (id === TAIL_CALL_HELPER) this.afterTailCall(0);
  }

  /**
   * bpf_map_lookup_elem(r1 = the map at `map`, r2 = key) without the helper: an array's value found in place
   * (the key's u32 checked against max_entries), or the map type's lookup called directly.
   */
  private mapLookup(map: number, lookup: JitMapLookup, slot: number): void {
    const b = this.b;
    const runtime = this.runtime as JitRuntimeBinding;
    const cpu = (): void => { this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, runtime.runCtx.cpu); };
    if (lookup.kind === 'call') {
      this.i32c(map); this.get(2); b.byte(Op.i32_wrap_i64); cpu(); this.i32c(1);
      this.i32c(lookup.tableIndex); b.byte(Op.call_indirect).u32(T_MAP_LOOKUP).u32(CORE_TABLE);
      b.byte(Op.i64_extend_i32_u); this.setZext(0);
      return;
    }
    const index = this.ctx.s32;
    const at = this.address(2, 0, 4, slot);
    this.mem(Op.i32_load, 2, at); this.lset(index);
    this.lget(index); this.i32c(lookup.maxEntries); b.byte(Op.i32_lt_u);
    b.byte(Op.if).byte(BlockType.i64);
    // In range, the value's address is inside the map's allocation: 32-bit arithmetic cannot overflow.
    this.lget(index); this.i32c(lookup.stride); b.byte(Op.i32_mul);
    if (lookup.cpuStride !== 0) { cpu(); this.i32c(lookup.cpuStride); b.byte(Op.i32_mul); b.byte(Op.i32_add); }
    this.i32c(lookup.values); b.byte(Op.i32_add); b.byte(Op.i64_extend_i32_u);
    b.byte(Op.else); this.i64c(0n);
    b.byte(Op.end);
    this.setZext(0);
  }

  /**
   * bpf_tail_call(r1, r2 = the program array at `slots`, r3 = index) made here, the helper's checks in its order:
   * an index past the array (-E2BIG), the 33rd tail call of the run (-EBUSY; the count goes up before the slot
   * is read), an empty slot (-ENOENT) leave r0 at that error and go on; otherwise the target runs (straight
   * through the program table when it is a JIT'd program, else through env.tail_call, which says why it cannot)
   * and its r0 leaves this function.
   */
  private tailCall(array: { readonly slots: number; readonly maxEntries: number }, marks: { readonly address: number; readonly limit: number }): void {
    const b = this.b;
    const runtime = this.runtime as JitRuntimeBinding;
    const rc = runtime.runCtx;
    const { a, s32, t0 } = this.ctx;
    this.get(3); b.byte(Op.i32_wrap_i64); this.lset(s32);
    b.byte(Op.block).byte(BlockType.empty);
    this.i64c(TAIL_CALL_E2BIG); this.set(0);
    this.lget(s32); this.i32c(array.maxEntries); b.byte(Op.i32_ge_u); b.byte(Op.br_if).u32(0);
    this.i64c(TAIL_CALL_EBUSY); this.set(0);
    this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.tailCallCount); this.i32c(MAX_TAIL_CALLS); b.byte(Op.i32_ge_u); b.byte(Op.br_if).u32(0);
    this.ctx.pushRunCtx(); this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.tailCallCount); this.i32c(1); b.byte(Op.i32_add); this.mem(Op.i32_store, 2, rc.tailCallCount);
    this.i64c(TAIL_CALL_ENOENT); this.set(0);
    this.lget(s32); this.i32c(3); b.byte(Op.i32_shl); this.mem(Op.i64_load, 3, array.slots); b.byte(Op.local_tee).u32(t0);
    this.i64c(PROG_SLOT_PRESENT); b.byte(Op.i64_and); b.byte(Op.i64_eqz); b.byte(Op.br_if).u32(0);
    // Taken: the target's id, and whether the program table holds it.
    this.lget(t0); b.byte(Op.i32_wrap_i64); b.byte(Op.local_tee).u32(a);
    this.i32c(marks.limit); b.byte(Op.i32_lt_u);
    b.byte(Op.if).byte(BlockType.i32);
    this.lget(a); this.mem(Op.i32_load8_u, 0, marks.address);
    b.byte(Op.else); this.i32c(0); b.byte(Op.end);
    b.byte(Op.if).byte(BlockType.empty);
    this.get(1); for (let r = 2; r <= 5; r++) this.i64c(0n);
    this.get(10); this.ctx.pushTailCallFrame(); this.i32c(0); this.lget(a);
    b.byte(Op.call_indirect).u32(T_RUN).u32(PROGRAM_TABLE); this.set(0);
    b.byte(Op.else);
    // The slow way reads the target as the helper leaves it.
    this.ctx.pushRunCtx(); this.lget(a); this.mem(Op.i32_store, 2, rc.tailCallTarget);
    this.ctx.pushRunCtx(); this.i32c(1); this.mem(Op.i32_store, 2, rc.tailCallPending);
    this.get(1); this.get(10); this.ctx.pushDepth(); this.ctx.pushRunCtx(); this.ctx.pushFrames(); b.byte(Op.call).u32(F_TAIL); this.set(0);
    b.byte(Op.end);
    this.ctx.exitFunction(1);
    b.byte(Op.end);
  }

  /** callx on a helper number in `reg`; `extra` counts the blocks open around it. */
  private dynamicHelperCall(reg: number, extra: number): void {
    const b = this.b;
    this.ctx.pushFrames(); this.ctx.pushDepth(); this.mem(Op.i32_store, 2, JIT_CALLBACK_DEPTH_OFFSET); // it may be a helper that calls back
    this.get(reg); b.byte(Op.i32_wrap_i64); for (let r = 1; r <= 5; r++) this.get(r); this.ctx.pushRunCtx(); b.byte(Op.call).u32(F_HELPER); this.set(0);
    this.afterTailCall(extra);
  }

  /**
   * LD_ABS / LD_IND with the runtime: a big-endian load from the packet at imm (+ src), or, outside the packet, the
   * end of the function with r0 = 0, as Linux's bpf_gen_ld_abs does (in the program's own frame the program ends).
   */
  private packetLoad(opcode: number, src: number, imm: number): boolean {
    const runtime = this.runtime;
    if (runtime === undefined) return false;
    const b = this.b;
    const size = accessSize(opcode);
    if (size === 8) return false;
    const { t0, t1 } = this.ctx;
    const rc = runtime.runCtx;
    const data = (): void => { this.ctx.pushRunCtx(); this.mem(Op.i64_load, 3, rc.data); };
    // Where data is past the link-layer header: 0 for tc (data is the Ethernet header), 14 for the other skb
    // types (data is the network header), as BPF_PROG_TEST_RUN places them; pushed as an i64: 14 - that.
    const netDelta = (): void => {
      this.i64c(BigInt(ETH_HLEN)); this.i64c(0n);
      this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.progType); this.i32c(PROG_TYPE_SCHED_CLS); b.byte(Op.i32_eq);
      this.ctx.pushRunCtx(); this.mem(Op.i32_load, 2, rc.progType); this.i32c(PROG_TYPE_SCHED_ACT); b.byte(Op.i32_eq);
      b.byte(Op.i32_or); b.byte(Op.select);
    };
    // off = imm (+ src as 32 bits), a signed 32-bit offset.
    if ((opcode & 0xe0) === 0x40) { this.get(src); b.byte(Op.i32_wrap_i64); this.i32c(imm); b.byte(Op.i32_add); } else this.i32c(imm);
    b.byte(Op.i64_extend_i32_s); this.lset(t0);
    // address = data + off; a negative off is Linux's bpf_internal_load_pointer_neg_helper: from SKF_NET_OFF the
    // network header's byte off - SKF_NET_OFF, from SKF_LL_OFF the link-layer header's byte off - SKF_LL_OFF.
    data(); this.lget(t0); b.byte(Op.i64_add);
    data(); netDelta(); b.byte(Op.i64_add); this.i64c(BigInt(-SKF_NET_OFF)); b.byte(Op.i64_add); this.lget(t0); b.byte(Op.i64_add);
    data(); netDelta(); b.byte(Op.i64_add); this.i64c(BigInt(-SKF_LL_OFF - ETH_HLEN)); b.byte(Op.i64_add); this.lget(t0); b.byte(Op.i64_add);
    this.lget(t0); this.i64c(BigInt(SKF_NET_OFF)); b.byte(Op.i64_ge_s); b.byte(Op.select);
    this.lget(t0); this.i64c(0n); b.byte(Op.i64_ge_s); b.byte(Op.select);
    this.lset(t1);
    // Outside when off < SKF_LL_OFF, the address is before the frame's first byte (data for off >= 0, the
    // link-layer header otherwise), or address + size > data_end.
    this.lget(t0); this.i64c(BigInt(SKF_LL_OFF)); b.byte(Op.i64_lt_s);
    this.lget(t1);
    data(); data(); netDelta(); b.byte(Op.i64_add); this.i64c(BigInt(ETH_HLEN)); b.byte(Op.i64_sub);
    this.lget(t0); this.i64c(0n); b.byte(Op.i64_ge_s); b.byte(Op.select);
    b.byte(Op.i64_lt_s);
    b.byte(Op.i32_or);
    this.lget(t1); this.i64c(BigInt(size)); b.byte(Op.i64_add); this.ctx.pushRunCtx(); this.mem(Op.i64_load, 3, rc.dataEnd); b.byte(Op.i64_gt_u);
    b.byte(Op.i32_or);
    b.byte(Op.if).byte(BlockType.empty); this.i64c(0n); this.set(0); this.ctx.exitFunction(1); b.byte(Op.end);
    this.lget(t1); b.byte(Op.i32_wrap_i64);
    this.mem(size === 4 ? Op.i64_load32_u : size === 2 ? Op.i64_load16_u : Op.i64_load8_u, 0);
    if (size > 1) this.bswap(size * 8);
    this.set(0);
    return true;
  }
}
