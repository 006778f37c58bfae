/**
 * The runtime layer: eBPF objects loaded into one instance of the core (maps and helpers in C, built as
 * WebAssembly), programs run like Linux's BPF_PROG_TEST_RUN, program types (Linux's and host-defined), tracing,
 * packet captures.
 *
 * ```ts
 * import { Runtime, u32, readU64 } from './runtime/index.ts';
 * const rt = await Runtime.create();
 * const obj = rt.load(readFileSync('xdp_firewall.o'), { name: 'xdp_firewall.o' });
 * const r = obj.program('xdp_firewall').run({ data: frame });
 * r.returnName; // 'XDP_PASS'
 * readU64(obj.map('verdicts').lookup(u32(0))!); // 1n
 * ```
 *
 * Native images load under a policy (production: signed, verified, from a sealed memfd; see load-policy.ts):
 *
 * ```ts
 * const policy = LoadPolicy.production({ trustedRoots: readTrustedRoots(['root-ca.pem']), auditLog: AuditLog.open('audit.log') });
 * const { object } = openNativeImageFile('xdp_firewall.so', { policy });
 * runNativeProgram(object, 'xdp_firewall', { data: frame }).returnName; // 'XDP_PASS'
 * ```
 *
 * @module
 */
export { Runtime, type RuntimeOptions } from './runtime.ts';
export { LoadedObject, LoadedProgram, type LoadOptions, type ExecutionMode } from './loaded-object.ts';
export { type RunInput, type RunResult, type RedirectResult } from './program-run.ts';
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
export { readPcap, writePcap, LinkType, PcapError, type PcapFrame } from './pcap.ts';
export { sampleFrames, SAMPLE_PORTS, type SampleFrame, type SampleFrameKind } from './sample-frames.ts';
export { RunInputError, RuntimeLoadError, VerificationRefusedError } from './errors.ts';
export { JitProgram } from './jit-program.ts';
export { Fib, FibError, wasmFibBackend, type FibBackend, type FibDevice, type FibNeighbour, type FibRoute, type FibRouteType } from './fib.ts';
export { CoreInterpreterHost } from './core-interpreter-host.ts';
export { createHelperTrampoline, TRAMPOLINE_REGS_SIZE, type HelperTrampoline } from './helper-trampoline.ts';
export { CoreMap, CoreWasm, MapType, MapFlags, UpdateFlags, MapOperationError, u32, u64, readU32, readU64 } from './core-wasm.ts';
export {
  LoadPolicy,
  LoadRefusalCode,
  PolicyName,
  PolicyRefusedError,
  type AllowedLoad,
  type LoadDecision,
  type LoadInput,
  type LoadPolicyOptions,
  type LoadRequest,
  type RefusedLoad,
  type RuntimeAuditRecord,
} from './load-policy.ts';
export { openNativeImage, openNativeImageFile, type OpenedNativeImage, type OpenNativeImageOptions, type OpenNativeImageFileOptions } from './open-native-image.ts';
export { runNativeProgram, type NativeRunResult } from './native/native-test-run.ts';
