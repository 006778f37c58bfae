/**
 * The structured shape of generated code: each eBPF function (the entry and every BPF-to-BPF callee) becomes a
 * WebAssembly function of its own, and its control flow becomes `block`, `loop`, `if` and `br`, placed from the
 * dominator tree of its reducible graph (Norman Ramsey, "Beyond Relooper: Recursive Translation of Unstructured
 * Control Flow to Structured Control Flow", ICFP 2022):
 *
 * - a block two or more forward edges reach (a join) is placed right after a `block` that its immediate
 *   dominator's code sits in, so that a forward jump to it is a `br` out of that `block`;
 * - a loop header's code sits in a `loop`, so that a back edge is a `br` to it, and each pass spends one unit of
 *   the run's fuel (the bound on a run, counted in loop iterations);
 * - any other block has one predecessor, and its code goes right where that predecessor branches to it.
 *
 * A BPF-to-BPF call is a WebAssembly `call` with r1-r5, r10 - 512, the depth + 1 and the run context; r6-r9 stay
 * in the caller's locals, which is how eBPF's callee-saved registers are kept. The caller's r1-r5 after the call
 * hold what they held before (eBPF leaves them undefined and the verifier refuses reading them), so this shape is
 * used for programs with calls only when they are verified (with a runtime binding); a conformance program with
 * calls gets the dispatcher shape, which keeps the interpreter's register file exactly.
 *
 * Author: Claude.
 *
 * @module
 */

import type { PreparedProgram } from '../interp/index.ts';
import { MAX_CALL_FRAMES, STACK_FRAME_SIZE } from '../interp/index.ts';
import type { JitRuntimeBinding } from './runtime-binding.ts';
import { BlockEnd, type FunctionGraph, registersWrittenInLoop } from './control-flow.ts';
import { F_FAULT, G_FRAMES, G_FUEL, G_LOW, G_SPAN, JitFault, MAY_GOTO_BUDGET, T_CALL_SLOT, T_FUNCTION, T_RUN } from './module-layout.ts';
import { InstructionTranslator, type RegisterFacts, type TranslationContext } from './translate-instruction.ts';
import { BlockType, ByteWriter, type FuncDef, Op, ValType } from './wasm-encoder.ts';

const FOUR_GIB = 1n << 32n;
/**
 * The least r10 a run may start with: every frame's 512 bytes below it, down to the eighth, are then above address
 * 0, and unchecked accesses inside a frame never wrap.
 */
export const MIN_ENTRY_R10 = MAX_CALL_FRAMES * STACK_FRAME_SIZE;

// Locals of an eBPF function: the parameters (r1-r5, r10, depth, run context), then r0 and r6-r9, then scratch.
const P_R1 = 0, P_R10 = 5, P_DEPTH = 6, P_RUNCTX = 7;
const L_R0 = 8, L_R6 = 9;
const L_A = 13, L_S32 = 14, L_D32 = 15, L_BUDGET = 16, L_FRAME_BASE = 17, L_FUEL = 18, L_T0 = 19, L_T1 = 20;
const FUNCTION_LOCALS: ValType[] = [
  ValType.i64, ValType.i64, ValType.i64, ValType.i64, ValType.i64, // r0, r6-r9
  ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, ValType.i32, // a, s32, d32, budget, frame base, fuel
  ValType.i64, ValType.i64, // t0, t1
];
const REG_LOCAL = [L_R0, P_R1, P_R1 + 1, P_R1 + 2, P_R1 + 3, P_R1 + 4, L_R6, L_R6 + 1, L_R6 + 2, L_R6 + 3, P_R10];

/** What the structured shape adds to a module. */
export interface StructuredFunctions {
  /** The exported `run` (type T_RUN). */
  readonly run: FuncDef;
  /** One function per eBPF function (type T_FUNCTION), in the order of `graphs`, then the callx dispatcher. */
  readonly functions: readonly FuncDef[];
}

/** A label the structured code can branch to: a loop's start, or the end of a block a join follows. */
type Label = { readonly kind: 'loop' | 'block'; readonly node: number } | { readonly kind: 'if' };

