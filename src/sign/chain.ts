/**
 * Certification path validation: from a signing certificate, through the intermediates a signature file carries,
 * to one of the roots the runtime trusts, with the checks of RFC 5280 section 6 that matter for code signing.
 *
 * Node 20 links two certificates (`checkIssued`, `verify`) but builds no path and enforces no validity period,
 * basicConstraints, pathLenConstraint, keyUsage or extended key usage, so this module does. Steps:
 *
 * 1. Build: from the leaf, repeatedly find the certificate that issued the current one (name and key identifiers
 *    match, and its key verifies the signature: node:crypto `verify`), first among the trusted roots (which ends the path), then among
 *    the intermediates. No issuer: CHAIN_UNTRUSTED_ROOT, or CHAIN_SIGNATURE_INVALID when a certificate with the
 *    issuer's name was there but its key does not verify the signature.
 * 2. Check each certificate from the trust anchor down to the leaf (the order of RFC 5280 section 6.1): validity
 *    at the given time, revocation of its serial, unknown critical extensions; for issuers basicConstraints cA,
 *    keyUsage keyCertSign, pathLenConstraint and (if they restrict it) EKU; for the leaf not a CA, keyUsage
 *    digitalSignature, and every required EKU.
 *
 * The first failure is thrown as a SignError whose code names it.
 *
 * Choices, documented: the trust anchor's own validity, basicConstraints and pathLenConstraint are enforced too (as
 * OpenSSL does), so a root restricted to `pathlen:0` cannot certify an intermediate. An absent keyUsage extension
 * means "any use" (RFC 5280) for a CA, but the signing certificate must carry one with digitalSignature (as
 * docs/production.md promises: a certificate meant to sign code says so), and its EKUs are always required. `anyExtendedKeyUsage` satisfies a CA's
 * EKU restriction but never the signer's. Serials are revoked regardless of issuer (stricter than a CRL; 128-bit
 * random serials make collisions a non-issue).
 *
 * Author: Claude.
 *
 * @module
 */
import { Certificate, KeyUsageBit } from './certificate.ts';
import { SignError } from './errors.ts';
import { DEFAULT_SIGNER_EKUS, EKU_ANY, EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION } from './oids.ts';

/** Longest path accepted (leaf + intermediates), to bound the work an attacker-made chain can cause. */
export const MAX_PATH_LENGTH = 8;

/** What `validateChain` checks against. */
export interface ChainValidationOptions {
  /** The trust anchors. At least one. */
  readonly trustedRoots: readonly Certificate[];
  /** The time at which every certificate must be valid; default now. */
  readonly time?: Date;
  /** The EKUs the leaf must carry; default ours and code signing (`DEFAULT_SIGNER_EKUS`). */
  readonly requiredLeafEkus?: readonly string[];
  /** Revoked serial numbers, normalised (`normalizeSerial`). */
  readonly revokedSerials?: ReadonlySet<string>;
}

/** A path that passed every check. */
export interface ValidatedChain {
  /** The signing certificate. */
  readonly leaf: Certificate;
  /** Leaf first, then the intermediates used, in order; the anchor is not included. */
  readonly path: readonly Certificate[];
  /** The trusted root the path ends at. */
  readonly anchor: Certificate;
}

/**
 * Validates the path from `leaf` to a trusted root, using any of `intermediates` (in any order; unused ones are
 * ignored). Throws a SignError naming the first failure.
 *
 * @example
 * ```ts
 * const chain = validateChain(signer, [intermediate], { trustedRoots: [root] });
 * chain.anchor.fingerprint256; // the root that vouches for the signer
 * ```
 */
export function validateChain(leaf: Certificate, intermediates: readonly Certificate[], options: ChainValidationOptions): ValidatedChain {
  if (options.trustedRoots.length === 0) throw new SignError('TRUST_ROOTS_EMPTY', 'no trusted root certificate was given, so no signer can be trusted');
  const { path, anchor } = buildPath(leaf, intermediates, options.trustedRoots);
  const time = options.time ?? new Date();
  const requiredEkus = options.requiredLeafEkus ?? DEFAULT_SIGNER_EKUS;
  const revoked = options.revokedSerials ?? new Set<string>();

  // From the anchor (index path.length) down to the leaf (index 0).
  const all = [...path, anchor];
  for (let i = all.length - 1; i >= 0; i--) {
    const cert = all[i] as Certificate;
    const role = i === 0 ? 'signing certificate' : i === all.length - 1 ? 'trusted root' : 'intermediate CA';
    const name = `${role} '${cert.subject}'`;
    checkValidity(cert, name, time);
    if (revoked.has(cert.serialNumber)) throw new SignError('CERT_REVOKED', `${name} has serial number ${cert.serialNumber}, which is revoked`);
    const unknown = cert.unknownCriticalExtension();
    if (unknown !== undefined) throw new SignError('CERT_UNKNOWN_CRITICAL_EXTENSION', `${name} has critical extension ${unknown}, which the validator does not process`);
    if (i > 0) checkIssuer(cert, name, all, i, requiredEkus);
    else checkLeaf(cert, name, requiredEkus);
  }
  return { leaf, path, anchor };
}

