/**
 * Native images as `build` and `run --mode native` make them: from the build cache when the same ELF was built with
 * the same toolchain before, else verified, translated and compiled. A cache hit is answered from the cache key
 * alone (src/native/build-key.ts), so the verifier, bpf2c and the ABI tables are loaded only on a miss: a cached
 * build starts as fast as `--version`.
 *
 * Author: Claude.
 *
 * @module
 */
import type { NativeBuildOptions, NativeBuildResult } from '../native/build-key.ts';
import { reportingVerifyHook, type Progress } from './progress.ts';
import type { VerifierSource, VerifierWiring } from './verifier-wiring.ts';

/** What {@link buildThroughCache} made, and the verifier the result was verified by (what the build record names). */
export interface NativeBuild {
  readonly result: NativeBuildResult;
  readonly verifier: VerifierWiring;
}

/** Stands for the verifier in the cache key when nothing is to be verified yet; a lookup never calls it. */
function notCalled(): never {
  throw new Error('the verifier was called during a cache lookup');
}

/** Builds (or finds in the cache) the native image for `elf`; see the module comment. */
export async function buildThroughCache(
  elf: Uint8Array,
  options: Omit<NativeBuildOptions, 'verify' | 'verifierId' | 'onStage'>,
  verifierSource: VerifierSource,
  progress: Progress,
): Promise<NativeBuild> {
  const described: VerifierWiring = verifierSource.present ? { ...verifierSource.described, verify: notCalled } : {};
  const withVerifier = (v: VerifierWiring): NativeBuildOptions => ({
    ...options,
    ...(v.verify !== undefined ? { verify: v.verify } : {}),
    ...(v.verifierId !== undefined ? { verifierId: v.verifierId } : {}),
  });
  if (options.cache !== false) {
    const { lookupNativeBuild } = await import('../native/build-key.ts');
    const hit = lookupNativeBuild(elf, withVerifier(described));
    if (hit !== undefined) return { result: hit, verifier: described };
  }
  const verifier = await verifierSource.load();
  const { buildNative } = await import('../native/build.ts');
  const reporting: VerifierWiring = verifier.verify !== undefined ? { ...verifier, verify: reportingVerifyHook(verifier.verify, progress) } : verifier;
  const result = buildNative(elf, { ...withVerifier(reporting), onStage: (_stage, detail) => progress.stage(detail) });
  return { result, verifier };
}
