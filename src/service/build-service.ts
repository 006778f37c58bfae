/**
 * Publishing a build: the production workflow `POST /v1/builds` runs. In order:
 *
 * 1. the name is checked (store/image-name.ts) and the ELF is not empty;
 * 2. a build worker verifies every program, runs bpf2c and compiles the image (build-job.ts, build-pool.ts);
 *    a refusal stops here, with only a failed-build record (no blob) for a verification failure;
 * 3. the service's thread makes the build record and signs the image, and the ELF for the kernel (attest-build.ts);
 * 4. the ELF, the C, the image, both signatures and the record are stored as blobs (identical bytes once);
 * 5. the build is published as the name's next version and its latest, in one index transaction.
 *
 * A failure anywhere before 5 publishes nothing: blobs stored by then are unreferenced, never half-written.
 *
 * Author: Claude.
 *
 * @module
 */
import { BPF2C_VERSION } from '../bpf2c/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import type { Certificate, SigningIdentity } from '../sign/index.ts';
import { digestOf, imageNameProblem, MediaType, type BuiltProgram, type Store, type StoredBuild } from '../store/index.ts';
import { artifactNames, attestBuild } from './attest-build.ts';
import type { BuildJobOutcome } from './build-job.ts';
import type { RuleSet } from '../verifier/index.ts';
import { BuildQueueFullError, ServiceStoppingError, type BuildPool } from './build-pool.ts';
import { ServiceProblem } from './problem.ts';

/** What a {@link BuildService} works with. */
export interface BuildServiceOptions {
  readonly store: Store;
  readonly pool: BuildPool;
  readonly signer: SigningIdentity;
  /** When given, every signature is checked to chain to one of these roots before it is stored. */
  readonly trustedRoots?: readonly Certificate[];
  /** The native build cache's root, or false for none. */
  readonly cache: string | false;
  readonly cc?: string;
  /** The verifier's rule set for every build (default `linux`), recorded in each attestation. */
  readonly rules?: RuleSet;
  /** Keep a record of builds refused by verification (default true). */
  readonly recordFailures?: boolean;
  readonly now?: () => Date;
}

/** What a publish carries besides the ELF. */
export interface PublishOptions {
  /** The name of the token that asked (recorded as the build's `publishedBy`). */
  readonly publishedBy?: string;
}

/** Verifies, builds, signs, stores and publishes (see the module comment). */
export class BuildService {
  readonly #options: BuildServiceOptions;
  /** Publishes between their start and their answer. */
  readonly #inFlight = new Set<Promise<unknown>>();
  #stopped = false;

  constructor(options: BuildServiceOptions) {
    this.#options = options;
  }

  /** Publishes in progress. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * The end of a stop's grace period: a build whose worker answers from now on is refused (503), never published.
   * Publishes already past their build (signing, storing) finish: see {@link idle}.
   */
  stopPublishing(): void {
    this.#stopped = true;
  }

