/**
 * The verifier: explores every path through a program, instruction by instruction, as the Linux verifier does
 * (`do_check`), and stops at the first instruction that could do something unsafe.
 *
 * Paths are explored depth first. At prune points (jump targets and conditional jumps) the current state is
 * compared with the states remembered there: if it is included in one whose every continuation has been proven
 * safe, the path is cut short. A state remembered at a loop head that comes back unchanged is an infinite loop.
 * Bounded loops are accepted by exploring them until they exit; the complexity limit (1,000,000 instructions
 * processed, as Linux's) ends verification of programs whose paths cannot be bounded that way.
 *
 * Author: Claude.
 *
 * @module
 */

import {
  CallSource,
  InstructionClass,
  JumpOp,
  LoadImm64Source,
  Mode,
  Opcode,
  formatInstruction,
  type Instruction,
} from '../asm/index.ts';
import type { Btf } from '../btf/index.ts';
import type { LinkedProgram, ObjectSpec, ProgramSelector, ProgramSpec } from '../spec/index.ts';
import {
  MapType,
  linkProgram,
  mapTypeName,
  selectPrograms,
} from '../spec/index.ts';
import {
  checkAlu,
} from './alu.ts';
import {
  type CallbackEntry,
  widenIteration,
} from './callbacks.ts';
import {
  checkExit,
  checkExternCall,
  checkHelperCall,
  enterLocalCall,
  prepareHiddenExit,
} from './calls.ts';
import {
  type Cfg,
  buildCfg,
} from './cfg.ts';
import {
  Env,
  type VerifyOptions,
  VerifyFailure,
} from './env.ts';
import {
  checkCondJump,
} from './jumps.ts';
import {
  checkKfuncCall,
  isKnownKfunc,
  isIterNextKfunc,
  iteratorActiveAtCall,
} from './kfuncs.ts';
import {
  linuxPlatform,
} from './linux-platform.ts';
import {
  type VerifierMap,
  mapTable,
} from './maps.ts';
import {
  checkAtomic,
  checkLegacyPacketLoad,
  checkLoad,
  checkStore,
} from './memory.ts';
import {
  ArgKind,
  type Platform,
} from './platform.ts';
import {
  type HistoryNode,
  type PreciseMarks,
  emptyMarks,
  markPrecise,
  propagateMarks,
} from './precision.ts';
import {
  widenImpreciseScalars,
} from './widen.ts';
import {
  type Reg,
  REG_NOT_INIT,
  RegType,
  constReg,
  describeType,
  formatReg,
  makeReg,
} from './reg.ts';
import type { Diagnostic, DiagnosticCode, PathStep, ProgramReport, RegisterNote, VerifierReport } from './report.ts';
import { DEFAULT_RULES, type RuleSet, ruleSetPolicy } from './rules.ts';
import { findFastcallPatterns, helperCallLookup } from './fastcall.ts';
import {
  SCALAR_ZERO,
  isConst,
  scalarConst,
} from './scalar.ts';
import { StateRecorder, recordErrorPathAgain } from './state-recorder.ts';
import {
  type Frame,
  type VerifierState,
  MAX_STACK,
  cloneState,
  newFrame,
  statesEqual,
} from './state.ts';


/** The default complexity limit (the kernel's BPF_COMPLEXITY_LIMIT_INSNS). */
export const MAX_INSNS_PROCESSED = 1_000_000;
/** Pending branches at most (the kernel's BPF_COMPLEXITY_LIMIT_JMP_SEQ). */
const MAX_PENDING = 8192;

/** A remembered state at a prune point. */
interface Checkpoint {
  readonly state: VerifierState;
  readonly slot: number;
  /** Paths and incomplete child checkpoints still descending from it; 0 once everything after it is proven. */
  pending: number;
  readonly parent: Checkpoint | undefined;
  hits: number;
  misses: number;
  /** The numbers something proven from this state depended on (see `precision.ts`). */
  readonly precise: PreciseMarks;
  /** Stack slots its continuation reads before overwriting them: bit k of [2f] (k < 32) or [2f+1], per frame f. */
  readonly read: number[];
  /** Stack slots fully overwritten between its parent and it, in the same form. */
  readonly segWritten: number[];
  /**
   * For the first state of an execution of a helper call that calls back (the root of its iterations): the paths
   * of the iterations that were pruned against states whose exploration was not finished (see {@link settle}).
   */
  loopbacks: Loopback[] | undefined;
  /**
   * The root whose loopbacks may still add marks to this state: until it is settled, this state's marks are not
   * final and it prunes nothing.
   */
  blockedBy: Checkpoint | undefined;
  /** For a root: its loopbacks' marks have been propagated (or handed to the root it is blocked by). */
  settledLoops: boolean;
}

/** A path pruned against a state not fully explored yet: its history, to propagate that state's final marks. */
interface Loopback {
  readonly target: Checkpoint;
  readonly history: HistoryNode | undefined;
  readonly parent: Checkpoint | undefined;
  readonly written: readonly number[];
}

/** A branch decision or call on the current path, newest first. */
interface PathNode {
  readonly kind: 'branch' | 'call' | 'return';
  readonly slot: number;
  readonly taken: boolean;
  readonly prev: PathNode | undefined;
}

/** A path waiting to be explored. */
interface Work {
  readonly state: VerifierState;
  readonly slot: number;
  readonly parent: Checkpoint | undefined;
  readonly path: PathNode | undefined;
  readonly history: HistoryNode | undefined;
  /** Stack slots fully overwritten since the path's newest checkpoint. */
  readonly written: number[];
}

/** What to verify a linked program as. */
export interface ProgramContext {
  /** `xdp`, `sched_cls`, ... */
  readonly programType: string;
  readonly attachType?: string | undefined;
  /** Whether the program's license is GPL-compatible (for GPL-only helpers). */
  readonly gpl: boolean;
  /** The entry function returns nothing (a `void` function verified on its own): r0 is not checked at exit. */
  readonly voidReturn?: boolean;
  /** The state at the first instruction, for test harnesses (by default r1 is the context and r10 the stack). */
  readonly initialState?: VerifierState;
  /** Exits where nothing is checked (a test harness's implicit end of code). */
  readonly lenientExits?: ReadonlySet<number>;
  /** Check only that r0, when set, holds no address at exit (a test harness's platform without return rules). */
  readonly leakOnlyReturn?: boolean;
  /**
   * Per linked function, what its BTF prototype returns (from BTF.ext func_info): `scalar` (an integer or enum),
   * `other`; undefined for every function when the program has no func_info. Subprograms that can return
   * abnormally (LD_ABS/LD_IND, bpf_tail_call) must return an integer, and need BTF, as in Linux.
   */
  readonly functionReturns?: readonly ('scalar' | 'other')[];
  /** The object's BTF: the extern declarations of the kfuncs it calls, and the types it names (see `kfuncs.ts`). */
  readonly btf?: Btf;
  /** The program is sleepable (`lsm.s/`, `fentry.s/`, ...): it may call KF_SLEEPABLE kfuncs. */
  readonly sleepable?: boolean;
}

