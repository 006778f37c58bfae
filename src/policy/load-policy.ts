/**
 * The load policy: what the administrator allows this runtime to load, decided before anything of an object or
 * image is mapped or run, and written to the audit log (one JSON line per decision, allowed or refused).
 *
 * - `production`: native images only (the interpreter, the JIT and ELF objects are refused), each signed by a
 *   certificate chaining to a trusted root (signature, chain, EKU, validity, path length, revocation list), whose
 *   attested image digest is the SHA-256 of the bytes at hand, whose attested ELF digest is the one embedded in the
 *   image, and whose attested program-info hashes are the ones this runtime computes from its own ABI tables
 *   (program type, context layout and access, helper prototypes) for every program of the image. The image must
 *   be loaded from a sealed memfd: the debug directory of native-image.ts is refused.
 * - `production` for the kernel (`mode: 'kernel'`, `bpfship deploy`): an ELF object signed for the kernel
 *   (`bpfship sign-object`), checked the same way: signature, chain (same codes), an attestation of the kernel-object
 *   type whose subject is the SHA-256 of the object at hand, every program accepted, and for every program of the
 *   object the program-info hash this build computes from its ABI tables equal to the attested one. Native images
 *   are not loaded into the kernel.
 * - `development`: any mode and any input; a native image's (or a kernel object's) signature file, when there is
 *   one, is checked and a failure refuses it (against the trusted roots when some were given; without roots, that
 *   the signature verifies with the certificate it names and covers exactly these bytes).
 *
 * The policy reads nothing from disk: callers read the image once and pass the bytes, then load exactly those
 * bytes (see open-native-image.ts). The image's description table is decoded from the bytes without loading them
 * (image-metadata.ts), since the program-info hashes must be recomputed before anything of the image runs.
 *
 * Author: Claude.
 *
 * @module
 */
import { builtinProgramInfo, programInfoHash, type NativeImageMetadata, type ProgramInfoSource } from '../bpf2c/index.ts';
import { BpfshipError, type Location } from '../internal/errors.ts';
import {
  AUDIT_OK,
  AuditDecision,
  auditRecordFor,
  KERNEL_OBJECT_PREDICATE_TYPE,
  NATIVE_IMAGE_PREDICATE_TYPE,
  NO_REVOCATIONS,
  parseSignatureFile,
  parseStatementOf,
  sha256Hex,
  SignError,
  verifyEnvelope,
  verifyImage,
  verifyKernelObject,
  type AuditLog,
  type AuditRecord,
  type Certificate,
  type RevocationList,
  type SignatureVerification,
  type SignedStatement,
  type SignerSummary,
  type Verified,
  type VerifyKernelObjectInput,
} from '../sign/index.ts';
import { NativeImageError, readImageMetadata } from '../native/index.ts';
import { objectProgramsOf, type ObjectProgram } from './object-programs.ts';
import { RULE_SETS, type RuleSet } from '../verifier/index.ts';

/** The two policies. */
export const PolicyName = { production: 'production', development: 'development' } as const;
/** One of {@link PolicyName}. */
export type PolicyName = (typeof PolicyName)[keyof typeof PolicyName];

/**
 * Why the runtime itself refused a load (beside the sign layer's codes, SignErrorCode, for everything about
 * signatures, certificates and attestations).
 */
export const LoadRefusalCode = {
  /** The execution mode is not allowed by the policy (jit, interpret under production). */
  MODE_REFUSED: 'MODE_REFUSED',
  /** The input is an ELF object, which production never loads (only signed native images). */
  OBJECT_REFUSED: 'OBJECT_REFUSED',
  /** A debug directory would load the image from a replaceable file instead of a sealed memfd. */
  DEBUG_DIRECTORY_REFUSED: 'DEBUG_DIRECTORY_REFUSED',
  /** The bytes are not a readable native image (no description table, damaged ELF). */
  IMAGE_INVALID: 'IMAGE_INVALID',
  /** The bytes are not a readable eBPF object (deploying to the kernel), though its signature verified. */
  OBJECT_INVALID: 'OBJECT_INVALID',
  /** The ELF digest embedded in the image is not the one the attestation names. */
  ELF_DIGEST_MISMATCH: 'ELF_DIGEST_MISMATCH',
  /** The decision could not be written to the audit log, so the load is refused. */
  AUDIT_LOG_FAILED: 'AUDIT_LOG_FAILED',
  /** The image's signature file exists but cannot be read (not a regular file, too large, no permission). */
  SIGNATURE_UNREADABLE: 'SIGNATURE_UNREADABLE',
  /** The attestation records a rule set weaker than the policy requires (`--require-rules strict`), or none. */
  RULES_REFUSED: 'RULES_REFUSED',
} as const;

