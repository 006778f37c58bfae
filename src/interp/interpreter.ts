/**
 * The eBPF interpreter: every instruction of RFC 9669 (with the v4 additions), Linux's `may_goto` and legacy packet
 * loads, and the bpf_conformance suite's `callx`, run over one address space with every memory access
 * bounds-checked.
 *
 * Speed: registers are two Int32Arrays of 32-bit halves, so 64-bit arithmetic is done on halves (add and subtract
 * with carry, multiply with 16-bit partial products, shifts composed from halves) and no BigInt is made except for
 * 64-bit division and modulo of operands that do not fit 32 bits. The program is pre-decoded into an Int32Array
 * (see `prepare.ts`, which also fuses clang's zero-extension idiom into one dispatch) and run by one loop over a
 * dense `switch` on the opcode byte. A memory access is checked against the last region used for loads (or
 * stores) and the stack inline; only a miss calls out of the loop. Everything rare (helper calls, callx, faults)
 * is out of line: V8 optimises the whole loop as one function, and the smaller it is the fewer of its values are
 * spilled (measured: a payload_hash run after an xdp_firewall workload went from 7 to 4 ns per instruction).
 *
 * Measured on this project's machine (scripts/bench-interp.ts, one process per program): primes 2.0-2.3 ns per
 * instruction (uBPF's C interpreter: 2.8), payload_hash 3.4-3.6 (uBPF: 2.9).
 *
 * Semantics follow RFC 9669 and the conformance suite: division by zero gives 0, modulo by zero leaves the dividend
 * (zero-extended in 32-bit operations), INT_MIN / -1 wraps, shift counts are masked, 32-bit operations zero the
 * upper half.
 *
 * Author: Claude.
 *
 * @module
 */

import { writesFramePointer } from '../asm/index.ts';
import { ExecutionError, FaultKind } from './errors.ts';
import { HelperOutcome, type InterpreterHost, MAX_CALL_FRAMES, type RunSetup, STACK_FRAME_SIZE, STACK_SIZE } from './host.ts';
import { formatRegion, type MemoryRegion } from './memory-region.ts';
import { CODE_ADDRESS_TAG, MAX_PROGRAM_ID, describeSlot, type PreparedProgram } from './prepare.ts';

/** Instructions a run may execute before it is stopped (a runaway loop in an unverified program). */
export const DEFAULT_INSTRUCTION_LIMIT = 1 << 28;
/**
 * `may_goto` budget of each function call (Linux's BPF_MAX_LOOPS, which its prologue stores per subprogram frame):
 * a call starts with a full budget and its caller's is restored when it returns.
 */
const MAY_GOTO_BUDGET = 1 << 23;
const TWO_32 = 4294967296;
/** Negative LD_ABS/LD_IND offsets from these reach the network and the link-layer header (linux/filter.h). */
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** The highest tag word a code address's upper half can hold (CODE_ADDRESS_TAG + a program's id). */
const CODE_TAG_END = CODE_ADDRESS_TAG + MAX_PROGRAM_ID;
// What the out-of-line call paths tell the loop (0 and up: switch to this.nextProg at that slot).
const STEP = -2;
const DONE = -1;
const JUMP = -3;

/** Options for {@link Interpreter}. */
export interface InterpreterOptions {
  /** See {@link DEFAULT_INSTRUCTION_LIMIT}. */
  readonly instructionLimit?: number;
}

/**
 * One interpreter: a register file, call frames and a host. Not thread-safe; re-entrant through
 * {@link Interpreter.invokeCallback} (helpers like bpf_loop call back into the running program).
 *
 * @example
 * ```ts
 * const prog = prepareProgram(assemble('mov %r0, %r2\nexit'));
 * const interp = new Interpreter(host);
 * interp.run(prog, { stack: 64, regions: [] }, [0n, 8n]); // 8n
 * interp.instructions; // 2
 * ```
 */
export class Interpreter {
  /** Low halves of r0-r10 (signed 32-bit view). Helpers read r1-r5 here and write r0. */
  readonly lo = new Int32Array(11);
  /** High halves of r0-r10. */
  readonly hi = new Int32Array(11);
  /** The instruction budget of a run. */
  instructionLimit: number;
  /** Instructions executed by the last (or current) run, tail calls and callbacks included. */
  instructions = 0;

  private readonly host: InterpreterHost;
  private setup: RunSetup = { stack: 0, regions: [] };
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  private u8 = new Uint8Array(0);
  private dv = new DataView(this.buffer);
  // Call frames: r6-r9 of the caller (lo, hi pairs), where to return, in which program.
  private readonly saved = new Int32Array(MAX_CALL_FRAMES * 8);
  private readonly retPc = new Int32Array(MAX_CALL_FRAMES);
  private readonly retProg: (PreparedProgram | undefined)[] = new Array<PreparedProgram | undefined>(MAX_CALL_FRAMES).fill(undefined);
  private readonly savedBudget = new Int32Array(MAX_CALL_FRAMES);
  // State the loop publishes before a helper call, for invokeCallback and for messages.
  private depth = 0;
  private current: PreparedProgram | undefined;
  private nextProg: PreparedProgram | undefined;
  private nextPc = 0;
  private pc = 0;
  private running = false;
  private mayGoto = MAY_GOTO_BUDGET;
  // The region the slow path found (the loop caches it).
  private hitStart = 0;
  private hitEnd = 0;
  private stackRegion: MemoryRegion = { start: -1, end: -1, writable: true, name: 'stack' };

  constructor(host: InterpreterHost, options: InterpreterOptions = {}) {
    this.host = host;
    this.instructionLimit = options.instructionLimit ?? DEFAULT_INSTRUCTION_LIMIT;
  }

  /**
   * Runs `prog` from its first instruction with r1-r5 = `args` (missing ones 0) and r10 at the top of the stack;
   * returns r0 as an unsigned 64-bit value.
   *
   * @throws {ExecutionError} on a memory fault, too deep calls, a bad `callx`, or the instruction limit.
   */
  run(prog: PreparedProgram, setup: RunSetup, args: readonly bigint[] = []): bigint {
    const lo = this.lo;
    const hi = this.hi;
    for (let r = 1; r <= 5; r++) {
      const v = args[r - 1] ?? 0n;
      lo[r] = Number(BigInt.asIntN(32, v));
      hi[r] = Number(BigInt.asIntN(32, v >> 32n));
    }
    this.execute(prog, setup);
    return (BigInt(hi[0] as number >>> 0) << 32n) | BigInt(lo[0] as number >>> 0);
  }