/** Licenses the kernel treats as GPL-compatible (`license_is_gpl_compatible`). */
export function isGplCompatible(license: string | undefined): boolean {
  return license !== undefined && ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}

/**
 * Verifies every program of an object that `selector` picks (all of them by default).
 *
 * @example
 * ```ts
 * const report = verifyObject(readObject(bytes, { name: 'prog.o' }));
 * report.programs.every((p) => p.verdict === 'pass');
 * ```
 */
export function verifyObject(spec: ObjectSpec, selector: ProgramSelector = {}, options: VerifyOptions = {}): VerifierReport {
  const programs = selectPrograms(spec, selector);
  return { file: spec.file, rules: options.rules ?? DEFAULT_RULES, programs: programs.map((p) => verifyProgram(spec, p, options)) };
}

/** Verifies one program of an object (linking its subprograms first). */
export function verifyProgram(spec: ObjectSpec, program: ProgramSpec, options: VerifyOptions = {}): ProgramReport {
  let linked: LinkedProgram;
  const t0 = now();
  const type = options.programType ?? program.kind.programType;
  try {
    linked = linkProgram(spec, program);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return failedReport(program.sectionName, program.name, type, options.rules ?? DEFAULT_RULES, 'malformed', `the program cannot be linked: ${message}`, t0);
  }
  const attach = options.attachType ?? program.kind.attachType;
  // A function of .text verified on its own (as Linux verifies global functions): its BTF prototype says whether it
  // returns a value.
  let voidReturn = false;
  if (program.sectionName === '.text' && spec.btf !== undefined) {
    const fn = spec.btf.funcByName(program.name);
    const proto = fn !== undefined ? spec.btf.typeById(fn.type) : undefined;
    voidReturn = proto !== undefined && proto.kind === 'FUNC_PROTO' && proto.returnType === 0;
  }
  const functionReturns = functionReturnKinds(spec, linked);
  return verifyLinked(linked, mapTable(spec), {
    programType: type, attachType: attach, gpl: isGplCompatible(options.license ?? spec.license), voidReturn,
    ...(functionReturns !== undefined ? { functionReturns } : {}),
    ...(spec.btf !== undefined ? { btf: spec.btf } : {}),
    ...(program.kind.sleepable ? { sleepable: true } : {}),
  }, options);
}

/** What each linked function's BTF prototype returns (see {@link ProgramContext.functionReturns}). */
function functionReturnKinds(spec: ObjectSpec, linked: LinkedProgram): ('scalar' | 'other')[] | undefined {
  const btf = spec.btf;
  if (btf === undefined || linked.funcInfo.length === 0) return undefined;
  return linked.functions.map((f) => {
    const info = linked.funcInfo.find((i) => i.slot === f.start);
    if (info === undefined) return 'other';
    try {
      const fn = btf.typeById(info.typeId);
      const proto = fn.kind === 'FUNC' ? btf.typeById(fn.type) : undefined;
      if (proto === undefined || proto.kind !== 'FUNC_PROTO' || proto.returnType === 0) return 'other';
      const ret = btf.resolve(proto.returnType);
      // btf_type_is_small_int || btf_is_any_enum
      return (ret.kind === 'INT' && ret.size <= 8) || ret.kind === 'ENUM' || ret.kind === 'ENUM64' ? 'scalar' : 'other';
    } catch {
      return 'other';
    }
  });
}

function now(): number {
  return globalThis.performance !== undefined ? globalThis.performance.now() : Date.now();
}

function failedReport(section: string, name: string, type: string, rules: RuleSet, code: DiagnosticCode, message: string, t0: number, slot = 0): ProgramReport {
  return {
    section, name, type, rules, verdict: 'fail', malformed: code === 'malformed', insnsProcessed: 0, statesStored: 0, statesPruned: 0, stackDepth: 0,
    readsUninitializedStack: false,
    timeMs: now() - t0,
    diagnostics: [{ severity: 'error', code, message, slot, function: name, instruction: '', path: [], registers: [] }],
    log: [],
  };
}

/**
 * Verifies a linked program against a map table (the core entry point; {@link verifyProgram} links and builds the
 * table from an object).
 */
export function verifyLinked(linked: LinkedProgram, maps: readonly VerifierMap[], context: ProgramContext, options: VerifyOptions = {}): ProgramReport {
  const t0 = now();
  const program = linked.program;
  const platform: Platform = options.platform ?? linuxPlatform;
  const ptype = platform.programType(context.programType, context.attachType);
  if (ptype === undefined) {
    return failedReport(program.sectionName, program.name, context.programType, options.rules ?? DEFAULT_RULES, 'unsupported', `programs of type '${context.programType}' are not supported by the verifier`, t0);
  }
  const externCalls = new Set(linked.references.filter((r) => r.kind === 'kfunc').map((r) => r.slot));
  const cfgOrProblems = buildCfg(
    linked.instructions, linked.slotCount, linked.functions, (id) => platform.helper(id)?.args.length ?? 5, externCalls,
    (id) => platform.helper(id)?.args.some((a) => a.kind === ArgKind.FUNC) === true,
    new Set(linked.references.filter((r) => r.kind === 'kfunc' && isIterNextKfunc(r.name)).map((r) => r.slot)),
  );
  if (Array.isArray(cfgOrProblems)) {
    const fname = (slot: number): string => linked.functions.find((f) => slot >= f.start && slot < f.start + f.slotCount)?.name ?? program.name;
    const diagnostics: Diagnostic[] = cfgOrProblems.map((p) => {
      const ins = linked.instructions.find((i) => i.slot === p.slot);
      return {
        severity: 'error', code: 'malformed', message: p.message, slot: p.slot, function: fname(p.slot),
        instruction: ins === undefined ? '' : formatInstruction(ins), path: [], registers: [],
        ...(sourceOf(linked, p.slot) !== undefined ? { source: sourceOf(linked, p.slot) } : {}),
      } as Diagnostic;
    });
    return {
      section: program.sectionName, name: program.name, type: ptype.name, rules: options.rules ?? DEFAULT_RULES, verdict: 'fail', malformed: true,
      insnsProcessed: 0, statesStored: 0, statesPruned: 0, stackDepth: 0, readsUninitializedStack: false, timeMs: now() - t0, diagnostics, log: [],
    };
  }
  // Problems found before any path is explored (a whole-program rule): one diagnostic at the slot concerned.
  const cfg = cfgOrProblems;
  const earlyFailure = (problem: { readonly slot: number; readonly message: string }, code: 'invalid-return' | 'helper-not-allowed'): ProgramReport => {
    const ins = cfg.insns[problem.slot];
    const source = sourceOf(linked, problem.slot);
    return {
      section: program.sectionName, name: program.name, type: ptype.name, rules: options.rules ?? DEFAULT_RULES, verdict: 'fail', malformed: false,
      insnsProcessed: 0, statesStored: 0, statesPruned: 0, stackDepth: 0, readsUninitializedStack: false, timeMs: now() - t0, log: [],
      diagnostics: [{
        severity: 'error', code, message: problem.message, slot: problem.slot, function: cfg.functions[cfg.funcOf[problem.slot] ?? 0]?.name ?? program.name,
        instruction: ins === undefined ? '' : formatInstruction(ins), path: [], registers: [], ...(source !== undefined ? { source } : {}),
      }],
    };
  };
  const abnormal = abnormalReturnProblem(cfg, context);
  if (abnormal !== undefined) return earlyFailure(abnormal, 'invalid-return');
  const storage = cgroupStorageProblem(cfg, maps);
  if (storage !== undefined) return earlyFailure(storage, 'helper-not-allowed');
  const runner = new Runner(linked, cfgOrProblems, maps, platform, ptype, context, options);
  const report = runner.run(t0);
  // With `record`, a refused program's path to the error is known only at its end: a second run keeps its states.
  const again = options.record !== undefined ? recordErrorPathAgain(report.recording, options.record) : undefined;
  return again === undefined ? report : new Runner(linked, cfgOrProblems, maps, platform, ptype, context, { ...options, record: again }).run(t0);
}