/** Step 1: leaf → intermediates → an anchor. */
function buildPath(leaf: Certificate, intermediates: readonly Certificate[], roots: readonly Certificate[]): { path: Certificate[]; anchor: Certificate } {
  const path: Certificate[] = [leaf];
  const used = new Set<Certificate>([leaf]);
  for (;;) {
    const current = path[path.length - 1] as Certificate;
    const anchor = roots.find((r) => current.isIssuedBy(r));
    if (anchor !== undefined) return { path, anchor };
    const next = intermediates.find((c) => !used.has(c) && current.isIssuedBy(c));
    if (next === undefined) {
      const forged = [...roots, ...intermediates].find((c) => c !== current && current.namesIssuer(c));
      if (forged !== undefined) {
        throw new SignError('CHAIN_SIGNATURE_INVALID', `the signature of certificate '${current.subject}' does not verify with the key of its issuer '${forged.subject}'`);
      }
      const trusted = roots.map((r) => `'${r.subject}'`).join(', ');
      const why = current.isSelfIssued && current.signatureVerifiesWith(current)
        ? `the chain ends at the self-signed certificate '${current.subject}', which is not a trusted root`
        : `certificate '${current.subject}' was issued by '${current.issuer}', which is neither a trusted root nor in the chain`;
      throw new SignError('CHAIN_UNTRUSTED_ROOT', `${why} (trusted: ${trusted})`);
    }
    if (path.length >= MAX_PATH_LENGTH) throw new SignError('CHAIN_TOO_LONG', `the certification path has more than ${MAX_PATH_LENGTH} certificates below the root`);
    path.push(next);
    used.add(next);
  }
}

function checkValidity(cert: Certificate, name: string, time: Date): void {
  if (time.getTime() < cert.notBefore.getTime()) {
    throw new SignError('CERT_NOT_YET_VALID', `${name} is not valid before ${cert.notBefore.toISOString()} (verification time ${time.toISOString()})`);
  }
  if (time.getTime() > cert.notAfter.getTime()) {
    throw new SignError('CERT_EXPIRED', `${name} expired at ${cert.notAfter.toISOString()} (verification time ${time.toISOString()})`);
  }
}

/** A certificate that issued `all[index - 1]`: a CA, allowed to sign certificates, within its path length. */
function checkIssuer(cert: Certificate, name: string, all: readonly Certificate[], index: number, requiredEkus: readonly string[]): void {
  const bc = cert.basicConstraints;
  if (bc === undefined || !bc.ca) {
    throw new SignError('CERT_NOT_CA', `${name} issued '${(all[index - 1] as Certificate).subject}' but is not a CA (${bc === undefined ? 'no basicConstraints extension' : 'basicConstraints cA is false'})`);
  }
  if (cert.keyUsage !== undefined && (cert.keyUsage & KeyUsageBit.keyCertSign) === 0) {
    throw new SignError('CERT_KEY_USAGE', `${name} is a CA whose keyUsage lacks keyCertSign`);
  }
  if (bc.pathLength !== undefined) {
    // pathLenConstraint counts the non-self-issued intermediates between this CA and the leaf (RFC 5280 4.2.1.9).
    let below = 0;
    for (let j = 1; j < index; j++) if (!(all[j] as Certificate).isSelfIssued) below++;
    if (below > bc.pathLength) {
      throw new SignError('CERT_PATH_LENGTH_EXCEEDED', `${name} allows ${bc.pathLength} intermediate CA${bc.pathLength === 1 ? '' : 's'} below it (pathLenConstraint), the path has ${below}`);
    }
  }
  const ekus = cert.extendedKeyUsage;
  if (ekus !== undefined && !ekus.includes(EKU_ANY)) {
    const missing = requiredEkus.find((oid) => !ekus.includes(oid));
    if (missing !== undefined) {
      throw new SignError('CERT_EKU_NOT_PERMITTED', `${name} restricts extended key usages to ${ekus.map(ekuName).join(', ')}, which excludes ${ekuName(missing)}`);
    }
  }
}

/** The signing certificate: an end entity allowed to make digital signatures for eBPF program verification. */
function checkLeaf(cert: Certificate, name: string, requiredEkus: readonly string[]): void {
  if (cert.basicConstraints?.ca === true) throw new SignError('CERT_LEAF_IS_CA', `${name} is a CA certificate (basicConstraints cA is true); a CA may not sign images`);
  if (cert.keyUsage === undefined) {
    throw new SignError('CERT_KEY_USAGE', `${name} has no keyUsage extension; a signing certificate must state digitalSignature`);
  }
  if ((cert.keyUsage & KeyUsageBit.digitalSignature) === 0) {
    throw new SignError('CERT_KEY_USAGE', `${name} has a keyUsage without digitalSignature`);
  }
  const ekus = cert.extendedKeyUsage ?? [];
  const missing = requiredEkus.find((oid) => !ekus.includes(oid));
  if (missing !== undefined) {
    const has = cert.extendedKeyUsage === undefined ? 'has no extendedKeyUsage extension' : `has extended key usages ${ekus.map(ekuName).join(', ')}`;
    throw new SignError('CERT_EKU_MISSING', `${name} ${has}, expected ${ekuName(missing)}`);
  }
}

/** An EKU OID with its name when it is one we know, for messages. */
function ekuName(oid: string): string {
  if (oid === EKU_EBPF_PROGRAM_VERIFICATION) return `eBPF program verification (${oid})`;
  if (oid === EKU_CODE_SIGNING) return `code signing (${oid})`;
  if (oid === EKU_ANY) return `any (${oid})`;
  return oid;
}