/**
 * Writes `prog` in the structured shape. `graphs` are its functions (analysed, all reducible); `firstFunction` is
 * the function index of the first of them in the module (the callx dispatcher comes right after the last).
 */
export function structuredFunctions(prog: PreparedProgram, graphs: readonly FunctionGraph[], runtime: JitRuntimeBinding | undefined, firstFunction: number): StructuredFunctions {
  const callSlotIndex = firstFunction + graphs.length;
  const indexOfEntry = new Map<number, number>(graphs.map((g, i) => [g.entry, firstFunction + i]));
  const functions = graphs.map((g) => functionBody(prog, g, runtime, indexOfEntry, callSlotIndex));
  functions.push(callSlotFunction(graphs, indexOfEntry));
  return { run: runFunction(graphs, runtime, indexOfEntry), functions };
}

/** Pushes the checks and call of the eBPF function at entry `slot` (the arguments are on the stack), else a fault. */
function dispatchOnSlot(w: ByteWriter, graphs: readonly FunctionGraph[], indexOfEntry: ReadonlyMap<number, number>, slotLocal: number, args: () => void): void {
  // block (result i64) { if slot == e_k { args; call f_k; br 1 } ... fault } -> r0 on the stack
  w.byte(Op.block).byte(BlockType.i64);
  for (const g of graphs) {
    w.byte(Op.local_get).u32(slotLocal).byte(Op.i32_const).s32(g.entry).byte(Op.i32_eq);
    w.byte(Op.if).byte(BlockType.empty);
    args();
    w.byte(Op.call).u32(indexOfEntry.get(g.entry) as number);
    w.byte(Op.br).u32(1);
    w.byte(Op.end);
  }
  w.byte(Op.i32_const).s32(JitFault.BAD_TARGET).byte(Op.local_get).u32(slotLocal).byte(Op.call).u32(F_FAULT).byte(Op.unreachable);
  w.byte(Op.end);
}

/**
 * Pushes a check that r10 (an i64 in local `r10`) leaves room for every frame below it and stays below 4 GiB,
 * which is what lets accesses inside a frame through r10 go unchecked; a host that broke it gets a fault.
 */
export function checkEntryR10(w: ByteWriter, r10: number): void {
  w.byte(Op.local_get).u32(r10).byte(Op.i64_const).s64(BigInt(MIN_ENTRY_R10)).byte(Op.i64_sub);
  w.byte(Op.i64_const).s64(FOUR_GIB - BigInt(MIN_ENTRY_R10)).byte(Op.i64_ge_u);
  w.byte(Op.if).byte(BlockType.empty);
  w.byte(Op.i32_const).s32(JitFault.MEMORY).byte(Op.i32_const).s32(-1).byte(Op.call).u32(F_FAULT).byte(Op.unreachable);
  w.byte(Op.end);
}

/** The exported `run` (see JitRunFunction): sets the run's globals, then calls the function at `entry`. */
function runFunction(graphs: readonly FunctionGraph[], runtime: JitRuntimeBinding | undefined, indexOfEntry: ReadonlyMap<number, number>): FuncDef {
  const R10 = 5, FRAMES = 6, LOW = 7, SPAN = 8, FUEL = 9, RUNCTX = 10, DEPTH0 = 11, ENTRY = 12, OLD_FUEL = 13, R0 = 14;
  const w = new ByteWriter();
  const get = (l: number): void => void w.byte(Op.local_get).u32(l);
  if (runtime !== undefined) checkEntryR10(w, R10);
  // A callback re-enters `run` while its helper's caller is still running: that caller's fuel comes back after.
  w.byte(Op.global_get).u32(G_FUEL).byte(Op.local_set).u32(OLD_FUEL);
  get(FUEL); w.byte(Op.global_set).u32(G_FUEL);
  get(FRAMES); w.byte(Op.global_set).u32(G_FRAMES);
  if (runtime === undefined) {
    get(LOW); w.byte(Op.global_set).u32(G_LOW);
    get(SPAN); w.byte(Op.global_set).u32(G_SPAN);
  }
  dispatchOnSlot(w, graphs, indexOfEntry, ENTRY, () => {
    for (let r = 0; r < 5; r++) get(r);
    get(R10); get(DEPTH0); get(RUNCTX);
  });
  w.byte(Op.local_set).u32(R0);
  get(OLD_FUEL); w.byte(Op.global_set).u32(G_FUEL);
  get(R0);
  return { type: T_RUN, locals: [ValType.i32, ValType.i64], body: w.finish() };
}