/**
 * A program may refer to one cgroup storage map of each type (cgroup_storage, percpu_cgroup_storage): bpf_get_local_storage
 * finds the storage by type alone. Linux checks it while resolving the map references, before the proof, so an
 * unreachable reference counts too (bpf_cgroup_storage_assign, "only one cgroup storage of each type is allowed").
 */
function cgroupStorageProblem(cfg: Cfg, maps: readonly VerifierMap[]): { slot: number; message: string } | undefined {
  const first = new Map<number, number>();
  for (let s = 0; s < cfg.insns.length; s++) {
    const ins = cfg.insns[s];
    if (ins === undefined || ins.opcode !== Opcode.LDDW || (ins.src !== LoadImm64Source.MAP_IDX && ins.src !== LoadImm64Source.MAP_IDX_VALUE)) continue;
    const m = maps[ins.imm];
    if (m === undefined || (m.type !== MapType.cgroup_storage && m.type !== MapType.percpu_cgroup_storage)) continue;
    const seen = first.get(m.type);
    if (seen === undefined) first.set(m.type, ins.imm);
    else if (seen !== ins.imm) {
      return { slot: s, message: `map '${m.name}' is a second ${mapTypeName(m.type)} map of this program (the first is '${maps[seen]?.name}'): a program may use one of each cgroup storage type (Linux: "only one cgroup storage of each type is allowed")` };
    }
  }
  return undefined;
}

/** Whether `ins` can leave its function without an exit: LD_ABS/LD_IND (outside the packet), bpf_tail_call. */
function abnormalReturnKind(ins: Instruction | undefined): 'LD_ABS' | 'tail_call' | undefined {
  if (ins === undefined) return undefined;
  if ((ins.opcode & 0x07) === InstructionClass.LD && ((ins.opcode & 0xe0) === Mode.ABS || (ins.opcode & 0xe0) === Mode.IND)) return 'LD_ABS';
  if (ins.opcode === Opcode.CALL && ins.src === CallSource.HELPER && ins.imm === 12) return 'tail_call';
  return undefined;
}

/**
 * Linux's rules for subprograms that can return abnormally (`check_abnormal_return`, `check_btf_func`): they need
 * BTF, and must return an integer, since the caller gets 0 (LD_ABS) or the tail-called program's value in r0.
 */
function abnormalReturnProblem(cfg: Cfg, context: ProgramContext): { slot: number; message: string } | undefined {
  for (let s = 0; s < cfg.insns.length; s++) {
    const f = cfg.funcOf[s] as number;
    if (f <= 0) continue;
    const kind = abnormalReturnKind(cfg.insns[s]);
    if (kind === undefined) continue;
    const name = cfg.functions[f]?.name ?? `function ${f}`;
    if (context.functionReturns === undefined) {
      return { slot: s, message: `${kind === 'LD_ABS' ? 'a legacy packet load (LD_ABS/LD_IND)' : 'bpf_tail_call'} in the subprogram ${name}, which has no BTF function info: Linux allows it only in subprograms whose BTF says they return an integer` };
    }
    if (context.functionReturns[f] !== 'scalar') {
      return { slot: s, message: `${kind === 'LD_ABS' ? 'a legacy packet load (LD_ABS/LD_IND)' : 'bpf_tail_call'} in ${name}, which does not return an integer: ${kind === 'LD_ABS' ? 'outside the packet the load returns 0 from the function' : 'a tail call returns the other program\'s value from the function'}, so only functions returning 'int' may use it (as in Linux)` };
    }
  }
  return undefined;
}

function sourceOf(linked: LinkedProgram, slot: number): Diagnostic['source'] {
  let found: (typeof linked.lineInfo)[number] | undefined;
  for (const l of linked.lineInfo) {
    if (l.slot <= slot) found = l;
    else break;
  }
  return found === undefined ? undefined : { file: found.fileName, line: found.line, column: found.column, text: found.sourceLine };
}

/** One verification run. */
class Runner {
  private readonly env: Env;
  private readonly cfg: Cfg;
  private readonly options: VerifyOptions;
  private readonly explored = new Map<number, Checkpoint[]>();
  private readonly externSlots: Set<number>;
  private readonly maxInsns: number;
  /** The maps whose values hold a bpf_spin_lock (pruning compares the ids of pointers into them). */
  private readonly lockMaps: ReadonlySet<number>;
  private processed = 0;
  private stored = 0;
  private pruned = 0;
  private jumps = 0;
  private lastCheckpointInsns = 0;
  private lastCheckpointJumps = 0;
  private readonly log: string[] = [];
  /** The current path's history, newest first. */
  private history: HistoryNode | undefined;
  /** Stack slots fully overwritten since the current path's newest checkpoint (see {@link Checkpoint.read}). */
  private written: number[] = [];
  /** The current path's newest checkpoint. */
  private parentCp: Checkpoint | undefined;
  private readonly initialState: VerifierState | undefined;
  /** At a `may_goto` just visited: the previous iteration's state there, still being explored (for widening). */
  private mayGotoPrevious: Checkpoint | undefined;
  /**
   * At an iterator's `next` call just visited: the state there one iteration earlier on this path, still being
   * explored (Linux's `find_prev_entry`), against which the next iteration's imprecise numbers are widened.
   */
  private iterPrevious: Checkpoint | undefined;
  /** Observes the exploration when the `record` option asks for the states (see `state-recorder.ts`). */
  private readonly recorder: StateRecorder | undefined;

