/**
 * The signed claim about a native image: an in-toto Statement v1 whose subject is the `.so` and whose predicate,
 * of our type `https://bpfship.dev/attestation/native-image/v1`, records how it was made.
 *
 * ```json
 * {
 *   "_type": "https://in-toto.io/Statement/v1",
 *   "subject": [{ "name": "prog.so", "digest": { "sha256": "<hex of the .so>" } }],
 *   "predicateType": "https://bpfship.dev/attestation/native-image/v1",
 *   "predicate": {
 *     "elf":        { "name": "prog.o", "digest": { "sha256": "<hex>" } },   // the clang output that was verified
 *     "generatedC": { "name": "prog.c", "digest": { "sha256": "<hex>" } },   // bpf2c's translation of it
 *     "verifier": { "name": "bpfship-verifier", "version": "0.1.0", "options": { "maxStates": 100000 } },
 *     "programs": [                                                          // one per program, in section order
 *       { "name": "xdp_prog", "section": "xdp", "verdict": "accepted", "programInfoHash": { "sha256": "<hex>" } }
 *     ],
 *     "compiler": { "name": "clang", "version": "19.1.7", "flags": ["-O2", "-fPIC", "-shared"] },
 *     "attestedAt": "2026-08-01T12:00:00.000Z"                              // when the attestation was made (UTC)
 *   }
 * }
 * ```
 *
 * An eBPF object signed for the kernel (`bpfship sign-object`, deployed by `bpfship deploy`) gets a statement of
 * its own predicate type, `https://bpfship.dev/attestation/kernel-object/v1`, whose subject is the ELF object itself
 * (what is loaded into the kernel is exactly what was verified: no generated C, no compiler):
 *
 * ```json
 * {
 *   "_type": "https://in-toto.io/Statement/v1",
 *   "subject": [{ "name": "prog.o", "digest": { "sha256": "<hex of the ELF object>" } }],
 *   "predicateType": "https://bpfship.dev/attestation/kernel-object/v1",
 *   "predicate": {
 *     "verifier": { "name": "bpfship-verifier", "version": "0.1.0", "options": {} },
 *     "programs": [{ "name": "xdp_prog", "section": "xdp", "verdict": "accepted", "programInfoHash": { "sha256": "<hex>" } }],
 *     "target": { "kernel": "linux", "abi": "6.18" },                        // the kernel ABI the verdicts hold for
 *     "attestedAt": "2026-08-01T12:00:00.000Z"
 *   }
 * }
 * ```
 *
 * The predicate type URI names this format (version 1); bpfship.dev is a name of ours that does not serve the
 * document yet: the URI only has to be stable and unique (in-toto's TypeURI), and this comment is its documentation.
 * A `programInfoHash` is the runtime's hash of what a program relies on (program type, context layout, the
 * prototypes of the helpers it calls), as in eBPF for Windows' proof of verification; the runtime recomputes it
 * against its own helper table and refuses a mismatch.
 *
 * Parsing follows in-toto's rule for the statement (unknown fields are ignored) and is strict for our predicate
 * (every field present and well-typed, nothing else), since a v1 reader cannot know what an unknown field means.
 *
 * Author: Claude.
 *
 * @module
 */
import { isSha256Hex, sha256Hex } from './encoding.ts';
import { SignError } from './errors.ts';

/** The in-toto Statement v1 type. */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** Our predicate type: the build record of a native image (see the module comment). */
export const NATIVE_IMAGE_PREDICATE_TYPE = 'https://bpfship.dev/attestation/native-image/v1';

/** Our predicate type for an eBPF object signed to be loaded into a kernel (see the module comment). */
export const KERNEL_OBJECT_PREDICATE_TYPE = 'https://bpfship.dev/attestation/kernel-object/v1';

/** One of our predicate types. */
export type PredicateType = typeof NATIVE_IMAGE_PREDICATE_TYPE | typeof KERNEL_OBJECT_PREDICATE_TYPE;

/** Largest statement accepted, to bound the work a hostile payload can cause. */
export const MAX_STATEMENT_BYTES = 1 << 20;

/** A digest set (in-toto DigestSet) holding a SHA-256 as 64 lowercase hex digits. */
export interface DigestSet {
  readonly sha256: string;
}

/** A named artifact with its digest (the subset of in-toto's ResourceDescriptor we use). */
export interface ResourceDescriptor {
  readonly name: string;
  readonly digest: DigestSet;
}

