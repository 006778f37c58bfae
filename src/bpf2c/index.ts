/**
 * The bpf2c layer: eBPF to C, for native images (see bpfship_native.h for the runtime ABI of the generated
 * files). Pure (no `node:*`), so it runs in a browser too; building and loading images is the `native` and
 * `runtime/native` layers' business.
 *
 * Author: Claude.
 *
 * @module
 */
export { translateObject, translateSpec, translateRaw, defaultOutputName, type TranslateOptions, type Bpf2cOutput, type VerifyHook, type VerifyRequest, type VerifyOutcome, type RawProgram } from './translate.ts';
export type { NativeImageMetadata, NativeProgramMetadata, NativeMapMetadata, NativeDataSectionMetadata } from './metadata.ts';
export { programInfoHash, programInfoText, builtinProgramInfo, PROGRAM_INFO_VERSION, type ProgramInfoSource } from './program-info.ts';
export { packetPointerFields, type PacketField, type PacketFieldLoad } from './context-access.ts';
export { rawCodeProgram, type CodeProgram, type CodeFunction, type CodeLineInfo } from './code-program.ts';
export { Bpf2cError, Bpf2cVerificationError } from './errors.ts';
export { helperName } from './helper-names.ts';
export { sha256, toHex } from './sha256.ts';
export { BPF2C_VERSION } from './version.ts';
