/**
 * `bpfship serve --data DIR --sign-key KEY --sign-cert CERT [--chain PEM...] [--listen HOST:PORT] [--trust ROOT...]`:
 * the build-and-sign service (src/service) over the embedded store in DIR (created when absent; the native build
 * cache goes to DIR/cache). Logs one JSON line per request on standard output; stops cleanly on SIGINT or SIGTERM
 * (requests in progress finish, the store is closed).
 *
 * The service has no authentication of its own: it listens on loopback by default, and anything else belongs
 * behind a proxy that authenticates (docs/service.md).
 *
 * @module
 */
import { Option, type Command } from '@commander-js/extra-typings';
import { join } from 'node:path';
import { readInput, UsageError } from '../io.ts';
import type { CommandContext } from '../context.ts';

/** The default address: loopback only. */
export const DEFAULT_LISTEN = '127.0.0.1:8470';

/** `HOST:PORT`, `[IPv6]:PORT` or `PORT` → host and port. Throws UsageError. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text) ?? /^()()(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || !(port >= 0 && port <= 65535)) throw new UsageError(`--listen must be HOST:PORT, [IPv6]:PORT or PORT (e.g. ${DEFAULT_LISTEN}), not '${text}'`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

function positiveInteger(text: string, option: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new UsageError(`${option} must be a positive integer, not '${text}'`);
  return Number(text);
}

/** Resolves when the process is asked to stop. */
function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Configures `serve`. */
export function configureServe(command: Command, { io, setExit }: CommandContext): void {
  command
    .requiredOption('--data <dir>', 'the store: blobs, the SQLite index and the build cache (created when absent)')
    .requiredOption('--sign-key <key.pem>', 'the signing private key (PEM); it never leaves this process')
    .requiredOption('--sign-cert <cert.pem>', 'the signing certificate (PEM)')
    .option('--chain <pem...>', 'intermediate CA certificates (PEM), written into every signature')
    .option('--listen <host:port>', 'the address to listen on', DEFAULT_LISTEN)
    .option('--trust <root.pem...>', 'check at start-up, and for every signature, that the signer chains to one of these roots')
    .option('--max-builds <n>', 'builds at once (default and maximum: the number of CPUs)')
    .option('--max-queued <n>', 'builds that may wait before new ones are refused with 503', '64')
    .option('--body-limit <bytes>', 'the largest ELF accepted', String(16 << 20))
    .option('--build-timeout <seconds>', 'a build still running after this long fails (BUILD_TIMEOUT)', '300')
    .option('--cc <compiler>', 'the C compiler (default: $CC, else gcc, cc, clang, clang-19)')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const).default('info' as const))
    .action(async (opts) => {
      const listen = parseListen(opts.listen);
      const concurrency = opts.maxBuilds !== undefined ? positiveInteger(opts.maxBuilds, '--max-builds') : undefined;
      const maxQueued = positiveInteger(opts.maxQueued, '--max-queued');
      const bodyLimit = positiveInteger(opts.bodyLimit, '--body-limit');
      const timeoutMs = positiveInteger(opts.buildTimeout, '--build-timeout') * 1000;
      // Unreadable files are usage errors naming them, before anything starts.
      for (const p of [opts.signKey, opts.signCert, ...(opts.chain ?? []), ...(opts.trust ?? [])]) readInput(p);
      const sign = await import('../../sign/index.ts');
      const signer = sign.readSigningIdentity({ key: opts.signKey, certificate: opts.signCert, ...(opts.chain !== undefined ? { chain: opts.chain } : {}) });
      let trustedRoots;
      if (opts.trust !== undefined) {
        trustedRoots = sign.readTrustedRoots(opts.trust);
        try {
          sign.validateChain(signer.certificate, signer.intermediates, { trustedRoots });
        } catch (e) {
          throw new UsageError(`the signing certificate does not chain to --trust: ${(e as Error).message}`);
        }
      }
      const { openEmbeddedStore } = await import('../../store/index.ts');
      const { createService } = await import('../../service/index.ts');
      const store = await openEmbeddedStore(opts.data);
      let app;
      try {
        app = await createService({
          store,
          signer,
          cache: join(opts.data, 'cache'),
          bodyLimit,
          builds: { maxQueued, timeoutMs, ...(concurrency !== undefined ? { concurrency } : {}) },
          log: { level: opts.logLevel },
          ...(trustedRoots !== undefined ? { trustedRoots } : {}),
          ...(opts.cc !== undefined ? { cc: opts.cc } : {}),
        });
      } catch (e) {
        await store.close();
        throw e;
      }
      const stopped = stopRequested();
      let address: string;
      try {
        address = await app.listen({ host: listen.host, port: listen.port });
      } catch (e) {
        await app.close();
        await store.close();
        const code = (e as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`--listen ${opts.listen}: cannot listen there (${code})`);
        throw e;
      }
      io.stderr(`bpfship: serving on ${address} (store ${opts.data}, signer ${signer.certificate.summary().subject}); stop with Ctrl-C\n`);
      const signal = await stopped;
      io.stderr(`bpfship: ${signal}: stopping\n`);
      await app.close();
      await store.close();
      setExit(0);
    });
}