/** The verifier's verdict on one program. */
export const ProgramVerdict = { accepted: 'accepted', rejected: 'rejected' } as const;
/** One of `ProgramVerdict`. */
export type ProgramVerdict = (typeof ProgramVerdict)[keyof typeof ProgramVerdict];

/** What the attestation says of one program of the image. */
export interface AttestedProgram {
  /** The program's function name in the ELF object. */
  readonly name: string;
  /** Its ELF section (`xdp`, `tracepoint/syscalls/sys_enter_execve`). */
  readonly section: string;
  readonly verdict: ProgramVerdict;
  readonly programInfoHash: DigestSet;
}

/** A value of a verifier option. */
export type VerifierOptionValue = string | number | boolean;

/** Which verifier judged the programs, and how it was configured. */
export interface VerifierIdentity {
  readonly name: string;
  readonly version: string;
  readonly options: Readonly<Record<string, VerifierOptionValue>>;
}

/** Which compiler built the image from the generated C, with which flags. */
export interface CompilerIdentity {
  readonly name: string;
  readonly version: string;
  readonly flags: readonly string[];
}

/** Our predicate (see the module comment for its JSON). */
export interface NativeImagePredicate {
  readonly elf: ResourceDescriptor;
  readonly generatedC: ResourceDescriptor;
  readonly verifier: VerifierIdentity;
  readonly programs: readonly AttestedProgram[];
  readonly compiler: CompilerIdentity;
  /** RFC 3339, UTC, as `Date.toISOString` writes it. */
  readonly attestedAt: string;
}

/** An in-toto statement about one native image. */
export interface NativeImageStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: typeof NATIVE_IMAGE_PREDICATE_TYPE;
  readonly predicate: NativeImagePredicate;
}

/**
 * The kernel an object was verified for: the kernel family and the version of the ABI facts (helper prototypes,
 * context layouts, verifier rules) the verdicts were reached against.
 */
export interface KernelTarget {
  readonly kernel: 'linux';
  /** `6.18`: the Linux version whose ABI the verifier and the program-info hashes describe. */
  readonly abi: string;
}

/** The predicate of an eBPF object signed for the kernel (see the module comment for its JSON). */
export interface KernelObjectPredicate {
  readonly verifier: VerifierIdentity;
  readonly programs: readonly AttestedProgram[];
  readonly target: KernelTarget;
  /** RFC 3339, UTC. */
  readonly attestedAt: string;
}

/** An in-toto statement about one eBPF object (its subject is the ELF itself), signed for the kernel. */
export interface KernelObjectStatement {
  readonly _type: typeof IN_TOTO_STATEMENT_TYPE;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: typeof KERNEL_OBJECT_PREDICATE_TYPE;
  readonly predicate: KernelObjectPredicate;
}

/** Any statement we sign. */
export type SignedStatement = NativeImageStatement | KernelObjectStatement;

/** An artifact given to `buildPredicate`: its bytes, or its SHA-256 when the bytes are elsewhere. */
export type ArtifactInput = { readonly name: string; readonly bytes: Uint8Array } | { readonly name: string; readonly sha256: string };

/** What `buildPredicate` needs; programInfoHash is hex. */
export interface PredicateInput {
  readonly elf: ArtifactInput;
  readonly generatedC: ArtifactInput;
  readonly verifier: VerifierIdentity;
  readonly programs: readonly {
    readonly name: string;
    readonly section: string;
    readonly verdict: ProgramVerdict;
    readonly programInfoHash: string;
  }[];
  readonly compiler: CompilerIdentity;
  /** Default now. */
  readonly attestedAt?: Date;
}

/**
 * Builds the predicate, computing the digests of artifacts given as bytes, and checks it as a reader would
 * (so a malformed predicate fails when signed, not when loaded). Throws ATTESTATION_UNSIGNABLE.
 *
 * @example
 * ```ts
 * const predicate = buildPredicate({
 *   elf: { name: 'prog.o', bytes: elf }, generatedC: { name: 'prog.c', bytes: c },
 *   verifier: { name: 'bpfship-verifier', version: '0.1.0', options: {} },
 *   programs: [{ name: 'xdp_prog', section: 'xdp', verdict: 'accepted', programInfoHash: hex }],
 *   compiler: { name: 'clang', version: '19.1.7', flags: ['-O2'] },
 * });
 * ```
 */
