// Publish latency and throughput of the build service, embedded store (blob directory + SQLite) beside an OCI
// registry + PostgreSQL (both real, started here on loopback, PostgreSQL with fsync on as the embedded store's
// SQLite is), in one run: the same ELF (xdp_firewall.o) POSTed over HTTP to a listening service, `--concurrency`
// clients at once, `--publishes` per store after a warm-up that fills the build cache. Every publish is real:
// verified, translated, signed, stored and published; the build cache spares the C compiler, as it does for a
// repeated upload in production. Two cases per store: every publish under one name (publishers of a name take
// turns for the index transaction, and with a registry for its manifest and tag writes), and each client
// publishing its own name. Prints p50/p99 latency and throughput per store and case, and their ratios.
// `--publishes N` (default 200), `--concurrency C` (default 8), `--json`.
//
// Author: Claude.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PROGRAMS_OBJ } from '../src/internal/test-files.ts';
import { createService } from '../src/service/index.ts';
import { initDevKeys, readSigningIdentity, readTrustedRoots } from '../src/sign/index.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { startPostgres, startRegistry } from '../src/store/_test-servers.ts';

const { values } = parseArgs({ options: { publishes: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '8' }, json: { type: 'boolean', default: false } } });
const publishes = Number(values.publishes);
const concurrency = Number(values.concurrency);
const elf = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o')));

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

interface Figures {
  readonly store: string;
  readonly names: string;
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

const dir = mkdtempSync(join(tmpdir(), 'bpfship-bench-service-'));
const [registry, postgres] = await Promise.all([startRegistry(), startPostgres({ fsync: true })]);
try {
  const keys = await initDevKeys(join(dir, 'keys'));
  const signer = readSigningIdentity({ key: keys.signerKey, certificate: keys.signerCertificate, chain: [keys.intermediateCertificate] });
  const trustedRoots = readTrustedRoots([keys.rootCertificate]);

  async function measure(label: string, store: Store): Promise<Figures[]> {
    const app = await createService({ store, signer, trustedRoots, cache: join(dir, 'cache'), log: false, builds: { maxQueued: 4 * concurrency } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/v1/builds?name=`;
    const post = async (name: string): Promise<number> => {
      const t0 = performance.now();
      const r = await fetch(base + name, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: elf });
      await r.arrayBuffer();
      if (r.status !== 201) throw new Error(`${label}: publish answered ${r.status}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < concurrency; i++) await post('warm-up'); // the build cache, the workers, the connections
    const rows: Figures[] = [];
    for (const names of ['one name', 'a name per client'] as const) {
      const latencies: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async (_, client) => {
          while (next++ < publishes) latencies.push(await post(names === 'one name' ? 'bench' : `bench-${client}`));
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      rows.push({ store: label, names, p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: latencies.length / seconds });
    }
    await app.close();
    await store.close();
    return rows;
  }

  const embedded = await measure('embedded (directory + SQLite)', await openStore({ data: join(dir, 'embedded') }));
  const remote = await measure('OCI registry + PostgreSQL', await openStore({ data: join(dir, 'remote'), blobs: registry.repository('bench/images'), index: await postgres.createDatabase('bench') }));
  const rows = [...embedded, ...remote];
  if (values.json) console.log(JSON.stringify({ publishes, concurrency, rows }, null, 2));
  console.log(`publishes of xdp_firewall.o: ${publishes} per store and case, ${concurrency} clients at once (build cache warm)\n`);
  console.log('| store | names | p50 ms | p99 ms | publishes/s |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.store} | ${r.names} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.perSecond.toFixed(1)} |`);
  console.log('');
  embedded.forEach((e, i) => {
    const o = remote[i] as Figures;
    console.log(`OCI+PostgreSQL / embedded, ${e.names}: p50 ${(o.p50 / e.p50).toFixed(2)}x, p99 ${(o.p99 / e.p99).toFixed(2)}x, throughput ${(o.perSecond / e.perSecond).toFixed(2)}x`);
  });
} finally {
  await registry.stop();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
}
