/**
 * The build record: what `bpfship build` knew when it made an image, written beside it as `OUT.so.build.json`, so
 * that `bpfship sign OUT.so` can sign the image later with the same attestation `build --sign-key` would have
 * made. The image's own description table holds the ELF digest and the program-info hashes but not the generated
 * C's digest, the verifier, its verdicts or the compiler, hence this file.
 *
 * ```json
 * {
 *   "mediaType": "application/vnd.bpfship.build-record.v1+json",
 *   "image": { "name": "fw.so", "sha256": "<hex of the .so>" },
 *   "elf": { "name": "xdp_firewall.o", "sha256": "<hex>" },
 *   "generatedC": { "name": "xdp_firewall.bpf2c.c", "sha256": "<hex>" },
 *   "verifier": { "name": "bpfship-verifier", "version": "0.1.0", "options": { "maxInsns": 1000000 } },
 *   "programs": [{ "name": "xdp_firewall", "section": "xdp", "verdict": "accepted", "programInfoHash": "<hex>" }],
 *   "compiler": { "name": "gcc", "version": "gcc (Debian 12.2.0-14) 12.2.0 (x86_64-linux-gnu)", "flags": ["-std=gnu11", "-O2", ...] },
 *   "builtAt": "2026-08-01T12:00:00.000Z"
 * }
 * ```
 *
 * `verifier` is null when no verifier ran: such an image is never signed. The record is not trusted on its own:
 * `sign` checks that it is about the image at hand (its SHA-256) and that it agrees with the image's table.
 *
 * It lives in the store layer (it moved here unchanged from src/cli/commands) because the build service stores the
 * same record as a blob beside each image it publishes, so that `bpfship sign` reads either.
 *
 * Author: Claude.
 *
 * @module
 */
import type { NativeImageMetadata } from '../bpf2c/index.ts';
import type { NativeBuildResult } from '../native/index.ts';
import { StoreError } from './errors.ts';

/** The media type of a build record; a new layout gets a new version. */
export const BUILD_RECORD_MEDIA_TYPE = 'application/vnd.bpfship.build-record.v1+json';

/** A named artifact and its SHA-256 (hex). */
export interface RecordedArtifact {
  readonly name: string;
  readonly sha256: string;
}

/** The build record (see the module comment). */
export interface BuildRecord {
  readonly mediaType: typeof BUILD_RECORD_MEDIA_TYPE;
  readonly image: RecordedArtifact;
  readonly elf: RecordedArtifact;
  readonly generatedC: RecordedArtifact;
  readonly verifier: { readonly name: string; readonly version: string; readonly options: Readonly<Record<string, string | number | boolean>> } | null;
  readonly programs: readonly { readonly name: string; readonly section: string; readonly verdict: 'accepted' | 'rejected'; readonly programInfoHash: string }[];
  readonly compiler: { readonly name: string; readonly version: string; readonly flags: readonly string[] };
  readonly builtAt: string;
}

/** `OUT.so` → `OUT.so.build.json`. */
export function buildRecordPath(imagePath: string): string {
  return imagePath + '.build.json';
}

/** The compiler's family from its `--version` line: `clang`, `gcc`, else the line's first word. */
function compilerName(versionLine: string): string {
  if (/clang/i.test(versionLine)) return 'clang';
  if (/\bgcc\b|\bGCC\b/.test(versionLine)) return 'gcc';
  return versionLine.split(/\s+/)[0] || 'cc';
}

/**
 * The record of a build. Every program's verdict is `accepted` when a verifier ran: bpf2c stops at the first
 * program the verifier rejects, so a finished verified build is one whose programs all passed.
 */
export function buildRecordFor(
  result: Pick<NativeBuildResult, 'soSha256' | 'elfSha256' | 'cSha256' | 'metadata' | 'compiler' | 'flags' | 'verified'>,
  names: { readonly image: string; readonly elf: string; readonly c: string },
  verifier: BuildRecord['verifier'],
  builtAt: Date = new Date(),
): BuildRecord {
  return {
    mediaType: BUILD_RECORD_MEDIA_TYPE,
    image: { name: names.image, sha256: result.soSha256 },
    elf: { name: names.elf, sha256: result.elfSha256 },
    generatedC: { name: names.c, sha256: result.cSha256 },
    verifier: result.verified ? verifier : null,
    programs: result.metadata.programs.map((p) => ({ name: p.name, section: p.section, verdict: 'accepted' as const, programInfoHash: p.infoHash })),
    compiler: { name: compilerName(result.compiler.version), version: `${result.compiler.version} (${result.compiler.target})`, flags: [...result.flags] },
    builtAt: builtAt.toISOString(),
  };
}

