// The shipped examples: each compiles with `bpfship compile` to the object committed beside it (so the objects are
// the sources' and the build is reproducible), is accepted by our verifier, and runs on the sample packets.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from '../src/cli/commands/_test-cli.ts';
import { compileBpf, findClang } from '../src/native/index.ts';
import { readObject } from '../src/spec/index.ts';

const EXAMPLES = resolve(import.meta.dirname, '..', 'examples');
const sources = readdirSync(EXAMPLES).filter((n) => n.endsWith('.c')).sort();

/** The clang that made an object, from its .comment section (`Debian clang version 19.1.7 (...)`). */
function producer(object: Uint8Array): string {
  const comment = readObject(object, { name: 'x.o' }).elf.section('.comment');
  return comment === undefined ? '' : new TextDecoder().decode(comment.data).replace(/\0+/g, ' ').trim();
}

describe('examples/', () => {
  it('holds the four programs with their objects, packets and a capture', () => {
    assert.deepEqual(sources, ['connection_events.c', 'flow_counter.c', 'tc_classifier.c', 'xdp_firewall.c']);
    for (const c of sources) assert.ok(readdirSync(EXAMPLES).includes(c.replace(/\.c$/, '.o')), `${c} has no object beside it`);
    assert.ok(readdirSync(join(EXAMPLES, 'packets')).includes('sample.pcap'));
  });

  for (const source of sources) {
    it(`${source} compiles to the committed object (same clang), verifies and runs`, async (t) => {
      const committed = new Uint8Array(readFileSync(join(EXAMPLES, source.replace(/\.c$/, '.o'))));
      const fresh = compileBpf(source, { cwd: EXAMPLES }).object;
      // An object is reproducible for one clang; another clang makes other (equally valid) bytes.
      if (producer(fresh) === producer(committed)) assert.equal(Buffer.compare(fresh, committed), 0, `examples/${source.replace(/\.c$/, '.o')} is stale: run bpfship compile ${source} -o ${source.replace(/\.c$/, '.o')} in examples/`);
      else t.diagnostic(`committed by ${producer(committed)}, this machine has ${findClang().version}: bytes not compared`);
      const object = join(EXAMPLES, source.replace(/\.c$/, '.o'));
      const verify = await cli(['verify', object]);
      assert.equal(verify.code, 0, verify.out + verify.err);
      const run = await cli(['run', object, '--mode', 'jit', '--pcap', join(EXAMPLES, 'packets', 'sample.pcap')]);
      assert.equal(run.code, 0, run.err);
      assert.match(run.out, /11 frames from/);
    });
  }
});