  /** Resolves when no publish is in progress. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /**
   * Publishes `elf` as the next version of `name`.
   *
   * @throws {ServiceProblem} 400 (bad name, empty or malformed ELF), 422 (verification failed, not translatable),
   *   503 (build queue full, service stopping, store unavailable), 500 (the toolchain or the signer failed).
   */
  publish(name: string, elf: Uint8Array, options: PublishOptions = {}): Promise<StoredBuild> {
    const running = this.#publish(name, elf, options);
    this.#inFlight.add(running);
    void running.finally(() => this.#inFlight.delete(running)).catch(() => undefined);
    return running;
  }

  async #publish(name: string, elf: Uint8Array, options: PublishOptions): Promise<StoredBuild> {
    const { store, pool, signer } = this.#options;
    const now = this.#options.now ?? (() => new Date());
    const nameProblem = imageNameProblem(name) ?? store.nameProblem(name);
    if (nameProblem !== undefined) throw new ServiceProblem(400, 'NAME_INVALID', `query parameter 'name': ${nameProblem}`);
    if (elf.length === 0) throw new ServiceProblem(400, 'ELF_MISSING', 'expected an ELF object (clang -target bpf -g -O2 -c) as the request body, got an empty body');
    const names = artifactNames(name);

    let outcome: BuildJobOutcome;
    try {
      outcome = await pool.run({ elf, sourceName: names.elf, cache: this.#options.cache, ...(this.#options.cc !== undefined ? { cc: this.#options.cc } : {}), ...(this.#options.rules !== undefined ? { rules: this.#options.rules } : {}) });
    } catch (e) {
      if (e instanceof BuildQueueFullError) throw new ServiceProblem(503, 'BUILD_QUEUE_FULL', e.message);
      if (e instanceof ServiceStoppingError) throw new ServiceProblem(503, 'SERVICE_STOPPING', e.message);
      throw e;
    }
    if (this.#stopped) throw new ServiceProblem(503, 'SERVICE_STOPPING', 'the service stopped during the build (past its grace period): nothing was published');
    if (outcome.kind === 'failed') {
      throw new ServiceProblem(500, outcome.code, `the build failed in the toolchain (${outcome.code}), not because of the ELF: the service's log has the details`, { logDetail: outcome.message });
    }
    if (outcome.kind === 'refused') {
      if (outcome.status === 422 && this.#options.recordFailures !== false) {
        await store.recordFailedBuild({
          name,
          elfDigest: digestOf(elf),
          code: outcome.code,
          message: outcome.message,
          diagnostics: outcome.diagnostics ?? '',
          createdAt: now().toISOString(),
        });
      }
      throw new ServiceProblem(outcome.status, outcome.code, outcome.message, {
        ...(outcome.where !== undefined ? { where: outcome.where } : {}),
        ...(outcome.diagnostics !== undefined ? { diagnostics: outcome.diagnostics } : {}),
        ...(outcome.programs !== undefined ? { programs: outcome.programs } : {}),
      });
    }

    const image = outcome.image;
    let attested;
    try {
      attested = attestBuild(image, elf, name, signer, { now: now(), ...(this.#options.trustedRoots !== undefined ? { trustedRoots: this.#options.trustedRoots } : {}) });
    } catch (e) {
      if (e instanceof BpfshipError) throw new ServiceProblem(500, 'SIGNING_FAILED', `the service could not sign the image (${e.code}): the service's log has the details`, { logDetail: e.message });
      throw e;
    }
    const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
    // The six blobs at once (a registry answers each in a few round trips).
    const [elfBlob, cBlob, imageBlob, signatureBlob, recordBlob, objectSignatureBlob] = await Promise.all([
      store.putBlob(elf, MediaType.elf),
      store.putBlob(encode(image.c), MediaType.generatedC),
      store.putBlob(image.so, MediaType.image),
      store.putBlob(encode(attested.signatureText), MediaType.signature),
      store.putBlob(encode(attested.recordText), MediaType.buildRecord),
      store.putBlob(encode(attested.objectSignatureText), MediaType.objectSignature),
    ]);
    const digests = { elf: elfBlob.digest, generatedC: cBlob.digest, image: imageBlob.digest, signature: signatureBlob.digest, buildRecord: recordBlob.digest, objectSignature: objectSignatureBlob.digest };
    const programs: BuiltProgram[] = attested.record.programs.map((p) => {
      const verified = image.programs.find((v) => v.name === p.name && v.section === p.section);
      return { name: p.name, section: p.section, type: verified?.type ?? '', verdict: 'accepted', programInfoHash: p.programInfoHash, insnsProcessed: verified?.insnsProcessed ?? 0 };
    });
    const verifier = attested.record.verifier ?? { name: 'none', version: '' };
    return store.publishBuild({
      name,
      digests,
      programs,
      signer: attested.signer,
      toolchain: { verifier: { name: verifier.name, version: verifier.version }, bpf2c: BPF2C_VERSION, compiler: attested.record.compiler },
      createdAt: attested.record.builtAt,
      ...(options.publishedBy !== undefined ? { publishedBy: options.publishedBy } : {}),
    });
  }
}
