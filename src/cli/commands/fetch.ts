/**
 * `bpfship fetch URL NAME -o OUT.so --trust ROOT.pem... [--version V] [--revocations FILE]`: download a native image
 * and its signature from a build service (`bpfship serve`), check them in memory exactly as `verify-signature`
 * checks files (service/image-client.ts), and only then write `OUT.so` and `OUT.so.sig`.
 *
 * `bpfship fetch oci://HOST:PORT/REPOSITORY:NAME-VERSION -o OUT.so --trust ROOT.pem`: the same from an OCI registry
 * the service publishes to (service/oci-image-client.ts), without the service.
 *
 * `--object -o OUT.o`: the ELF object and its signature for the kernel instead (`OUT.o`, `OUT.o.sig`), verified as
 * an object signed with `sign-object` is, for `bpfship deploy`.
 *
 * Exit status 0 when both files were written; 1 when anything does not match or cannot be fetched, with nothing
 * written; 2 for wrong arguments.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readInput, UsageError } from '../io.ts';
import { toJson } from '../json.ts';
import type { CommandContext } from '../context.ts';
import { registryCredentials } from './serve.ts';

/**
 * Writes several files so that each is either untouched or complete: every temporary file is written and flushed
 * first, then they are renamed into place in order (the image before its signature, so that a crash between the
 * two leaves a new image with an old signature, which a runtime refuses, never the other way round unnoticed).
 */
function writeFilesAtomic(files: readonly { readonly path: string; readonly data: Uint8Array }[]): void {
  const temporaries: string[] = [];
  try {
    for (const f of files) {
      const tmp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.tmp`);
      temporaries.push(tmp);
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, f.data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    files.forEach((f, i) => renameSync(temporaries[i] as string, f.path));
  } catch (e) {
    for (const t of temporaries) rmSync(t, { force: true });
    throw new UsageError(`cannot write ${files.map((f) => f.path).join(' and ')}: ${(e as Error).message}`);
  }
}

/** The token of a token file: its one `TOKEN` or `NAME TOKEN` line (comments and blank lines ignored). */
function readClientToken(file: string): string {
  const lines = new TextDecoder()
    .decode(readInput(file))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const fields = lines[0]?.split(/\s+/) ?? [];
  if (lines.length !== 1 || fields.length < 1 || fields.length > 2) throw new UsageError(`${file}: expected one line, TOKEN or NAME TOKEN`);
  return fields[fields.length - 1] as string;
}

/** Configures `fetch`. */
export function configureFetch(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<source>', "the service's address (http://127.0.0.1:8470), or oci://HOST:PORT/REPOSITORY:NAME-VERSION")
    .argument('[name]', 'the image name it was published under (not with oci://)')
    .requiredOption('-o, --output <file>', 'the native image to write (.so); its signature goes to OUT.so.sig (with --object: the ELF object, OUT.o and OUT.o.sig)')
    .option('--object', 'fetch the ELF object and its signature for the kernel (what bpfship deploy loads) instead of the native image')
    .requiredOption('--trust <root.pem...>', 'trusted root certificates (PEM)')
    .option('--version <n>', 'a given version (default: the latest; not with oci://, whose tag says it)')
    .option('--revocations <file>', 'a revocation list (JSON: revokedSerials, revokedImageDigests)')
    .option('--token-file <file>', "a read token for a service started with --read-token-file (one line: TOKEN, or NAME TOKEN)")
    .option('--registry-auth <auth.json>', 'registry credentials for oci:// (containers auth.json / Docker config.json format)')
    .option('--plain-http', 'reach an oci:// registry over plain HTTP even off loopback')
    .option('--timeout <seconds>', 'per request', '30')
    .option('--json', 'print the verification result as JSON')
    .action(async (source, name, opts) => {
      const oci = source.startsWith('oci://');
      let version: number | undefined;
      if (opts.version !== undefined) {
        if (oci) throw new UsageError('--version does not go with oci:// (the tag says which version: REPOSITORY:NAME-VERSION)');
        if (!/^[1-9][0-9]{0,8}$/.test(opts.version)) throw new UsageError(`--version must be a version number (1, 2, ...), not '${opts.version}'`);
        version = Number(opts.version);
      }
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not '${opts.timeout}'`);
      const storeLayer = await import('../../store/index.ts');
      let credentials;
      if (oci) {
        if (name !== undefined) throw new UsageError(`with oci:// the tag names the image (oci://HOST:PORT/REPOSITORY:${name}-VERSION), not a second argument '${name}'`);
        try {
          const ref = storeLayer.parseOciArtifactReference(source);
          if (opts.registryAuth !== undefined) credentials = registryCredentials(opts.registryAuth, ref.host);
        } catch (e) {
          if (e instanceof TypeError) throw new UsageError(e.message);
          throw e;
        }
      } else {
        if (name === undefined) throw new UsageError("missing the image name: bpfship fetch URL NAME (or an oci:// reference)");
        const nameProblem = storeLayer.imageNameProblem(name);
        if (nameProblem !== undefined) throw new UsageError(`image name: ${nameProblem}`);
        if (!/^https?:\/\//.test(source)) throw new UsageError(`expected the service's URL (http://HOST:PORT) or oci://HOST:PORT/REPOSITORY:TAG, got '${source}'`);
        if (opts.registryAuth !== undefined || opts.plainHttp === true) throw new UsageError('--registry-auth and --plain-http go with oci://');
      }
      const token = opts.tokenFile !== undefined ? readClientToken(opts.tokenFile) : undefined;
      const sign = await import('../../sign/index.ts');
      const trustedRoots = opts.trust.flatMap((p) => sign.parseCertificates(new TextDecoder().decode(readInput(p)), { where: { file: p } }));
      const revocations = opts.revocations !== undefined ? sign.parseRevocationList(new TextDecoder().decode(readInput(opts.revocations)), { file: opts.revocations }) : undefined;
      const service = await import('../../service/index.ts');
      const common = { trustedRoots, timeoutMs: timeout * 1000, ...(revocations !== undefined ? { revocations } : {}), ...(opts.object === true ? { artifact: 'object' as const } : {}) };
      const result = oci
        ? await service.fetchSignedOciImage({ reference: source, ...common, ...(credentials !== undefined ? { credentials } : {}), ...(opts.plainHttp === true ? { plainHttp: true } : {}) })
        : await service.fetchSignedImage({ serviceUrl: source, name: name as string, ...common, ...(version !== undefined ? { version } : {}), ...(token !== undefined ? { token } : {}) });
      const what = oci ? source : `${name as string}${version !== undefined ? ` version ${version}` : ''} from ${source}`;
      if (!result.ok) {
        if (opts.json === true) io.stdout(toJson(result) + '\n');
        io.stderr(`bpfship: refusing ${what}: ${result.code}: ${result.message}\nnothing was written\n`);
        setExit(1);
        return;
      }
      const signaturePath = sign.signatureFilePath(opts.output);
      writeFilesAtomic([
        { path: opts.output, data: result.image },
        { path: signaturePath, data: result.signature },
      ]);
      if (opts.json === true) io.stdout(toJson({ build: result.build, verification: result.verification }) + '\n');
      else {
        const v = result.verification;
        io.stdout(
          `${opts.output}: ${result.build.name} version ${result.build.version}, ${v.imageDigest}\n` +
            `  signer    ${v.signer.subject}\n` +
            `  root      ${v.trustRoot.subject}\n` +
            `  programs  ${v.statement.predicate.programs.map((p) => `${p.name} (${p.section}) ${p.verdict}`).join(', ')}\n` +
            `${signaturePath}: written\n`,
        );
      }
      setExit(0);
    });
}
