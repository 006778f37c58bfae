// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { buildNative, compileC } from '../../native/index.ts';
import { NativeImageError } from '../../native/index.ts';
import { loadNativeImage } from './native-image.ts';
import { ALL_SEALS, closeFd, memfdSeals, sealedMemfd } from './sealed-memfd.ts';

const build = (name: string) => buildNative(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name))), { sourceName: name });

describe('sealed memfd', () => {
  it('holds the bytes under every seal: no write, no resize', () => {
    const fd = sealedMemfd(new Uint8Array([1, 2, 3]), 'test');
    try {
      assert.equal(memfdSeals(fd) & ALL_SEALS, ALL_SEALS);
      assert.throws(() => writeSync(fd, new Uint8Array([9]), 0, 1, 0), /EPERM/);
    } finally {
      closeFd(fd);
    }
  });
});

describe('loading native images', () => {
  it('decodes the image table to the metadata bpf2c produced', () => {
    const r = build('events_ringbuf.o');
    const image = loadNativeImage(r.so, { name: 'events_ringbuf.so', expectedSha256: r.soSha256 });
    try {
      assert.equal(image.sha256, r.soSha256);
      assert.deepEqual(image.metadata.programs, r.metadata.programs);
      assert.deepEqual(image.metadata.maps, r.metadata.maps);
      assert.deepEqual(image.metadata.dataSections, r.metadata.dataSections);
      assert.deepEqual(image.metadata.helperIds, r.metadata.helperIds);
      assert.equal(image.metadata.elfSha256, r.elfSha256);
      assert.equal(image.metadata.license, 'Dual MIT/GPL');
      assert.ok(image.programFunctions.every((f) => f !== 0n));
    } finally {
      image.unload();
    }
  });

  it('refuses bytes whose digest is not the expected one', () => {
    const r = build('primes.o');
    assert.throws(() => loadNativeImage(r.so, { expectedSha256: createHash('sha256').update('other').digest('hex') }), NativeImageError);
  });

  it('refuses a shared object that is not a bpfship image', () => {
    const so = compileC('int not_an_image = 1;', { fileName: 'other.c' }).so;
    assert.throws(() => loadNativeImage(so, { name: 'other.so' }), (e: unknown) => e instanceof NativeImageError && /bpfship_native_metadata/.test(e.message));
  });

  it('loads from a read-only file of a debug directory, for profilers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-debug-dir-'));
    try {
      const r = build('primes.o');
      const image = loadNativeImage(r.so, { name: 'primes.so', debugDirectory: dir });
      try {
        const files = readdirSync(dir);
        assert.deepEqual(files, [`primes-${r.soSha256.slice(0, 12)}.so`]);
        assert.ok(readFileSync('/proc/self/maps', 'utf8').includes(join(dir, files[0] as string)));
      } finally {
        image.unload();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps simultaneously loaded images apart, and reloads after unloading', () => {
    const names = ['primes.o', 'xdp_firewall.o', 'payload_hash.o', 'tail_chain.o'];
    for (let round = 0; round < 3; round++) {
      const images = names.map((n) => loadNativeImage(build(n).so, { name: n }));
      try {
        assert.deepEqual(images.map((i) => i.metadata.sourceName), names);
      } finally {
        for (const i of images) i.unload();
      }
    }
  });
});
