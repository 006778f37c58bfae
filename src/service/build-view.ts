/**
 * A published build as the API shows it: the stored build with the URLs of its artifacts, relative to the
 * service (a client resolves them against the address it used, so the service never has to know its own name).
 *
 * ```json
 * { "id": "6f1c…", "name": "xdp-firewall", "version": 2, "createdAt": "2026-08-01T12:00:00.000Z",
 *   "digests":   { "elf": "sha256:…", "generatedC": "sha256:…", "image": "sha256:…", "signature": "sha256:…", "buildRecord": "sha256:…", "objectSignature": "sha256:…" },
 *   "artifacts": { "elf": "/v1/blobs/…", "generatedC": "/v1/blobs/…", "image": "/v1/blobs/…", "signature": "/v1/blobs/…", "buildRecord": "/v1/blobs/…", "objectSignature": "/v1/blobs/…" },
 *   "programs":  [{ "name": "xdp_firewall", "section": "xdp", "type": "xdp", "verdict": "accepted", "programInfoHash": "…", "insnsProcessed": 41 }],
 *   "signer": "CN=bpfship development signer, O=bpfship development",
 *   "toolchain": { "verifier": { "name": "bpfship-verifier", "version": "0.1.0" }, "bpf2c": "…", "compiler": { … } },
 *   "links": { "self": "/v1/images/xdp-firewall/2", "latest": "/v1/images/xdp-firewall" } }
 * ```
 *
 * `objectSignature` (the ELF signed for the kernel, `NAME.o.sig`) is absent from builds published before bpfship
 * signed objects.
 *
 * Author: Claude.
 *
 * @module
 */
import { buildArtifacts, digestHex, type ArtifactKind, type OptionalArtifactKind, type StoredBuild } from '../store/index.ts';

/** The URL path of a blob. */
export function blobPath(digest: string): string {
  return `/v1/blobs/${digestHex(digest) ?? digest}`;
}

/** A build as the API answers it (see the module comment). */
export interface BuildView extends StoredBuild {
  readonly artifacts: Readonly<Record<ArtifactKind, string>> & { readonly [K in OptionalArtifactKind]?: string };
  readonly links: { readonly self: string; readonly latest: string };
}

/** The view of a stored build. */
export function buildView(build: StoredBuild): BuildView {
  const artifacts = Object.fromEntries(buildArtifacts(build.digests).map(([k, d]) => [k, blobPath(d)])) as BuildView['artifacts'];
  return {
    id: build.id,
    name: build.name,
    version: build.version,
    createdAt: build.createdAt,
    digests: build.digests,
    artifacts,
    programs: build.programs,
    signer: build.signer,
    toolchain: build.toolchain,
    ...(build.publishedBy !== undefined ? { publishedBy: build.publishedBy } : {}),
    links: { self: `/v1/images/${build.name}/${build.version}`, latest: `/v1/images/${build.name}` },
  };
}