  constructor(linked: LinkedProgram, cfg: Cfg, maps: readonly VerifierMap[], platform: Platform, ptype: Env['ptype'], context: ProgramContext, options: VerifyOptions) {
    this.env = new Env(linked, cfg, maps, platform, ptype, context.gpl);
    this.env.rules = options.rules ?? DEFAULT_RULES;
    const policy = ruleSetPolicy(this.env.rules);
    this.env.allowPointerLeaks = policy.allowPointerLeaks;
    this.env.allowUninitStack = policy.allowUninitStack;
    this.env.strictAlignment = options.strictAlignment === true;
    this.env.voidReturn = context.voidReturn === true;
    this.initialState = context.initialState;
    this.env.lenientExits = context.lenientExits ?? new Set();
    this.env.leakOnlyReturn = context.leakOnlyReturn === true;
    this.env.objectBtf = context.btf;
    this.env.kernelBtfSource = options.kernelBtf;
    this.env.sleepable = context.sleepable === true;
    this.cfg = cfg;
    this.options = options;
    this.maxInsns = options.maxInsns ?? MAX_INSNS_PROCESSED;
    this.lockMaps = new Set(maps.flatMap((m, i) => (m.fields?.some((f) => f.kind === 'spin_lock') === true ? [i] : [])));
    this.externSlots = new Set(linked.references.filter((r) => r.kind === 'extern-var' || r.kind === 'kfunc').map((r) => r.slot));
    this.env.fastcall = findFastcallPatterns(cfg, helperCallLookup((id) => ptype.helper?.(id) ?? platform.helper(id), this.externSlots));
    this.env.markPrecise = (regs) => markPrecise(cfg.insns, this.history, this.env.cur.frames.length - 1, regs);
    this.env.noteStackRead = (f, k) => {
      if (!hasBit(this.written, f, k)) markRead(this.parentCp, f, k);
    };
    this.env.noteStackWrite = (f, k) => setBit(this.written, f, k);
    this.recorder = options.record === undefined ? undefined : new StateRecorder(cfg.insns, (m) => this.env.mapName(m), options.record);
  }

