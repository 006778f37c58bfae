/**
 * Preparing a program for the interpreter: validate it once, resolve what the loader must resolve (maps, global
 * data, function addresses), refuse what this runtime cannot run, and pre-decode the instructions into one flat
 * typed array the interpreter's loop reads without allocating.
 *
 * ```
 *   code: Int32Array, two words per instruction slot, plus one padding slot at the end
 *
 *   word 0:  bits 0-7 opcode | 8-11 dst | 12-15 src | 16-31 offset (signed)
 *   word 1:  imm (signed 32 bits); for lddw, the low half of the resolved constant, the high half being word 1 of
 *            the next slot (whose word 0 is 0: "no instruction")
 * ```
 *
 * Opcode 0 names no eBPF instruction, so a slot with word 0 equal to 0 (the second half of a `lddw`, the padding
 * slot) stops the run with a fault if control ever reaches it; jumps are checked here to land on instructions, so
 * only falling off the end of a program that does not end with `exit` or a jump does.
 *
 * Author: Claude.
 *
 * @module
 */

import { type Instruction, formatInstruction, validateInstructions, writesFramePointer } from '../asm/index.ts';
import type { InstructionError, Location } from '../internal/errors.ts';
import type { LinkedProgram } from '../spec/index.ts';
import { LoadError } from './errors.ts';

/**
 * Function addresses (`lddw rX, func`, for `bpf_loop` and `bpf_for_each_map_elem` callbacks, and `callx`) are
 * 64-bit values whose high half is this tag plus the program id and whose low half is the function's slot. The high
 * half is non-zero, so such a value never passes the interpreter's bounds check as a data pointer.
 */
export const CODE_ADDRESS_TAG = 0x40000000;

/** The largest program id a function address can carry. */
export const MAX_PROGRAM_ID = 0x00ffffff;

/** The function address of `slot` in program `programId`, as a program sees it in a register. */
export function codeAddress(programId: number, slot: number): bigint {
  return (BigInt(CODE_ADDRESS_TAG + programId) << 32n) | BigInt(slot >>> 0);
}

/** The program id and slot of a function address, or undefined when `value` is not one. */
export function decodeCodeAddress(value: bigint): { programId: number; slot: number } | undefined {
  const hi = Number((value >> 32n) & 0xffffffffn);
  if (hi < CODE_ADDRESS_TAG || hi > CODE_ADDRESS_TAG + MAX_PROGRAM_ID) return undefined;
  return { programId: hi - CODE_ADDRESS_TAG, slot: Number(value & 0xffffffffn) };
}

/** What the runtime offers a program, asked while preparing it. */
export interface HelperCatalog {
  /** Whether helper `id` exists in this runtime. */
  has(id: number): boolean;
  /** Linux's name of helper `id` without the `bpf_` prefix, for messages (`map_lookup_elem`). */
  name(id: number): string | undefined;
}

/** Options for {@link prepareProgram}. */
export interface PrepareOptions {
  /** The executor's id of the program (tail-call targets and function addresses name programs by it). */
  readonly id?: number;
  /** The program's name, for messages. */
  readonly name?: string;
  /** Where the instructions came from, for messages (file, section). */
  readonly where?: Location;
  /** The helpers available; without it only helpers in {@link PrepareOptions.allowHelpers} may be called. */
  readonly helpers?: HelperCatalog;
  /** Restricts the helpers a program type may call (host-defined program types); undefined allows all. */
  readonly allowHelpers?: ReadonlySet<number>;
  /**
   * The address a `lddw` of map `index` loads (`src` 5; the index counts `spec.maps`, then `spec.dataSections`):
   * in the runtime, the core's map object. Without it, such loads are refused.
   */
  readonly mapAddress?: (index: number) => number;
  /**
   * The address a `lddw` of a map value loads (`src` 6: global data, index as for mapAddress, plus `offset`).
   * Without it, such loads are refused.
   */
  readonly mapValueAddress?: (index: number, offset: number) => number;
  /** Names of the functions in slot order (start slots), to say which function a faulting slot is in. */
  readonly functions?: readonly { readonly name: string; readonly start: number }[];
  /** Source lines by slot (from BTF line info), for messages. */
  readonly sourceLine?: (slot: number) => string | undefined;
}

