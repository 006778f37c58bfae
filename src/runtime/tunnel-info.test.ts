// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNative } from '../native/index.ts';
import { openNativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import { RunInputError } from './errors.ts';
import { Runtime } from './runtime.ts';
import { decodeTunnelInfo, encodeTunnelInfo } from './tunnel-info.ts';

const TUNNEL_O = new Uint8Array(readFileSync(join(import.meta.dirname, 'testdata', 'tunnel.o')));
const frame = (): Uint8Array => {
  const f = new Uint8Array(64);
  f[12] = 0x08;
  f[14] = 0x45;
  return f;
};
const input = { id: 42n, remote: '10.0.0.7', local: '10.0.0.1', ttl: 9 } as const;
const expected = { id: 43n, remote: '10.0.0.7', local: '0.0.0.0', ttl: 64, tos: 0, label: 0, transmit: true };

describe('tunnel metadata in and out of a run', () => {
  for (const mode of ['interpret', 'jit'] as const) {
    it(`reaches bpf_skb_get_tunnel_key and comes back from bpf_skb_set_tunnel_key (${mode})`, () => {
      const rt = Runtime.createSync();
      const p = rt.load(TUNNEL_O, { name: 'tunnel.o', mode }).program('tunnel_echo');
      assert.equal(p.run({ data: frame() }).retval, 1); // no metadata: get fails
      assert.equal(p.run({ data: frame() }).tunnel, undefined);
      const r = p.run({ data: frame(), tunnel: input });
      assert.equal(r.retval, 42 | (7 << 16));
      assert.deepEqual({ ...r.tunnel, flags: undefined }, { ...expected, flags: undefined });
    });
  }

  it('in native mode too', () => {
    const obj = openNativeObject(buildNative(TUNNEL_O, { sourceName: 'tunnel.o' }).so, { name: 'tunnel.so' });
    try {
      const r = runNativeProgram(obj, 'tunnel_echo', { data: frame(), tunnel: input });
      assert.equal(r.retval, 42 | (7 << 16));
      assert.deepEqual({ ...r.tunnel, flags: undefined }, { ...expected, flags: undefined });
    } finally {
      obj.close();
    }
  });

  it('encodes IPv6 ends and refuses what does not fit', () => {
    const t = decodeTunnelInfo(encodeTunnelInfo({ id: 1n, remote: '2001:db8::7', local: '2001:db8::1', label: 0x12345 }));
    assert.deepEqual([t.remote, t.local, t.label, t.transmit], ['2001:db8::7', '2001:db8::1', 0x12345, false]);
    assert.throws(() => encodeTunnelInfo({ id: 1n, remote: '10.0.0.1', local: '::1' }), (e: unknown) => e instanceof RunInputError && /different families/.test(e.message));
    assert.throws(() => encodeTunnelInfo({ id: 1n, remote: '10.0.0.1', ttl: 300 }), /ttl must be 0-255/);
  });
});
