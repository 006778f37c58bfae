/**
 * `bpfship fetch URL NAME -o OUT.so --trust ROOT.pem... [--version V] [--revocations FILE]`: download a native image
 * and its signature from a build service (`bpfship serve`), check them in memory exactly as `verify-signature`
 * checks files (service/image-client.ts), and only then write `OUT.so` and `OUT.so.sig`. Exit status 0 when
 * both were written; 1 when anything does not match or cannot be fetched, with nothing written; 2 for wrong
 * arguments.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readInput, UsageError } from '../io.ts';
import { toJson } from '../json.ts';
import type { CommandContext } from '../context.ts';

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

/** Configures `fetch`. */
export function configureFetch(command: Command, { io, setExit }: CommandContext): void {
  command
    .argument('<url>', "the service's address, e.g. http://127.0.0.1:8470")
    .argument('<name>', 'the image name it was published under')
    .requiredOption('-o, --output <file>', 'the native image to write (.so); its signature goes to OUT.so.sig')
    .requiredOption('--trust <root.pem...>', 'trusted root certificates (PEM)')
    .option('--version <n>', 'a given version (default: the latest)')
    .option('--revocations <file>', 'a revocation list (JSON: revokedSerials, revokedImageDigests)')
    .option('--timeout <seconds>', 'per request', '30')
    .option('--json', 'print the verification result as JSON')
    .action(async (url, name, opts) => {
      let version: number | undefined;
      if (opts.version !== undefined) {
        if (!/^[1-9][0-9]{0,8}$/.test(opts.version)) throw new UsageError(`--version must be a version number (1, 2, ...), not '${opts.version}'`);
        version = Number(opts.version);
      }
      const timeout = Number(opts.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not '${opts.timeout}'`);
      const { imageNameProblem } = await import('../../store/index.ts');
      const nameProblem = imageNameProblem(name);
      if (nameProblem !== undefined) throw new UsageError(`image name: ${nameProblem}`);
      if (!/^https?:\/\//.test(url)) throw new UsageError(`expected the service's URL (http://HOST:PORT), got '${url}'`);
      const sign = await import('../../sign/index.ts');
      const trustedRoots = opts.trust.flatMap((p) => sign.parseCertificates(new TextDecoder().decode(readInput(p)), { where: { file: p } }));
      const revocations = opts.revocations !== undefined ? sign.parseRevocationList(new TextDecoder().decode(readInput(opts.revocations)), { file: opts.revocations }) : undefined;
      const { fetchSignedImage } = await import('../../service/index.ts');
      const result = await fetchSignedImage({
        serviceUrl: url,
        name,
        trustedRoots,
        timeoutMs: timeout * 1000,
        ...(version !== undefined ? { version } : {}),
        ...(revocations !== undefined ? { revocations } : {}),
      });
      if (!result.ok) {
        if (opts.json === true) io.stdout(toJson(result) + '\n');
        io.stderr(`bpfship: refusing ${name}${version !== undefined ? ` version ${version}` : ''} from ${url}: ${result.code}: ${result.message}\nnothing was written\n`);
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
          `${opts.output}: ${name} version ${result.build.version}, ${v.imageDigest}\n` +
            `  signer    ${v.signer.subject}\n` +
            `  root      ${v.trustRoot.subject}\n` +
            `  programs  ${v.statement.predicate.programs.map((p) => `${p.name} (${p.section}) ${p.verdict}`).join(', ')}\n` +
            `${signaturePath}: written\n`,
        );
      }
      setExit(0);
    });
}