/** How a program runs: compiled to a native image, compiled to WebAssembly at load, or interpreted. */
export type ExecutionMode = 'interpret' | 'jit' | 'native';

/** Where a load goes: one of the runtime's execution modes, or the Linux kernel (`bpfship deploy`). */
export type LoadMode = ExecutionMode | 'kernel';

/** What is being loaded: an ELF object (interpreter, JIT, kernel, or built on the fly) or a native image. */
export type LoadInput = 'object' | 'native-image';

/** One audit line of the runtime: the sign layer's record, with the mode and the kind of input. */
export type RuntimeAuditRecord = AuditRecord & {
  readonly mode: LoadMode;
  readonly input: LoadInput;
  /** What a kernel deployment attaches where (`xdp:eth0`), as the deployer described it. */
  readonly deployment?: { readonly name: string; readonly program: string; readonly attach: readonly string[] };
};

/** An allowed load. */
export interface AllowedLoad {
  readonly ok: true;
  readonly policy: PolicyName;
  /** `sha256:<hex>` of the bytes that may be loaded: the loader checks the sealed memfd against it. */
  readonly imageDigest: string;
  /** Why, in words (as in the audit line). */
  readonly reason: string;
  /** The verified signature, when one was checked against trusted roots. */
  readonly verification?: Verified<SignedStatement>;
  /** The signer the signature file names (verified or not, see `reason`). */
  readonly signer?: SignerSummary;
  /** The image's description table, read from the bytes (native images). */
  readonly metadata?: NativeImageMetadata;
  /** The object's programs with their program-info hashes, read from the bytes (kernel objects under production). */
  readonly programs?: readonly ObjectProgram[];
  readonly record: RuntimeAuditRecord;
}

/** A refused load: nothing of it may be loaded. */
export interface RefusedLoad {
  readonly ok: false;
  readonly policy: PolicyName;
  /** A LoadRefusalCode or a SignErrorCode. */
  readonly code: string;
  readonly message: string;
  readonly imageDigest: string;
  readonly signer?: SignerSummary;
  readonly record: RuntimeAuditRecord;
}

/** The outcome of {@link LoadPolicy.decide}. */
export type LoadDecision = AllowedLoad | RefusedLoad;

/** What {@link LoadPolicy.decide} is asked. */
export interface LoadRequest {
  /** The bytes that will be loaded, read once. */
  readonly bytes: Uint8Array;
  /** A name for the audit log and messages (the file's base name). */
  readonly name?: string;
  readonly input: LoadInput;
  readonly mode: LoadMode;
  /** What a kernel deployment attaches where, for the audit line. */
  readonly deployment?: RuntimeAuditRecord['deployment'];
  /** The signature file's content (native images, kernel objects), undefined when there is none. */
  readonly signature?: Uint8Array | string | undefined;
  readonly signatureSource?: Location;
  /** Why the signature file, which exists, could not be read: the load is refused under either policy (audited). */
  readonly signatureUnreadable?: string;
  /** The debug directory the loader would use (the option, or `$BPFSHIP_NATIVE_DEBUG_DIR`), if any. */
  readonly debugDirectory?: string | undefined;
}

/** Configuration of a policy. */
export interface LoadPolicyOptions {
  /** Trusted root certificates; production needs at least one. */
  readonly trustedRoots?: readonly Certificate[];
  readonly revocations?: RevocationList;
  /** Where every decision is appended; production needs one. Development logs when one is given. */
  readonly auditLog?: AuditLog;
  /** EKUs required of signers (default: ours and code signing, see the sign layer). */
  readonly requiredLeafEkus?: readonly string[];
  /** This runtime's ABI facts for the program-info hashes (default: the tables this build carries). */
  readonly programInfo?: ProgramInfoSource;
  /** The clock (tests set it). */
  readonly clock?: () => Date;
  /**
   * The rule set the verifier must have applied, as the attestation records it (`verifier.options.rules`):
   * `strict` refuses images and objects verified under `linux`, or whose attestation records no rule set
   * (RULES_REFUSED). `linux` allows both, since `strict` refuses everything `linux` does. Checked by production.
   */
  readonly requiredRules?: RuleSet;
}

