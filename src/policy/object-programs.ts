/**
 * The programs of an eBPF object as an attestation of it names them: each entry program with its section, program
 * type and the program-info hash of what it relies on in the kernel (program type, context layout and accesses, the
 * prototype of every helper it calls, src/bpf2c/program-info.ts), computed from the ABI tables this build carries.
 * `bpfship sign-object` records these hashes; the load policy recomputes them before an object is deployed and
 * refuses a mismatch (PROGRAM_INFO_MISMATCH), as the native runtime does for native images.
 *
 * Author: Claude.
 *
 * @module
 */
import { ProgramType } from '../abi/index.ts';
import { Opcode } from '../asm/index.ts';
import { builtinProgramInfo, programInfoHash, type ProgramInfoSource } from '../bpf2c/index.ts';
import { linkProgram, readObject, type ObjectSpec } from '../spec/index.ts';

/** One entry program of an object. */
export interface ObjectProgram {
  /** The program's function name. */
  readonly name: string;
  /** Its ELF section (`xdp`, `cgroup/bind4`). */
  readonly section: string;
  /** Its program type, by libbpf's section conventions (`xdp`, `cgroup_sock_addr`). */
  readonly programType: string;
  /** The ids of the helpers the program and its subprograms call, ascending. */
  readonly helpers: readonly number[];
  /** The program-info hash (hex SHA-256). */
  readonly infoHash: string;
}

/**
 * The entry programs of `spec` with their program-info hashes.
 *
 * @example
 * ```ts
 * objectPrograms(readObject(bytes, { name: 'prog.o' })).map((p) => `${p.name} ${p.infoHash}`);
 * ```
 * @throws {BpfshipError} (SpecError) when a program cannot be linked.
 */
export function objectPrograms(spec: ObjectSpec, source: ProgramInfoSource = builtinProgramInfo): ObjectProgram[] {
  return spec.programs.map((program) => {
    const linked = linkProgram(spec, program);
    const helpers = new Set<number>();
    for (const ins of linked.instructions) if (ins.opcode === Opcode.CALL && ins.src === 0) helpers.add(ins.imm);
    const sorted = [...helpers].sort((a, b) => a - b);
    const programType = program.kind.programType;
    return { name: program.name, section: program.sectionName, programType, helpers: sorted, infoHash: programInfoHash(programType, ProgramType[programType], sorted, source) };
  });
}

/**
 * {@link objectPrograms} of an object's bytes.
 *
 * @throws {BpfshipError} (ElfError, BtfError, SpecError) for a malformed object.
 */
export function objectProgramsOf(bytes: Uint8Array, name: string, source: ProgramInfoSource = builtinProgramInfo): ObjectProgram[] {
  return objectPrograms(readObject(bytes, { name }), source);
}
