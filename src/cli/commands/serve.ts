/**
 * `bpfship serve --sign-key KEY --sign-cert CERT [--chain PEM...] [--data DIR] [--store oci://...] [--index
 * postgres://...] [--listen HOST:PORT] [--token-file F] [--tls-cert C --tls-key K] ...`: the build-and-sign service
 * (src/service). The store is the embedded one in DIR (blobs and SQLite) unless `--store` puts the blobs in an OCI
 * registry and `--index` the index in PostgreSQL; the native build cache goes to DIR/cache (else the user's).
 *
 * Refused at start-up (exit 2): a non-loopback address without `--token-file`, unreadable or malformed key,
 * certificate, token or TLS files, a signer that does not chain to `--trust`, a store that cannot be reached.
 * Writes one line to standard error with the address it really listens on, and its log (JSON lines) to standard
 * output. SIGINT or SIGTERM: stop accepting, answer queued builds 503, let running builds finish within `--grace`
 * seconds, close the store, exit 0; a second signal abandons the running builds at once.
 *
 * Author: Claude.
 *
 * @module
 */
import { Option, type Command } from '@commander-js/extra-typings';
import { hostname, networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
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

/** Whether a listen host is loopback only. */
export function isLoopbackListen(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * The host names a service listening on `host` answers to, besides loopback: the address itself, and for a
 * wildcard address (`0.0.0.0`, `::`) every address of this machine's interfaces and its host name.
 */
export function ownHostNames(host: string): string[] {
  const names = new Set<string>([host.toLowerCase()]);
  if (host === '0.0.0.0' || host === '::') {
    for (const addresses of Object.values(networkInterfaces())) for (const a of addresses ?? []) if (host === '::' || a.family === 'IPv4') names.add(a.address.toLowerCase());
    names.add(hostname().toLowerCase());
  }
  return [...names];
}

/** The URL a listening address is reached at, and what it covers (`0.0.0.0` is every IPv4 address, not 127.0.0.1). */
export function describeListenAddress(address: string, port: number, tls: boolean): string {
  const scheme = tls ? 'https' : 'http';
  const url = `${scheme}://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
  if (address === '0.0.0.0') return `${url} (every IPv4 address of this machine)`;
  if (address === '::') return `${url} (every address of this machine)`;
  return url;
}

function positiveInteger(text: string, option: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new UsageError(`${option} must be a positive integer, not '${text}'`);
  return Number(text);
}

function seconds(text: string, option: string): number {
  const n = Number(text);
  if (!/^\d+(?:\.\d+)?$/.test(text) || !Number.isFinite(n)) throw new UsageError(`${option} must be a number of seconds, not '${text}'`);
  return n;
}

/** Reads registry credentials for `host` from a containers `auth.json` / Docker `config.json` (`auths.HOST.auth`). */
export function registryCredentials(file: string, host: string): { username: string; password: string } {
  let auths: Record<string, { auth?: unknown; username?: unknown; password?: unknown }>;
  try {
    auths = (JSON.parse(new TextDecoder().decode(readInput(file))) as { auths?: typeof auths }).auths ?? {};
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: expected JSON {"auths": {"HOST": {"auth": "base64(user:password)"}}}: ${(e as Error).message}`);
  }
  const entry = auths[host] ?? auths[`https://${host}`] ?? auths[`http://${host}`];
  if (entry === undefined) throw new UsageError(`${file}: no credentials for ${host} (expected "auths": {"${host}": {"auth": "..."}})`);
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  const decoded = typeof entry.auth === 'string' ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new UsageError(`${file}: the credentials for ${host} should be "auth": base64 of USER:PASSWORD`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The store options `serve` and `store check` share. */
export interface StoreOptions {
  readonly data?: string | undefined;
  readonly store?: string | undefined;
  readonly index?: string | undefined;
  readonly registryAuth?: string | undefined;
  readonly plainHttp?: boolean | undefined;
}

/** Opens the store the options name; every fault is a UsageError naming it (exit status 2). */
export async function openStoreFromOptions(opts: StoreOptions): Promise<import('../../store/index.ts').ArtifactStore> {
  const layer = await import('../../store/index.ts');
  if (opts.data === undefined && (opts.store === undefined || opts.index === undefined)) {
    throw new UsageError('--data DIR is needed unless both --store oci://... and --index postgres://... are given');
  }
  let credentials;
  if (opts.registryAuth !== undefined) {
    if (opts.store === undefined) throw new UsageError('--registry-auth goes with --store oci://...');
    let host: string;
    try {
      host = layer.parseOciRepository(opts.store).host;
    } catch (e) {
      throw new UsageError(`--store: ${(e as Error).message}`);
    }
    credentials = registryCredentials(opts.registryAuth, host);
  }
  try {
    return await layer.openStore({
      ...(opts.data !== undefined ? { data: opts.data } : {}),
      ...(opts.store !== undefined ? { blobs: opts.store } : {}),
      ...(opts.index !== undefined ? { index: opts.index } : {}),
      ...(opts.plainHttp === true ? { plainHttp: true } : {}),
      ...(credentials !== undefined ? { registryCredentials: credentials } : {}),
    });
  } catch (e) {
    if (e instanceof TypeError) throw new UsageError(e.message);
    if (e instanceof layer.StoreError) throw new UsageError(`cannot open the store: ${e.message}`);
    throw e;
  }
}

/** Resolves with the signal each time the process is asked to stop. */
function onStopSignal(handler: (signal: string) => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Configures `serve`. */
export function configureServe(command: Command, { io, setExit }: CommandContext): void {
  command
    .requiredOption('--sign-key <key.pem>', 'the signing private key (PEM); it never leaves this process')
    .requiredOption('--sign-cert <cert.pem>', 'the signing certificate (PEM)')
    .option('--chain <pem...>', 'intermediate CA certificates (PEM), written into every signature')
    .option('--data <dir>', 'local state: the embedded store (blobs, SQLite index) unless --store/--index replace it, and the build cache')
    .option('--store <oci://host:port/repository>', 'publish to an OCI registry repository instead of DATA/blobs')
    .option('--index <postgres-url>', 'keep the index in PostgreSQL instead of DATA/index.sqlite (password: PGPASSWORD or ~/.pgpass)')
    .option('--registry-auth <auth.json>', 'registry credentials (containers auth.json / Docker config.json format)')
    .option('--plain-http', 'reach the registry over plain HTTP even off loopback')
    .option('--listen <host:port>', 'the address to listen on', DEFAULT_LISTEN)
    .option('--token-file <file>', 'tokens that may publish (and read): NAME TOKEN per line; required to listen off loopback')
    .option('--read-token-file <file>', 'tokens that may read; when given, reads need a token')
    .option('--allowed-host <name...>', 'host names the service answers to besides loopback and its listen address (e.g. behind a proxy)')
    .option('--allowed-origin <origin...>', 'web origins whose pages may call the service (https://console.example.com)')
    .option('--tls-cert <cert.pem>', 'serve HTTPS with this certificate chain (PEM)')
    .option('--tls-key <key.pem>', 'the TLS private key (PEM)')
    .option('--trust <root.pem...>', 'check at start-up, and for every signature, that the signer chains to one of these roots')
    .option('--max-builds <n>', 'builds at once (default and maximum: the number of CPUs)')
    .option('--max-queued <n>', 'builds that may wait before new ones are refused with 503', '64')
    .option('--body-limit <bytes>', 'the largest ELF accepted', String(16 << 20))
    .option('--build-timeout <seconds>', 'a build still running after this long fails (BUILD_TIMEOUT)', '300')
    .option('--grace <seconds>', 'on SIGTERM, how long running builds may take to finish (queued ones are refused at once)', '30')
    .option('--cc <compiler>', 'the C compiler (default: $CC, else gcc, cc, clang, clang-19)')
    .option('--no-cache', 'compile every build (no native build cache)')
    .addOption(new Option('--rules <set>', "the verifier's rule set for every build, recorded in each attestation: linux (Linux's privileged rules) or strict (no address leaves the program, no read of never-written stack)").choices(['linux', 'strict'] as const).default('linux' as const))
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const).default('info' as const))
    .action(async (opts) => {
      const listen = parseListen(opts.listen);
      const concurrency = opts.maxBuilds !== undefined ? positiveInteger(opts.maxBuilds, '--max-builds') : undefined;
      const maxQueued = positiveInteger(opts.maxQueued, '--max-queued');
      const bodyLimit = positiveInteger(opts.bodyLimit, '--body-limit');
      const timeoutMs = positiveInteger(opts.buildTimeout, '--build-timeout') * 1000;
      const graceMs = seconds(opts.grace, '--grace') * 1000;
      if (opts.data === undefined && (opts.store === undefined || opts.index === undefined)) {
        throw new UsageError('--data DIR is needed unless both --store oci://... and --index postgres://... are given');
      }
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
      if (!isLoopbackListen(listen.host) && opts.tokenFile === undefined) {
        throw new UsageError(`--listen ${opts.listen} is reachable from other machines: give --token-file so that only holders of a token can publish (or listen on 127.0.0.1)`);
      }
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
      const service = await import('../../service/index.ts');
      const tokens = (file: string | undefined) => {
        if (file === undefined) return undefined;
        try {
          const entries = service.parseTokenFile(new TextDecoder().decode(readInput(file)), file);
          if (entries.length === 0) throw new UsageError(`${file}: no token (expected NAME TOKEN lines)`);
          return entries;
        } catch (e) {
          if (e instanceof service.TokenFileError) throw new UsageError(e.message);
          throw e;
        }
      };
      const publishTokens = tokens(opts.tokenFile);
      const readTokens = tokens(opts.readTokenFile);
      const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined ? { cert: Buffer.from(readInput(opts.tlsCert)), key: Buffer.from(readInput(opts.tlsKey)) } : undefined;
      if (tls !== undefined) {
        const { createSecureContext } = await import('node:tls');
        try {
          createSecureContext({ cert: tls.cert, key: tls.key });
        } catch (e) {
          throw new UsageError(`--tls-cert ${opts.tlsCert} / --tls-key ${opts.tlsKey}: ${(e as Error).message}`);
        }
      }

      const store = await openStoreFromOptions(opts);
      let app;
      try {
        app = await service.createService({
          store,
          signer,
          cache: opts.cache === false ? false : opts.data !== undefined ? join(opts.data, 'cache') : (await import('../../native/index.ts')).defaultCacheRoot(),
          bodyLimit,
          builds: { maxQueued, timeoutMs, ...(concurrency !== undefined ? { concurrency } : {}) },
          log: { level: opts.logLevel },
          access: {
            allowedHosts: [...ownHostNames(listen.host), ...(opts.allowedHost ?? [])],
            ...(opts.allowedOrigin !== undefined ? { allowedOrigins: opts.allowedOrigin } : {}),
            ...(publishTokens !== undefined ? { publishTokens } : {}),
            ...(readTokens !== undefined ? { readTokens } : {}),
          },
          ...(tls !== undefined ? { https: tls } : {}),
          ...(trustedRoots !== undefined ? { trustedRoots } : {}),
          ...(opts.cc !== undefined ? { cc: opts.cc } : {}),
          rules: opts.rules,
        });
      } catch (e) {
        await store.close();
        throw e;
      }
      let signals = 0;
      let resolveStop: (signal: string) => void = () => undefined;
      const stopRequested = new Promise<string>((r) => (resolveStop = r));
      const removeHandlers = onStopSignal((signal) => {
        signals++;
        if (signals === 1) resolveStop(signal);
        else {
          io.stderr(`bpfship: ${signal} again: abandoning the running builds\n`);
          void app.bpfship.pool.close();
        }
      });
      try {
        await app.listen({ host: listen.host, port: listen.port });
      } catch (e) {
        removeHandlers();
        await app.close();
        await store.close();
        const code = (e as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`--listen ${opts.listen}: cannot listen there (${code})`);
        throw e;
      }
      const bound = app.server.address();
      const where = typeof bound === 'object' && bound !== null ? describeListenAddress(bound.address, bound.port, tls !== undefined) : String(bound);
      const auth = publishTokens !== undefined ? `${publishTokens.length} publish token${publishTokens.length === 1 ? '' : 's'}${readTokens !== undefined ? `, ${readTokens.length} read` : ', reads open'}` : 'no tokens: anyone on this machine can publish';
      if (!isLoopbackListen(listen.host) && tls === undefined) io.stderr('bpfship: warning: tokens travel in clear text without --tls-cert/--tls-key; put a TLS proxy in front\n');
      io.stderr(`bpfship: serving on ${where} (store ${store.kind}: ${describeStore(store)}; signer ${signer.certificate.summary().subject}; ${auth}); stop with Ctrl-C\n`);
      const signal = await stopRequested;
      io.stderr(`bpfship: ${signal}: stopping (running builds have ${graceMs / 1000} s to finish; queued builds are refused)\n`);
      const report = await app.bpfship.stop({ graceMs });
      removeHandlers();
      await store.close();
      io.stderr(`bpfship: stopped${report.abandoned > 0 ? ` (${report.abandoned} running build${report.abandoned === 1 ? '' : 's'} abandoned, not published)` : ''}\n`);
      setExit(0);
    });
}

function describeStore(store: { readonly blobBackend: { readonly location: string }; readonly indexBackend: { readonly location: string } }): string {
  return `blobs ${store.blobBackend.location}, index ${store.indexBackend.location}`;
}