/** A load the policy refused, as an error (what the loading functions throw). */
export class PolicyRefusedError extends BpfshipError {
  readonly decision: RefusedLoad;
  constructor(decision: RefusedLoad) {
    super(decision.code, `refused by the ${decision.policy} policy: ${decision.code}: ${decision.message}`);
    this.name = 'PolicyRefusedError';
    this.decision = decision;
  }
}

/**
 * A load policy (see the module comment).
 *
 * @example
 * ```ts
 * const policy = LoadPolicy.production({ trustedRoots: readTrustedRoots(['root-ca.pem']), auditLog: AuditLog.open('audit.log') });
 * const decision = policy.decide({ bytes, name: 'prog.so', input: 'native-image', mode: 'native', signature });
 * if (!decision.ok) throw new PolicyRefusedError(decision);
 * ```
 */
export class LoadPolicy {
  readonly name: PolicyName;
  readonly options: LoadPolicyOptions;

  private constructor(name: PolicyName, options: LoadPolicyOptions) {
    this.name = name;
    this.options = options;
  }

  /** The production policy. Throws SignError TRUST_ROOTS_EMPTY without roots, a TypeError without an audit log. */
  static production(options: LoadPolicyOptions & { readonly trustedRoots: readonly Certificate[]; readonly auditLog: AuditLog }): LoadPolicy {
    if (options.trustedRoots.length === 0) throw new SignError('TRUST_ROOTS_EMPTY', 'the production policy needs at least one trusted root certificate');
    if ((options.auditLog as AuditLog | undefined) === undefined) throw new TypeError('the production policy needs an audit log');
    return new LoadPolicy(PolicyName.production, options);
  }

  /** The development policy. */
  static development(options: LoadPolicyOptions = {}): LoadPolicy {
    return new LoadPolicy(PolicyName.development, options);
  }

  /**
   * Decides whether `request` may be loaded, and appends the decision to the audit log (when the policy has one)
   * before returning it. Never throws on bad input: every fault is a refusal. If the audit line cannot be written
   * the load is refused (AUDIT_LOG_FAILED).
   */
  decide(request: LoadRequest): LoadDecision {
    const time = (this.options.clock ?? (() => new Date()))();
    let decision: LoadDecision;
    try {
      if (request.signatureUnreadable !== undefined) {
        // A signature that is there but cannot be read is never taken for an unsigned image.
        decision = this.refuse(request, time, LoadRefusalCode.SIGNATURE_UNREADABLE, `the signature file cannot be read: ${request.signatureUnreadable}`);
      } else decision = this.name === PolicyName.production ? this.decideProduction(request, time) : this.decideDevelopment(request, time);
    } catch (e) {
      // A bug must fail closed.
      decision = this.refuse(request, time, 'INTERNAL', `internal fault while deciding, load refused: ${e instanceof Error ? e.message : String(e)}`);
    }
    const log = this.options.auditLog;
    if (log !== undefined) {
      try {
        log.append(decision.record);
      } catch (e) {
        const decided = decision.ok ? 'allowed' : `refused (${decision.code})`;
        return this.refuse(request, time, LoadRefusalCode.AUDIT_LOG_FAILED, `the decision (${decided}) could not be written to the audit log ${log.path}, so the load is refused: ${(e as Error).message}`);
      }
    }
    return decision;
  }

  /**
   * {@link decide}, throwing on a refusal: what a loader calls before it loads anything.
   *
   * @throws {PolicyRefusedError} naming the cause (the refusal is in the audit log).
   */
  admit(request: LoadRequest): AllowedLoad {
    const decision = this.decide(request);
    if (!decision.ok) throw new PolicyRefusedError(decision);
    return decision;
  }

