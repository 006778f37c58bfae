/**
 * The control-flow analysis the structured JIT needs: where the program's eBPF functions are, and for each one its
 * basic blocks, their order (reverse postorder), the dominator tree, and which blocks head loops or join paths. A
 * reducible graph (every back edge goes to a block that dominates its source, as clang's output always is) can be
 * written with WebAssembly's `block`/`loop`/`br` alone; {@link analyseFunctions} says why not when it cannot, and
 * the JIT then falls back to its dispatcher (a `br_table` over every block).
 *
 * Author: Claude.
 *
 * @module
 */

import { registersWritten, type Instruction } from '../asm/index.ts';
import type { PreparedProgram } from '../interp/index.ts';

/** How a basic block ends. */
export const BlockEnd = {
  /** Falls through to the next block (the next slot starts another block). */
  FALL: 0,
  /** `exit`. */
  EXIT: 1,
  /** `ja`/`gotol`: one successor, the target. */
  JUMP: 2,
  /** A conditional jump: successors [fall through, target]. */
  BRANCH: 3,
  /** `may_goto`: successors [fall through, target] (the target once the call's budget is used up). */
  MAY_GOTO: 4,
} as const;
/** One of the {@link BlockEnd} values. */
export type BlockEnd = (typeof BlockEnd)[keyof typeof BlockEnd];

/** A basic block of one function: slots [start, end), the last one its terminator unless it ends with FALL. */
export interface BasicBlock {
  readonly start: number;
  readonly end: number;
  readonly kind: BlockEnd;
  /** Successor blocks: none (EXIT), [next] (FALL), [target] (JUMP), [fall, target] (BRANCH, MAY_GOTO). */
  readonly succ: readonly number[];
}

/** One eBPF function (entry program or BPF-to-BPF callee) as a graph of basic blocks. */
export interface FunctionGraph {
  /** The slot the function starts at. */
  readonly entry: number;
  /** The blocks its entry reaches (block 0 starts at the entry), numbered for this function. */
  readonly blocks: readonly BasicBlock[];
  /** Each block's predecessors (the blocks with an edge to it), in reverse postorder. */
  readonly preds: readonly (readonly number[])[];
  /** The blocks in reverse postorder (block 0 first). */
  readonly rpo: readonly number[];
  /** Position of each block in `rpo`. */
  readonly order: Int32Array;
  /** Immediate dominator of each block (block 0: itself). */
  readonly idom: Int32Array;
  /** 1 for a block some back edge goes to. */
  readonly loopHeader: Uint8Array;
  /** 1 for a block two or more forward edges reach (a join: it gets a `block` of its own). */
  readonly merge: Uint8Array;
  /** The dominator tree: each block's children, in reverse postorder. */
  readonly children: readonly (readonly number[])[];
}

/** The program's functions, each a reducible graph, or why the program cannot be written with structured control. */
export type FunctionAnalysis = { readonly ok: true; readonly functions: readonly FunctionGraph[] } | { readonly ok: false; readonly why: string };

/** Jump and exit classes of an instruction: JMP (5), JMP32 (6). */
function isJumpClass(ins: Instruction): boolean {
  const cls = ins.opcode & 7;
  return cls === 5 || cls === 6;
}

/** How `ins` ends a block, or undefined when it does not (calls return to the next instruction). */
function terminatorOf(ins: Instruction): BlockEnd | undefined {
  if (!isJumpClass(ins)) return undefined;
  const op = ins.opcode & 0xf0;
  if (ins.opcode === 0x85 || ins.opcode === 0x8d) return undefined; // call, callx
  if (ins.opcode === 0x95) return BlockEnd.EXIT;
  if (ins.opcode === 0xe5) return BlockEnd.MAY_GOTO;
  if (op === 0x00) return BlockEnd.JUMP; // ja (JMP) and gotol (JMP32)
  return BlockEnd.BRANCH;
}

/** The slot a jump goes to (gotol keeps its offset in imm). */
function jumpTarget(ins: Instruction, slot: number): number {
  return slot + 1 + (ins.opcode === 0x06 ? ins.imm | 0 : ins.offset);
}

/**
 * The slots functions start at: slot 0, every BPF-to-BPF call target, every function address (`lddw` of a code
 * address) and the functions the program says it has, ascending.
 */
