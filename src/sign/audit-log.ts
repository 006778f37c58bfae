/**
 * The audit log of load decisions: one JSON object per line, appended and flushed to disk (fsync) before the
 * decision takes effect, so that no program runs without a durable record of why it was allowed.
 *
 * ```json
 * {"time":"2026-08-01T12:00:00.000Z","policy":"production","decision":"allowed","code":"OK","reason":"signature, chain, digests and program info verified","image":{"name":"prog.so","digest":"sha256:..."},"elf":{"name":"prog.o","digest":"sha256:..."},"signer":{"subject":"CN=...","issuer":"CN=...","serialNumber":"...","fingerprint256":"...","keyId":"sha256:...","verified":true},"trustRoot":{"subject":"CN=...","fingerprint256":"..."},"programs":[{"name":"xdp_prog","programInfoHash":"sha256:..."}]}
 * ```
 *
 * The file is opened O_APPEND (each record is one write, so concurrent writers do not interleave within a line on
 * Linux), created 0600, and the directory is synced when the file is created so the new entry survives a crash.
 *
 * Author: Claude.
 *
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SignatureVerification } from './verify.ts';

/** An allowed load, or a refused one. */
export const AuditDecision = { allowed: 'allowed', refused: 'refused' } as const;
/** One of `AuditDecision`. */
export type AuditDecision = (typeof AuditDecision)[keyof typeof AuditDecision];

/** One line of the audit log. */
export interface AuditRecord {
  /** When the decision was made, RFC 3339 UTC. */
  readonly time: string;
  /** The policy that decided (`production`). */
  readonly policy: string;
  readonly decision: AuditDecision;
  /** `OK`, or the refusal's SignErrorCode. */
  readonly code: string;
  /** Why, in words. */
  readonly reason: string;
  readonly image: { readonly name?: string; readonly digest: string };
  /** The ELF object the attestation names (for an object signed for the kernel, the object), when a signature verified. */
  readonly elf?: { readonly name: string; readonly digest: string };
  /** The signer the signature file names; `verified` tells whether its chain to a trusted root passed. */
  readonly signer?: {
    readonly subject: string;
    readonly issuer: string;
    readonly serialNumber: string;
    readonly fingerprint256: string;
    readonly keyId: string;
    readonly verified: boolean;
  };
  readonly trustRoot?: { readonly subject: string; readonly fingerprint256: string };
  /** The attested programs with their program-info hashes, when a signature verified. */
  readonly programs?: readonly { readonly name: string; readonly programInfoHash: string }[];
}

/** The code an allowed decision is logged with. */
export const AUDIT_OK = 'OK';

/**
 * The audit record of a verification outcome.
 *
 * @example
 * ```ts
 * log.append(auditRecordFor(result, { policy: 'production', imageName: 'prog.so', time: new Date() }));
 * ```
 */
export function auditRecordFor(result: SignatureVerification, context: { readonly policy: string; readonly imageName?: string; readonly time: Date }): AuditRecord {
  const statement = result.statement;
  const signer = result.signer;
  // A native image names the ELF object it was built from; an object signed for the kernel is that object.
  const elf = statement === undefined ? undefined : 'elf' in statement.predicate ? statement.predicate.elf : statement.subject[0];
  return {
    time: context.time.toISOString(),
    policy: context.policy,
    decision: result.ok ? AuditDecision.allowed : AuditDecision.refused,
    code: result.ok ? AUDIT_OK : result.code,
    reason: result.ok ? 'signature, certificate chain, digests and program info verified' : result.message,
    image: { ...(context.imageName !== undefined ? { name: context.imageName } : {}), digest: result.imageDigest },
    ...(elf !== undefined ? { elf: { name: elf.name, digest: 'sha256:' + elf.digest.sha256 } } : {}),
    ...(signer !== undefined
      ? {
          signer: {
            subject: signer.subject,
            issuer: signer.issuer,
            serialNumber: signer.serialNumber,
            fingerprint256: signer.fingerprint256,
            keyId: signer.keyId,
            verified: result.ok || result.signerVerified,
          },
        }
      : {}),
    ...(result.ok ? { trustRoot: { subject: result.trustRoot.subject, fingerprint256: result.trustRoot.fingerprint256 } } : {}),
    ...(statement !== undefined ? { programs: statement.predicate.programs.map((p) => ({ name: p.name, programInfoHash: 'sha256:' + p.programInfoHash.sha256 })) } : {}),
  };
}

/** An open, append-only audit log file. */
export class AuditLog {
  /** The file's path. */
  readonly path: string;
  private fd: number | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens (creating 0600 if needed) the log at `path` for appending. Throws node's error if it cannot. */
  static open(path: string): AuditLog {
    let fd: number;
    let created = false;
    try {
      fd = openSync(path, 'ax', 0o600);
      created = true;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      fd = openSync(path, 'a');
    }
    if (created) syncDirectory(dirname(path));
    return new AuditLog(path, fd);
  }

  /** Appends one record as a JSON line and waits until it is on disk. Throws if the write or the sync fails. */
  append(record: AuditRecord): void {
    if (this.fd === undefined) throw new Error(`the audit log ${this.path} is closed`);
    const line = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
    let written = 0;
    while (written < line.length) written += writeSync(this.fd, line, written, line.length - written);
    fsyncSync(this.fd);
  }

  /** Closes the file; further appends throw. */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Flushes a directory's entries (a new file's name) to disk. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads an audit log back, one record per line (for tools and tests). Throws SyntaxError naming a bad line. */
export function readAuditLog(path: string): AuditRecord[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    try {
      return JSON.parse(line) as AuditRecord;
    } catch (e) {
      throw new SyntaxError(`${path}:${i + 1}: expected one JSON audit record per line: ${(e as Error).message}`);
    }
  });
}
