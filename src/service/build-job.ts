/**
 * One build, as the service runs it on an uploaded ELF: read the object, verify every program, translate with
 * bpf2c and compile a native image through the build cache. The outcome is plain data (it crosses from a build
 * worker to the service by structured clone): the built artifacts, or a refusal with the HTTP status it calls for
 * and the verifier's diagnostics, or a fault of the toolchain. Nothing here signs or stores: that happens after,
 * in the service's thread, only for a build that passed.
 *
 * The verifier is the one `bpfship build` wires in (same identity, same cache key), so the service and the CLI
 * build the same bytes from the same ELF.
 *
 * Author: Claude.
 *
 * @module
 */
import { Bpf2cVerificationError, builtinProgramInfo, programInfoHash, type NativeImageMetadata, type VerifyHook } from '../bpf2c/index.ts';
import { BpfshipError, type Location } from '../internal/errors.ts';
import { buildNative, type NativeBuildResult } from '../native/index.ts';
import { readObject } from '../spec/index.ts';
import { DEFAULT_RULES, renderJson, renderText, verifierIdentity, verifierIdOf, verifyProgram, type ProgramReport, type RuleSet } from '../verifier/index.ts';

/** The verifier as the attestation names it, under the default rules (`verifierIdentity({ rules })` for others). */
export const SERVICE_VERIFIER = verifierIdentity();

/** The verifier id in build cache keys: the same as the CLI's, so both share cache entries (`verifierIdOf`). */
export const SERVICE_VERIFIER_ID = verifierIdOf();

/** The error codes of the readers: the upload itself is malformed (HTTP 400). */
const MALFORMED_INPUT_CODES: ReadonlySet<string> = new Set(['ELF_MALFORMED', 'BTF_MALFORMED', 'INSN_INVALID', 'SPEC_INVALID']);

/** What a build job needs. */
export interface BuildJobInput {
  readonly elf: Uint8Array;
  /** The ELF's file name as messages, the image's table and the C file name record it (`NAME.o`). */
  readonly sourceName: string;
  /** The native build cache's root, or false for none. */
  readonly cache: string | false;
  /** The C compiler (default: bpfship's discovery: $CC, gcc, cc, clang). */
  readonly cc?: string;
  /** The verifier's rule set (default `linux`), recorded in the attestation (`bpfship serve --rules`). */
  readonly rules?: RuleSet;
}

/** What the verifier said of a program that passed. */
export interface VerifiedProgram {
  readonly name: string;
  readonly section: string;
  readonly type: string;
  readonly insnsProcessed: number;
}

/** A finished build: what the build record and the signature are made from. */
export interface BuiltImage extends Pick<NativeBuildResult, 'so' | 'c' | 'elfSha256' | 'cSha256' | 'soSha256' | 'compiler' | 'flags' | 'verified' | 'cached' | 'timings'> {
  readonly metadata: NativeImageMetadata;
  readonly programs: readonly VerifiedProgram[];
  /** The rule set the programs were verified under. */
  readonly rules: RuleSet;
}

/** Why an upload was refused, with what the client needs to fix it. */
export interface RefusedBuild {
  readonly kind: 'refused';
  /** 400: the ELF is malformed; 422: well-formed, but not provably safe or not translatable. */
  readonly status: 400 | 422;
  /** `ELF_MALFORMED`, `VERIFICATION_FAILED`, `PROGRAM_MALFORMED`, `NO_PROGRAMS`, `BPF2C_UNSUPPORTED`... */
  readonly code: string;
  readonly message: string;
  readonly where?: Location;
  /** The verifier's diagnostics as a compiler prints them. */
  readonly diagnostics?: string;
  /** The verifier's report per program, as `bpfship verify --format json` prints them. */
  readonly programs?: readonly unknown[];
}

/** The outcome of {@link runBuildJob}. */
export type BuildJobOutcome =
  | { readonly kind: 'built'; readonly image: BuiltImage }
  | RefusedBuild
  /** A fault of the toolchain or of bpfship (compiler missing or failing, a bug): HTTP 500. */
  | { readonly kind: 'failed'; readonly code: string; readonly message: string };