  run(t0: number): ProgramReport {
    const env: Env = this.env;
    const linked = env.linked;
    let initial: VerifierState;
    if (this.initialState !== undefined) {
      initial = cloneState(this.initialState);
    } else {
      initial = { frames: [newFrame(-1, 0, 0)], refs: [], lockId: 0, lockSlot: -1, mayGotoDepth: 0 };
      const f0 = initial.frames[0] as (typeof initial.frames)[number];
      f0.regs[1] = makeReg({ type: RegType.CTX, value: SCALAR_ZERO, origin: { slot: 0, what: 'the context argument' } });
      f0.regs[10] = makeReg({ type: RegType.STACK, value: SCALAR_ZERO });
    }
    const stack: Work[] = [{ state: initial, slot: 0, parent: undefined, path: undefined, history: undefined, written: [] }];
    let failure: { error: VerifyFailure; slot: number; path: PathNode | undefined } | undefined;
    const deadline = this.options.timeLimitMs !== undefined ? t0 + this.options.timeLimitMs : Infinity;

    outer: while (stack.length > 0) {
      const w = stack.pop() as Work;
      env.cur = w.state;
      let slot = w.slot;
      let parent = w.parent;
      let path = w.path;
      this.history = w.history;
      this.written = w.written.slice();
      this.parentCp = parent;
      try {
        for (;;) {
          env.slot = slot;
          if (this.cfg.prunePoint[slot] === 1) {
            const v = this.visit(slot, parent);
            if (v === 'prune') {
              this.pruned++;
              this.recorder?.pathEnd('pruned', slot, path);
              this.finishPath(parent);
              continue outer;
            }
            parent = v;
            this.parentCp = parent;
          }
          const depth = env.cur.frames.length;
          const executed = slot;
          let entered = false;
          let callbackReturn = false;
          // LD_ABS/LD_IND and bpf_tail_call in a subprogram can also leave it (see hiddenExit).
          let hidden: 'LD_ABS' | 'tail_call' | undefined;
          env.lastFill = 0;
          env.lastSpill = 0;
          env.lastLink = undefined;
          this.recorder?.instruction(slot, env.cur, path);
          if (++this.processed > this.maxInsns) {
            env.fail('too-complex', `the program is too complex: ${this.maxInsns.toLocaleString('en-US')} instructions were processed without covering every path (bounded loops must exit within the limit)`, []);
          }
          if ((this.processed & 0xfff) === 0 && now() > deadline) {
            env.fail('too-complex', `verification took longer than the ${this.options.timeLimitMs} ms allowed`, []);
          }
          const ins = env.insn(slot);
          if (this.options.logLevel === 2) this.logState(slot, ins);
          const cls = ins.opcode & 0x07;
          switch (cls) {
            case InstructionClass.ALU:
            case InstructionClass.ALU64:
              checkAlu(env, ins);
              slot += 1;
              break;
            case InstructionClass.LDX:
              checkLoad(env, ins);
              slot += 1;
              break;
            case InstructionClass.ST:
              checkStore(env, ins);
              slot += 1;
              break;
            case InstructionClass.STX:
              if ((ins.opcode & 0xe0) === Mode.ATOMIC) checkAtomic(env, ins);
              else checkStore(env, ins);
              slot += 1;
              break;
            case InstructionClass.LD:
              if (ins.opcode === Opcode.LDDW) {
                this.loadImm64(ins);
                slot += 2;
              } else {
                checkLegacyPacketLoad(env, ins);
                slot += 1;
                if (env.cur.frames.length > 1) hidden = 'LD_ABS';
              }
              break;
            default: {
              const op = ins.opcode & 0xf0;
              if (ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32) {
                this.jumps++;
                slot = slot + 1 + (ins.opcode === Opcode.JA32 ? ins.imm : ins.offset);
                break;
              }
              if (op === JumpOp.CALL) {
                this.jumps++;
                if (ins.opcode === Opcode.CALLX) {
                  // A call through a register holding a known helper number is a call to that helper.
                  const target = env.readReg(ins.dst);
                  if (target.type !== RegType.SCALAR || !isConst(target.value) || target.tainted) {
                    env.fail('unsupported', `callx through r${ins.dst}, which does not hold a known helper number`, [ins.dst]);
                  }
                  env.markPrecise([ins.dst]);
                  checkHelperCall(env, { ...ins, opcode: Opcode.CALL, src: 0, dst: 0, imm: Number(BigInt.asIntN(32, target.value.varOff.value)) });
                  slot += 1;
                  break;
                }
                if (this.externSlots.has(slot)) {
                  const ref = env.linked.references.find((r) => r.slot === slot);
                  const name = ref !== undefined && 'name' in ref ? ref.name : '';
                  if (ref?.kind === 'kfunc' && isKnownKfunc(name)) checkKfuncCall(env, name);
                  else checkExternCall(env, name);
                  slot += 1;
                  const fork = env.iterFork;
                  if (fork !== undefined) {
                    // An ACTIVE iterator's `next`: the state with another value is queued (widened against the
                    // previous iteration's, Linux's widen_imprecise_scalars), this one goes on with the end.
                    env.iterFork = undefined;
                    const prev = this.iterPrevious;
                    if (prev !== undefined) widenImpreciseScalars(prev.state, fork, prev.precise);
                    this.pushHistory(executed, depth, false);
                    this.queue(stack, parent, fork, slot, { kind: 'branch', slot: executed, taken: true, prev: path }, this.history);
                    path = { kind: 'branch', slot: executed, taken: false, prev: path };
                    continue;
                  }
                } else if (ins.src === CallSource.LOCAL) {
                  const target = enterLocalCall(env, ins);
                  path = { kind: 'call', slot, taken: true, prev: path };
                  entered = true;
                  slot = target;
                } else if (ins.src === CallSource.KFUNC) {
                  env.fail('unsupported', `call to the kernel function #${ins.imm}: kfuncs are not supported`, []);
                } else {
                  const callback = checkHelperCall(env, ins);
                  if (callback !== undefined) this.pushCallback(stack, callback, slot, depth, parent, path);
                  slot += 1;
                  if (ins.imm === 12 && env.cur.frames.length > 1) hidden = 'tail_call';
                }
                break;
              }
              if (op === JumpOp.EXIT) {
                const r = checkExit(env);
                if (r.done) {
                  this.recorder?.pathEnd('exit', slot, path);
                  this.finishPath(parent);
                  continue outer;
                }
                path = { kind: 'return', slot, taken: true, prev: path };
                slot = r.slot;
                callbackReturn = r.callback;
                break;
              }
              this.jumps++;
              const target = slot + 1 + ins.offset;
              if (ins.opcode === Opcode.MAY_GOTO) {
                // The run-time budget decides: the jump (budget used up) is explored on, the fall-through (another
                // iteration) queued with one more may_goto taken, and widened against the previous iteration.
                const next = cloneState(env.cur);
                next.mayGotoDepth++;
                const prev = this.mayGotoPrevious;
                if (prev !== undefined) widenImpreciseScalars(prev.state, next, prev.precise);
                this.pushHistory(executed, depth, false);
                this.queue(stack, parent, next, slot + 1, { kind: 'branch', slot, taken: false, prev: path }, this.history);
                path = { kind: 'branch', slot, taken: true, prev: path };
                slot = target;
                continue;
              }
              const { fall, jump } = checkCondJump(env, ins);
              this.pushHistory(executed, depth, false);
              if (fall !== undefined && jump !== undefined) {
                this.queue(stack, parent, jump, target, { kind: 'branch', slot, taken: true, prev: path }, this.history);
                path = { kind: 'branch', slot, taken: false, prev: path };
                slot += 1;
              } else if (jump !== undefined) {
                env.cur = jump;
                slot = target;
              } else if (fall !== undefined) {
                slot += 1;
              } else {
                this.recorder?.pathEnd('dead', slot, path);
                this.finishPath(parent);
                continue outer;
              }
              continue;
            }
          }
          if (hidden !== undefined) {
            // The instruction's other outcome leaves the function (Linux's hidden exit: bpf_gen_ld_abs returns 0
            // outside the packet; a successful tail call returns the other program's value): the path where it
            // completes goes on at the next instruction later, this one returns to the caller now.
            this.pushHistory(executed, depth, false);
            this.queue(stack, parent, cloneState(env.cur), slot, { kind: 'branch', slot: executed, taken: false, prev: path }, this.history);
            path = { kind: 'branch', slot: executed, taken: true, prev: path };
            prepareHiddenExit(env, hidden);
            const r = checkExit(env);
            if (r.done) {
              this.finishPath(parent);
              continue outer;
            }
            path = { kind: 'return', slot: executed, taken: true, prev: path };
            slot = r.slot;
            continue;
          }
          this.pushHistory(executed, depth, entered, callbackReturn);
        }
      } catch (e) {
        if (!(e instanceof VerifyFailure)) throw e;
        failure = { error: e, slot: env.slot, path };
        this.recorder?.pathEnd('error', env.slot, path);
        break;
      }
    }

    if (failure === undefined) {
      const depth = this.combinedStack();
      if (depth.total > MAX_STACK) {
        failure = { error: new VerifyFailure('stack-limit', `the calls ${depth.chain.join(' -> ')} use ${depth.total} bytes of stack together; at most ${MAX_STACK} are allowed`), slot: 0, path: undefined };
      }
    }
    const diagnostics = failure === undefined ? [] : [this.diagnostic(failure.error, failure.slot, failure.path)];
    if (failure !== undefined && this.options.logLevel === 1) this.logState(failure.slot, env.insn(failure.slot));
    return {
      section: linked.program.sectionName,
      name: linked.program.name,
      type: env.ptype.name,
      rules: env.rules,
      verdict: failure === undefined ? 'pass' : 'fail',
      malformed: false,
      insnsProcessed: this.processed,
      statesStored: this.stored,
      statesPruned: this.pruned,
      stackDepth: this.combinedStack().total,
      readsUninitializedStack: env.readUninitStack,
      timeMs: now() - t0,
      diagnostics,
      log: this.log,
      ...(this.recorder !== undefined ? { recording: this.recorder.finish() } : {}),
    };
  }

  private pushHistory(slot: number, depth: number, entered: boolean, callbackReturn = false): void {
    const env = this.env;
    this.history = {
      slot, depth, fill: env.lastFill, spill: env.lastSpill, link: env.lastLink, target: undefined, entered,
      callbackArgs: undefined, callbackReturn, prev: this.history,
    };
  }

  /** Queues the path on which the helper call at `slot` calls its callback (the current path has it return). */
  private pushCallback(stack: Work[], cb: CallbackEntry, slot: number, depth: number, parent: Checkpoint | undefined, path: PathNode | undefined): void {
    const history: HistoryNode = {
      slot, depth, fill: 0, spill: 0, link: undefined, target: undefined, entered: true, callbackArgs: cb.argsFrom,
      callbackReturn: false, prev: this.history,
    };
    this.queue(stack, parent, cb.state, cb.target, { kind: 'call', slot, taken: true, prev: path }, history);
  }

  /**
   * Queues a path to explore later: `state` at `slot`, reached by `path` with `history`, under the newest
   * checkpoint `parent` (which counts it as pending), with the stack slots this path has overwritten so far.
   */
  private queue(stack: Work[], parent: Checkpoint | undefined, state: VerifierState, slot: number, path: PathNode, history: HistoryNode | undefined): void {
    if (stack.length >= MAX_PENDING) this.env.fail('too-complex', `the program is too complex: more than ${MAX_PENDING} branches are pending`, []);
    if (parent !== undefined) parent.pending++;
    stack.push({ state, slot, parent, path, history, written: this.written.slice() });
  }

