/**
 * The dispatcher shape of generated code, for what the structured shape cannot take (an irreducible loop, a jump
 * from one function into another, a conformance program with BPF-to-BPF calls): the whole program (entry and
 * callees) is the exported `run`, r0-r10 are i64 locals, and control flow is a `loop` around a ladder of
 * `block`s, one per basic block ("leader" slot), entered through a `br_table` on the slot to go to. Forward
 * jumps branch straight to their block; backward jumps, returns and `callx` go round the loop through the
 * dispatcher, which also spends one unit of fuel. Local calls save r6-r9, the return slot and the may_goto
 * budget in a frame area of the memory (`frames`, outside the program's window) and move r10 down a 512-byte
 * frame, as the interpreter does, so the registers are exactly the interpreter's at every instruction.
 *
 * Author: Claude.
 *
 * @module
 */

import { MAX_CALL_FRAMES, STACK_FRAME_SIZE, type PreparedProgram } from '../interp/index.ts';
import type { JitRuntimeBinding } from './runtime-binding.ts';
import { F_FAULT, FRAME_BUDGET_OFFSET, JitFault, JIT_FRAME_RECORD, MAY_GOTO_BUDGET, T_RUN } from './module-layout.ts';
import { InstructionTranslator, jitError, type TranslationContext } from './translate-instruction.ts';
import { BlockType, ByteWriter, type FuncDef, Op, ValType } from './wasm-encoder.ts';

// Locals: the parameters first (see JitRunFunction), then r0-r10 and scratch.
const P_R1 = 0, P_R10 = 5, P_FRAMES = 6, P_LOW = 7, P_SPAN = 8, P_FUEL = 9, P_RUNCTX = 10, P_DEPTH0 = 11, P_ENTRY = 12;
const REG0 = 13; // r0-r10: 13-23
const L_PC = 24, L_DEPTH = 25, L_A = 26, L_T0 = 27, L_T1 = 28, L_S32 = 29, L_D32 = 30, L_BUDGET = 31;
const LOCALS: ValType[] = [
  ...new Array<ValType>(11).fill(ValType.i64),
  ValType.i32, ValType.i32, ValType.i32, ValType.i64, ValType.i64, ValType.i32, ValType.i32, ValType.i32,
];

/** The dispatcher's `run`, and the slots it can dispatch to. */
export interface DispatcherFunction {
  readonly run: FuncDef;
  /** The slots that start a basic block (the dispatcher's targets), ascending. */
  readonly leaders: readonly number[];
}

/**
 * Writes `prog` as one function in the dispatcher shape (see the module comment).
 *
 * @throws {BpfshipError} code `JIT_UNSUPPORTED` for an instruction the JIT cannot translate or a jump to a slot
 *   that holds no instruction.
 */