  private decideProduction(request: LoadRequest, time: Date): LoadDecision {
    if (request.mode === 'kernel') return this.decideKernelProduction(request, time);
    if (request.mode !== 'native') {
      return this.refuse(request, time, LoadRefusalCode.MODE_REFUSED, `execution mode '${request.mode}' is refused by the production policy: only native images are loaded (${request.mode === 'jit' ? 'the JIT generates code at load time' : 'the interpreter runs unsigned code'})`);
    }
    if (request.input !== 'native-image') {
      return this.refuse(request, time, LoadRefusalCode.OBJECT_REFUSED, 'an ELF object is refused by the production policy: build, verify and sign a native image (bpfship build FILE -o OUT.so --sign-key ... --sign-cert ...) and load that');
    }
    if (request.debugDirectory !== undefined) {
      return this.refuse(request, time, LoadRefusalCode.DEBUG_DIRECTORY_REFUSED, `a debug directory (${request.debugDirectory}) would load the image from a file that can be replaced after the check; unset BPFSHIP_NATIVE_DEBUG_DIR (production loads only from sealed memfds)`);
    }
    const roots = this.options.trustedRoots ?? [];
    // The description table first, to know the programs whose hashes to recompute. A damaged image is refused
    // for its signature's sake when that also fails (the more telling cause: the image changed).
    let metadata: NativeImageMetadata | undefined;
    let tableError: NativeImageError | undefined;
    try {
      metadata = readImageMetadata(request.bytes, request.name);
    } catch (e) {
      if (!(e instanceof NativeImageError)) throw e;
      tableError = e;
    }
    const expectedProgramInfo = metadata === undefined ? undefined : this.programInfoHashes(metadata);
    const result = verifyImage(this.signatureCheck(request, roots, time, expectedProgramInfo));
    if (!result.ok) return this.fromVerification(request, time, result);
    if (metadata === undefined) {
      return this.refuse(request, time, LoadRefusalCode.IMAGE_INVALID, `the image is signed, but its description table cannot be read: ${tableError?.detail ?? 'unknown fault'}`, result.signer);
    }
    const attestedElf = result.statement.predicate.elf.digest.sha256;
    if (metadata.elfSha256 !== attestedElf) {
      return this.refuse(request, time, LoadRefusalCode.ELF_DIGEST_MISMATCH, `the image was built from an ELF object with SHA-256 ${metadata.elfSha256}, but the attestation names '${result.statement.predicate.elf.name}' with ${attestedElf}`, result.signer);
    }
    return this.refuseWeakerRules(request, time, result, 'image') ?? this.allow(request, time, result, metadata);
  }

  /**
   * Production, deploying to the kernel: a signed ELF object, checked as a native image is (signature, chain,
   * attestation, digest, verdicts), with the program-info hashes of every program of the object recomputed here.
   */
  private decideKernelProduction(request: LoadRequest, time: Date): LoadDecision {
    if (request.input !== 'object') {
      return this.refuse(request, time, LoadRefusalCode.MODE_REFUSED, 'a native image cannot be loaded into the kernel: deploy the eBPF object it was built from, signed with bpfship sign-object');
    }
    // The programs first, to know whose hashes to recompute. An unreadable object is refused for its signature's
    // sake when that also fails (the more telling cause: the object changed).
    let programs: ObjectProgram[] | undefined;
    let readError: Error | undefined;
    try {
      programs = objectProgramsOf(request.bytes, request.name ?? 'object.o', this.options.programInfo);
    } catch (e) {
      if (!(e instanceof BpfshipError)) throw e;
      readError = e;
    }
    const expectedProgramInfo = programs === undefined ? undefined : new Map(programs.map((p) => [p.name, p.infoHash]));
    const result = verifyKernelObject(this.signatureCheck(request, this.options.trustedRoots ?? [], time, expectedProgramInfo));
    if (!result.ok) return this.fromVerification(request, time, result);
    if (programs === undefined) {
      return this.refuse(request, time, LoadRefusalCode.OBJECT_INVALID, `the object is signed, but cannot be read: ${readError?.message ?? 'unknown fault'}`, result.signer);
    }
    return this.refuseWeakerRules(request, time, result, 'object') ?? this.allow(request, time, result, undefined, programs);
  }

