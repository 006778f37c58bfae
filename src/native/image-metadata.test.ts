// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { buildNative, compileC } from './index.ts';
import { readImageMetadata } from './image-metadata.ts';
import { loadNativeImage } from '../runtime/native/native-image.ts';
import { NativeImageError } from './image-metadata.ts';

const build = (name: string) => buildNative(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, name))), { sourceName: name });
const shared = ['xdp_firewall.o', 'flow_counter.o', 'payload_hash.o', 'primes.o', 'tail_chain.o', 'hello_world.o', 'bind_monitor_fixed.o', 'events_ringbuf.o'];

describe('reading an image table without loading the image', () => {
  it('gives what the loaded image decodes, for every shared program', (t) => {
    for (const name of shared) {
      const r = build(name);
      const image = loadNativeImage(r.so, { name });
      try {
        assert.deepEqual(readImageMetadata(r.so, name), image.metadata, name);
        assert.deepEqual(readImageMetadata(r.so, name), r.metadata, name);
      } finally {
        image.unload();
      }
    }
    t.diagnostic(`${shared.length} images agree with their loaded tables`);
  });

  it('refuses what is not a bpfship image, naming why', () => {
    const expectRefusal = (bytes: Uint8Array, pattern: RegExp): void => {
      assert.throws(() => readImageMetadata(bytes, 'x.so'), (e: unknown) => e instanceof NativeImageError && pattern.test(e.message));
    };
    expectRefusal(new Uint8Array(10), /not an ELF file/);
    expectRefusal(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'primes.o'))), /expected a shared object/);
    expectRefusal(compileC('int not_an_image = 1;', { fileName: 'other.c' }).so, /no bpfship_native_metadata symbol/);
  });

  it('turns damaged images into NativeImageError, never another error', (t) => {
    const so = build('tail_chain.o').so;
    let refused = 0;
    let x = 12345;
    const rand = (n: number): number => {
      x = (x * 1103515245 + 12345) >>> 0;
      return x % n;
    };
    const variants = 400;
    for (let i = 0; i < variants; i++) {
      const v = so.slice(0, i % 4 === 0 ? rand(so.length) : so.length);
      for (let k = 0; k < 1 + rand(8); k++) {
        const at = rand(Math.max(1, v.length));
        if (at < v.length) v[at] = (v[at] as number) ^ (1 << rand(8));
      }
      try {
        readImageMetadata(v, `variant-${i}`);
      } catch (e) {
        if (!(e instanceof NativeImageError)) throw new Error(`variant ${i} threw ${(e as Error).stack}`);
        refused++;
      }
    }
    t.diagnostic(`${variants} damaged variants: ${refused} refused, ${variants - refused} still readable`);
  });
});