/** A program ready to run: see the module comment for the layout of `code`. */
export interface PreparedProgram {
  readonly id: number;
  readonly name: string;
  readonly code: Int32Array;
  readonly slotCount: number;
  /** The original instructions, by slot (undefined for the second half of a `lddw`), for messages. */
  readonly bySlot: readonly (Instruction | undefined)[];
  /** The helper ids the program calls, sorted. */
  readonly helpers: readonly number[];
  readonly where: Location;
  readonly functions: readonly { readonly name: string; readonly start: number }[];
  readonly sourceLine: ((slot: number) => string | undefined) | undefined;
}

/**
 * Validates and pre-decodes `instructions` (slot order, the first at slot 0).
 *
 * @example
 * ```ts
 * const prog = prepareProgram(assemble('mov %r0, 1\nexit'), { name: 'one' });
 * new Interpreter(host).run(prog, setup); // 1n
 * ```
 * @throws {LoadError} naming the instruction: an invalid encoding, a jump out of the program, a call to a helper
 *   the runtime lacks, a kfunc call, a map or data load that cannot be resolved.
 */
export function prepareProgram(instructions: readonly Instruction[], options: PrepareOptions = {}): PreparedProgram {
  const id = options.id ?? 0;
  const name = options.name ?? 'program';
  const where: Location = options.where ?? {};
  if (!Number.isInteger(id) || id < 0 || id > MAX_PROGRAM_ID) throw new RangeError(`program id ${id} is outside 0-${MAX_PROGRAM_ID}`);

  let slotCount = 0;
  for (const ins of instructions) slotCount += ins.size;
  if (slotCount === 0) throw new LoadError(`program '${name}' has no instructions`, where);

  // 1. The static checks of RFC 9669 (with Linux's extensions): known encodings, registers, jump targets.
  // A write to r10 is left to run time (Linux refuses it only on paths its verifier explores): it faults there.
  const problems = validateInstructions(instructions, where, { frameWrites: 'when-executed' });
  if (problems.length > 0) {
    const first = problems[0] as InstructionError;
    throw new LoadError(`program '${name}' is malformed: ${first.detail}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`, { ...where, ...first.where }, { cause: first });
  }

  // Control must not run off the end (Linux: "last insn is not an exit or jmp").
  const last = instructions[instructions.length - 1] as Instruction;
  if (last.opcode !== 0x95 && last.opcode !== 0x05 && last.opcode !== 0x06) {
    throw new LoadError(`program '${name}' ends with ${describeInstruction(last)}: the last instruction must be exit or an unconditional jump`, { ...where, insn: slotCount - last.size });
  }

  // 2. Encode, resolving lddw and checking calls.
  const code = new Int32Array(2 * (slotCount + 1));
  const bySlot: (Instruction | undefined)[] = new Array<Instruction | undefined>(slotCount).fill(undefined);
  const helpers = new Set<number>();
  let slot = 0;
  for (const ins of instructions) {
    const at: Location = { ...where, insn: slot };
    const text = (): string => describeInstruction(ins);
    bySlot[slot] = ins;
    let src = ins.src;
    let imm = ins.imm | 0;
    if (ins.opcode === 0x18) {
      let value = ins.imm64 ?? BigInt(ins.imm);
      switch (ins.src) {
        case 0:
          break;
        case 4: // code_addr: imm is relative to the next instruction, as the linker and the assembler write it
          value = codeAddress(id, slot + 1 + (ins.imm | 0));
          break;
        case 5: {
          if (options.mapAddress === undefined) throw new LoadError(`program '${name}' loads map #${ins.imm} (${text()}), but this environment has no maps`, at);
          value = BigInt(options.mapAddress(ins.imm) >>> 0);
          break;
        }
        case 6: {
          if (options.mapValueAddress === undefined) throw new LoadError(`program '${name}' loads the address of map #${ins.imm}'s value (${text()}), but this environment has no maps or global data`, at);
          const offset = Number(BigInt.asUintN(32, (ins.imm64 ?? 0n) >> 32n));
          value = BigInt(options.mapValueAddress(ins.imm, offset) >>> 0);
          break;
        }
        case 1:
        case 2:
          throw new LoadError(`program '${name}' refers to a map by file descriptor ${ins.imm} (${text()}); load the object through the runtime so that maps are linked by index`, at);
        default:
          throw new LoadError(`program '${name}' loads the address of a kernel variable (BTF id ${ins.imm}, ${text()}), which this runtime does not provide`, at);
      }
      const u = BigInt.asUintN(64, value);
      imm = Number(u & 0xffffffffn) | 0;
      code[2 * slot + 3] = Number(u >> 32n) | 0;
      src = 0;
    } else if (ins.opcode === 0x85) {
      if (ins.src === 0) {
        const allowed = options.allowHelpers === undefined || options.allowHelpers.has(ins.imm);
        const known = options.helpers?.has(ins.imm) ?? false;
        if (!known || !allowed) {
          const helperName = options.helpers?.name(ins.imm);
          const label = helperName === undefined ? `helper #${ins.imm}` : `helper bpf_${helperName} (#${ins.imm})`;
          const why = !known ? 'which this runtime does not implement' : 'which its program type does not allow';
          throw new LoadError(`program '${name}' calls ${label} at instruction ${slot}, ${why}`, at);
        }
        helpers.add(ins.imm);
      } else if (ins.src === 2) {
        throw new LoadError(`program '${name}' calls kernel function BTF id ${ins.imm} at instruction ${slot}, which this runtime does not provide`, at);
      }
    } else if (ins.opcode === 0xbf && ins.offset === 1) {
      throw new LoadError(`program '${name}' uses addr_space_cast (${text()}): BPF arenas are not supported`, at);
    }
    // A write to r10 is encoded as no instruction (opcode 0): running it faults (a verified program never does).
    const opcode = writesFramePointer(ins) ? 0 : ins.opcode & 0xff;
    code[2 * slot] = opcode | ((ins.dst & 0xf) << 8) | ((src & 0xf) << 12) | (ins.offset << 16);
    code[2 * slot + 1] = imm;
    slot += ins.size;
  }
  fuseZeroExtensions(code, slotCount);
  return {
    id,
    name,
    code,
    slotCount,
    bySlot,
    helpers: [...helpers].sort((a, b) => a - b),
    where,
    functions: options.functions ?? [{ name, start: 0 }],
    sourceLine: options.sourceLine,
  };
}