  /**
   * Runs `prog` with r1-r5 as the caller left them in {@link lo}/{@link hi} (no BigInt at all); r0 is in `lo[0]`,
   * `hi[0]` afterwards. r0 and r6-r9 start at 0, r10 at the top of the stack.
   */
  execute(prog: PreparedProgram, setup: RunSetup): void {
    if (this.running) throw new Error('Interpreter.execute called during a run; use invokeCallback from a helper');
    const lo = this.lo;
    const hi = this.hi;
    lo[0] = 0; hi[0] = 0;
    for (let r = 6; r <= 9; r++) { lo[r] = 0; hi[r] = 0; }
    lo[10] = (setup.stack + STACK_SIZE) | 0;
    hi[10] = 0;
    this.setup = setup;
    this.refreshMemory();
    this.instructions = 0;
    this.mayGoto = MAY_GOTO_BUDGET;
    this.depth = 0;
    this.running = true;
    try {
      this.loop(prog, 0, 0);
    } finally {
      this.running = false;
      this.current = undefined;
    }
  }

  /**
   * Runs the function at `fn` (a function address a program loaded with `lddw rX, func`) on a new frame with
   * r1-r5 = `args`, and returns its r0. For helpers that call back into the program (bpf_loop,
   * bpf_for_each_map_elem): only valid while a helper called by this interpreter is running. The caller's
   * registers are restored afterwards.
   *
   * @throws {ExecutionError} when `fn` is not a function address, or the frames run out.
   */
  invokeCallback(fn: bigint, args: readonly bigint[]): bigint {
    const prog = this.current;
    if (!this.running || prog === undefined) throw new Error('Interpreter.invokeCallback called outside a helper call');
    const hiWord = Number((fn >> 32n) & 0xffffffffn);
    const slot = Number(fn & 0xffffffffn);
    const target = this.codeTarget(prog, hiWord, slot);
    if (target === undefined) {
      throw this.fault(FaultKind.BAD_CALL, prog, this.pc, `the callback 0x${BigInt.asUintN(64, fn).toString(16)} is not the address of a function of the program`);
    }
    const depth = this.depth + 1;
    if (depth >= MAX_CALL_FRAMES) throw this.fault(FaultKind.CALL_DEPTH, prog, this.pc, `the callback would be call frame ${depth + 1}; at most ${MAX_CALL_FRAMES} frames are allowed`);
    const lo = this.lo;
    const hi = this.hi;
    const keepLo = lo.slice();
    const keepHi = hi.slice();
    const pc = this.pc;
    const budget = this.mayGoto;
    this.mayGoto = MAY_GOTO_BUDGET;
    for (let r = 1; r <= 5; r++) {
      const v = args[r - 1] ?? 0n;
      lo[r] = Number(BigInt.asIntN(32, v));
      hi[r] = Number(BigInt.asIntN(32, v >> 32n));
    }
    lo[0] = 0; hi[0] = 0;
    lo[10] = (this.setup.stack + STACK_SIZE - depth * STACK_FRAME_SIZE) | 0;
    hi[10] = 0;
    try {
      this.loop(target, slot, depth);
      return (BigInt(hi[0] as number >>> 0) << 32n) | BigInt(lo[0] as number >>> 0);
    } finally {
      lo.set(keepLo);
      hi.set(keepHi);
      this.mayGoto = budget;
      this.depth = depth - 1;
      this.current = prog;
      this.pc = pc;
      this.refreshMemory();
    }
  }

  /**
   * The region that holds `[address, address + size)` for a load (or a store, when `store`), or undefined: what a
   * host checks helper arguments against (a key pointer, a buffer the helper fills), so that helpers touch no more
   * memory than the program itself may.
   */
  regionFor(address: number, size: number, store: boolean): MemoryRegion | undefined {
    if (!Number.isInteger(address) || address < 0 || !Number.isInteger(size) || size < 0 || address + size > TWO_32) return undefined;
    return this.findRegion(address, size, store);
  }

  /**
   * An ExecutionError located at the helper call in progress (for hosts that refuse a helper's arguments): the
   * message names the program, the instruction and its source line, then `why`.
   */
  helperFault(why: string): ExecutionError {
    const prog = this.current;
    if (prog === undefined) return new ExecutionError(why, { kind: FaultKind.HELPER, program: '', pc: 0 });
    return this.fault(FaultKind.HELPER, prog, this.pc, why);
  }

  /** The program running now and the slot of the helper call in progress (for hosts' messages). */
  get location(): { program: PreparedProgram | undefined; pc: number } {
    return { program: this.current, pc: this.pc };
  }

  private refreshMemory(): void {
    const b = this.host.memory();
    if (b !== this.buffer) {
      this.buffer = b;
      this.u8 = new Uint8Array(b);
      this.dv = new DataView(b);
    }
  }

  /** The program a function address names, or undefined if it names none (or no function start). */
  private codeTarget(prog: PreparedProgram, hiWord: number, slot: number): PreparedProgram | undefined {
    if (hiWord < CODE_ADDRESS_TAG || hiWord > CODE_TAG_END) return undefined;
    const id = hiWord - CODE_ADDRESS_TAG;
    const target = id === prog.id ? prog : this.host.program?.(id);
    if (target === undefined || slot < 0 || slot >= target.slotCount || target.bySlot[slot] === undefined) return undefined;
    return target;
  }

  /**
   * Runs `prog` from `pc` until an `exit` at call depth `baseDepth`. The work is done by {@link block}, which runs
   * one program's code; a switch to another program's code (a tail call, a call through a function address into
   * another program, the return from it) returns to this driver, so that the code array stays a constant of the
   * block's loop (which lets V8 keep it in a register instead of re-checking it every instruction).
   */
  private loop(prog: PreparedProgram, pc: number, baseDepth: number): void {
    this.depth = baseDepth;
    for (;;) {
      const next = this.block(prog, pc, baseDepth);
      if (next < 0) return;
      prog = this.nextProg as PreparedProgram;
      pc = next;
    }
  }

