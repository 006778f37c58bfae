// `bpfship store check`: every blob re-hashed; a missing and a corrupt blob listed with the builds that need them.
// (The same check over a registry and PostgreSQL runs in service/oci-store.test.ts.)
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIREWALL_OBJECT, objectBytes, postElf, testPki, testService, type TestPki } from '../../service/_support.test.ts';
import type { BuildView } from '../../service/index.ts';
import {  } from './store.ts';
import { cli } from './_test-cli.ts';

let pki: TestPki;
before(async () => {
  pki = await testPki('store-cli-');
});
after(() => pki.remove());

function storeCli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  return cli(['store', ...args]);
}

describe('bpfship store check', () => {
  it('says every blob is intact, then lists a corrupt and a missing blob with the builds that need them', async () => {
    const service = await testService(pki, 'data');
    const firewall = objectBytes(FIREWALL_OBJECT);
    const first = (await postElf(service.app, 'xdp-firewall', firewall)).json<BuildView>();
    await postElf(service.app, 'xdp-firewall', firewall);
    const imagePath = service.store.blobPath(first.digests.image);
    const recordPath = service.store.blobPath(first.digests.buildRecord);
    await service.close();

    const clean = await storeCli(['check', '--data', service.dataDir]);
    assert.equal(clean.code, 0, clean.err);
    assert.match(clean.out, /^store embedded: blobs .*\/blobs, index .*index\.sqlite\nchecked \d+ blobs \(\d+ bytes\) of 2 builds\nevery blob is intact\n$/);

    const image = readFileSync(imagePath);
    chmodSync(imagePath, 0o644);
    writeFileSync(imagePath, Buffer.concat([image, Buffer.from('x')]));
    rmSync(recordPath, { force: true });
    const damaged = await storeCli(['check', '--data', service.dataDir]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.out, new RegExp(`corrupt ${first.digests.image} \\(application/x-sharedlib\\): blob .* is damaged: .*; needed by xdp-firewall 1 \\(image\\), xdp-firewall 2 \\(image\\)\\n`));
    assert.match(damaged.out, new RegExp(`missing ${first.digests.buildRecord} \\(application/vnd\\.bpfship\\.build-record\\.v1\\+json\\): gone from .*; needed by xdp-firewall 1 \\(buildRecord\\)\\n`));
    assert.match(damaged.out, /2 damaged blobs\n$/);
    const json = JSON.parse((await storeCli(['check', '--data', service.dataDir, '--json'])).out) as { problems: { problem: string }[] };
    assert.deepEqual(json.problems.map((p) => p.problem).sort(), ['corrupt', 'missing']);

    assert.equal((await storeCli(['check'])).code, 2);
  });
});