/** The record as the file holds it (pretty JSON, final newline). */
export function formatBuildRecord(record: BuildRecord): string {
  return JSON.stringify(record, null, 2) + '\n';
}

/**
 * Reads a build record, checking its shape field by field. Throws StoreError (BUILD_RECORD_INVALID) whose message
 * names the file and the fault: `fw.so.build.json: not a bpfship build record: programs should be an array`.
 */
export function parseBuildRecord(text: string, file: string): BuildRecord {
  const bad = (what: string): StoreError => new StoreError('BUILD_RECORD_INVALID', `not a bpfship build record: ${what}`, { file });
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const obj = (x: unknown, what: string): Record<string, unknown> => {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(`${what} should be an object`);
    return x as Record<string, unknown>;
  };
  const str = (x: unknown, what: string): string => {
    if (typeof x !== 'string' || x === '') throw bad(`${what} should be a non-empty string`);
    return x;
  };
  const hex = (x: unknown, what: string): string => {
    const s = str(x, what);
    if (!/^[0-9a-f]{64}$/.test(s)) throw bad(`${what} should be 64 lowercase hex digits`);
    return s;
  };
  const artifact = (x: unknown, what: string): RecordedArtifact => {
    const o = obj(x, what);
    return { name: str(o['name'], `${what}.name`), sha256: hex(o['sha256'], `${what}.sha256`) };
  };
  const r = obj(v, 'the record');
  if (r['mediaType'] !== BUILD_RECORD_MEDIA_TYPE) throw bad(`mediaType should be '${BUILD_RECORD_MEDIA_TYPE}'`);
  let verifier: BuildRecord['verifier'] = null;
  if (r['verifier'] !== null) {
    const o = obj(r['verifier'], 'verifier');
    const options = obj(o['options'], 'verifier.options');
    for (const [k, x] of Object.entries(options)) if (!['string', 'number', 'boolean'].includes(typeof x)) throw bad(`verifier.options.${k} should be a string, number or boolean`);
    verifier = { name: str(o['name'], 'verifier.name'), version: str(o['version'], 'verifier.version'), options: options as Record<string, string | number | boolean> };
  }
  if (!Array.isArray(r['programs'])) throw bad('programs should be an array');
  const programs = (r['programs'] as unknown[]).map((x, i) => {
    const o = obj(x, `programs[${i}]`);
    const verdict = o['verdict'];
    if (verdict !== 'accepted' && verdict !== 'rejected') throw bad(`programs[${i}].verdict should be 'accepted' or 'rejected'`);
    return { name: str(o['name'], `programs[${i}].name`), section: str(o['section'], `programs[${i}].section`), verdict, programInfoHash: hex(o['programInfoHash'], `programs[${i}].programInfoHash`) } as const;
  });
  const c = obj(r['compiler'], 'compiler');
  if (!Array.isArray(c['flags']) || c['flags'].some((f) => typeof f !== 'string')) throw bad('compiler.flags should be an array of strings');
  return {
    mediaType: BUILD_RECORD_MEDIA_TYPE,
    image: artifact(r['image'], 'image'),
    elf: artifact(r['elf'], 'elf'),
    generatedC: artifact(r['generatedC'], 'generatedC'),
    verifier,
    programs,
    compiler: { name: str(c['name'], 'compiler.name'), version: str(c['version'], 'compiler.version'), flags: c['flags'] as string[] },
    builtAt: str(r['builtAt'], 'builtAt'),
  };
}

/**
 * Checks that `record` describes the image whose bytes hash to `imageSha256` and whose table is `table`: the same
 * image digest, ELF digest, programs and program-info hashes. Returns the first disagreement, or undefined.
 */
export function recordDisagreement(record: BuildRecord, imageSha256: string, table: NativeImageMetadata): string | undefined {
  if (record.image.sha256 !== imageSha256) return `the record is for an image with SHA-256 ${record.image.sha256}, this image's is ${imageSha256} (rebuild, or pass the image's own record)`;
  if (record.elf.sha256 !== table.elfSha256) return `the record names the ELF object ${record.elf.sha256}, the image was built from ${table.elfSha256}`;
  const recorded = record.programs.map((p) => `${p.name}:${p.programInfoHash}`).join(' ');
  const embedded = table.programs.map((p) => `${p.name}:${p.infoHash}`).join(' ');
  if (recorded !== embedded) return `the record's programs and program-info hashes (${recorded}) are not the image's (${embedded})`;
  return undefined;
}