/**
 * Runs one build (see the module comment). Never throws: every fault becomes an outcome.
 *
 * @example
 * ```ts
 * const outcome = runBuildJob({ elf, sourceName: 'xdp-firewall.o', cache: 'data/cache' });
 * if (outcome.kind === 'refused') console.log(outcome.status, outcome.diagnostics);
 * ```
 */
export function runBuildJob(input: BuildJobInput): BuildJobOutcome {
  try {
    return build(input);
  } catch (e) {
    if (e instanceof Bpf2cVerificationError) {
      return { kind: 'refused', status: 422, code: 'VERIFICATION_FAILED', message: e.message, diagnostics: e.diagnostics.join('\n') };
    }
    if (e instanceof BpfshipError) {
      if (MALFORMED_INPUT_CODES.has(e.code)) return { kind: 'refused', status: 400, code: e.code, message: e.message, where: e.where };
      if (e.code === 'BPF2C_UNSUPPORTED') return { kind: 'refused', status: 422, code: e.code, message: e.message, where: e.where };
      return { kind: 'failed', code: e.code, message: e.message };
    }
    return { kind: 'failed', code: 'INTERNAL', message: `internal fault during the build (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
}

function build(input: BuildJobInput): BuildJobOutcome {
  const spec = readObject(input.elf, { name: input.sourceName });
  if (spec.programs.length === 0) {
    return { kind: 'refused', status: 422, code: 'NO_PROGRAMS', message: `${input.sourceName}: the object has no programs (expected functions in sections such as SEC("xdp"))` };
  }
  // 1. Verify every program, so that a refusal reports them all, not only the first that failed.
  const rules = input.rules ?? DEFAULT_RULES;
  const reports: ProgramReport[] = spec.programs.map((p) => verifyProgram(spec, p, { rules }));
  const report = { file: input.sourceName, programs: reports };
  const failed = reports.filter((r) => r.verdict !== 'pass');
  if (failed.length > 0) {
    const malformed = failed.some((r) => r.malformed);
    const programs = (JSON.parse(renderJson(report)) as { programs: unknown[] }).programs;
    return {
      kind: 'refused',
      status: malformed ? 400 : 422,
      code: malformed ? 'PROGRAM_MALFORMED' : 'VERIFICATION_FAILED',
      message: `${input.sourceName}: ${failed.map((r) => `program '${r.name}' (section '${r.section}')`).join(', ')} ${malformed ? 'is malformed' : 'failed verification'}: nothing was built or stored`,
      diagnostics: renderText(report),
      programs,
    };
  }
  // 2. bpf2c asks again per program: answer from the verdicts just reached (the same verifier, the same object).
  const verdicts = new Map(reports.map((r) => [`${r.section}/${r.name}`, r]));
  const verify: VerifyHook = ({ program }) => {
    const r = verdicts.get(`${program.sectionName}/${program.name}`);
    return r !== undefined && r.verdict === 'pass' ? { ok: true, diagnostics: [] } : { ok: false, diagnostics: [`program '${program.name}' was not verified`] };
  };
  const buildOnce = (cache: string | false): NativeBuildResult =>
    buildNative(input.elf, { sourceName: input.sourceName, verify, verifierId: verifierIdOf({ rules }), cache, ...(input.cc !== undefined ? { cc: input.cc } : {}) });
  let r = buildOnce(input.cache);
  // A cache entry made before the ABI tables changed carries old program-info hashes: build afresh (as `build` does).
  if (r.cached && !currentProgramInfo(r)) r = buildOnce(false);
  const image: BuiltImage = {
    so: r.so,
    c: r.c,
    metadata: r.metadata,
    elfSha256: r.elfSha256,
    cSha256: r.cSha256,
    soSha256: r.soSha256,
    compiler: r.compiler,
    flags: r.flags,
    verified: r.verified,
    cached: r.cached,
    timings: r.timings,
    programs: reports.map((p) => ({ name: p.name, section: p.section, type: p.type, insnsProcessed: p.insnsProcessed })),
    rules,
  };
  return { kind: 'built', image };
}

/** Whether an image's program-info hashes are the ones this toolchain's ABI tables give. */
function currentProgramInfo(r: NativeBuildResult): boolean {
  return r.metadata.programs.every((p) => p.infoHash === programInfoHash(p.programType, p.programTypeId, p.helpers, builtinProgramInfo));
}
