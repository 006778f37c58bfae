// The build record, moved here from the CLI: its format and its errors.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILD_RECORD_MEDIA_TYPE, buildRecordFor, formatBuildRecord, parseBuildRecord } from './build-record.ts';
import { StoreError } from './errors.ts';

describe('the build record (moved from the CLI)', () => {
  const result = {
    soSha256: 'a'.repeat(64),
    elfSha256: 'b'.repeat(64),
    cSha256: 'c'.repeat(64),
    metadata: { programs: [{ name: 'xdp_fw', section: 'xdp', infoHash: 'd'.repeat(64) }] },
    compiler: { version: 'gcc (Debian 12.2.0-14) 12.2.0', target: 'x86_64-linux-gnu', sha256: 'e'.repeat(64) },
    flags: ['-O2'],
    verified: true,
  } as unknown as Parameters<typeof buildRecordFor>[0];

  it('round-trips through its file format', () => {
    const record = buildRecordFor(result, { image: 'fw.so', elf: 'fw.o', c: 'fw.bpf2c.c' }, { name: 'v', version: '1', options: {} }, new Date(0));
    assert.deepEqual(parseBuildRecord(formatBuildRecord(record), 'fw.so.build.json'), record);
    assert.equal(record.compiler.name, 'gcc');
  });

  it('names the file and the fault when it does not parse', () => {
    assert.throws(
      () => parseBuildRecord('{"mediaType": "x"}', 'fw.so.build.json'),
      (e: unknown) => e instanceof StoreError && e.code === 'BUILD_RECORD_INVALID' && e.message === `fw.so.build.json: not a bpfship build record: mediaType should be '${BUILD_RECORD_MEDIA_TYPE}'`,
    );
  });
});