export function buildPredicate(input: PredicateInput): NativeImagePredicate {
  const when = input.attestedAt ?? new Date();
  if (Number.isNaN(when.getTime())) throw new SignError('ATTESTATION_UNSIGNABLE', 'attestedAt is not a valid time');
  const artifact = (a: ArtifactInput): ResourceDescriptor => ({ name: a.name, digest: { sha256: 'bytes' in a ? sha256Hex(a.bytes) : a.sha256.toLowerCase() } });
  const predicate: NativeImagePredicate = {
    elf: artifact(input.elf),
    generatedC: artifact(input.generatedC),
    verifier: { name: input.verifier.name, version: input.verifier.version, options: { ...input.verifier.options } },
    programs: input.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: { sha256: p.programInfoHash.toLowerCase() } })),
    compiler: { name: input.compiler.name, version: input.compiler.version, flags: [...input.compiler.flags] },
    attestedAt: when.toISOString(),
  };
  try {
    return parsePredicate(JSON.parse(JSON.stringify(predicate)) as unknown, 'predicate');
  } catch (e) {
    if (e instanceof SignError) throw new SignError('ATTESTATION_UNSIGNABLE', e.detail, e.where, { cause: e });
    throw e;
  }
}

/** Wraps a predicate in a statement whose subject is the image. */
export function buildStatement(imageName: string, image: Uint8Array, predicate: NativeImagePredicate): NativeImageStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: imageName, digest: { sha256: sha256Hex(image) } }],
    predicateType: NATIVE_IMAGE_PREDICATE_TYPE,
    predicate,
  };
}

/** Wraps a kernel-object predicate in a statement whose subject is the ELF object itself. */
export function buildKernelObjectStatement(objectName: string, object: Uint8Array, predicate: KernelObjectPredicate): KernelObjectStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: objectName, digest: { sha256: sha256Hex(object) } }],
    predicateType: KERNEL_OBJECT_PREDICATE_TYPE,
    predicate,
  };
}

/** What {@link buildKernelObjectPredicate} needs; programInfoHash is hex. */
export interface KernelObjectPredicateInput {
  readonly verifier: VerifierIdentity;
  readonly programs: PredicateInput['programs'];
  readonly target: KernelTarget;
  /** Default now. */
  readonly attestedAt?: Date;
}

/**
 * Builds the predicate of an eBPF object signed for the kernel, and checks it as a reader would (so a malformed
 * predicate fails when signed, not when deployed). Throws ATTESTATION_UNSIGNABLE.
 *
 * @example
 * ```ts
 * const predicate = buildKernelObjectPredicate({
 *   verifier: { name: 'bpfship-verifier', version: '0.1.0', options: { rules: 'linux' } },
 *   programs: [{ name: 'xdp_prog', section: 'xdp', verdict: 'accepted', programInfoHash: hex }],
 *   target: { kernel: 'linux', abi: '6.18' },
 * });
 * ```
 */
export function buildKernelObjectPredicate(input: KernelObjectPredicateInput): KernelObjectPredicate {
  const when = input.attestedAt ?? new Date();
  if (Number.isNaN(when.getTime())) throw new SignError('ATTESTATION_UNSIGNABLE', 'attestedAt is not a valid time');
  const predicate: KernelObjectPredicate = {
    verifier: { name: input.verifier.name, version: input.verifier.version, options: { ...input.verifier.options } },
    programs: input.programs.map((p) => ({ name: p.name, section: p.section, verdict: p.verdict, programInfoHash: { sha256: p.programInfoHash.toLowerCase() } })),
    target: { kernel: input.target.kernel, abi: input.target.abi },
    attestedAt: when.toISOString(),
  };
  try {
    return parseKernelObjectPredicate(JSON.parse(JSON.stringify(predicate)) as unknown, 'predicate');
  } catch (e) {
    if (e instanceof SignError) throw new SignError('ATTESTATION_UNSIGNABLE', e.detail, e.where, { cause: e });
    throw e;
  }
}

/** The statement as the UTF-8 JSON bytes that get signed (fields in the order of the interfaces). */
export function encodeStatement(statement: SignedStatement): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(statement));
}

/**
 * Parses and validates a signed payload about a native image, field by field. Throws ATTESTATION_INVALID naming
 * the first bad field with its JSON path (`predicate.programs[2].programInfoHash.sha256 should be 64 lowercase hex
 * digits`); a statement of another predicate type (a kernel object's) is ATTESTATION_INVALID too, saying so.
 */
export function parseStatement(payload: Uint8Array): NativeImageStatement {
  return parseStatementOf(payload, NATIVE_IMAGE_PREDICATE_TYPE);
}