  /**
   * The loop over one program's code: returns -1 when the run (or callback) is over, or the slot to continue at in
   * `this.nextProg`. Cases `break` to go to the next slot and `continue` after setting `pc` themselves.
   */
  private block(prog: PreparedProgram, pc: number, baseDepth: number): number {
    const lo = this.lo;
    const hi = this.hi;
    const saved = this.saved;
    const retPc = this.retPc;
    const retProg = this.retProg;
    const limit = this.instructionLimit;
    const sLo = this.setup.stack;
    const sHi = sLo + STACK_SIZE;
    const code = prog.code;
    let u8 = this.u8;
    let dv = this.dv;
    let count = this.instructions;
    let depth = this.depth;
    // Cached regions: the last one a load (r) and a store (w) hit outside the stack.
    let rLo = 0;
    let rHi = 0;
    let wLo = 0;
    let wHi = 0;

    for (;;) {
      const w = code[pc << 1] as number;
      count = (count + 1) | 0;
      switch (w & 0xff) {
        // ---- ALU64 ------------------------------------------------------------------------------------------
        case 0x07: { // add K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          const a = lo[d] as number;
          const r = (a + imm) | 0;
          lo[d] = r;
          hi[d] = ((hi[d] as number) + (imm >> 31) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          break;
        }
        case 0x0f: { // add X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          const a = lo[d] as number;
          const r = (a + (lo[s] as number)) | 0;
          lo[d] = r;
          hi[d] = ((hi[d] as number) + (hi[s] as number) + ((r >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          break;
        }
        case 0x17: { // sub K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          const a = lo[d] as number;
          lo[d] = (a - imm) | 0;
          hi[d] = ((hi[d] as number) - (imm >> 31) - ((a >>> 0) < (imm >>> 0) ? 1 : 0)) | 0;
          break;
        }
        case 0x1f: { // sub X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          const a = lo[d] as number;
          const b = lo[s] as number;
          lo[d] = (a - b) | 0;
          hi[d] = ((hi[d] as number) - (hi[s] as number) - ((a >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          break;
        }
        case 0x27: { // mul K
          const imm = code[(pc << 1) | 1] as number;
          mul64(lo, hi, (w >> 8) & 15, imm, imm >> 31);
          break;
        }
        case 0x2f: { // mul X
          const s = (w >> 12) & 15;
          mul64(lo, hi, (w >> 8) & 15, lo[s] as number, hi[s] as number);
          break;
        }
        case 0x37: { // div K (offset 1: sdiv)
          const imm = code[(pc << 1) | 1] as number;
          if ((w >> 16) === 1) sdiv64(lo, hi, (w >> 8) & 15, imm, imm >> 31);
          else udiv64(lo, hi, (w >> 8) & 15, imm, imm >> 31);
          break;
        }
        case 0x3f: { // div X
          const s = (w >> 12) & 15;
          if ((w >> 16) === 1) sdiv64(lo, hi, (w >> 8) & 15, lo[s] as number, hi[s] as number);
          else udiv64(lo, hi, (w >> 8) & 15, lo[s] as number, hi[s] as number);
          break;
        }
        case 0x47: { // or K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          lo[d] = (lo[d] as number) | imm;
          hi[d] = (hi[d] as number) | (imm >> 31);
          break;
        }
        case 0x4f: { // or X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          lo[d] = (lo[d] as number) | (lo[s] as number);
          hi[d] = (hi[d] as number) | (hi[s] as number);
          break;
        }
        case 0x57: { // and K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          lo[d] = (lo[d] as number) & imm;
          hi[d] = (hi[d] as number) & (imm >> 31);
          break;
        }
        case 0x5f: { // and X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          lo[d] = (lo[d] as number) & (lo[s] as number);
          hi[d] = (hi[d] as number) & (hi[s] as number);
          break;
        }
        // ---- fused pairs (prepare.ts: FusedOpcode); the following slots still hold the originals -------------
        case 0x01: { // rX <<= 32; rX >>= 32
          hi[(w >> 8) & 15] = 0;
          count = (count + 1) | 0;
          pc = (pc + 2) | 0;
          continue;
        }
        case 0x09: { // rX <<= 32; rX s>>= 32
          const d = (w >> 8) & 15;
          hi[d] = (lo[d] as number) >> 31;
          count = (count + 1) | 0;
          pc = (pc + 2) | 0;
          continue;
        }
        case 0x11: { // rX = rY; rX <<= 32; rX >>= 32
          const d = (w >> 8) & 15;
          lo[d] = lo[(w >> 12) & 15] as number;
          hi[d] = 0;
          count = (count + 2) | 0;
          pc = (pc + 3) | 0;
          continue;
        }
        case 0x67: // lsh K
          lsh64(lo, hi, (w >> 8) & 15, (code[(pc << 1) | 1] as number) & 63);
          break;
        case 0x6f: // lsh X
          lsh64(lo, hi, (w >> 8) & 15, (lo[(w >> 12) & 15] as number) & 63);
          break;
        case 0x77: // rsh K
          rsh64(lo, hi, (w >> 8) & 15, (code[(pc << 1) | 1] as number) & 63);
          break;
        case 0x7f: // rsh X
          rsh64(lo, hi, (w >> 8) & 15, (lo[(w >> 12) & 15] as number) & 63);
          break;
        case 0x87: { // neg
          const d = (w >> 8) & 15;
          const a = lo[d] as number;
          lo[d] = -a | 0;
          hi[d] = (-(hi[d] as number) - (a !== 0 ? 1 : 0)) | 0;
          break;
        }
        case 0x97: { // mod K (offset 1: smod)
          const imm = code[(pc << 1) | 1] as number;
          if ((w >> 16) === 1) smod64(lo, hi, (w >> 8) & 15, imm, imm >> 31);
          else umod64(lo, hi, (w >> 8) & 15, imm, imm >> 31);
          break;
        }
        case 0x9f: { // mod X
          const s = (w >> 12) & 15;
          if ((w >> 16) === 1) smod64(lo, hi, (w >> 8) & 15, lo[s] as number, hi[s] as number);
          else umod64(lo, hi, (w >> 8) & 15, lo[s] as number, hi[s] as number);
          break;
        }
        case 0xa7: { // xor K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          lo[d] = (lo[d] as number) ^ imm;
          hi[d] = (hi[d] as number) ^ (imm >> 31);
          break;
        }
        case 0xaf: { // xor X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          lo[d] = (lo[d] as number) ^ (lo[s] as number);
          hi[d] = (hi[d] as number) ^ (hi[s] as number);
          break;
        }
        case 0xb7: { // mov K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          lo[d] = imm;
          hi[d] = imm >> 31;
          break;
        }
        case 0xbf: { // mov X (offset 8/16/32: movsx)
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          const off = w >> 16;
          if (off === 0) {
            lo[d] = lo[s] as number;
            hi[d] = hi[s] as number;
          } else {
            const v = off === 8 ? ((lo[s] as number) << 24) >> 24 : off === 16 ? ((lo[s] as number) << 16) >> 16 : (lo[s] as number);
            lo[d] = v;
            hi[d] = v >> 31;
          }
          break;
        }
        case 0xc7: // arsh K
          arsh64(lo, hi, (w >> 8) & 15, (code[(pc << 1) | 1] as number) & 63);
          break;
        case 0xcf: // arsh X
          arsh64(lo, hi, (w >> 8) & 15, (lo[(w >> 12) & 15] as number) & 63);
          break;
        case 0xd7: // bswap16/32/64
          byteSwap(lo, hi, (w >> 8) & 15, code[(pc << 1) | 1] as number);
          break;

        // ---- ALU (32-bit; results zero-extended) -------------------------------------------------------------
        case 0x04: { // add32 K
          const d = (w >> 8) & 15;
          lo[d] = ((lo[d] as number) + (code[(pc << 1) | 1] as number)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x0c: { // add32 X
          const d = (w >> 8) & 15;
          lo[d] = ((lo[d] as number) + (lo[(w >> 12) & 15] as number)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x14: { // sub32 K
          const d = (w >> 8) & 15;
          lo[d] = ((lo[d] as number) - (code[(pc << 1) | 1] as number)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x1c: { // sub32 X
          const d = (w >> 8) & 15;
          lo[d] = ((lo[d] as number) - (lo[(w >> 12) & 15] as number)) | 0;
          hi[d] = 0;
          break;
        }
        case 0x24: { // mul32 K
          const d = (w >> 8) & 15;
          lo[d] = Math.imul(lo[d] as number, code[(pc << 1) | 1] as number);
          hi[d] = 0;
          break;
        }
        case 0x2c: { // mul32 X
          const d = (w >> 8) & 15;
          lo[d] = Math.imul(lo[d] as number, lo[(w >> 12) & 15] as number);
          hi[d] = 0;
          break;
        }
        case 0x34: { // div32 K
          const d = (w >> 8) & 15;
          lo[d] = div32(lo[d] as number, code[(pc << 1) | 1] as number, (w >> 16) === 1);
          hi[d] = 0;
          break;
        }
        case 0x3c: { // div32 X
          const d = (w >> 8) & 15;
          lo[d] = div32(lo[d] as number, lo[(w >> 12) & 15] as number, (w >> 16) === 1);
          hi[d] = 0;
          break;
        }
        case 0x44: { // or32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) | (code[(pc << 1) | 1] as number);
          hi[d] = 0;
          break;
        }
        case 0x4c: { // or32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) | (lo[(w >> 12) & 15] as number);
          hi[d] = 0;
          break;
        }
        case 0x54: { // and32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) & (code[(pc << 1) | 1] as number);
          hi[d] = 0;
          break;
        }
        case 0x5c: { // and32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) & (lo[(w >> 12) & 15] as number);
          hi[d] = 0;
          break;
        }
        case 0x64: { // lsh32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) << ((code[(pc << 1) | 1] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0x6c: { // lsh32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) << ((lo[(w >> 12) & 15] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0x74: { // rsh32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) >>> ((code[(pc << 1) | 1] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0x7c: { // rsh32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) >>> ((lo[(w >> 12) & 15] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0x84: { // neg32
          const d = (w >> 8) & 15;
          lo[d] = -(lo[d] as number) | 0;
          hi[d] = 0;
          break;
        }
        case 0x94: { // mod32 K
          const d = (w >> 8) & 15;
          lo[d] = mod32(lo[d] as number, code[(pc << 1) | 1] as number, (w >> 16) === 1);
          hi[d] = 0;
          break;
        }
        case 0x9c: { // mod32 X
          const d = (w >> 8) & 15;
          lo[d] = mod32(lo[d] as number, lo[(w >> 12) & 15] as number, (w >> 16) === 1);
          hi[d] = 0;
          break;
        }
        case 0xa4: { // xor32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) ^ (code[(pc << 1) | 1] as number);
          hi[d] = 0;
          break;
        }
        case 0xac: { // xor32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) ^ (lo[(w >> 12) & 15] as number);
          hi[d] = 0;
          break;
        }
        case 0xb4: { // mov32 K
          const d = (w >> 8) & 15;
          lo[d] = code[(pc << 1) | 1] as number;
          hi[d] = 0;
          break;
        }
        case 0xbc: { // mov32 X (offset 8/16: movsx to 32 bits)
          const d = (w >> 8) & 15;
          const v = lo[(w >> 12) & 15] as number;
          const off = w >> 16;
          lo[d] = off === 0 ? v : off === 8 ? (v << 24) >> 24 : (v << 16) >> 16;
          hi[d] = 0;
          break;
        }
        case 0xc4: { // arsh32 K
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) >> ((code[(pc << 1) | 1] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0xcc: { // arsh32 X
          const d = (w >> 8) & 15;
          lo[d] = (lo[d] as number) >> ((lo[(w >> 12) & 15] as number) & 31);
          hi[d] = 0;
          break;
        }
        case 0xd4: { // le16/32/64: a truncation on this little-endian machine
          const d = (w >> 8) & 15;
          const width = code[(pc << 1) | 1] as number;
          if (width === 16) { lo[d] = (lo[d] as number) & 0xffff; hi[d] = 0; } else if (width === 32) hi[d] = 0;
          break;
        }
        case 0xdc: // be16/32/64
          byteSwap(lo, hi, (w >> 8) & 15, code[(pc << 1) | 1] as number);
          break;

        // ---- loads and stores --------------------------------------------------------------------------------
        case 0x18: { // lddw (resolved while preparing)
          const d = (w >> 8) & 15;
          lo[d] = code[(pc << 1) | 1] as number;
          hi[d] = code[(pc << 1) + 3] as number;
          pc += 2;
          continue;
        }
        case 0x61: { // ldxw
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 4 > rHi) && (a < sLo || a + 4 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 4, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          lo[d] = dv.getInt32(a, true);
          hi[d] = 0;
          break;
        }
        case 0x69: { // ldxh
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 2 > rHi) && (a < sLo || a + 2 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 2, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          lo[d] = dv.getUint16(a, true);
          hi[d] = 0;
          break;
        }
        case 0x71: { // ldxb
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 1 > rHi) && (a < sLo || a + 1 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 1, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          lo[d] = u8[a] as number;
          hi[d] = 0;
          break;
        }
        case 0x79: { // ldxdw
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 8 > rHi) && (a < sLo || a + 8 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 8, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          lo[d] = dv.getInt32(a, true);
          hi[d] = dv.getInt32(a + 4, true);
          break;
        }
        case 0x81: { // ldxsw
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 4 > rHi) && (a < sLo || a + 4 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 4, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          const v = dv.getInt32(a, true);
          lo[d] = v;
          hi[d] = v >> 31;
          break;
        }
        case 0x89: { // ldxsh
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 2 > rHi) && (a < sLo || a + 2 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 2, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          const v = dv.getInt16(a, true);
          lo[d] = v;
          hi[d] = v >> 31;
          break;
        }
        case 0x91: { // ldxsb
          const s = (w >> 12) & 15;
          let a = ((lo[s] as number) >>> 0) + (w >> 16);
          if (hi[s] !== 0 || ((a < rLo || a + 1 > rHi) && (a < sLo || a + 1 > sHi))) {
            a = this.check(prog, pc, s, w >> 16, 1, false); rLo = this.hitStart; rHi = this.hitEnd;
          }
          const d = (w >> 8) & 15;
          const v = dv.getInt8(a);
          lo[d] = v;
          hi[d] = v >> 31;
          break;
        }
        case 0x62: { // stw K
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 4 > wHi) && (a < sLo || a + 4 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 4, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          dv.setInt32(a, code[(pc << 1) | 1] as number, true);
          break;
        }
        case 0x6a: { // sth K
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 2 > wHi) && (a < sLo || a + 2 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 2, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          dv.setInt16(a, code[(pc << 1) | 1] as number, true);
          break;
        }
        case 0x72: { // stb K
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 1 > wHi) && (a < sLo || a + 1 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 1, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          u8[a] = code[(pc << 1) | 1] as number;
          break;
        }
        case 0x7a: { // stdw K (imm sign-extended)
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 8 > wHi) && (a < sLo || a + 8 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 8, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          const imm = code[(pc << 1) | 1] as number;
          dv.setInt32(a, imm, true);
          dv.setInt32(a + 4, imm >> 31, true);
          break;
        }
        case 0x63: { // stxw
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 4 > wHi) && (a < sLo || a + 4 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 4, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          dv.setInt32(a, lo[(w >> 12) & 15] as number, true);
          break;
        }
        case 0x6b: { // stxh
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 2 > wHi) && (a < sLo || a + 2 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 2, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          dv.setInt16(a, lo[(w >> 12) & 15] as number, true);
          break;
        }
        case 0x73: { // stxb
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 1 > wHi) && (a < sLo || a + 1 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 1, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          u8[a] = lo[(w >> 12) & 15] as number;
          break;
        }
        case 0x7b: { // stxdw
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 8 > wHi) && (a < sLo || a + 8 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 8, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          const s = (w >> 12) & 15;
          dv.setInt32(a, lo[s] as number, true);
          dv.setInt32(a + 4, hi[s] as number, true);
          break;
        }
        case 0xc3: { // atomic 32
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 4 > wHi) && (a < sLo || a + 4 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 4, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          atomic32(dv, lo, hi, a, (w >> 12) & 15, code[(pc << 1) | 1] as number);
          break;
        }
        case 0xdb: { // atomic 64
          const d = (w >> 8) & 15;
          let a = ((lo[d] as number) >>> 0) + (w >> 16);
          if (hi[d] !== 0 || ((a < wLo || a + 8 > wHi) && (a < sLo || a + 8 > sHi))) {
            a = this.check(prog, pc, d, w >> 16, 8, true); wLo = this.hitStart; wHi = this.hitEnd;
          }
          atomic64(dv, lo, hi, a, (w >> 12) & 15, code[(pc << 1) | 1] as number);
          break;
        }

        // ---- JMP (64-bit comparisons) ------------------------------------------------------------------------
        case 0x05: // ja
          pc = (pc + (w >> 16)) | 0;
          if (count > limit) throw this.overLimit(prog, pc);
          break;
        case 0x15: { // jeq K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          if (lo[d] === imm && hi[d] === (imm >> 31)) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x1d: { // jeq X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          if (lo[d] === lo[s] && hi[d] === hi[s]) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x55: { // jne K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          if (lo[d] !== imm || hi[d] !== (imm >> 31)) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x5d: { // jne X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          if (lo[d] !== lo[s] || hi[d] !== hi[s]) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x45: { // jset K
          const d = (w >> 8) & 15;
          const imm = code[(pc << 1) | 1] as number;
          if (((lo[d] as number) & imm) !== 0 || ((hi[d] as number) & (imm >> 31)) !== 0) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x4d: { // jset X
          const d = (w >> 8) & 15;
          const s = (w >> 12) & 15;
          if (((lo[d] as number) & (lo[s] as number)) !== 0 || ((hi[d] as number) & (hi[s] as number)) !== 0) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x25: case 0x2d: case 0x35: case 0x3d: case 0xa5: case 0xad: case 0xb5: case 0xbd: { // unsigned
          const d = (w >> 8) & 15;
          let bl: number;
          let bh: number;
          if ((w & 0x08) !== 0) {
            const s = (w >> 12) & 15;
            bl = lo[s] as number;
            bh = hi[s] as number;
          } else {
            bl = code[(pc << 1) | 1] as number;
            bh = bl >> 31;
          }
          const ah = hi[d] as number;
          // -1, 0, 1 as a compares to b, unsigned.
          const c = ah !== bh
            ? ((ah >>> 0) < (bh >>> 0) ? -1 : 1)
            : ((lo[d] as number) >>> 0) < (bl >>> 0) ? -1 : ((lo[d] as number) === bl ? 0 : 1);
          const op = w & 0xf0;
          if (op === 0x20 ? c > 0 : op === 0x30 ? c >= 0 : op === 0xa0 ? c < 0 : c <= 0) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0x65: case 0x6d: case 0x75: case 0x7d: case 0xc5: case 0xcd: case 0xd5: case 0xdd: { // signed
          const d = (w >> 8) & 15;
          let bl: number;
          let bh: number;
          if ((w & 0x08) !== 0) {
            const s = (w >> 12) & 15;
            bl = lo[s] as number;
            bh = hi[s] as number;
          } else {
            bl = code[(pc << 1) | 1] as number;
            bh = bl >> 31;
          }
          const ah = hi[d] as number;
          const c = ah !== bh
            ? (ah < bh ? -1 : 1)
            : ((lo[d] as number) >>> 0) < (bl >>> 0) ? -1 : ((lo[d] as number) === bl ? 0 : 1);
          const op = w & 0xf0;
          if (op === 0x60 ? c > 0 : op === 0x70 ? c >= 0 : op === 0xc0 ? c < 0 : c <= 0) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }

        // ---- JMP32 (32-bit comparisons) ----------------------------------------------------------------------
        case 0x06: // gotol (ja32): the displacement is in imm
          pc += code[(pc << 1) | 1] as number;
          if (count > limit) throw this.overLimit(prog, pc);
          break;
        case 0x16: case 0x1e: case 0x56: case 0x5e: case 0x46: case 0x4e:
        case 0x26: case 0x2e: case 0x36: case 0x3e: case 0xa6: case 0xae: case 0xb6: case 0xbe:
        case 0x66: case 0x6e: case 0x76: case 0x7e: case 0xc6: case 0xce: case 0xd6: case 0xde: {
          const a = lo[(w >> 8) & 15] as number;
          const b = (w & 0x08) !== 0 ? lo[(w >> 12) & 15] as number : code[(pc << 1) | 1] as number;
          let taken: boolean;
          switch (w & 0xf0) {
            case 0x10: taken = a === b; break;
            case 0x50: taken = a !== b; break;
            case 0x40: taken = (a & b) !== 0; break;
            case 0x20: taken = (a >>> 0) > (b >>> 0); break;
            case 0x30: taken = (a >>> 0) >= (b >>> 0); break;
            case 0xa0: taken = (a >>> 0) < (b >>> 0); break;
            case 0xb0: taken = (a >>> 0) <= (b >>> 0); break;
            case 0x60: taken = a > b; break;
            case 0x70: taken = a >= b; break;
            case 0xc0: taken = a < b; break;
            default: taken = a <= b; break;
          }
          if (taken) { pc = (pc + (w >> 16)) | 0; if (count > limit) throw this.overLimit(prog, pc); }
          break;
        }
        case 0xe5: // may_goto: falls through while the run's loop budget lasts, then jumps
          if (--this.mayGoto < 0) {
            this.mayGoto = 0;
            pc = (pc + (w >> 16)) | 0;
          }
          if (count > limit) throw this.overLimit(prog, pc);
          break;

        // ---- calls and exit ----------------------------------------------------------------------------------
        case 0x85: { // call
          const imm = code[(pc << 1) | 1] as number;
          if (((w >> 12) & 15) === 1) { // BPF-to-BPF
            this.pushFrame(prog, pc, depth);
            depth++;
            pc += imm + 1;
            if (count > limit) throw this.overLimit(prog, pc);
            continue;
          }
          // A helper (kfunc calls were refused while preparing); out of line, to keep this loop small.
          this.depth = depth; this.current = prog; this.pc = pc; this.instructions = count;
          const next = this.helper(prog, pc, imm);
          count = this.instructions;
          u8 = this.u8; dv = this.dv;
          rLo = 0; rHi = 0; wLo = 0; wHi = 0;
          if (next === STEP) break;
          return next; // DONE (-1) or a tail call (0, in this.nextProg)
        }
        case 0x8d: { // callx: out of line
          this.depth = depth; this.current = prog; this.pc = pc; this.instructions = count;
          const next = this.callx(prog, pc, (w >> 8) & 15);
          count = this.instructions;
          depth = this.depth;
          u8 = this.u8; dv = this.dv;
          rLo = 0; rHi = 0; wLo = 0; wHi = 0;
          if (next === STEP) break;
          if (next === JUMP) {
            pc = this.nextPc;
            continue;
          }
          return next;
        }
        case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: { // legacy packet loads
          if (this.packetLoad(prog, pc, w, code[(pc << 1) | 1] as number)) break;
          // Out of the packet: the function returns 0, as Linux's bpf_gen_ld_abs does (a hidden exit; in the
          // program's own frame the program ends). The rest is the exit below.
          lo[0] = 0; hi[0] = 0;
          if (depth === baseDepth) {
            this.instructions = count;
            return -1;
          }
          depth--;
          const b = depth << 3;
          lo[6] = saved[b] as number; hi[6] = saved[b + 1] as number;
          lo[7] = saved[b + 2] as number; hi[7] = saved[b + 3] as number;
          lo[8] = saved[b + 4] as number; hi[8] = saved[b + 5] as number;
          lo[9] = saved[b + 6] as number; hi[9] = saved[b + 7] as number;
          lo[10] = (lo[10] as number) + STACK_FRAME_SIZE;
          pc = retPc[depth] as number;
          const back = retProg[depth] as PreparedProgram;
          if (back !== prog) {
            this.depth = depth; this.instructions = count; this.nextProg = back;
            return pc;
          }
          continue;
        }
        case 0x95: { // exit
          if (depth === baseDepth) {
            this.instructions = count;
            return -1;
          }
          depth--;
          const b = depth << 3;
          lo[6] = saved[b] as number; hi[6] = saved[b + 1] as number;
          lo[7] = saved[b + 2] as number; hi[7] = saved[b + 3] as number;
          lo[8] = saved[b + 4] as number; hi[8] = saved[b + 5] as number;
          lo[9] = saved[b + 6] as number; hi[9] = saved[b + 7] as number;
          lo[10] = (lo[10] as number) + STACK_FRAME_SIZE;
          this.mayGoto = this.savedBudget[depth] as number;
          pc = retPc[depth] as number;
          const back = retProg[depth] as PreparedProgram;
          if (back !== prog) {
            this.depth = depth; this.instructions = count; this.nextProg = back;
            return pc;
          }
          continue;
        }
        default:
          this.instructions = count;
          throw this.badInstruction(prog, pc, w);
      }
      pc = (pc + 1) | 0;
    }
  }

  /** A BPF-to-BPF call's frame: r6-r9 and where to return saved, r10 one frame down. */
  private pushFrame(prog: PreparedProgram, pc: number, depth: number): void {
    if (depth + 1 >= MAX_CALL_FRAMES) throw this.fault(FaultKind.CALL_DEPTH, prog, pc, `the call would be call frame ${depth + 2}; at most ${MAX_CALL_FRAMES} frames are allowed`);
    const lo = this.lo;
    const hi = this.hi;
    const saved = this.saved;
    const b = depth << 3;
    saved[b] = lo[6] as number; saved[b + 1] = hi[6] as number;
    saved[b + 2] = lo[7] as number; saved[b + 3] = hi[7] as number;
    saved[b + 4] = lo[8] as number; saved[b + 5] = hi[8] as number;
    saved[b + 6] = lo[9] as number; saved[b + 7] = hi[9] as number;
    this.retPc[depth] = pc + 1;
    this.retProg[depth] = prog;
    this.savedBudget[depth] = this.mayGoto;
    this.mayGoto = MAY_GOTO_BUDGET;
    lo[10] = (lo[10] as number) - STACK_FRAME_SIZE;
  }

  /**
   * A helper call, for the loop: STEP to go on with the next instruction, DONE when the run ends here (uBPF's
   * unwind), 0 for a tail call (the target in nextProg). Leaves the memory views current.
   */
  private helper(prog: PreparedProgram, pc: number, id: number): number {
    const host = this.host;
    const outcome = host.callHelper(id, this);
    if (this.u8.length === 0) this.refreshMemory();
    if (outcome === HelperOutcome.CONTINUE) return STEP;
    if (outcome === HelperOutcome.EXIT) return DONE;
    if (outcome === HelperOutcome.TAIL_CALL) {
      const target = host.takeTailCall?.();
      if (target === undefined) return STEP;
      this.nextProg = target;
      // The target starts as a program does, with a full may_goto budget.
      this.mayGoto = MAY_GOTO_BUDGET;
      return 0;
    }
    throw this.fault(FaultKind.BAD_CALL, prog, pc, `helper #${id} does not exist`);
  }

  /**
   * `callx rD`: a function address (a call, JUMP with the target slot in nextPc, or a program switch returning the
   * slot with nextProg set) or, as the conformance suite uses it, a helper number (STEP, DONE or a tail call).
   */
  private callx(prog: PreparedProgram, pc: number, d: number): number {
    const vl = this.lo[d] as number;
    const vh = this.hi[d] as number;
    const target = this.codeTarget(prog, vh, vl);
    if (target !== undefined) {
      this.pushFrame(prog, pc, this.depth);
      this.depth++;
      if (this.instructions > this.instructionLimit) throw this.overLimit(target, vl);
      if (target !== prog) {
        this.nextProg = target;
        return vl;
      }
      this.nextPc = vl;
      return JUMP;
    }
    if (vh !== 0 || vl < 0) throw this.fault(FaultKind.BAD_CALL, prog, pc, `callx r${d}: 0x${((BigInt(vh >>> 0) << 32n) | BigInt(vl >>> 0)).toString(16)} is neither a function of the program nor a helper number`);
    const outcome = this.host.callHelper(vl, this);
    if (this.u8.length === 0) this.refreshMemory();
    if (outcome === HelperOutcome.CONTINUE) return STEP;
    if (outcome === HelperOutcome.EXIT) return DONE;
    if (outcome === HelperOutcome.TAIL_CALL) {
      const t = this.host.takeTailCall?.();
      if (t === undefined) return STEP;
      this.nextProg = t;
      return 0;
    }
    throw this.fault(FaultKind.BAD_CALL, prog, pc, `callx r${d}: helper #${vl} does not exist`);
  }

  private badInstruction(prog: PreparedProgram, pc: number, w: number): ExecutionError {
    const ins = prog.bySlot[pc];
    return this.fault(FaultKind.BAD_INSTRUCTION, prog, pc, pc >= prog.slotCount
      ? `control ran past the last instruction (${prog.slotCount} slots) without an exit`
      : ins !== undefined && writesFramePointer(ins)
        ? `slot ${pc} writes r10, the frame pointer (dead code in a verified program, never run)`
        : `slot ${pc} holds no instruction (opcode 0x${(w & 0xff).toString(16)})`);
  }

  /**
   * The slow path of a memory access: the exact 64-bit address of `reg + off`, looked up in every region. Returns
   * the address and leaves the region's bounds in hitStart/hitEnd; throws a memory fault if no region holds it.
   */
  private check(prog: PreparedProgram, pc: number, reg: number, off: number, size: number, store: boolean): number {
    const l = (this.lo[reg] as number) >>> 0;
    const h = this.hi[reg] as number;
    // The 64-bit sum, exactly: only a result in [0, 2^32) can be in a region.
    const a = h === 0 ? l + off : h === -1 ? l + off - TWO_32 : Number.NaN;
    if (a >= 0 && a + size <= TWO_32) {
      const r = this.findRegion(a, size, store);
      if (r !== undefined) {
        this.hitStart = r.start;
        this.hitEnd = r.end;
        return a;
      }
    }
    const exact = BigInt.asUintN(64, ((BigInt(h) << 32n) | BigInt(l)) + BigInt(off));
    throw this.memoryFault(prog, pc, exact, size, store, `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`);
  }

  private findRegion(a: number, size: number, store: boolean): MemoryRegion | undefined {
    const stack = this.setup.stack;
    if (a >= stack && a + size <= stack + STACK_SIZE) {
      if (this.stackRegion.start !== stack) this.stackRegion = { start: stack, end: stack + STACK_SIZE, writable: true, name: 'stack' };
      return this.stackRegion;
    }
    for (const r of this.setup.regions) {
      if (a >= r.start && a + size <= r.end && (r.writable || !store)) return r;
    }
    const r = this.host.findRegion?.(a, size);
    if (r !== undefined && a >= r.start && a + size <= r.end && (r.writable || !store)) return r;
    return undefined;
  }

  private memoryFault(prog: PreparedProgram, pc: number, address: bigint, size: number, store: boolean, expr: string): ExecutionError {
    const what = `${store ? 'store' : 'load'} of ${size} byte${size === 1 ? '' : 's'} at 0x${address.toString(16)} (${expr})`;
    const a = address < BigInt(TWO_32) ? Number(address) : -1;
    const regions: MemoryRegion[] = [{ start: this.setup.stack, end: this.setup.stack + STACK_SIZE, writable: true, name: 'stack' }, ...this.setup.regions];
    const dynamic = a >= 0 ? this.host.findRegion?.(a, 1) : undefined;
    if (dynamic !== undefined) regions.push(dynamic);
    const inside = a >= 0 ? regions.find((r) => a >= r.start && a < r.end) : undefined;
    let why: string;
    if (inside !== undefined && store && !inside.writable && a + size <= inside.end) why = `${what} writes to ${formatRegion(inside)}`;
    else if (inside !== undefined) why = `${what} runs past the end of ${formatRegion(inside)}`;
    else why = `${what} is outside the program's memory (${regions.map(formatRegion).join(', ')}${this.host.findRegion === undefined ? '' : ', map values handed out by helpers'})`;
    const err = this.fault(FaultKind.MEMORY, prog, pc, why);
    return new ExecutionError(err.detail, { ...err.fault, address: a >= 0 ? a : Number(address), size, store }, err.where);
  }

  private overLimit(prog: PreparedProgram, pc: number): ExecutionError {
    return this.fault(FaultKind.INSTRUCTION_LIMIT, prog, pc, `the run executed more than ${this.instructionLimit} instructions (an endless loop?)`);
  }

  private fault(kind: FaultKind, prog: PreparedProgram, pc: number, why: string): ExecutionError {
    // The slot is in the message already (with the function and source line); the location adds file and section.
    const { insn: _insn, ...where } = prog.where;
    return new ExecutionError(`${describeSlot(prog, pc)}: ${why}`, { kind, program: prog.name, pc }, where);
  }

  /**
   * LD_ABS / LD_IND: a big-endian load from the packet at imm (+ src), or at negative offsets from SKF_NET_OFF and
   * SKF_LL_OFF, the network and link-layer headers'. False when it is outside the packet.
   */
  private packetLoad(prog: PreparedProgram, pc: number, w: number, imm: number): boolean {
    const packet = this.setup.packet;
    if (packet === undefined) throw this.fault(FaultKind.MEMORY, prog, pc, 'a legacy packet load (LD_ABS/LD_IND) in a run without a packet');
    const size = (w & 0x18) === 0x00 ? 4 : (w & 0x18) === 0x08 ? 2 : 1;
    const off = (w & 0xe0) === 0x40 ? ((this.lo[(w >> 12) & 15] as number) + imm) | 0 : imm;
    let a: number;
    if (off < 0) {
      // Linux's bpf_internal_load_pointer_neg_helper: SKF_NET_OFF + k is the network header's byte k,
      // SKF_LL_OFF + k the link-layer header's; anything else, or outside the frame, is outside the packet.
      const link = packet.start + (packet.link ?? 0);
      if (off >= SKF_NET_OFF) a = packet.start + (packet.network ?? 0) + (off - SKF_NET_OFF);
      else if (off >= SKF_LL_OFF) a = link + (off - SKF_LL_OFF);
      else return false;
      if (a < link || a + size > packet.end) return false;
    } else {
      if (packet.start + off + size > packet.end) return false;
      a = packet.start + off;
    }
    const v = size === 4 ? this.dv.getInt32(a, false) : size === 2 ? this.dv.getUint16(a, false) : this.u8[a] as number;
    this.lo[0] = v;
    this.hi[0] = 0;
    return true;
  }
}

// ---- 64-bit arithmetic on halves ------------------------------------------------------------------------------

/** dst *= b (low 64 bits of the product): 16-bit partial products for the high half of lo * lo. */
function mul64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const al = lo[d] as number;
  const ah = hi[d] as number;
  if (bh === 0 && (bl >>> 0) <= 0x1fffff) {
    // A small multiplier (a constant like FNV's 0x1b3, an index scale): al * bl is exact in a double (< 2^53),
    // its high part carries into ah * bl.
    const p = (al >>> 0) * bl;
    lo[d] = p | 0;
    hi[d] = (Math.imul(ah, bl) + ((p / 4294967296) | 0)) | 0;
    return;
  }
  if ((ah | bh) === 0) {
    // Both below 2^32: the product is exact in a double when below 2^53.
    const p = (al >>> 0) * (bl >>> 0);
    if (p <= 9007199254740991) {
      lo[d] = p | 0;
      hi[d] = (p / 4294967296) | 0;
      return;
    }
  }
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  lo[d] = Math.imul(al, bl);
  hi[d] = (carry + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

function toBig(h: number, l: number): bigint {
  return (BigInt(h) << 32n) | BigInt(l >>> 0);
}

function setBig(lo: Int32Array, hi: Int32Array, d: number, v: bigint): void {
  lo[d] = Number(BigInt.asIntN(32, v));
  hi[d] = Number(BigInt.asIntN(32, v >> 32n));
}

/** Unsigned 64-bit division; by zero gives 0. */
function udiv64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const ah = hi[d] as number;
  if (bl === 0 && bh === 0) {
    lo[d] = 0;
    hi[d] = 0;
  } else if (ah === 0 && bh === 0) {
    lo[d] = (((lo[d] as number) >>> 0) / (bl >>> 0)) | 0;
  } else {
    setBig(lo, hi, d, BigInt.asUintN(64, toBig(ah, lo[d] as number)) / BigInt.asUintN(64, toBig(bh, bl)));
  }
}

/** Unsigned 64-bit modulo; by zero leaves dst. */
function umod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const ah = hi[d] as number;
  if (bl === 0 && bh === 0) return;
  if (ah === 0 && bh === 0) {
    lo[d] = ((lo[d] as number) >>> 0) % (bl >>> 0) | 0;
  } else {
    setBig(lo, hi, d, BigInt.asUintN(64, toBig(ah, lo[d] as number)) % BigInt.asUintN(64, toBig(bh, bl)));
  }
}

/** Signed 64-bit division, truncated; by zero gives 0; INT64_MIN / -1 wraps to INT64_MIN. */
function sdiv64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const al = lo[d] as number;
  const ah = hi[d] as number;
  if (bl === 0 && bh === 0) {
    lo[d] = 0;
    hi[d] = 0;
  } else if (ah === al >> 31 && bh === bl >> 31) {
    // Both fit in 32 bits signed: the quotient fits in 33 bits, exact in a double.
    const q = Math.trunc(al / bl);
    lo[d] = q | 0;
    hi[d] = q < 0 ? -1 : 0;
  } else {
    const q = toBig(ah, al) / toBig(bh, bl); // BigInt division truncates toward zero
    setBig(lo, hi, d, BigInt.asIntN(64, q));
  }
}

/** Signed 64-bit modulo, truncated (the sign of the dividend); by zero leaves dst. */
function smod64(lo: Int32Array, hi: Int32Array, d: number, bl: number, bh: number): void {
  const al = lo[d] as number;
  const ah = hi[d] as number;
  if (bl === 0 && bh === 0) return;
  if (ah === al >> 31 && bh === bl >> 31) {
    const r = al % bl;
    lo[d] = r | 0;
    hi[d] = r < 0 ? -1 : 0;
  } else {
    setBig(lo, hi, d, toBig(ah, al) % toBig(bh, bl));
  }
}

/** 32-bit division, unsigned or signed; by zero gives 0; INT32_MIN / -1 wraps. */
function div32(a: number, b: number, signed: boolean): number {
  if (b === 0) return 0;
  if (signed) return b === -1 ? -a | 0 : (a / b) | 0;
  return ((a >>> 0) / (b >>> 0)) | 0;
}

/** 32-bit modulo, unsigned or signed (truncated); by zero leaves the dividend. */
function mod32(a: number, b: number, signed: boolean): number {
  if (b === 0) return a;
  if (signed) return b === -1 ? 0 : (a % b) | 0;
  return ((a >>> 0) % (b >>> 0)) | 0;
}

function lsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const l = lo[d] as number;
  if (n < 32) {
    hi[d] = ((hi[d] as number) << n) | (l >>> (32 - n));
    lo[d] = l << n;
  } else {
    hi[d] = l << (n - 32);
    lo[d] = 0;
  }
}

function rsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d] as number;
  if (n < 32) {
    lo[d] = ((lo[d] as number) >>> n) | (h << (32 - n));
    hi[d] = h >>> n;
  } else {
    lo[d] = h >>> (n - 32);
    hi[d] = 0;
  }
}

function arsh64(lo: Int32Array, hi: Int32Array, d: number, n: number): void {
  if (n === 0) return;
  const h = hi[d] as number;
  if (n < 32) {
    lo[d] = ((lo[d] as number) >>> n) | (h << (32 - n));
    hi[d] = h >> n;
  } else {
    lo[d] = h >> (n - 32);
    hi[d] = h >> 31;
  }
}

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** be16/32/64 and bswap16/32/64: swap the low `width` bits, zero the rest. */
function byteSwap(lo: Int32Array, hi: Int32Array, d: number, width: number): void {
  const l = lo[d] as number;
  if (width === 16) {
    lo[d] = ((l & 0xff) << 8) | ((l >>> 8) & 0xff);
    hi[d] = 0;
  } else if (width === 32) {
    lo[d] = bswap32(l);
    hi[d] = 0;
  } else {
    lo[d] = bswap32(hi[d] as number);
    hi[d] = bswap32(l);
  }
}

/** 32-bit atomics: add/or/and/xor (with fetch: src gets the old value), xchg, cmpxchg (against r0). */
function atomic32(dv: DataView, lo: Int32Array, hi: Int32Array, a: number, s: number, op: number): void {
  const old = dv.getInt32(a, true);
  const v = lo[s] as number;
  switch (op) {
    case 0x00: case 0x01: dv.setInt32(a, (old + v) | 0, true); break;
    case 0x40: case 0x41: dv.setInt32(a, old | v, true); break;
    case 0x50: case 0x51: dv.setInt32(a, old & v, true); break;
    case 0xa0: case 0xa1: dv.setInt32(a, old ^ v, true); break;
    case 0xe1: dv.setInt32(a, v, true); break;
    default: // 0xf1 cmpxchg
      if (old === lo[0]) dv.setInt32(a, v, true);
      lo[0] = old;
      hi[0] = 0;
      return;
  }
  if ((op & 1) !== 0) {
    lo[s] = old;
    hi[s] = 0;
  }
}

/** 64-bit atomics, as {@link atomic32}. */
function atomic64(dv: DataView, lo: Int32Array, hi: Int32Array, a: number, s: number, op: number): void {
  const ol = dv.getInt32(a, true);
  const oh = dv.getInt32(a + 4, true);
  const vl = lo[s] as number;
  const vh = hi[s] as number;
  let nl: number;
  let nh: number;
  switch (op) {
    case 0x00: case 0x01: {
      nl = (ol + vl) | 0;
      nh = (oh + vh + ((nl >>> 0) < (ol >>> 0) ? 1 : 0)) | 0;
      break;
    }
    case 0x40: case 0x41: nl = ol | vl; nh = oh | vh; break;
    case 0x50: case 0x51: nl = ol & vl; nh = oh & vh; break;
    case 0xa0: case 0xa1: nl = ol ^ vl; nh = oh ^ vh; break;
    case 0xe1: nl = vl; nh = vh; break;
    default: // 0xf1 cmpxchg
      if (ol === lo[0] && oh === hi[0]) {
        dv.setInt32(a, vl, true);
        dv.setInt32(a + 4, vh, true);
      }
      lo[0] = ol;
      hi[0] = oh;
      return;
  }
  dv.setInt32(a, nl, true);
  dv.setInt32(a + 4, nh, true);
  if ((op & 1) !== 0) {
    lo[s] = ol;
    hi[s] = oh;
  }
}