  private decideDevelopment(request: LoadRequest, time: Date): LoadDecision {
    if ((request.input === 'object' && request.mode !== 'kernel') || request.signature === undefined) {
      const what = request.input === 'object' ? (request.mode === 'kernel' ? 'an unsigned ELF object' : 'an ELF object') : 'an unsigned native image';
      return this.allowPlain(request, time, `development policy: ${what} ${request.mode === 'kernel' ? 'deployed to the kernel' : `in ${request.mode} mode`}, no signature to check`);
    }
    const kernel = request.mode === 'kernel';
    const roots = this.options.trustedRoots ?? [];
    if (roots.length > 0 && kernel) {
      const result = verifyKernelObject(this.signatureCheck(request, roots, time));
      if (!result.ok) return this.fromVerification(request, time, result);
      return this.allow(request, time, result, undefined);
    }
    if (roots.length > 0) {
      const result = verifyImage(this.signatureCheck(request, roots, time));
      if (!result.ok) return this.fromVerification(request, time, result);
      let metadata: NativeImageMetadata | undefined;
      try {
        metadata = readImageMetadata(request.bytes, request.name);
      } catch {
        metadata = undefined;
      }
      return this.allow(request, time, result, metadata);
    }
    // No trusted roots: check what needs none, that the signature verifies with the certificate it names and is
    // about these very bytes (a stale .sig beside a rebuilt image is the usual mistake it catches).
    const digest = 'sha256:' + sha256Hex(request.bytes);
    const what = kernel ? 'object' : 'image';
    let signer: SignerSummary | undefined;
    try {
      const file = parseSignatureFile(request.signature, request.signatureSource ?? {});
      const leaf = file.certificates[0];
      if (leaf === undefined) throw new SignError('SIGFILE_SHAPE', 'certificateChain holds no certificate');
      signer = { ...leaf.summary(), keyId: leaf.keyId };
      const payload = verifyEnvelope(file.envelope, leaf.publicKey, leaf.keyId).payload;
      const statement: SignedStatement = parseStatementOf(payload, kernel ? KERNEL_OBJECT_PREDICATE_TYPE : NATIVE_IMAGE_PREDICATE_TYPE);
      const subject = statement.subject[0]?.digest.sha256;
      if (subject !== digest.slice(7)) {
        throw new SignError('IMAGE_DIGEST_MISMATCH', `the ${what}'s SHA-256 is ${digest.slice(7)}, but the signature is for '${statement.subject[0]?.name ?? '?'}' with SHA-256 ${subject ?? '?'} (the ${what} changed, or the signature belongs to another ${what})`);
      }
    } catch (e) {
      if (!(e instanceof SignError)) throw e;
      return this.refuse(request, time, e.code, e.detail, signer);
    }
    return this.allowPlain(request, time, `development policy: the signature verifies with the certificate it names and covers this ${what}; its chain was not checked (no trusted roots given)`, signer);
  }

  /**
   * What a signature check of `request` is given, the same for images and kernel objects: its bytes and signature,
   * the roots, revocations and EKUs of this policy, and the program-info hashes recomputed from the bytes when
   * they could be read.
   */
  private signatureCheck(request: LoadRequest, roots: readonly Certificate[], time: Date, expectedProgramInfo?: ReadonlyMap<string, string>): VerifyKernelObjectInput {
    return {
      image: request.bytes,
      signature: request.signature,
      trustedRoots: roots,
      revocations: this.options.revocations ?? NO_REVOCATIONS,
      time,
      ...(request.signatureSource !== undefined ? { signatureSource: request.signatureSource } : {}),
      ...(expectedProgramInfo !== undefined ? { expectedProgramInfo } : {}),
      ...(this.options.requiredLeafEkus !== undefined ? { requiredLeafEkus: this.options.requiredLeafEkus } : {}),
    };
  }

  /**
   * The refusal when the policy requires a rule set the attestation does not record (see
   * {@link LoadPolicyOptions.requiredRules}); undefined when there is nothing to refuse. Rule sets are ordered
   * from the least to the most restrictive (RULE_SETS): a recorded set at least as restrictive satisfies.
   */
  private refuseWeakerRules(request: LoadRequest, time: Date, result: Verified<SignedStatement>, what: 'image' | 'object'): RefusedLoad | undefined {
    const required = this.options.requiredRules;
    if (required === undefined) return undefined;
    const recorded = result.statement.predicate.verifier.options['rules'];
    const rank = (r: unknown): number => (RULE_SETS as readonly unknown[]).indexOf(r);
    if (rank(recorded) >= rank(required)) return undefined;
    const records = typeof recorded === 'string' ? `the '${recorded}' rule set` : 'no rule set';
    const how = what === 'image' ? `build and sign it with --rules ${required}` : `sign it with bpfship sign-object --rules ${required}`;
    return this.refuse(request, time, LoadRefusalCode.RULES_REFUSED, `the ${what}'s attestation records ${records}, but this policy requires the verifier's '${required}' rules: ${how}`, result.signer);
  }

