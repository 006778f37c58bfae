/**
 * bpf2c: an eBPF object (or raw instruction streams) translated into one C file for a native image.
 *
 * Author: Claude.
 *
 * @module
 */
import { CallSource, makeInstruction, Opcode, type Instruction } from '../asm/index.ts';
import { linkProgram, readObject, type LinkedProgram, type MapSpec, type ObjectSpec, type ProgramSpec, ProgramType, type ProgramTypeName } from '../spec/index.ts';
import { rawCodeProgram, splitAtLocalCalls } from './code-program.ts';
import { emitC } from './emit-c.ts';
import { Bpf2cError, Bpf2cVerificationError } from './errors.ts';
import type { NativeImageMetadata, NativeMapMetadata, NativeProgramMetadata } from './metadata.ts';
import { builtinProgramInfo, programInfoHash, type ProgramInfoSource } from './program-info.ts';
import { sha256, toHex } from './sha256.ts';
import { buildUnit, type UnitProgramInput } from './unit.ts';
import { BPF2C_VERSION } from './version.ts';

/** What the verify hook is asked: one entry program of an object, linked. */
export interface VerifyRequest {
  readonly spec: ObjectSpec;
  readonly program: ProgramSpec;
  readonly linked: LinkedProgram;
}

/** The verify hook's answer. */
export interface VerifyOutcome {
  readonly ok: boolean;
  /** Diagnostics as a compiler prints them (`prog.c:23:5: error: ...`), shown when `ok` is false. */
  readonly diagnostics: readonly string[];
}

/**
 * Verifies one program before it is translated. bpf2c translates only what passed: the generated C is free of
 * undefined behaviour only for verified programs (memory accesses are not bounds-checked at run time).
 */
export type VerifyHook = (request: VerifyRequest) => VerifyOutcome;

/** Options of {@link translateObject} and {@link translateSpec}. */
export interface TranslateOptions {
  /** The ELF's file name, for messages and the image's `source_name`. Default `object.o`. */
  readonly sourceName?: string;
  /** The generated file's name, which `#line` directives return to. Default: the source's base name + `.bpf2c.c`. */
  readonly outputName?: string;
  /**
   * Verifies each program; a failure stops the translation with a {@link Bpf2cVerificationError}. Without a hook,
   * nothing is verified and {@link Bpf2cOutput.verified} is false: callers must say so to the user.
   */
  readonly verify?: VerifyHook;
  /** The ABI description the program-info hashes cover. Default: bpf2c's built-in one. */
  readonly programInfo?: ProgramInfoSource;
  /** Emit `#line` directives to the eBPF source (default true). */
  readonly lineDirectives?: boolean;
  /**
   * The hex SHA-256 of the ELF bytes, when the caller has it already (a build hashes the ELF for its cache key
   * with the platform's SHA-256): saves hashing it again here. Default: computed from the bytes.
   */
  readonly elfSha256?: string;
  /**
   * The entry programs to translate, by name, as libbpf loads only the programs left to autoload
   * (bpf_program__set_autoload): a program that native code cannot express (a kfunc call) need not keep the
   * others out of an image. Every map and data section of the object is still in the image, and so is every
   * program an initialized program array names (its slots hold them). Default: every program.
   */
  readonly programs?: readonly string[];
}

/** bpf2c's result. */
export interface Bpf2cOutput {
  /** The C file. */
  readonly c: string;
  readonly metadata: NativeImageMetadata;
  /** Whether a verify hook checked every program. */
  readonly verified: boolean;
}

/**
 * Translates an ELF object: every entry program, linked with its subprograms, into one C file.
 *
 * @example
 * ```ts
 * const { c } = translateObject(readFileSync('xdp_firewall.o'), { sourceName: 'xdp_firewall.o', verify });
 * writeFileSync('xdp_firewall.bpf2c.c', c);
 * ```
 * @throws {Bpf2cVerificationError} when the verify hook rejects a program.
 * @throws {Bpf2cError} when a program uses something native code cannot express.
 * @throws {BpfshipError} (ElfError, BtfError, SpecError) for a malformed object.
 */
