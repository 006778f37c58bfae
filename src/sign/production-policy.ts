/**
 * The production policy's signature gate, for the runtime: an image is loaded only if `verifyImage` allows it, and
 * every decision, allowed or refused, is first written to the audit log. If the record cannot be written, the
 * image is refused (AUDIT_LOG_FAILED): no unaudited load.
 *
 * The runtime reads the image once, calls `check` with those bytes, and on `ok` loads the same bytes (sealed
 * memfd), so what was verified is what runs.
 *
 * @module
 */
import type { Location } from '../internal/errors.ts';
import { AuditLog, auditRecordFor } from './audit-log.ts';
import type { Certificate } from './certificate.ts';
import { SignError } from './errors.ts';
import { NO_REVOCATIONS, type RevocationList } from './revocation-list.ts';
import { verifyImage, type ImageVerification } from './verify.ts';

/** What the policy trusts and where it records its decisions. */
export interface ProductionPolicyOptions {
  /** Trusted roots; at least one. */
  readonly trustedRoots: readonly Certificate[];
  readonly revocations?: RevocationList;
  /** The log every decision is appended to. */
  readonly auditLog: AuditLog;
  /** EKUs required of signers; default ours and code signing. */
  readonly requiredLeafEkus?: readonly string[];
  /** The clock (tests set it); default `() => new Date()`. */
  readonly clock?: () => Date;
}

/** One image the runtime wants to load. */
export interface LoadRequest {
  /** The bytes that will be loaded. */
  readonly image: Uint8Array;
  /** The image's file name, for the audit log. */
  readonly imageName?: string;
  /** The signature file's content, or undefined when there is none. */
  readonly signature: Uint8Array | string | undefined;
  readonly signatureSource?: Location;
  /** Program name → program-info hash (hex SHA-256) the runtime computes from its helper table. */
  readonly expectedProgramInfo?: ReadonlyMap<string, string>;
  /** The source ELF, when the runtime has it too. */
  readonly elf?: Uint8Array;
}

/** The policy name written into audit records. */
export const PRODUCTION_POLICY = 'production';

/**
 * Checks images for the runtime under the production policy.
 *
 * @example
 * ```ts
 * const policy = new ProductionPolicy({ trustedRoots: readTrustedRoots(['/etc/bpfship/root-ca.pem']), auditLog: AuditLog.open('/var/log/bpfship/audit.jsonl') });
 * const decision = policy.check({ image, imageName: 'prog.so', signature, expectedProgramInfo });
 * if (!decision.ok) throw new Error(`${decision.code}: ${decision.message}`);
 * ```
 */
export class ProductionPolicy {
  private readonly options: ProductionPolicyOptions;

  constructor(options: ProductionPolicyOptions) {
    if (options.trustedRoots.length === 0) throw new SignError('TRUST_ROOTS_EMPTY', 'the production policy needs at least one trusted root certificate');
    this.options = options;
  }

  /** Verifies, audits, and returns the decision (never throws on bad input; see `verifyImage`). */
  check(request: LoadRequest): ImageVerification {
    const time = (this.options.clock ?? (() => new Date()))();
    const result = verifyImage({
      image: request.image,
      signature: request.signature,
      trustedRoots: this.options.trustedRoots,
      revocations: this.options.revocations ?? NO_REVOCATIONS,
      time,
      ...(request.signatureSource !== undefined ? { signatureSource: request.signatureSource } : {}),
      ...(request.expectedProgramInfo !== undefined ? { expectedProgramInfo: request.expectedProgramInfo } : {}),
      ...(request.elf !== undefined ? { elf: request.elf } : {}),
      ...(this.options.requiredLeafEkus !== undefined ? { requiredLeafEkus: this.options.requiredLeafEkus } : {}),
    });
    try {
      this.options.auditLog.append(auditRecordFor(result, { policy: PRODUCTION_POLICY, time, ...(request.imageName !== undefined ? { imageName: request.imageName } : {}) }));
    } catch (e) {
      const decided = result.ok ? 'allowed' : `refused (${result.code})`;
      return {
        ok: false,
        code: 'AUDIT_LOG_FAILED',
        message: `the decision (${decided}) could not be written to the audit log ${this.options.auditLog.path}, so the image is refused: ${(e as Error).message}`,
        imageDigest: result.imageDigest,
        ...(result.signer !== undefined ? { signer: result.signer } : {}),
        signerVerified: result.ok || result.signerVerified,
      };
    }
    return result;
  }
}