export function dispatcherFunction(prog: PreparedProgram, runtime: JitRuntimeBinding | undefined): DispatcherFunction {
  const n = prog.slotCount;
  const insAt = (s: number) => prog.bySlot[s];

  // 1. Leaders: slot 0, jump and call targets, function addresses, and the slot after any jump, call or exit.
  const isLeader = new Uint8Array(n + 1);
  isLeader[0] = 1;
  const mark = (s: number, from: number): void => {
    if (s < 0 || s >= n || insAt(s) === undefined) throw jitError(`instruction ${from} jumps to slot ${s}, which holds no instruction`, prog, from);
    isLeader[s] = 1;
  };
  for (let s = 0; s < n; s++) {
    const ins = insAt(s);
    if (ins === undefined) continue;
    const cls = ins.opcode & 7;
    const op = ins.opcode & 0xf0;
    const next = s + ins.size;
    if (ins.opcode === 0x18 && ins.src === 4) mark(s + 1 + (ins.imm | 0), s);
    if (cls === 5 || cls === 6) {
      if (ins.opcode === 0x85) {
        if (ins.src === 1) mark(s + 1 + (ins.imm | 0), s);
      } else if (op !== 0x90 && ins.opcode !== 0x8d) {
        mark(s + 1 + (ins.opcode === 0x06 ? ins.imm | 0 : ins.offset), s);
      }
      if (next < n) isLeader[next] = 1;
    }
  }
  const leaders: number[] = [];
  const blockOf = new Int32Array(n).fill(-1);
  for (let s = 0; s < n; s++) if (isLeader[s] === 1) { blockOf[s] = leaders.length; leaders.push(s); }
  const nb = leaders.length;

  // 2. The body.
  const b = new ByteWriter();
  const lget = (l: number) => b.byte(Op.local_get).u32(l);
  const lset = (l: number) => b.byte(Op.local_set).u32(l);
  const i32c = (v: number) => b.byte(Op.i32_const).s32(v);
  let cur = 0; // the block being emitted
  const loopDepth = () => nb - cur; // blocks cur+1..nb-1, the fault block, then the loop
  const fault = (kind: JitFault, slot: number) => {
    i32c(kind); i32c(slot); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable);
  };
  // Go to `slot` (a leader); `extra` counts the blocks opened since the block's level (if/else).
  const jump = (slot: number, extra = 0) => {
    const k = blockOf[slot] as number;
    if (k > cur) {
      b.byte(Op.br).u32(k - cur - 1 + extra);
    } else {
      i32c(slot); lset(L_PC); b.byte(Op.br).u32(loopDepth() + extra);
    }
  };
  // Push a BPF-to-BPF frame (the caller's r6-r9, return slot and may_goto budget) and move r10 down.
  const pushFrame = (slot: number) => {
    lget(L_DEPTH); i32c(MAX_CALL_FRAMES - 1); b.byte(Op.i32_ge_u);
    b.byte(Op.if).byte(BlockType.empty); fault(JitFault.CALL_DEPTH, slot); b.byte(Op.end);
    lget(L_DEPTH); i32c(JIT_FRAME_RECORD); b.byte(Op.i32_mul); lget(P_FRAMES); b.byte(Op.i32_add); lset(L_A);
    for (let r = 6; r <= 9; r++) { lget(L_A); tr.get(r); b.byte(Op.i64_store).u32(3).u32((r - 6) * 8); }
    lget(L_A); i32c(slot + 1); b.byte(Op.i32_store).u32(2).u32(32);
    lget(L_A); lget(L_BUDGET); b.byte(Op.i32_store).u32(2).u32(FRAME_BUDGET_OFFSET); i32c(MAY_GOTO_BUDGET); lset(L_BUDGET);
    lget(L_DEPTH); i32c(1); b.byte(Op.i32_add); lset(L_DEPTH);
    tr.get(10); b.byte(Op.i64_const).s64(BigInt(STACK_FRAME_SIZE)); b.byte(Op.i64_sub); tr.set(10);
  };
  // Leave the current function with r0 as it is: return from `run` in the entry frame, else pop a frame.
  const exitFunction = (extra: number) => {
    lget(L_DEPTH); lget(P_DEPTH0); b.byte(Op.i32_eq);
    b.byte(Op.if).byte(BlockType.empty); tr.get(0); b.byte(Op.return); b.byte(Op.end);
    lget(L_DEPTH); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_tee).u32(L_DEPTH);
    i32c(JIT_FRAME_RECORD); b.byte(Op.i32_mul); lget(P_FRAMES); b.byte(Op.i32_add); lset(L_A);
    for (let r = 6; r <= 9; r++) { lget(L_A); b.byte(Op.i64_load).u32(3).u32((r - 6) * 8); tr.set(r); }
    lget(L_A); b.byte(Op.i32_load).u32(2).u32(32); lset(L_PC);
    lget(L_A); b.byte(Op.i32_load).u32(2).u32(FRAME_BUDGET_OFFSET); lset(L_BUDGET);
    tr.get(10); b.byte(Op.i64_const).s64(BigInt(STACK_FRAME_SIZE)); b.byte(Op.i64_add); tr.set(10);
    b.byte(Op.br).u32(loopDepth() + extra);
  };
  const context: TranslationContext = {
    reg: Array.from({ length: 11 }, (_, r) => REG0 + r),
    a: L_A, t0: L_T0, t1: L_T1, s32: L_S32, d32: L_D32,
    frameBase: undefined, // r10 moves with every call here
    pushRunCtx: () => lget(P_RUNCTX),
    pushFrames: () => lget(P_FRAMES),
    pushDepth: () => lget(L_DEPTH),
    pushTailCallFrame: () => { lget(P_FRAMES); lget(P_LOW); lget(P_SPAN); lget(P_FUEL); lget(P_RUNCTX); lget(L_DEPTH); },
    pushWindowLow: () => lget(P_LOW),
    pushWindowSpan: () => lget(P_SPAN),
    exitFunction,
    localCall: (slot, target) => { pushFrame(slot); jump(target); },
    callCodeAddress: (slot, reg) => {
      pushFrame(slot); tr.get(reg); b.byte(Op.i32_wrap_i64); lset(L_PC); b.byte(Op.br).u32(loopDepth() + 1);
    },
  };
  const tr = new InstructionTranslator(b, prog, runtime, context);

  // Initial state.
  for (let r = 1; r <= 5; r++) { lget(P_R1 + r - 1); tr.set(r); }
  lget(P_R10); tr.set(10); lget(P_DEPTH0); lset(L_DEPTH); lget(P_ENTRY); lset(L_PC); i32c(MAY_GOTO_BUDGET); lset(L_BUDGET);
  b.byte(Op.loop).byte(BlockType.empty);
  // Fuel: one unit per pass through the dispatcher.
  lget(P_FUEL); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_tee).u32(P_FUEL); b.byte(Op.i32_eqz);
  b.byte(Op.if).byte(BlockType.empty); lget(L_PC); lset(L_A); i32c(JitFault.FUEL); lget(L_A); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable); b.byte(Op.end);
  b.byte(Op.block).byte(BlockType.empty); // the fault block
  for (let k = 0; k < nb; k++) b.byte(Op.block).byte(BlockType.empty);
  lget(L_PC);
  b.byte(Op.br_table).u32(n);
  for (let s = 0; s < n; s++) b.u32(blockOf[s] === -1 ? nb : (blockOf[s] as number));
  b.u32(nb);

  for (let s = 0; s < n; s++) {
    const ins = insAt(s);
    if (blockOf[s] !== -1) {
      cur = blockOf[s] as number;
      b.byte(Op.end); // the block whose end is this leader's start
      tr.facts.clear(); // entered from the dispatcher: nothing is known
    }
    if (ins === undefined) continue;
    const { opcode, offset } = ins;
    const cls = opcode & 7;
    const op = opcode & 0xf0;
    if ((cls !== 5 && cls !== 6) || opcode === 0x85 || opcode === 0x8d) {
      const following = s + 1 < n && blockOf[s + 1] === -1 ? insAt(s + 1) : undefined;
      if (following !== undefined && tr.extensionPair(ins, following)) s++;
      else tr.instruction(s, ins);
      continue;
    }
    if (op === 0x00) { jump(s + 1 + (cls === 6 ? ins.imm | 0 : offset)); continue; }
    if (opcode === 0x95) { exitFunction(0); continue; } // exit
    if (opcode === 0xe5) { // may_goto: jump once the call's budget is used up, else spend one unit
      lget(L_BUDGET); b.byte(Op.i32_eqz);
      b.byte(Op.if).byte(BlockType.empty); jump(s + 1 + offset, 1); b.byte(Op.end);
      lget(L_BUDGET); i32c(1); b.byte(Op.i32_sub); lset(L_BUDGET);
      continue;
    }
    tr.condition(ins, s);
    b.byte(Op.if).byte(BlockType.empty); jump(s + 1 + offset, 1); b.byte(Op.end);
  }
  // Past the last block: the fault block's end, reached by br_table for a slot that is no leader.
  b.byte(Op.end);
  i32c(JitFault.BAD_TARGET); lget(L_PC); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable);
  b.byte(Op.end); // the loop
  b.byte(Op.unreachable);
  return { run: { type: T_RUN, locals: LOCALS, body: b.finish() }, leaders };
}