/** {@link parseStatement} for a statement about an eBPF object signed for the kernel (`sign-object`). */
export function parseKernelObjectStatement(payload: Uint8Array): KernelObjectStatement {
  return parseStatementOf(payload, KERNEL_OBJECT_PREDICATE_TYPE);
}

/** What each predicate type's statement is, for {@link parseStatementOf}. */
interface StatementOf {
  [NATIVE_IMAGE_PREDICATE_TYPE]: NativeImageStatement;
  [KERNEL_OBJECT_PREDICATE_TYPE]: KernelObjectStatement;
}

/** The artifact a predicate type's subject is, for messages. */
const SUBJECT_KIND: Record<PredicateType, string> = {
  [NATIVE_IMAGE_PREDICATE_TYPE]: 'a native image',
  [KERNEL_OBJECT_PREDICATE_TYPE]: 'an eBPF object signed for the kernel',
};

/** Parses a signed payload that must be a statement of predicate type `expected` (see {@link parseStatement}). */
export function parseStatementOf<T extends PredicateType>(payload: Uint8Array, expected: T): StatementOf[T] {
  if (payload.length > MAX_STATEMENT_BYTES) throw invalid('statement', `at most ${MAX_STATEMENT_BYTES} bytes`, `${payload.length} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (e) {
    throw new SignError('ATTESTATION_INVALID', `the signed payload is not UTF-8 JSON: ${(e as Error).message}`);
  }
  const obj = object(value, 'statement', undefined);
  if (obj['_type'] !== IN_TOTO_STATEMENT_TYPE) throw invalid('_type', `'${IN_TOTO_STATEMENT_TYPE}'`, describe(obj['_type']));
  const subjects = array(obj['subject'], 'subject');
  if (subjects.length !== 1) throw invalid('subject', `exactly one subject (${SUBJECT_KIND[expected]})`, `${subjects.length}`);
  const s = object(subjects[0], 'subject[0]', undefined);
  const subject: ResourceDescriptor = { name: text(s['name'], 'subject[0].name'), digest: digestSet(s['digest'], 'subject[0].digest', false) };
  const type = obj['predicateType'];
  if (type !== expected) {
    const other = (Object.keys(SUBJECT_KIND) as PredicateType[]).find((t) => t === type);
    const what = other === undefined ? describe(type) : `'${other}' (the signature attests ${SUBJECT_KIND[other]}, not ${SUBJECT_KIND[expected]})`;
    throw invalid('predicateType', `'${expected}'`, what);
  }
  const statement: SignedStatement = expected === NATIVE_IMAGE_PREDICATE_TYPE
    ? { _type: IN_TOTO_STATEMENT_TYPE, subject: [subject], predicateType: NATIVE_IMAGE_PREDICATE_TYPE, predicate: parsePredicate(obj['predicate'], 'predicate') }
    : { _type: IN_TOTO_STATEMENT_TYPE, subject: [subject], predicateType: KERNEL_OBJECT_PREDICATE_TYPE, predicate: parseKernelObjectPredicate(obj['predicate'], 'predicate') };
  return statement as StatementOf[T];
}

/** Validates our predicate strictly (see the module comment). Throws ATTESTATION_INVALID. */
export function parsePredicate(value: unknown, path = 'predicate'): NativeImagePredicate {
  const p = object(value, path, ['elf', 'generatedC', 'verifier', 'programs', 'compiler', 'attestedAt']);
  const compilerObj = object(p['compiler'], `${path}.compiler`, ['name', 'version', 'flags']);
  const flags = array(compilerObj['flags'], `${path}.compiler.flags`).map((f, i) => {
    if (typeof f !== 'string') throw invalid(`${path}.compiler.flags[${i}]`, 'a string', describe(f));
    return f;
  });
  return {
    elf: descriptor(p['elf'], `${path}.elf`),
    generatedC: descriptor(p['generatedC'], `${path}.generatedC`),
    verifier: verifierIdentity(p['verifier'], `${path}.verifier`),
    programs: attestedPrograms(p['programs'], `${path}.programs`),
    compiler: { name: text(compilerObj['name'], `${path}.compiler.name`), version: text(compilerObj['version'], `${path}.compiler.version`), flags },
    attestedAt: timestamp(p['attestedAt'], `${path}.attestedAt`),
  };
}

/** Validates the predicate of a kernel object strictly, as {@link parsePredicate} does. Throws ATTESTATION_INVALID. */
export function parseKernelObjectPredicate(value: unknown, path = 'predicate'): KernelObjectPredicate {
  const p = object(value, path, ['verifier', 'programs', 'target', 'attestedAt']);
  const targetObj = object(p['target'], `${path}.target`, ['kernel', 'abi']);
  if (targetObj['kernel'] !== 'linux') throw invalid(`${path}.target.kernel`, "'linux'", describe(targetObj['kernel']));
  return {
    verifier: verifierIdentity(p['verifier'], `${path}.verifier`),
    programs: attestedPrograms(p['programs'], `${path}.programs`),
    target: { kernel: 'linux', abi: text(targetObj['abi'], `${path}.target.abi`) },
    attestedAt: timestamp(p['attestedAt'], `${path}.attestedAt`),
  };
}

function verifierIdentity(value: unknown, path: string): VerifierIdentity {
  const verifierObj = object(value, path, ['name', 'version', 'options']);
  const optionsObj = object(verifierObj['options'], `${path}.options`, undefined);
  // No prototype, so that an option named `__proto__` is kept as data rather than dropped.
  const options = Object.create(null) as Record<string, VerifierOptionValue>;
  for (const [k, v] of Object.entries(optionsObj)) {
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) options[k] = v;
    else throw invalid(`${path}.options.${k}`, 'a string, a finite number or a boolean', describe(v));
  }
  return { name: text(verifierObj['name'], `${path}.name`), version: text(verifierObj['version'], `${path}.version`), options };
}

function attestedPrograms(value: unknown, path: string): AttestedProgram[] {
  const programList = array(value, path);
  if (programList.length === 0) throw invalid(path, 'at least one program', 'an empty array');
  const names = new Set<string>();
  return programList.map((item, i): AttestedProgram => {
    const at = `${path}[${i}]`;
    const o = object(item, at, ['name', 'section', 'verdict', 'programInfoHash']);
    const name = text(o['name'], `${at}.name`);
    if (names.has(name)) throw invalid(`${at}.name`, 'a name no other program has', `'${name}' again`);
    names.add(name);
    const verdict = o['verdict'];
    if (verdict !== ProgramVerdict.accepted && verdict !== ProgramVerdict.rejected) throw invalid(`${at}.verdict`, "'accepted' or 'rejected'", describe(verdict));
    return { name, section: text(o['section'], `${at}.section`), verdict, programInfoHash: digestSet(o['programInfoHash'], `${at}.programInfoHash`, true) };
  });
}

/** An RFC 3339 UTC time as `Date.toISOString` writes it. */
function timestamp(value: unknown, path: string): string {
  const t = text(value, path);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(t) || Number.isNaN(Date.parse(t))) {
    throw invalid(path, 'an RFC 3339 UTC time (2026-08-01T12:00:00.000Z)', `'${t}'`);
  }
  return t;
}

function invalid(path: string, expected: string, found: string): SignError {
  return new SignError('ATTESTATION_INVALID', `${path} should be ${expected}, found ${found}`);
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 60 ? v.slice(0, 57) + '...' : v}'`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** An object; with `keys`, only those keys are allowed and all are required. */
function object(v: unknown, path: string, keys: readonly string[] | undefined): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(path, 'an object', describe(v));
  const o = v as Record<string, unknown>;
  if (keys !== undefined) {
    for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalid(path, `an object with fields ${keys.join(', ')}`, `the unexpected field '${k}'`);
    for (const k of keys) if (!(k in o)) throw invalid(`${path}.${k}`, 'present', 'nothing');
  }
  return o;
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw invalid(path, 'an array', describe(v));
  return v;
}

/** A non-empty string without control characters, at most 4096 characters. */
function text(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(path, 'a string', describe(v));
  // eslint-disable-next-line no-control-regex
  if (v.length === 0 || v.length > 4096 || /[\u0000-\u001f\u007f]/.test(v)) throw invalid(path, 'a non-empty string of at most 4096 characters without control characters', describe(v));
  return v;
}

/** A digest set with a SHA-256; `strict` refuses other algorithms (our predicate), else they are ignored (in-toto subjects). */
function digestSet(v: unknown, path: string, strict: boolean): DigestSet {
  const o = object(v, path, strict ? ['sha256'] : undefined);
  const sha256 = o['sha256'];
  if (typeof sha256 !== 'string' || !isSha256Hex(sha256)) throw invalid(`${path}.sha256`, '64 lowercase hex digits', describe(sha256));
  return { sha256 };
}

function descriptor(v: unknown, path: string): ResourceDescriptor {
  const o = object(v, path, ['name', 'digest']);
  return { name: text(o['name'], `${path}.name`), digest: digestSet(o['digest'], `${path}.digest`, true) };
}
