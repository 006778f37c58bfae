/**
 * The runtime layer: eBPF objects loaded into one instance of the core (src/core: maps and helpers in C, built as
 * WebAssembly) in interpret or jit mode, native images opened under a load policy (src/policy), programs run like
 * Linux's BPF_PROG_TEST_RUN, program types (Linux's and host-defined), tracing.
 *
 * ```ts
 * import { Runtime, u32, readU64 } from 'bpfship/runtime';
 * const rt = await Runtime.create();
 * const obj = rt.load(readFileSync('xdp_firewall.o'), { name: 'xdp_firewall.o' });
 * const r = obj.program('xdp_firewall').run({ data: frame });
 * r.returnName; // 'XDP_PASS'
 * readU64(obj.map('verdicts').lookup(u32(0))!); // 1n
 * ```
 *
 * Native images load under a policy (`bpfship/policy`; production: signed, verified, from a sealed memfd):
 *
 * ```ts
 * const policy = LoadPolicy.production({ trustedRoots: readTrustedRoots(['root-ca.pem']), auditLog: AuditLog.open('audit.log') });
 * const { object } = openNativeImageFile('xdp_firewall.so', { policy });
 * runNativeProgram(object, 'xdp_firewall', { data: frame }).returnName; // 'XDP_PASS'
 * ```
 *
 * Author: Claude.
 *
 * @module
 */
export { Runtime, type RuntimeOptions } from './runtime.ts';
export { LoadedObject, LoadedProgram, type LoadOptions } from './loaded-object.ts';
export { FrameBatch } from './frame-batch.ts';
export { MAX_REPEAT, type RunInput, type RunResult, type RedirectResult } from './program-run.ts';
export {
  defineProgramType,
  linuxProgramType,
  contextRegions,
  RUNNABLE_LINUX_TYPES,
  XdpAction,
  type ProgramTypeProfile,
  type HostProgramTypeDefinition,
  type ContextField,
  type PacketModel,
} from './program-type-profiles.ts';
export { formatTracePipe, formatTraceJson, traceLineWriter, type TraceEvent, type TraceFormat } from './trace.ts';
export { RunInputError, RuntimeLoadError, VerificationRefusedError } from './errors.ts';
export { JitProgram } from './jit-program.ts';
export { CoreInterpreterHost } from './core-interpreter-host.ts';
// The map API of loaded objects is the core's: re-exported so that a runtime user needs one import.
export { CoreMap, MapType, MapFlags, UpdateFlags, MapOperationError, u32, u64, readU32, readU64 } from '../core/index.ts';
export { openNativeImage, openNativeImageFile, type OpenedNativeImage, type OpenNativeImageOptions, type OpenNativeImageFileOptions } from './open-native-image.ts';
export { runNativeProgram, type NativeRunResult } from './native/native-test-run.ts';