  /** A path ended (exit, pruned, or dead): the checkpoints it descended from may now be complete. */
  private finishPath(parent: Checkpoint | undefined): void {
    let p = parent;
    while (p !== undefined) {
      p.pending--;
      if (p.pending > 0) break;
      if (p.loopbacks !== undefined) this.settle(p);
      p = p.parent;
    }
  }

  /**
   * A root's subtree is fully explored: every state its iterations were pruned against now has its marks, which
   * go back along the pruned paths, whose states may be those targets' own past (a cycle): repeated until nothing
   * changes. A root inside another root's iterations hands its loopbacks to that one instead, whose own fixed
   * point then covers both.
   */
  private settle(root: Checkpoint): void {
    const loops = root.loopbacks ?? [];
    root.loopbacks = undefined;
    root.settledLoops = true;
    if (root.blockedBy !== undefined) {
      (root.blockedBy.loopbacks ??= []).push(...loops);
      return;
    }
    for (let changed = true; changed;) {
      changed = false;
      for (const lb of loops) {
        if (propagateMarks(this.cfg.insns, lb.history, lb.target.precise)) changed = true;
        if (inheritReads(lb.target, lb.parent, lb.written)) changed = true;
      }
    }
  }

  /** Registers live in each frame at this point (caller frames: what survives the call). */
  private liveMasks(slot: number): number[] {
    const frames = this.env.cur.frames;
    const masks: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      if (i === frames.length - 1) masks.push(this.cfg.liveIn[slot] as number);
      else {
        const callee = frames[i + 1] as Frame;
        // A callback returns to the helper call itself, which reads its arguments again; a subprogram returns
        // past the call, which clobbered r0-r5.
        if (callee.callback !== undefined) masks.push(this.cfg.liveIn[callee.callsite] ?? 0x3ff);
        else masks.push((this.cfg.liveIn[callee.callsite + 1] ?? 0x3ff) & ~0x3f);
      }
    }
    return masks;
  }

  /** At a prune point: prune the path, or remember its state (returning the path's newest checkpoint). */
  private visit(slot: number, parent: Checkpoint | undefined): 'prune' | Checkpoint | undefined {
    const cur = this.env.cur;
    const list = this.explored.get(slot);
    const loopHead = this.cfg.loopHead[slot] === 1;
    const callbackSite = this.cfg.callbackSite[slot] === 1;
    const mayGotoSite = this.cfg.mayGotoSite[slot] === 1;
    const iterNextSite = this.cfg.iterNextSite[slot] === 1;
    this.mayGotoPrevious = undefined;
    this.iterPrevious = undefined;
    if (iterNextSite) {
      for (let c = parent; c !== undefined; c = c.parent) {
        if (c.slot === slot && sameCallsites(c.state, cur)) {
          this.iterPrevious = c;
          break;
        }
      }
    }
    const top = cur.frames[cur.frames.length - 1] as Frame;
    // One execution of a helper call that calls back gets a tag, which the states of its iterations keep.
    if (callbackSite && top.loopTag === 0) top.loopTag = this.env.newId();
    const add = loopHead || callbackSite || mayGotoSite || iterNextSite || this.options.checkpointEveryPrunePoint === true ||
      (this.jumps - this.lastCheckpointJumps >= 2 && this.processed - this.lastCheckpointInsns >= 8);
    let previousIteration: Checkpoint | undefined;
    if (list !== undefined && list.length > 0) {
      const live = this.liveMasks(slot);
      let evicted = false;
      for (let i = 0; i < list.length; i++) {
        const cp = list[i] as Checkpoint;
        if (usable(cp)) {
          if (statesEqual(cp.state, cur, live, false, cp.precise, cp.read, this.lockMaps)) {
            cp.hits++;
            if (evicted) this.explored.set(slot, list.filter((c) => c !== undefined));
            // This path's safety now rests on the numbers the old state's safety rested on, and its future reads
            // the stack slots the old state's did.
            propagateMarks(this.cfg.insns, this.history, cp.precise);
            inheritReads(cp, parent, this.written);
            return 'prune';
          }
        } else if (callbackSite && sameExecution(cp.state, cur)) {
          // An earlier iteration of this call, not fully explored yet. If this state is included in it (every
          // number and stack byte compared: its marks are not final), every continuation of this one is one of
          // it: a fixed point. (The helper bounds the iterations, so this is no infinite loop.)
          if (statesEqual(cp.state, cur, live, false, undefined, undefined, this.lockMaps)) {
            cp.hits++;
            if (evicted) this.explored.set(slot, list.filter((c) => c !== undefined));
            this.loopBack(cp, slot, parent);
            return 'prune';
          }
          previousIteration = cp;
        } else if ((iterNextSite || mayGotoSite) && !usable(cp) && sameCallsites(cp.state, cur)) {
          // An earlier state at this iterator `next` call or this may_goto, still being explored (an earlier
          // iteration of the loop, or of an enclosing one). If this state is included in it (compared fully, its
          // marks are not final), every continuation of this state is one of that state, whose exploration covers
          // them, and something at run time ends the loop, so this is no infinite loop either:
          // - at `next`, Linux's convergence rule, for an ACTIVE iterator (`next` returns NULL for good once
          //   drained; the depth in the iterator's slot is not compared);
          // - at may_goto, a state one may_goto deeper (Linux's `may_goto_depth` differs): the run-time budget.
          const converges = iterNextSite ? iteratorActiveAtCall(cur) : cp.state.mayGotoDepth !== cur.mayGotoDepth;
          if (converges && statesEqual(cp.state, cur, live, false, undefined, undefined, this.lockMaps)) {
            cp.hits++;
            if (evicted) this.explored.set(slot, list.filter((c) => c !== undefined));
            this.loopBack(cp, slot, parent, false);
            return 'prune';
          }
          if (loopHead && cp.pending > 0 && statesEqual(cp.state, cur, live, true, undefined, undefined, this.lockMaps)) {
            this.env.fail('infinite-loop', 'infinite loop: the program comes back to this instruction in the same state, so the loop never ends', []);
          }
          if (!iterNextSite) this.mayGotoPrevious = cp;
        } else if (loopHead && cp.pending > 0 && statesEqual(cp.state, cur, live, true, undefined, undefined, this.lockMaps)) {
          this.env.fail('infinite-loop', 'infinite loop: the program comes back to this instruction in the same state, so the loop never ends', []);
        }
        // Forget states that keep failing to match (the kernel's heuristic): misses count only when a new state
        // is remembered, so that some early iterations of a loop stay for comparison.
        if (add) {
          cp.misses++;
          const n = (loopHead || callbackSite || iterNextSite) && cp.pending > 0 ? 64 : 3;
          if (cp.misses > cp.hits * n + n) {
            list[i] = undefined as unknown as Checkpoint;
            evicted = true;
          }
        }
      }
      if (evicted) this.explored.set(slot, list.filter((cp) => cp !== undefined));
    }
    if (!add) return parent;
    if (previousIteration !== undefined) widenIteration(previousIteration.state, cur, previousIteration.precise);
    this.lastCheckpointJumps = this.jumps;
    this.lastCheckpointInsns = this.processed;
    const cp: Checkpoint = {
      state: cloneState(cur), slot, pending: 1, parent, hits: 0, misses: 0, precise: emptyMarks(cur.frames.length), read: [],
      segWritten: this.written, loopbacks: undefined, blockedBy: undefined, settledLoops: false,
    };
    this.written = [];
    this.history = {
      slot: -1, depth: cur.frames.length, fill: 0, spill: 0, link: undefined, target: cp, entered: false,
      callbackArgs: undefined, callbackReturn: false, prev: this.history,
    };
    const l = this.explored.get(slot);
    if (l === undefined) this.explored.set(slot, [cp]);
    else l.push(cp);
    this.stored++;
    return cp;
  }

  /**
   * This path was pruned against `target`, an earlier iteration at the helper call `slot` not fully explored yet:
   * the marks it has now go back along this path, and the ones it will get, once the execution's root is fully
   * explored ({@link settle}). Until then the states on this path have no final marks and prune nothing.
   */
  private loopBack(target: Checkpoint, slot: number, parent: Checkpoint | undefined, sameCall = true): void {
    const cur = this.env.cur;
    let root = target;
    // The iterations of one execution of a helper call share the first one as their root; a may_goto loop's
    // iteration settles with the state it was pruned against.
    if (sameCall) for (let c = parent; c !== undefined; c = c.parent) if (c.slot === slot && sameExecution(c.state, cur)) root = c;
    while (root.blockedBy !== undefined && !settled(root.blockedBy)) root = root.blockedBy;
    (root.loopbacks ??= []).push({ target, history: this.history, parent, written: this.written.slice() });
    for (let c = parent; c !== undefined && c !== root; c = c.parent) c.blockedBy = root;
    propagateMarks(this.cfg.insns, this.history, target.precise);
    inheritReads(target, parent, this.written);
  }

  private loadImm64(ins: Instruction): void {
    const env: Env = this.env;
    if (this.externSlots.has(env.slot)) {
      const ref = env.linked.references.find((r) => r.slot === env.slot);
      env.fail('unsupported', `the extern variable ${ref !== undefined && 'name' in ref ? `'${ref.name}'` : ''} is not supported`, []);
    }
    const imm64 = ins.imm64 ?? BigInt(ins.imm);
    const origin = { slot: env.slot, what: 'loaded' };
    switch (ins.src) {
      case LoadImm64Source.IMM64:
        env.setReg(ins.dst, constReg(imm64, origin));
        return;
      case LoadImm64Source.MAP_FD:
      case LoadImm64Source.MAP_VALUE:
        // The linker turns every map reference with a relocation into a map index (src 5 or 6). Without one, the
        // immediate is a file descriptor the loader never filled in (Linux: "fd 0 is not pointing to valid bpf_map").
        return env.fail('invalid-pointer', `lddw of a map by file descriptor (src ${ins.src}, fd ${ins.imm}) without a relocation naming the map: no map is loaded here`, []);
      case LoadImm64Source.MAP_IDX: {
        if (env.maps[ins.imm] === undefined) env.fail('invalid-pointer', `lddw refers to map #${ins.imm}, which does not exist`, []);
        checkMapProgramCompatible(env, ins.imm);
        env.setReg(ins.dst, makeReg({ type: RegType.CONST_MAP, map: ins.imm, value: SCALAR_ZERO, origin: { slot: env.slot, what: `the map '${env.mapName(ins.imm)}'` } }));
        return;
      }
      case LoadImm64Source.MAP_IDX_VALUE: {
        const m = env.maps[ins.imm];
        if (m === undefined) env.fail('invalid-pointer', `lddw refers to map #${ins.imm}, which does not exist`, []);
        checkMapProgramCompatible(env, ins.imm);
        const off = Number(BigInt.asIntN(32, imm64 >> 32n));
        env.setReg(ins.dst, makeReg({ type: RegType.MAP_VALUE, map: ins.imm, off, readOnly: m.readOnly, value: SCALAR_ZERO, origin: { slot: env.slot, what: `the address of '${m.name}'+${off}` } }));
        return;
      }
      case LoadImm64Source.CODE_ADDR:
        env.setReg(ins.dst, makeReg({ type: RegType.FUNC, frame: env.slot + 1 + ins.imm, value: SCALAR_ZERO, origin }));
        return;
      default:
        env.fail('unsupported', `lddw with src ${ins.src} (a kernel variable address) is not supported`, []);
    }
  }

  /** The deepest stack use over chains of calls (each frame rounded up to 16 bytes, as the JIT does). */
  private combinedStack(): { total: number; chain: string[] } {
    const cfg = this.cfg;
    // A function whose bpf_fastcall spills and fills Linux deletes ends above them (see fastcall.ts).
    const used = this.env.stackDepth.map((d, f) => {
      const fc = this.env.fastcall?.functions[f];
      if (fc === undefined || !fc.removable || fc.keep || this.env.fastcallBroken[f] === 1) return d;
      return Math.min(d, -fc.stackOff);
    });
    const depth = used.map((d) => (d === 0 ? 0 : Math.ceil(d / 16) * 16));
    const callees: Set<number>[] = cfg.functions.map(() => new Set<number>());
    for (let s = 0; s < cfg.insns.length; s++) {
      const ins = cfg.insns[s];
      if (ins !== undefined && ins.opcode === Opcode.CALL && ins.src === CallSource.LOCAL && !this.externSlots.has(s)) {
        (callees[cfg.funcOf[s] as number] as Set<number>).add(cfg.funcOf[s + 1 + ins.imm] as number);
      }
    }
    // A callback's frame stacks on the frame of the function whose helper call called it.
    this.env.callbackCalls.forEach((set, f) => {
      for (const c of set) (callees[f] as Set<number>).add(c);
    });
    const memo = new Map<number, { total: number; chain: string[] }>();
    const best = (f: number, seen: Set<number>): { total: number; chain: string[] } => {
      const m = memo.get(f);
      if (m !== undefined) return m;
      let sub = { total: 0, chain: [] as string[] };
      for (const c of callees[f] ?? []) {
        if (seen.has(c)) continue;
        seen.add(c);
        const r = best(c, seen);
        seen.delete(c);
        if (r.total > sub.total) sub = r;
      }
      const r = { total: (depth[f] ?? 0) + sub.total, chain: [cfg.functions[f]?.name ?? '?', ...sub.chain] };
      memo.set(f, r);
      return r;
    };
    return best(0, new Set([0]));
  }

  private diagnostic(e: VerifyFailure, slot: number, pathNode: PathNode | undefined): Diagnostic {
    const env: Env = this.env;
    const ins = env.cfg.insns[slot];
    const fn = env.cfg.functions[env.cfg.funcOf[slot] ?? 0]?.name ?? env.linked.program.name;
    const steps: PathStep[] = [];
    for (let p = pathNode; p !== undefined; p = p.prev) {
      const pi = env.cfg.insns[p.slot];
      const src = env.source(p.slot);
      steps.push({
        kind: p.kind,
        slot: p.slot,
        ...(p.kind === 'branch' ? { taken: p.taken } : {}),
        instruction: pi === undefined ? '' : formatInstruction(pi),
        function: env.cfg.functions[env.cfg.funcOf[p.slot] ?? 0]?.name ?? fn,
        ...(src !== undefined ? { source: src } : {}),
      });
    }
    steps.reverse();
    const registers: RegisterNote[] = [];
    const seen = new Set<number>();
    for (const r of e.regs) {
      if (r < 0 || r > 10 || seen.has(r)) continue;
      seen.add(r);
      const reg = env.cur.frames[env.cur.frames.length - 1]?.regs[r] as Reg | undefined ?? REG_NOT_INIT;
      const originSrc = reg.origin !== undefined ? env.source(reg.origin.slot) : undefined;
      registers.push({
        register: `r${r}`,
        state: formatReg(reg, (i) => env.mapName(i)),
        description: describeType(reg),
        ...(reg.origin !== undefined ? { origin: { slot: reg.origin.slot, what: reg.origin.what, ...(originSrc !== undefined ? { source: originSrc } : {}) } } : {}),
      });
    }
    const source = env.source(slot);
    return {
      severity: 'error',
      code: e.code,
      message: e.message,
      slot,
      function: fn,
      instruction: ins === undefined ? '' : formatInstruction(ins),
      ...(source !== undefined ? { source } : {}),
      path: steps,
      registers,
    };
  }

  private logState(slot: number, ins: Instruction): void {
    const max = this.options.maxLogLines ?? 100_000;
    if (this.log.length >= max) return;
    this.log.push(`${slot}: ${formatInstruction(ins)}  ; ${formatState(this.env)}`);
  }
}