/**
 * Internal opcodes (encodings no eBPF instruction has: class LDX with mode 0) for pairs of instructions clang
 * emits all the time, run as one dispatch. The pair's second slot keeps its own encoding, so a jump (or call)
 * to it runs it alone, exactly as before; the fused op counts as two executed instructions.
 */
export const FusedOpcode = {
  /** `rX <<= 32; rX >>= 32`: zero-extend the low half (clang's u32 to u64 before ALU32). */
  ZEXT: 0x01,
  /** `rX <<= 32; rX s>>= 32`: sign-extend the low half. */
  SEXT: 0x09,
  /** `rX = rY; rX <<= 32; rX >>= 32`, over three slots: rX = (u32)rY. */
  MOV_ZEXT: 0x11,
} as const;

/** Rewrites fusable pairs (see {@link FusedOpcode}); the original instructions stay in the following slots. */
function fuseZeroExtensions(code: Int32Array, slotCount: number): void {
  const isShift32 = (slot: number, opcode: number, dst: number): boolean =>
    slot < slotCount && ((code[2 * slot] as number) & 0xffff) === (opcode | (dst << 8)) && code[2 * slot + 1] === 32;
  for (let slot = 0; slot + 1 < slotCount; slot++) {
    const w = code[2 * slot] as number;
    const op = w & 0xff;
    const dst = (w >> 8) & 0xf;
    if (op === 0xbf && (w >> 16) === 0 && isShift32(slot + 1, 0x67, dst) && isShift32(slot + 2, 0x77, dst)) {
      // mov X (no movsx offset), then the zero extension: keep src in bits 12-15.
      code[2 * slot] = FusedOpcode.MOV_ZEXT | (w & 0xff00);
    } else if (op === 0x67 && code[2 * slot + 1] === 32) {
      if (isShift32(slot + 1, 0x77, dst)) code[2 * slot] = FusedOpcode.ZEXT | (dst << 8);
      else if (isShift32(slot + 1, 0xc7, dst)) code[2 * slot] = FusedOpcode.SEXT | (dst << 8);
    }
  }
}

