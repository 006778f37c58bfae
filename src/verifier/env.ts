/**
 * The verifier's working environment for one program: the program and its facts (CFG, maps, platform, program
 * type), the state of the path being explored, and the services the instruction checks share (reading and writing
 * registers with their checks, fresh ids, failing with a diagnostic).
 *
 * Author: Claude.
 *
 * @module
 */

import type { Instruction } from '../asm/index.ts';
import type { Btf } from '../btf/index.ts';
import type { LinkedProgram } from '../spec/index.ts';
import { lineInfoAt } from '../spec/index.ts';
import type { Cfg } from './cfg.ts';
import type { FastcallPatterns } from './fastcall.ts';
import type { KernelBtf } from './kernel-btf.ts';
import type { VerifierMap } from './maps.ts';
import type { Platform, ProgramTypeInfo } from './platform.ts';
import { type Reg, RegType, describeType } from './reg.ts';
import type { DiagnosticCode, SourcePosition } from './report.ts';
import { DEFAULT_RULES, type RuleSet, ruleSetPolicy } from './rules.ts';
import { type Frame, type VerifierState, currentFrame } from './state.ts';
import type { RecordOptions } from './state-recorder.ts';

/** Options of a verification. */
export interface VerifyOptions {
  /** The program type to verify as, overriding the section name's (`xdp`, `sched_cls`...). */
  readonly programType?: string;
  /** The expected attach type, overriding the section name's (`cgroup_inet4_bind`). */
  readonly attachType?: string;
  /**
   * The license the program is loaded under (for GPL-only helpers), as a loader passes one to `bpf_prog_load`;
   * default the object's. The CLI's `--license` passes it only for an object without a `license` section, since
   * libbpf loads the object's own.
   */
  readonly license?: string;
  /**
   * The kernel's BTF (vmlinux; `bpfship verify --btf FILE`, default `/sys/kernel/btf/vmlinux`), parsed on first
   * use: kfunc prototypes and kernel struct layouts are read from it when given, from the object's own BTF
   * otherwise (see `kfuncs.ts`).
   */
  readonly kernelBtf?: KernelBtf;
  /** Helpers and program types; Linux's by default. */
  readonly platform?: Platform;
  /** 0: diagnostics only; 1: also the state at the error; 2: the state at every instruction. */
  readonly logLevel?: 0 | 1 | 2;
  /** The complexity limit: instructions processed over all paths (Linux's is 1,000,000). */
  readonly maxInsns?: number;
  /** The rule set: `linux` (the default, Linux's privileged rules) or `strict` (see `rules.ts`). */
  readonly rules?: RuleSet;
  /** Stop after this many milliseconds (reported as too complex). */
  readonly timeLimitMs?: number;
  /** Lines of state log kept at most (level 2). */
  readonly maxLogLines?: number;
  /**
   * Remember the state at every prune point, not only every few jumps (the kernel's BPF_F_TEST_STATE_FREQ): more
   * pruning, to test that pruning is sound.
   */
  readonly checkpointEveryPrunePoint?: boolean;
  /**
   * Require every load and store to be naturally aligned, whatever it points into (the kernel's
   * BPF_F_STRICT_ALIGNMENT, and its rule on machines without efficient unaligned access). Packet offsets are
   * checked with NET_IP_ALIGN (2) added, as Linux does. Without it, only stack accesses and atomics must be aligned
   * (Linux on x86-64 and arm64).
   */
  readonly strictAlignment?: boolean;
  /**
   * Record the state at each instruction on each path, bounded (see `state-recorder.ts`), into
   * `ProgramReport.recording`.
   */
  readonly record?: RecordOptions;
}

/** A check failed: the path (and the program) is rejected. */
export class VerifyFailure extends Error {
  readonly code: DiagnosticCode;
  readonly regs: readonly number[];

  constructor(code: DiagnosticCode, message: string, regs: readonly number[] = []) {
    super(message);
    this.name = 'VerifyFailure';
    this.code = code;
    this.regs = regs;
  }
}