/** The callx dispatcher: calls the eBPF function starting at `slot`, or faults (no function starts there). */
function callSlotFunction(graphs: readonly FunctionGraph[], indexOfEntry: ReadonlyMap<number, number>): FuncDef {
  const w = new ByteWriter();
  dispatchOnSlot(w, graphs, indexOfEntry, 0, () => {
    for (let l = 1; l <= 8; l++) w.byte(Op.local_get).u32(l);
  });
  return { type: T_CALL_SLOT, locals: [], body: w.finish() };
}

/** The WebAssembly function of one eBPF function. */
function functionBody(prog: PreparedProgram, g: FunctionGraph, runtime: JitRuntimeBinding | undefined, indexOfEntry: ReadonlyMap<number, number>, callSlotIndex: number): FuncDef {
  const b = new ByteWriter();
  const lget = (l: number): void => void b.byte(Op.local_get).u32(l);
  const i32c = (v: number): void => void b.byte(Op.i32_const).s32(v);
  // A function with loops counts its fuel in a local, and hands the count back through the run's global where
  // another function may spend it: around its BPF-to-BPF calls and when it returns. (A helper that calls back
  // re-enters `run`, which gives the callback fuel of its own and puts the global back afterwards.)
  const hasLoops = g.loopHeader.includes(1);
  const spillFuel = (): void => { if (hasLoops) { lget(L_FUEL); b.byte(Op.global_set).u32(G_FUEL); } };
  const reloadFuel = (): void => { if (hasLoops) { b.byte(Op.global_get).u32(G_FUEL); b.byte(Op.local_set).u32(L_FUEL); } };
  const pushFuel = (): void => { if (hasLoops) lget(L_FUEL); else b.byte(Op.global_get).u32(G_FUEL); };
  const leave = (): void => { spillFuel(); lget(L_R0); b.byte(Op.return); };
  const fault = (kind: number, slot: number): void => {
    i32c(kind); i32c(slot); b.byte(Op.call).u32(F_FAULT); b.byte(Op.unreachable);
  };
  // A call one frame down: the depth check, then r1-r5, r10 - 512, depth + 1, the run context.
  const calleeArguments = (slot: number): void => {
    lget(P_DEPTH); i32c(MAX_CALL_FRAMES - 1); b.byte(Op.i32_ge_u);
    b.byte(Op.if).byte(BlockType.empty); fault(JitFault.CALL_DEPTH, slot); b.byte(Op.end);
    for (let r = 0; r < 5; r++) lget(P_R1 + r);
    lget(P_R10); b.byte(Op.i64_const).s64(BigInt(STACK_FRAME_SIZE)); b.byte(Op.i64_sub);
    lget(P_DEPTH); i32c(1); b.byte(Op.i32_add);
    lget(P_RUNCTX);
  };
  const context: TranslationContext = {
    reg: REG_LOCAL,
    a: L_A, t0: L_T0, t1: L_T1, s32: L_S32, d32: L_D32,
    frameBase: runtime === undefined ? undefined : L_FRAME_BASE,
    pushRunCtx: () => lget(P_RUNCTX),
    pushFrames: () => void b.byte(Op.global_get).u32(G_FRAMES),
    pushDepth: () => lget(P_DEPTH),
    pushTailCallFrame: () => {
      b.byte(Op.global_get).u32(G_FRAMES);
      b.byte(Op.i64_const).s64(0n); b.byte(Op.i64_const).s64(FOUR_GIB);
      pushFuel(); lget(P_RUNCTX); lget(P_DEPTH);
    },
    pushWindowLow: () => void b.byte(Op.global_get).u32(G_LOW),
    pushWindowSpan: () => void b.byte(Op.global_get).u32(G_SPAN),
    exitFunction: leave,
    localCall: (slot, target) => {
      const index = indexOfEntry.get(target);
      if (index === undefined) throw new Error(`internal: no function starts at slot ${target}`);
      calleeArguments(slot);
      spillFuel(); b.byte(Op.call).u32(index); tr.set(0); reloadFuel();
    },
    callCodeAddress: (slot, reg) => {
      // Arguments of the dispatcher: the slot (the address's low half), then what a call passes.
      tr.get(reg); b.byte(Op.i32_wrap_i64);
      calleeArguments(slot);
      spillFuel(); b.byte(Op.call).u32(callSlotIndex); tr.set(0); reloadFuel();
    },
  };
  const tr = new InstructionTranslator(b, prog, runtime, context);

  // Prologue: the may_goto budget of this call, and the frame's lowest address for unchecked stack accesses.
  i32c(MAY_GOTO_BUDGET); b.byte(Op.local_set).u32(L_BUDGET);
  reloadFuel();
  if (runtime !== undefined) {
    lget(P_R10); b.byte(Op.i32_wrap_i64); i32c(STACK_FRAME_SIZE); b.byte(Op.i32_sub); b.byte(Op.local_set).u32(L_FRAME_BASE);
  }

  const labels: Label[] = [];
  const tasks: (() => void)[] = [];
  /** Schedules `steps` to run in this order, before anything scheduled earlier. */
  const next = (...steps: (() => void)[]): void => {
    for (let i = steps.length - 1; i >= 0; i--) tasks.push(steps[i] as () => void);
  };
  const labelDepth = (kind: 'loop' | 'block', node: number): number => {
    for (let i = labels.length - 1; i >= 0; i--) {
      const l = labels[i] as Label;
      if (l.kind === kind && l.node === node) return labels.length - 1 - i;
    }
    throw new Error(`internal: no ${kind} label for block ${node} of the function at slot ${g.entry}`);
  };
  const order = g.order;
  /** Whether going from `from` to `to` is a `br` (back edge, or a forward edge to a join) rather than code in place. */
  const isBr = (from: number, to: number): boolean => (order[to] as number) <= (order[from] as number) || g.merge[to] === 1;
  const brTo = (from: number, to: number): void => {
    b.byte(Op.br).u32(labelDepth((order[to] as number) <= (order[from] as number) ? 'loop' : 'block', to));
  };
  const brIfTo = (from: number, to: number): void => {
    b.byte(Op.br_if).u32(labelDepth((order[to] as number) <= (order[from] as number) ? 'loop' : 'block', to));
  };
  /** Control goes from `from` to `to`: a branch, or `to`'s code right here with what is known at this point. */
  const goTo = (from: number, to: number): void => {
    if (isBr(from, to)) brTo(from, to);
    else {
      const known = tr.facts.copy();
      next(() => tree(to, known));
    }
  };

  /** The code of block `x` and of the blocks it dominates. `known` is undefined where other paths join. */
  const tree = (x: number, known: RegisterFacts | undefined): void => {
    const joins = (g.children[x] as readonly number[]).filter((c) => g.merge[c] === 1);
    if (g.loopHeader[x] === 1) {
      next(
        () => {
          b.byte(Op.loop).byte(BlockType.empty);
          labels.push({ kind: 'loop', node: x });
          // One unit of fuel per pass.
          lget(L_FUEL); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_tee).u32(L_FUEL); b.byte(Op.i32_eqz);
          b.byte(Op.if).byte(BlockType.empty); fault(JitFault.FUEL, (g.blocks[x] as { start: number }).start); b.byte(Op.end);
        },
        // Back edges bring other values, except in the registers the loop never writes.
        () => nodeWithin(x, joins, joins.length, known === undefined ? undefined : loopInvariant(known, x)),
        () => { labels.pop(); b.byte(Op.end); },
      );
    } else {
      nodeWithin(x, joins, joins.length, known);
    }
  };
  /** What `known` (the facts where the loop headed by `x` is entered) says about registers the loop never writes. */
  const loopInvariant = (known: RegisterFacts, x: number): RegisterFacts => {
    const written = registersWrittenInLoop(prog, g, x);
    const kept = known.copy();
    for (let r = 0; r <= 10; r++) if ((written & (1 << r)) !== 0) kept.forget(r);
    return kept;
  };
  /** Block `x`'s code inside one `block` per join it dominates (the first `count` of `joins`), each join after it. */
  const nodeWithin = (x: number, joins: readonly number[], count: number, known: RegisterFacts | undefined): void => {
    if (count === 0) {
      blockCode(x, known);
      return;
    }
    const y = joins[count - 1] as number;
    next(
      () => { b.byte(Op.block).byte(BlockType.empty); labels.push({ kind: 'block', node: y }); },
      () => nodeWithin(x, joins, count - 1, known),
      () => { labels.pop(); b.byte(Op.end); },
      () => tree(y, undefined),
    );
  };
  /** Block `x`'s instructions, then where it goes. */
  const blockCode = (x: number, known: RegisterFacts | undefined): void => {
    const block = g.blocks[x] as (typeof g.blocks)[number];
    if (known === undefined) tr.facts.clear(); else tr.facts.assign(known);
    let last = block.end - 1;
    while (last > block.start && prog.bySlot[last] === undefined) last--;
    const stop = block.kind === BlockEnd.FALL ? block.end : last;
    for (let s = block.start; s < stop; s++) {
      const ins = prog.bySlot[s];
      if (ins === undefined) continue;
      const following = s + 1 < stop ? prog.bySlot[s + 1] : undefined;
      if (following !== undefined && tr.extensionPair(ins, following)) s++;
      else tr.instruction(s, ins);
    }
    const ins = prog.bySlot[last];
    const [first, second] = block.succ;
    switch (block.kind) {
      case BlockEnd.EXIT:
        leave();
        return;
      case BlockEnd.FALL:
      case BlockEnd.JUMP:
        goTo(x, first as number);
        return;
      case BlockEnd.BRANCH: {
        if (ins === undefined) throw new Error(`internal: block at slot ${block.start} has no terminator`);
        if (second === undefined) { // both ways lead to the same block
          goTo(x, first as number);
          return;
        }
        const fall = first as number;
        const target = second;
        tr.condition(ins, last);
        // Each edge goes on knowing what its comparison proved.
        const toTarget = (): void => { tr.refineBranch(ins, true); goTo(x, target); };
        const toFall = (): void => { tr.refineBranch(ins, false); goTo(x, fall); };
        if (isBr(x, target)) { brIfTo(x, target); toFall(); return; }
        if (isBr(x, fall)) { b.byte(Op.i32_eqz); brIfTo(x, fall); toTarget(); return; }
        ifElse(toTarget, toFall);
        return;
      }
      case BlockEnd.MAY_GOTO: {
        // Jump once the call's budget is used up, else spend one unit and fall through.
        const spend = (): void => { lget(L_BUDGET); i32c(1); b.byte(Op.i32_sub); b.byte(Op.local_set).u32(L_BUDGET); };
        if (second === undefined) {
          lget(L_BUDGET); b.byte(Op.if).byte(BlockType.empty); spend(); b.byte(Op.end);
          goTo(x, first as number);
          return;
        }
        const fall = first as number;
        const target = second;
        lget(L_BUDGET); b.byte(Op.i32_eqz);
        if (isBr(x, target)) { brIfTo(x, target); spend(); goTo(x, fall); return; }
        ifElse(() => goTo(x, target), () => { spend(); goTo(x, fall); });
        return;
      }
    }
  };
  /** `if` (the condition is on the stack) with `then` and `otherwise` as its arms, each from the same knowledge. */
  const ifElse = (then: () => void, otherwise: () => void): void => {
    const known = tr.facts.copy();
    next(
      () => { b.byte(Op.if).byte(BlockType.empty); labels.push({ kind: 'if' }); },
      then,
      () => { b.byte(Op.else); tr.facts.assign(known); },
      otherwise,
      () => { labels.pop(); b.byte(Op.end); },
    );
  };

  next(() => tree(0, undefined));
  while (tasks.length > 0) (tasks.pop() as () => void)();
  b.byte(Op.unreachable); // every path has returned or branched
  return { type: T_FUNCTION, locals: FUNCTION_LOCALS, body: b.finish() };
}