export function functionEntries(prog: PreparedProgram): number[] {
  const entries = new Set<number>([0]);
  for (const f of prog.functions) if (f.start >= 0 && f.start < prog.slotCount) entries.add(f.start);
  for (let s = 0; s < prog.slotCount; s++) {
    const ins = prog.bySlot[s];
    if (ins === undefined) continue;
    if ((ins.opcode === 0x85 && ins.src === 1) || (ins.opcode === 0x18 && ins.src === 4)) {
      const t = s + 1 + (ins.imm | 0);
      if (t >= 0 && t < prog.slotCount) entries.add(t);
    }
  }
  return [...entries].sort((a, b) => a - b);
}

/**
 * Analyses each function of `prog`: its blocks are the ones its entry reaches through jumps and fall-through
 * (calls return), wherever they are in the program. Fails, saying why, when a jump goes into the middle of a
 * `lddw`, two functions reach the same block, or a graph is irreducible.
 */
export function analyseFunctions(prog: PreparedProgram): FunctionAnalysis {
  const n = prog.slotCount;
  const entries = functionEntries(prog);
  // 1. Leaders over the whole program: the function entries, jump targets, the slot after a terminator.
  const leader = new Uint8Array(n + 1);
  for (const e of entries) leader[e] = 1;
  for (let s = 0; s < n; s++) {
    const ins = prog.bySlot[s];
    if (ins === undefined) continue;
    const kind = terminatorOf(ins);
    if (kind === undefined) continue;
    if (kind !== BlockEnd.EXIT) {
      const t = jumpTarget(ins, s);
      if (t >= 0 && t < n) leader[t] = 1;
    }
    if (s + 1 < n) leader[s + 1] = 1;
  }
  const blockAt = new Int32Array(n).fill(-1);
  const starts: number[] = [];
  for (let s = 0; s < n; s++) if (leader[s] === 1) { blockAt[s] = starts.length; starts.push(s); }

  // 2. Blocks and their successors. An edge to no instruction is an error only if its block runs (checked below).
  const blocks: BasicBlock[] = [];
  const problems: (string | undefined)[] = [];
  for (let k = 0; k < starts.length; k++) {
    const start = starts[k] as number;
    const stop = k + 1 < starts.length ? (starts[k + 1] as number) : n;
    let last = stop - 1;
    while (last > start && prog.bySlot[last] === undefined) last--; // the second half of a lddw
    const ins = prog.bySlot[last];
    const kind = ins === undefined ? undefined : terminatorOf(ins);
    const succ: number[] = [];
    let problem: string | undefined;
    const to = (t: number): void => {
      const b = t >= 0 && t < n ? (blockAt[t] as number) : -1;
      if (b === -1 || prog.bySlot[t] === undefined) problem = `instruction ${last} goes to slot ${t}, which holds no instruction`;
      else succ.push(b);
    };
    if (ins === undefined || kind === undefined) {
      to(stop);
      blocks.push({ start, end: stop, kind: BlockEnd.FALL, succ });
    } else {
      if (kind === BlockEnd.BRANCH || kind === BlockEnd.MAY_GOTO) to(stop);
      if (kind !== BlockEnd.EXIT) to(jumpTarget(ins, last));
      // A conditional jump to the next instruction has one successor, twice: keep one.
      if (succ.length === 2 && succ[0] === succ[1]) succ.pop();
      blocks.push({ start, end: stop, kind, succ });
    }
    problems.push(problem);
  }

  // 3. Each function's graph over the blocks its entry reaches. Functions that share code (clang never makes
  //    them; an unresolved call to itself does) would each need a copy: the dispatcher takes those.
  const functions: FunctionGraph[] = [];
  const owner = new Int32Array(blocks.length).fill(-1);
  for (const entry of entries) {
    const g = analyseFunction(entry, blockAt[entry] as number, blocks, problems);
    if (typeof g === 'string') return { ok: false, why: g };
    for (const b of g.blocks) {
      const k = blockAt[b.start] as number;
      if (owner[k] !== -1) return { ok: false, why: `the functions at slots ${owner[k]} and ${entry} share the code at slot ${b.start}` };
      owner[k] = entry;
    }
    functions.push(g);
  }
  return { ok: true, functions };
}

