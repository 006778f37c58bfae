/**
 * `bpfship store check [--data DIR] [--store oci://HOST:PORT/REPOSITORY] [--index postgres://...] [--json]`: reads
 * every blob the store's index names, hashes it again, and lists the missing and corrupt ones with the builds that
 * need them (name, version, which artifact). Exit status 0 when every blob is intact, 1 when some are damaged, 2
 * for wrong arguments or a store that cannot be opened. The service can stay up meanwhile (reads only).
 *
 * A damaged blob is repaired by storing the same bytes again (a rebuild of the same ELF with the same toolchain
 * gives the same image; `bpfship build` and the service are reproducible), or from a backup.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { UsageError } from '../io.ts';
import { toJson } from '../json.ts';
import type { CommandContext } from '../context.ts';
import { openStoreFromOptions } from './serve.ts';

/** Configures `store` (its sub-command `check`). */
export function configureStore(store: Command, { io, setExit }: CommandContext): void {
  store
    .command('check')
    .description('re-hash every blob of a store; list the missing and corrupt ones with the builds that need them')
    .option('--data <dir>', 'the embedded store (or the local parts of a store: see bpfship serve)')
    .option('--store <oci://host:port/repository>', 'blobs in an OCI registry repository')
    .option('--index <postgres-url>', 'the index in PostgreSQL')
    .option('--registry-auth <auth.json>', 'registry credentials (containers auth.json / Docker config.json format)')
    .option('--plain-http', 'reach the registry over plain HTTP even off loopback')
    .option('--json', 'print the report as JSON')
    .action(async (opts) => {
      const opened = await openStoreFromOptions(opts);
      try {
        const report = await opened.checkBlobs();
        if (opts.json === true) io.stdout(toJson({ store: { kind: opened.kind, blobs: opened.blobBackend.location, index: opened.indexBackend.location }, ...report }) + '\n');
        else {
          io.stdout(`store ${opened.kind}: blobs ${opened.blobBackend.location}, index ${opened.indexBackend.location}\n`);
          io.stdout(`checked ${report.blobs} blob${report.blobs === 1 ? '' : 's'} (${report.bytesChecked} bytes) of ${report.builds} build${report.builds === 1 ? '' : 's'}\n`);
          for (const p of report.problems) {
            const needed = p.neededBy.length === 0 ? 'needed by no build' : `needed by ${p.neededBy.map((n) => `${n.name} ${n.version} (${n.artifact})`).join(', ')}`;
            io.stdout(`${p.problem} ${p.digest} (${p.mediaType}): ${p.detail}; ${needed}\n`);
          }
          io.stdout(report.problems.length === 0 ? 'every blob is intact\n' : `${report.problems.length} damaged blob${report.problems.length === 1 ? '' : 's'}\n`);
        }
        setExit(report.problems.length === 0 ? 0 : 1);
      } finally {
        await opened.close();
      }
    });
}