  /** Program name → the program-info hash this runtime computes, for every program of the image. */
  programInfoHashes(metadata: NativeImageMetadata): Map<string, string> {
    const source = this.options.programInfo ?? builtinProgramInfo;
    return new Map(metadata.programs.map((p) => [p.name, programInfoHash(p.programType, p.programTypeId, p.helpers, source)]));
  }

  /** The fields every audit line has, in the sign layer's order around the decision. */
  private record(request: LoadRequest, time: Date, imageDigest: string, decision: AuditDecision, code: string, reason: string, signer?: SignerSummary): RuntimeAuditRecord {
    return {
      time: time.toISOString(),
      policy: this.name,
      decision,
      code,
      reason,
      image: { ...(request.name !== undefined ? { name: request.name } : {}), digest: imageDigest },
      ...(signer !== undefined ? { signer: signerRecord(signer, false) } : {}),
      mode: request.mode,
      input: request.input,
      ...(request.deployment !== undefined ? { deployment: request.deployment } : {}),
    };
  }

  private refuse(request: LoadRequest, time: Date, code: string, message: string, signer?: SignerSummary): RefusedLoad {
    const imageDigest = 'sha256:' + sha256Hex(request.bytes);
    return {
      ok: false,
      policy: this.name,
      code,
      message,
      imageDigest,
      ...(signer !== undefined ? { signer } : {}),
      record: this.record(request, time, imageDigest, AuditDecision.refused, code, message, signer),
    };
  }

  private allowPlain(request: LoadRequest, time: Date, reason: string, signer?: SignerSummary): AllowedLoad {
    const imageDigest = 'sha256:' + sha256Hex(request.bytes);
    let metadata: NativeImageMetadata | undefined;
    if (request.input === 'native-image') {
      try {
        metadata = readImageMetadata(request.bytes, request.name);
      } catch {
        metadata = undefined; // the loader will say what is wrong with it
      }
    }
    return {
      ok: true,
      policy: this.name,
      imageDigest,
      reason,
      ...(signer !== undefined ? { signer } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      record: this.record(request, time, imageDigest, AuditDecision.allowed, AUDIT_OK, reason, signer),
    };
  }

  private allow(request: LoadRequest, time: Date, result: Verified<SignedStatement>, metadata: NativeImageMetadata | undefined, programs?: readonly ObjectProgram[]): AllowedLoad {
    const audit = auditRecordFor(result, { policy: this.name, time, ...(request.name !== undefined ? { imageName: request.name } : {}) });
    return {
      ok: true,
      policy: this.name,
      imageDigest: result.imageDigest,
      reason: audit.reason,
      verification: result,
      signer: result.signer,
      ...(metadata !== undefined ? { metadata } : {}),
      ...(programs !== undefined ? { programs } : {}),
      record: { ...audit, mode: request.mode, input: request.input, ...(request.deployment !== undefined ? { deployment: request.deployment } : {}) },
    };
  }

  private fromVerification(request: LoadRequest, time: Date, result: SignatureVerification & { ok: false }): RefusedLoad {
    const audit = auditRecordFor(result, { policy: this.name, time, ...(request.name !== undefined ? { imageName: request.name } : {}) });
    return {
      ok: false,
      policy: this.name,
      code: result.code,
      message: result.message,
      imageDigest: result.imageDigest,
      ...(result.signer !== undefined ? { signer: result.signer } : {}),
      record: { ...audit, mode: request.mode, input: request.input, ...(request.deployment !== undefined ? { deployment: request.deployment } : {}) },
    };
  }
}

function signerRecord(s: SignerSummary, verified: boolean): NonNullable<AuditRecord['signer']> {
  return { subject: s.subject, issuer: s.issuer, serialNumber: s.serialNumber, fingerprint256: s.fingerprint256, keyId: s.keyId, verified };
}