/** Whether two states run in the same chain of calls (the same call sites in every frame). */
function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) if ((a.frames[i] as Frame).callsite !== (b.frames[i] as Frame).callsite) return false;
  return true;
}

/** Tracing program types (the kernel's is_tracing_prog_type). */
const TRACING_TYPES = new Set(['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'raw_tracepoint_writable']);

/**
 * Maps whose values hold a spin lock or a timer are refused to program types that cannot use them (the kernel's
 * check_map_prog_compatibility: socket filters and tracing programs may not take a bpf_spin_lock; tracing programs
 * may not use a bpf_timer or bpf_wq).
 */
function checkMapProgramCompatible(env: Env, index: number): void {
  const m = env.maps[index];
  const kinds = new Set((m?.fields ?? []).map((f) => f.kind));
  if (m === undefined || kinds.size === 0) return;
  const type = env.ptype.name;
  if (kinds.has('spin_lock') && (type === 'socket_filter' || TRACING_TYPES.has(type))) {
    env.fail('helper-not-allowed', `map '${m.name}' holds a struct bpf_spin_lock, which ${type} programs cannot use (as in Linux)`, []);
  }
  if ((kinds.has('timer') || kinds.has('workqueue')) && TRACING_TYPES.has(type)) {
    env.fail('helper-not-allowed', `map '${m.name}' holds a ${kinds.has('timer') ? 'struct bpf_timer' : 'struct bpf_wq'}, which ${type} programs cannot use (as in Linux)`, []);
  }
}

/** Whether two states at a helper call are in the same execution of it (iterations of its callback). */
function sameExecution(a: VerifierState, b: VerifierState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  const fa = a.frames[a.frames.length - 1] as Frame;
  const fb = b.frames[b.frames.length - 1] as Frame;
  return fa.loopTag !== 0 && fa.loopTag === fb.loopTag;
}

function hasBit(bits: readonly number[], f: number, k: number): boolean {
  const w = bits[2 * f + (k >> 5)] ?? 0;
  return ((w >>> (k & 31)) & 1) === 1;
}

function setBit(bits: number[], f: number, k: number): void {
  while (bits.length < 2 * f + 2) bits.push(0);
  const i = 2 * f + (k >> 5);
  bits[i] = ((bits[i] as number) | (1 << (k & 31))) >>> 0;
}

/**
 * Marks slot k of frame f as read by the continuation of `cp` and of its ancestors, up to where it was written;
 * returns whether any state got the mark.
 */
function markRead(cp: Checkpoint | undefined, f: number, k: number): boolean {
  let changed = false;
  for (let c = cp; c !== undefined; c = c.parent) {
    if (c.state.frames.length <= f || hasBit(c.read, f, k)) return changed;
    setBit(c.read, f, k);
    changed = true;
    if (hasBit(c.segWritten, f, k)) return changed;
  }
  return changed;
}

/** A path pruned against `old` (from `parent`, having overwritten `written` since) reads what old's future reads. */
function inheritReads(old: Checkpoint, parent: Checkpoint | undefined, written: readonly number[]): boolean {
  let changed = false;
  for (let f = 0; f < old.read.length / 2; f++) {
    for (let k = 0; k < 64; k++) if (hasBit(old.read, f, k) && !hasBit(written, f, k) && markRead(parent, f, k)) changed = true;
  }
  return changed;
}

/** Whether a remembered state may prune: fully explored, and its marks final (see `Runner.settle`). */
function usable(cp: Checkpoint): boolean {
  return cp.pending === 0 && (cp.blockedBy === undefined || settled(cp.blockedBy));
}

/** Whether a root's loopbacks have reached their fixed point. */
function settled(root: Checkpoint): boolean {
  return root.pending === 0 && root.settledLoops && (root.blockedBy === undefined || settled(root.blockedBy));
}

/** The current state in the kernel log's style: `R0=scalar() R1=ctx() R10=fp0 fp-8=mmmmmmmm`. */
export function formatState(env: Env): string {
  const parts: string[] = [];
  const frames = env.cur.frames;
  frames.forEach((f, fi) => {
    const prefix = frames.length > 1 ? `[${fi}]` : '';
    f.regs.forEach((r, i) => {
      if (r.type === RegType.NOT_INIT) return;
      parts.push(`${prefix}R${i}=${formatReg(r, (m) => env.mapName(m))}`);
    });
    f.stack.forEach((s, k) => {
      if (s.bytes === '????????') return;
      const off = -8 * (k + 1);
      const spill = s.spill === undefined ? '' : formatReg(s.spill, (m) => env.mapName(m));
      parts.push(`${prefix}fp${off}=${s.bytes === 'rrrrrrrr' ? spill : s.spill !== undefined ? `${s.bytes}(${spill})` : s.bytes}`);
    });
  });
  if (env.cur.refs.length > 0) parts.push(`refs=${env.cur.refs.map((r) => r.id).join(',')}`);
  return parts.join(' ');
}

// Re-exported for the tests and the CLI.
export { scalarConst };