/** Memory functions clang may leave as calls to undefined symbols (the verifier checks them as builtins). */
const COMPILER_BUILTINS = new Set(['memset', 'memcpy', 'memmove', 'memcmp']);

/** Options for {@link prepareLinkedProgram}: those of {@link prepareProgram} but the name and layout come from the link. */
export type PrepareLinkedOptions = Omit<PrepareOptions, 'name' | 'functions' | 'sourceLine'>;

/**
 * Prepares a program linked by the spec layer, naming it after the program and taking its function layout and
 * source lines for messages.
 */
export function prepareLinkedProgram(linked: LinkedProgram, options: PrepareLinkedOptions = {}): PreparedProgram {
  // Calls to functions the object leaves undefined (kfuncs, which exist only in the kernel, or compiler builtins):
  // name the first one the program calls.
  const kfunc = linked.references.find((r) => r.kind === 'kfunc');
  if (kfunc !== undefined && 'name' in kfunc) {
    const where = options.where ?? { section: linked.program.sectionName };
    const what = COMPILER_BUILTINS.has(kfunc.name) ? `the compiler builtin ${kfunc.name}` : `kfunc ${kfunc.name}`;
    throw new LoadError(`program '${linked.program.name}' calls the external function ${kfunc.name} at instruction ${kfunc.slot}: ${what} is not available in this runtime`, { ...where, insn: kfunc.slot });
  }
  const lines = linked.lineInfo;
  const sourceLine = lines.length === 0
    ? undefined
    : (slot: number): string | undefined => {
        let lo = 0;
        let hi = lines.length - 1;
        let found: (typeof lines)[number] | undefined;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const rec = lines[mid] as (typeof lines)[number];
          if (rec.slot <= slot) {
            found = rec;
            lo = mid + 1;
          } else {
            hi = mid - 1;
          }
        }
        return found === undefined ? undefined : `${found.fileName}:${found.line}:${found.column}: ${found.sourceLine.trim()}`;
      };
  return prepareProgram(linked.instructions, {
    ...options,
    name: linked.program.name,
    where: options.where ?? { section: linked.program.sectionName },
    functions: linked.functions.map((f) => ({ name: f.name, start: f.start })),
    ...(sourceLine === undefined ? {} : { sourceLine }),
  });
}

/** The instruction in llvm-objdump's syntax, falling back to its fields when LLVM has no text for it. */
export function describeInstruction(ins: Instruction): string {
  const text = formatInstruction(ins);
  if (text !== '<unknown>') return text;
  return `opcode 0x${ins.opcode.toString(16).padStart(2, '0')} dst r${ins.dst} src r${ins.src} offset ${ins.offset} imm ${ins.imm}`;
}

/** `instruction 12 in function 'count' (r0 = *(u32 *)(r1 + 0x8)) at prog.c:23:5: ...`: where a slot is, in words. */
export function describeSlot(prog: PreparedProgram, slot: number): string {
  let fn = prog.functions[0]?.name ?? prog.name;
  for (const f of prog.functions) if (f.start <= slot) fn = f.name;
  const ins = prog.bySlot[slot];
  let out = `instruction ${slot}${fn === prog.name ? '' : ` in function '${fn}'`} of program '${prog.name}'`;
  if (ins !== undefined) out += ` (${describeInstruction(ins)})`;
  const line = prog.sourceLine?.(slot);
  if (line !== undefined) out += ` at ${line}`;
  return out;
}