export function translateObject(elf: Uint8Array, options: TranslateOptions = {}): Bpf2cOutput {
  const sourceName = options.sourceName ?? 'object.o';
  const spec = readObject(elf, { name: sourceName });
  return translateSpec(spec, options.elfSha256 ?? toHex(sha256(elf)), { ...options, sourceName });
}

/** Translates an object already read; `elfSha256` is the hex SHA-256 of its bytes. */
export function translateSpec(spec: ObjectSpec, elfSha256: string, options: TranslateOptions = {}): Bpf2cOutput {
  const sourceName = options.sourceName ?? spec.file;
  const info = options.programInfo ?? builtinProgramInfo;
  const inputs: UnitProgramInput[] = [];
  for (const program of selectPrograms(spec, options.programs, sourceName)) {
    const linked = linkProgram(spec, program);
    if (options.verify !== undefined) {
      const outcome = options.verify({ spec, program, linked });
      if (!outcome.ok) throw new Bpf2cVerificationError(program.name, outcome.diagnostics, { file: sourceName, section: program.sectionName });
    }
    const kfunc = linked.references.find((r) => r.kind === 'kfunc');
    if (kfunc !== undefined && 'name' in kfunc) {
      const what = ['memset', 'memcpy', 'memmove', 'memcmp'].includes(kfunc.name) ? `the compiler builtin ${kfunc.name}` : `kfunc ${kfunc.name}`;
      throw new Bpf2cError(`program '${program.name}' calls the external function ${kfunc.name}: ${what} is not available in this runtime (native images run outside the kernel)`, { file: sourceName, section: program.sectionName, insn: kfunc.slot });
    }
    const code = splitAtLocalCalls(markKfuncCalls(linked));
    inputs.push({
      name: program.name,
      section: program.sectionName,
      programType: program.kind.programType,
      programTypeId: ProgramType[program.kind.programType],
      attachType: program.kind.attachType ?? '',
      code,
      functionKeys: code.functions.map((f) => `${f.sectionName}:${f.sectionInsnOffset}`),
    });
  }
  const maps = spec.maps.map(mapMetadata);
  const dataSections = spec.dataSections.map((d) => ({ name: d.name, size: d.size, readOnly: d.readOnly, initialBytes: d.initialBytes }));
  const unit = buildUnit(inputs, maps, dataSections, { file: sourceName });
  const programs: NativeProgramMetadata[] = unit.programs.map((p) => ({
    name: p.name,
    cName: p.function.cName,
    section: p.section,
    programType: p.programType,
    programTypeId: p.programTypeId,
    attachType: p.attachType,
    insnCount: p.code.slotCount,
    helpers: p.helpers,
    maps: p.maps,
    infoHash: programInfoHash(p.programType, p.programTypeId, p.helpers, info),
  }));
  const metadata: NativeImageMetadata = {
    bpf2cVersion: BPF2C_VERSION,
    sourceName,
    elfSha256,
    license: spec.license ?? '',
    programs,
    maps,
    dataSections,
    helperIds: unit.helperIds,
  };
  const c = emitC(unit, metadata, { outputName: options.outputName ?? defaultOutputName(sourceName), sourceName, ...(options.lineDirectives !== undefined ? { lineDirectives: options.lineDirectives } : {}) });
  return { c, metadata, verified: options.verify !== undefined };
}

/** One raw program for {@link translateRaw}. */
export interface RawProgram {
  /** Becomes the C function's name (made a valid identifier). */
  readonly name: string;
  readonly instructions: readonly Instruction[];
  /** The program type (default `unspec`); `xdp` makes context packet pointer loads native (see context-access.ts). */
  readonly programType?: ProgramTypeName;
}

/**
 * Translates raw instruction streams (no ELF, no maps, no line info), each as an entry program of type `unspec`
 * with its local-call targets as subprograms: how the conformance suite's tests are built, many to one image.
 */
