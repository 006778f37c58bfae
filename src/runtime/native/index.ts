/**
 * Native mode: loading native images (bpf2c's output compiled into a .so) from sealed memfds, binding them to the
 * runtime core's maps and helpers, running their programs one at a time or in batches, and the conformance suite
 * in native mode.
 *
 * Author: Claude.
 *
 * @module
 */
export { loadNativeImage, nativeImageLoadCount, type NativeImage, type NativeRunners, type LoadNativeImageOptions } from './native-image.ts';
export { openNativeObject, NativeObject, NativeFrameBatch, NativeBindError, type NativeObjectOptions, type NativeMapHandle, type NativeProgramHandle, type XdpRunResult, type NativeTestRunResult } from './native-object.ts';
export { NativeProgramRegistry } from './program-registry.ts';
export { sealedMemfd, memfdSeals, closeFd, readFd, MemfdError, ALL_SEALS } from './sealed-memfd.ts';
export { runNativeProgram, nativeProgramProfile, type NativeRunResult } from './native-test-run.ts';
export { runConformanceNative, nativeConformanceExecutor, CONFORMANCE_HELPER, type NativeConformanceTest, type NativeConformanceOutcome, type NativeConformanceOptions, type NativeConformanceReport, type NativeConformanceExecutor } from './conformance-native.ts';