/** The graph of the function whose entry is block `root` of the program's `blocks`, or why it has no structured form. */
function analyseFunction(entry: number, root: number, all: readonly BasicBlock[], problems: readonly (string | undefined)[]): FunctionGraph | string {
  // 1. The blocks the entry reaches, renumbered from 0 (the entry) in the order a depth-first search finds them,
  //    and their postorder.
  const local = new Map<number, number>([[root, 0]]);
  const globalOf: number[] = [root];
  const post: number[] = [];
  const stack: number[] = [0];
  const next: number[] = [0];
  const done: boolean[] = [false];
  while (stack.length > 0) {
    const v = stack[stack.length - 1] as number;
    const gv = globalOf[v] as number;
    const problem = problems[gv];
    if (problem !== undefined) return problem;
    const succ = (all[gv] as BasicBlock).succ;
    const i = next[v] as number;
    if (i < succ.length) {
      next[v] = i + 1;
      const gw = succ[i] as number;
      if (!local.has(gw)) {
        const w = globalOf.length;
        local.set(gw, w);
        globalOf.push(gw);
        next.push(0);
        done.push(false);
        stack.push(w);
      }
    } else {
      done[v] = true;
      post.push(v);
      stack.pop();
    }
  }
  const nb = globalOf.length;
  const blocks: BasicBlock[] = globalOf.map((gv) => {
    const b = all[gv] as BasicBlock;
    return { start: b.start, end: b.end, kind: b.kind, succ: b.succ.map((s) => local.get(s) as number) };
  });
  const rpo = post.reverse();
  const order = new Int32Array(nb).fill(-1);
  rpo.forEach((v, i) => { order[v] = i; });

  // 2. Dominators (Cooper, Harvey and Kennedy: "A Simple, Fast Dominance Algorithm").
  const preds: number[][] = Array.from({ length: nb }, () => []);
  for (const v of rpo) for (const w of (blocks[v] as BasicBlock).succ) preds[w]?.push(v);
  const idom = new Int32Array(nb).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((order[a] as number) > (order[b] as number)) a = idom[a] as number;
      while ((order[b] as number) > (order[a] as number)) b = idom[b] as number;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 1; i < rpo.length; i++) {
      const v = rpo[i] as number;
      let d = -1;
      for (const p of preds[v] as number[]) {
        if (idom[p] === -1) continue;
        d = d === -1 ? p : intersect(p, d);
      }
      if (d !== idom[v]) { idom[v] = d; changed = true; }
    }
  }
  const dominates = (a: number, b: number): boolean => {
    for (;;) {
      if (a === b) return true;
      if (b === 0) return false;
      b = idom[b] as number;
    }
  };

  // 3. Back edges must go to a dominator (reducible); loop headers and joins.
  const loopHeader = new Uint8Array(nb);
  const forwardIn = new Uint32Array(nb);
  for (const v of rpo) {
    for (const w of (blocks[v] as BasicBlock).succ) {
      if ((order[w] as number) <= (order[v] as number)) {
        if (!dominates(w, v)) return `the function at slot ${entry} has an irreducible loop (instruction ${(blocks[v] as BasicBlock).end - 1} enters it at slot ${(blocks[w] as BasicBlock).start} from outside)`;
        loopHeader[w] = 1;
      } else {
        forwardIn[w] = (forwardIn[w] as number) + 1;
      }
    }
  }
  const merge = new Uint8Array(nb);
  for (const v of rpo) if ((forwardIn[v] as number) >= 2) merge[v] = 1;
  const children: number[][] = Array.from({ length: nb }, () => []);
  for (let i = 1; i < rpo.length; i++) {
    const v = rpo[i] as number;
    children[idom[v] as number]?.push(v);
  }
  return { entry, blocks, preds, rpo, order, idom, loopHeader, merge, children };
}

/**
 * The registers (a bit per register) some instruction of the loop headed by block `header` may write (see
 * `registersWritten`: destinations, atomic fetches, r0-r5 at calls and legacy packet loads). The loop is every
 * block that reaches a back edge to `header` without passing through it. A register outside this set holds on
 * every pass what it held when the loop was entered, so what was known about it then still holds in the loop.
 */
export function registersWrittenInLoop(prog: PreparedProgram, g: FunctionGraph, header: number): number {
  const preds = g.preds;
  const inLoop = new Uint8Array(g.blocks.length);
  inLoop[header] = 1;
  const work = (preds[header] as readonly number[]).filter((p) => (g.order[header] as number) <= (g.order[p] as number));
  for (const p of work) inLoop[p] = 1;
  while (work.length > 0) {
    const n = work.pop() as number;
    if (n === header) continue;
    for (const p of preds[n] as readonly number[]) if (inLoop[p] === 0) { inLoop[p] = 1; work.push(p); }
  }
  let written = 0;
  g.blocks.forEach((blk, i) => {
    if (inLoop[i] === 0) return;
    for (let s = blk.start; s < blk.end; s++) {
      const ins = prog.bySlot[s];
      if (ins !== undefined) written |= registersWritten(ins);
    }
  });
  return written;
}