export function translateRaw(programs: readonly RawProgram[], options: Pick<TranslateOptions, 'outputName' | 'sourceName' | 'programInfo'> = {}): Bpf2cOutput {
  const sourceName = options.sourceName ?? 'raw';
  const info = options.programInfo ?? builtinProgramInfo;
  const inputs: UnitProgramInput[] = programs.map((p) => {
    const code = rawCodeProgram(p.name, p.instructions);
    const programType = p.programType ?? 'unspec';
    return { name: p.name, section: p.name, programType, programTypeId: ProgramType[programType], attachType: '', code, functionKeys: code.functions.map((f) => `${p.name}:${f.start}`) };
  });
  const unit = buildUnit(inputs, [], [], { file: sourceName });
  const metadata: NativeImageMetadata = {
    bpf2cVersion: BPF2C_VERSION,
    sourceName,
    elfSha256: '0'.repeat(64),
    license: '',
    programs: unit.programs.map((p) => ({
      name: p.name, cName: p.function.cName, section: p.section, programType: p.programType, programTypeId: p.programTypeId, attachType: '',
      insnCount: p.code.slotCount, helpers: p.helpers, maps: p.maps, infoHash: programInfoHash(p.programType, p.programTypeId, p.helpers, info),
    })),
    maps: [],
    dataSections: [],
    helperIds: unit.helperIds,
  };
  const c = emitC(unit, metadata, { outputName: options.outputName ?? defaultOutputName(sourceName), sourceName });
  return { c, metadata, verified: false };
}

/** `dir/prog.o` → `prog.bpf2c.c`: never the eBPF source's own name, which the `#line` directives use. */
export function defaultOutputName(sourceName: string): string {
  const base = sourceName.slice(sourceName.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return `${dot > 0 ? base.slice(0, dot) : base}.bpf2c.c`;
}

/**
 * The programs of `spec` named in `names` (all without it), with those the object's program arrays are initialized
 * with, in object order.
 */
function selectPrograms(spec: ObjectSpec, names: readonly string[] | undefined, file: string): readonly ProgramSpec[] {
  if (names === undefined) return spec.programs;
  for (const n of names) {
    if (!spec.programs.some((p) => p.name === n)) throw new Bpf2cError(`${file} has no program '${n}' (programs: ${spec.programs.map((p) => p.name).join(', ')})`, { file });
  }
  // Program arrays initialized in the object name their programs: those go in too, or the slots could not be filled.
  const wanted = new Set(names);
  for (const m of spec.maps) for (const v of m.initialValues) if (v.kind === 'program') wanted.add(v.name);
  const selected = spec.programs.filter((p) => wanted.has(p.name));
  if (selected.length === 0) throw new Bpf2cError(`${file}: no program selected to translate`, { file });
  return selected;
}

/**
 * `linked` with each call to a kernel function (a `call -1` with a relocation to an extern kfunc, still marked a
 * local call in the ELF) marked a kfunc call, as libbpf marks it (BPF_PSEUDO_KFUNC_CALL): bpf2c then refuses it as
 * a kfunc, not as a local call into nowhere, and never splits a function at its bogus target.
 */
function markKfuncCalls(linked: LinkedProgram): LinkedProgram {
  const kfuncSlots = new Set(linked.references.filter((r) => r.kind === 'kfunc').map((r) => r.slot));
  if (kfuncSlots.size === 0) return linked;
  const instructions = linked.instructions.map((ins) =>
    ins.opcode === Opcode.CALL && kfuncSlots.has(ins.slot) ? makeInstruction(ins.opcode, ins.dst, CallSource.KFUNC, ins.offset, ins.imm, undefined, ins.slot) : ins);
  return { ...linked, instructions };
}

/** map_extra as the image table's number (see NativeMapMetadata.mapExtra). */
function mapExtraNumber(m: MapSpec): number {
  if (m.mapExtra > BigInt(Number.MAX_SAFE_INTEGER)) throw new Bpf2cError(`map '${m.name}' has map_extra 0x${m.mapExtra.toString(16)}, past what a native image's map table carries (2^53 - 1)`);
  return Number(m.mapExtra);
}

function mapMetadata(m: MapSpec): NativeMapMetadata {
  return {
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    pinning: m.pinning,
    mapExtra: mapExtraNumber(m),
    innerMap: m.innerMap === undefined ? undefined : mapMetadata(m.innerMap),
    initialValues: m.initialValues.map((v) => ({ key: v.key, kind: v.kind, name: v.name })),
  };
}
