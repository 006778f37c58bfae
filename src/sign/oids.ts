/**
 * The object identifiers bpfship puts in and looks for in certificates.
 *
 * Our arc. bpfship has no IANA Private Enterprise Number, so it cannot mint OIDs under `1.3.6.1.4.1.<PEN>` (the arc
 * eBPF for Windows uses is Microsoft's own, `1.3.6.1.4.1.311.133.1`). Squatting on someone else's PEN would be
 * wrong, so the arc is the one ITU-T X.667 | ISO/IEC 9834-8 (and RFC 9562 section 4) documents for exactly this case:
 * `2.25.<UUID as one decimal integer>`, which anyone may use without registration because the UUID makes it unique.
 * We generated the UUID `14add9a5-1a37-43ca-a715-bd86594aecfd` once; the holder of an OID may allocate beneath it,
 * so our identifiers are sub-arcs:
 *
 * ```
 * 2.25.27487241635869071216179785669420969213          bpfship
 *                                            .1        extended key usages
 *                                            .1.1      eBPF program verification (a signer may attest that
 *                                                      the bpfship verifier accepted a program)
 * ```
 *
 * When the project obtains a PEN, the arc becomes `1.3.6.1.4.1.<PEN>` and these constants change; until then, and
 * for organisations that want their own EKU, every function that checks or issues the EKU takes it as an option
 * (`ebpfVerificationEku`, `requiredLeafEkus`), so nothing depends on the constant below but the defaults.
 *
 * A note for implementers: the UUID arc is a 128-bit number, past what @peculiar/asn1's OID decoder renders in
 * decimal (it prints `2.25.{0140...}`), so the EKU is decoded by our own DER reader (`_der.ts`), never by it.
 *
 * Author: Claude.
 *
 * @module
 */

/** The arc beneath which bpfship allocates its identifiers (see the module comment for why a UUID arc). */
export const BPFSHIP_OID_ARC = '2.25.27487241635869071216179785669420969213';

/** The extended key usage "eBPF program verification": the certified key may sign attestations of verified programs. */
export const EKU_EBPF_PROGRAM_VERIFICATION = `${BPFSHIP_OID_ARC}.1.1`;

/** id-kp-codeSigning (RFC 5280 section 4.2.1.12), which eBPF for Windows also requires of its signers. */
export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** anyExtendedKeyUsage (RFC 5280): accepted on a CA's EKU extension (it constrains nothing), never on a signer's. */
export const EKU_ANY = '2.5.29.37.0';

/** The extended key usages a signing certificate must carry by default: ours and code signing. */
export const DEFAULT_SIGNER_EKUS: readonly string[] = [EKU_EBPF_PROGRAM_VERIFICATION, EKU_CODE_SIGNING];

/** Certificate extension identifiers (RFC 5280 section 4.2) the path validator understands. */
export const ExtensionOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/** Checks that `oid` is a dotted-decimal object identifier (first arc 0-2, no leading zeros); used for options. */
export function isObjectIdentifier(oid: string): boolean {
  if (!/^[0-2](\.(0|[1-9][0-9]*))+$/.test(oid)) return false;
  const arcs = oid.split('.');
  // Under roots 0 and 1 the second arc is below 40 (X.690 8.19.4); under 2 it is unbounded.
  return arcs[0] === '2' || Number(arcs[1]) < 40;
}