/** The environment of one program's verification. */
export class Env {
  readonly linked: LinkedProgram;
  readonly cfg: Cfg;
  readonly maps: readonly VerifierMap[];
  readonly platform: Platform;
  readonly ptype: ProgramTypeInfo;
  readonly gpl: boolean;
  /** The rule set, and what it allows (see `rules.ts`). */
  rules: RuleSet = DEFAULT_RULES;
  allowPointerLeaks = ruleSetPolicy(DEFAULT_RULES).allowPointerLeaks;
  allowUninitStack = ruleSetPolicy(DEFAULT_RULES).allowUninitStack;
  /** The program's bpf_fastcall patterns (see `fastcall.ts`), found before the exploration. */
  fastcall: FastcallPatterns | undefined;
  /** Per function: another instruction touched its bpf_fastcall area, so the area counts (Linux's contract). */
  readonly fastcallBroken: Uint8Array;
  /** Every load and store must be naturally aligned (VerifyOptions.strictAlignment). */
  strictAlignment = false;
  /** Set when a path read stack bytes never written (allowed under `allowUninitStack`). */
  readUninitStack = false;
  /** The entry function returns nothing: r0 is not checked at the program's exit. */
  voidReturn = false;
  /** Exits where nothing is checked (see ProgramContext). */
  lenientExits: ReadonlySet<number> = new Set();
  /** At exit, only check that r0 holds no address (see ProgramContext). */
  leakOnlyReturn = false;
  /** The object's BTF and the kernel's, for kfunc calls (see `kfuncs.ts`). */
  objectBtf: Btf | undefined = undefined;
  /** Where the kernel's BTF comes from, when given (see {@link VerifyOptions.kernelBtf}). */
  kernelBtfSource: KernelBtf | undefined = undefined;
  /** The kernel's BTF, parsed on first use. */
  get kernelBtf(): Btf | undefined {
    return this.kernelBtfSource?.types();
  }
  /** The program is sleepable (for KF_SLEEPABLE kfuncs). */
  sleepable = false;
  /** The path being explored. */
  cur!: VerifierState;
  /** The instruction being checked. */
  slot = 0;
  /** Deepest stack use of each function, in bytes. */
  readonly stackDepth: number[];
  /**
   * Per slot, the type of the pointer its load or store went through on the paths explored so far (-1: none yet):
   * one instruction may not access the context or a socket on one path and other memory on another (Linux: "same
   * insn cannot be used with different pointers", since such accesses are rewritten per pointer type).
   */
  readonly accessPointerType: Int8Array;
  /** Per function, the functions its helper calls called back (their frames stack on its own). */
  readonly callbackCalls: Set<number>[];
  /** Facts about the instruction being checked, for the path's history (see `precision.ts`). */
  lastFill = 0;
  lastSpill = 0;
  lastLink: number[] | undefined;
  /** Marks registers of the current frame, as the current instruction reads them, precise along the path. */
  markPrecise: (regs: readonly number[]) => void = () => {};
  /** Records that the path reads stack slot k of frame f (for stack liveness in remembered states). */
  noteStackRead: (frame: number, k: number) => void = () => {};
  /** Records that the path overwrites all 8 bytes of stack slot k of frame f. */
  noteStackWrite: (frame: number, k: number) => void = () => {};
  /**
   * Set by a `next` call of an iterator whose end is not known (ACTIVE): the state in which it yields another value,
   * which the exploration queues (Linux's `process_iter_next_call`); the current state goes on with the iterator
   * drained. Taken and cleared by the caller of the kfunc check.
   */
  iterFork: VerifierState | undefined = undefined;
  private idGen = 0;

  constructor(linked: LinkedProgram, cfg: Cfg, maps: readonly VerifierMap[], platform: Platform, ptype: ProgramTypeInfo, gpl: boolean) {
    this.linked = linked;
    this.cfg = cfg;
    this.maps = maps;
    this.platform = platform;
    this.ptype = ptype;
    this.gpl = gpl;
    this.stackDepth = new Array<number>(cfg.functions.length).fill(0);
    this.accessPointerType = new Int8Array(cfg.insns.length).fill(-1);
    this.callbackCalls = cfg.functions.map(() => new Set<number>());
    this.fastcallBroken = new Uint8Array(cfg.functions.length);
  }

  /** The instruction at `slot`. */
  insn(slot: number): Instruction {
    return this.cfg.insns[slot] as Instruction;
  }

  /** A fresh id for tying copies of a value together. */
  newId(): number {
    return ++this.idGen;
  }

  /** Rejects the program. */
  fail(code: DiagnosticCode, message: string, regs: readonly number[] = []): never {
    throw new VerifyFailure(code, message, regs);
  }

  /** The frame executing now. */
  frame(): Frame {
    return currentFrame(this.cur);
  }

  /** A register of the current frame, unchecked. */
  reg(i: number): Reg {
    return this.frame().regs[i] as Reg;
  }

  /** A register the instruction reads: it must exist and hold something. */
  readReg(i: number): Reg {
    if (i > 10) this.fail('malformed', `r${i} does not exist`, []);
    const r = this.frame().regs[i] as Reg;
    if (r.type === RegType.NOT_INIT) {
      const clobbered = r.origin !== undefined ? ` (its value was ${r.origin.what} at ${this.where(r.origin.slot)})` : '';
      this.fail('uninitialized-register', `r${i} is read before it is written${clobbered}`, [i]);
    }
    return r;
  }

  /** Writes a register of the current frame (r10 is read-only: refused where a path writes it, as in Linux). */
  setReg(i: number, r: Reg): void {
    if (i >= 10) this.fail('malformed', i === 10 ? 'r10 (the frame pointer) is read-only, and this path writes it' : `r${i} does not exist`, []);
    this.frame().regs[i] = r;
  }

  /** The source position of a slot, from line info. */
  source(slot: number): SourcePosition | undefined {
    const li = lineInfoAt(this.linked, slot);
    if (li === undefined) return undefined;
    return { file: li.fileName, line: li.line, column: li.column, text: li.sourceLine };
  }

  /** Where a slot is, for messages: `bind_monitor.c:25` or `instruction 9`. */
  where(slot: number): string {
    const s = this.source(slot);
    if (s === undefined || s.line === 0) return `instruction ${slot}`;
    const file = s.file.split('/').pop() ?? s.file;
    return `${file}:${s.line}`;
  }

  /** " (returned by bpf_map_lookup_elem at prog.c:21)", or "" when the origin is unknown. */
  originText(r: Reg): string {
    return r.origin === undefined ? '' : ` (${r.origin.what} at ${this.where(r.origin.slot)})`;
  }

  /** "r7, a map value pointer or NULL (returned by ...)": a register named for a message. */
  describe(i: number, r: Reg = this.reg(i)): string {
    return `r${i}, ${describeType(r)}${this.originText(r)}`;
  }

  /** The name of map `index`. */
  mapName(index: number): string {
    return this.maps[index]?.name ?? `#${index}`;
  }
}
