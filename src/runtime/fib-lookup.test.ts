// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNative } from '../native/index.ts';
import { FibError, parseAddress } from '../core/index.ts';
import { openNativeObject } from './native/native-object.ts';
import { runNativeProgram } from './native/native-test-run.ts';
import { Runtime } from './runtime.ts';

const FIB_O = new Uint8Array(readFileSync(join(import.meta.dirname, 'testdata', 'fib.o')));
const BLACKHOLE = 1;
const FWD_DISABLED = 5;
const NO_NEIGH = 7;
const ENODEV = 19;

/** An Ethernet + IPv4 frame to `dst`. */
function frameTo(dst: string): Uint8Array {
  const f = new Uint8Array(64);
  const dv = new DataView(f.buffer);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, 50);
  f[22] = 64;
  f[23] = 17;
  f.set([192, 168, 1, 10], 26);
  f.set(parseAddress(dst, 'dst').bytes.subarray(0, 4), 30);
  return f;
}

describe('the FIB bpf_fib_lookup consults', () => {
  for (const mode of ['interpret', 'jit'] as const) {
    it(`starts as a fresh namespace, and forwards once the host adds devices, routes and neighbours (${mode})`, () => {
      const rt = Runtime.createSync();
      const fwd = rt.load(FIB_O, { name: 'fib.o', mode }).program('fwd');
      // Loopback only, forwarding off: what this machine's kernel answers for a test run.
      assert.equal(fwd.run({ data: frameTo('10.1.2.3') }).retval, FWD_DISABLED);
      rt.fib.setDevice({ ifindex: 1, mtu: 65536, forwarding: true });
      rt.fib.setDevice({ ifindex: 2, mtu: 1500, mac: '02:00:00:00:00:02', forwarding: true });
      rt.fib.addRoute({ dst: '10.0.0.0/8', via: '192.168.1.1', ifindex: 2 });
      assert.equal(fwd.run({ data: frameTo('10.1.2.3') }).retval, NO_NEIGH);
      rt.fib.setNeighbour({ ifindex: 2, address: '192.168.1.1', mac: '02:00:00:00:00:fe' });
      const r = fwd.run({ data: frameTo('10.1.2.3') });
      assert.equal(r.retval, 1002);
      assert.deepEqual([...(r.data as Uint8Array).subarray(0, 12)], [2, 0, 0, 0, 0, 0xfe, 2, 0, 0, 0, 0, 2]);
      // A more specific route wins; a blackhole route is not forwarded.
      rt.fib.addRoute({ dst: '10.9.0.0/16', type: 'blackhole' });
      assert.equal(fwd.run({ data: frameTo('10.9.0.1') }).retval, BLACKHOLE);
      rt.fib.reset();
      assert.equal(fwd.run({ data: frameTo('10.1.2.3') }).retval, FWD_DISABLED);
    });
  }

  it('in native mode, through the native core\'s own FIB', () => {
    const obj = openNativeObject(buildNative(FIB_O, { sourceName: 'fib.o' }).so, { name: 'fib.so' });
    const fib = obj.core.fib;
    try {
      fib.reset();
      assert.equal(runNativeProgram(obj, 'fwd', { data: frameTo('10.1.2.3') }).retval, FWD_DISABLED);
      fib.setDevice({ ifindex: 1, mtu: 65536, forwarding: true });
      fib.setDevice({ ifindex: 2, mtu: 1500, mac: '02:00:00:00:00:02', forwarding: true });
      fib.addRoute({ dst: '10.0.0.0/8', via: '192.168.1.1', ifindex: 2 });
      fib.setNeighbour({ ifindex: 2, address: '192.168.1.1', mac: '02:00:00:00:00:fe' });
      const r = runNativeProgram(obj, 'fwd', { data: frameTo('10.1.2.3') });
      assert.equal(r.retval, 1002);
      assert.deepEqual([...(r.data as Uint8Array).subarray(0, 6)], [2, 0, 0, 0, 0, 0xfe]);
    } finally {
      fib.reset();
      obj.close();
    }
  });

  it('refuses what ip route would refuse, with the errno', () => {
    const rt = Runtime.createSync();
    assert.throws(() => rt.fib.addRoute({ dst: '10.0.0.0/8', via: '192.168.1.1', ifindex: 7 }), (e: unknown) => e instanceof FibError && e.errno === ENODEV);
    assert.throws(() => rt.fib.setDevice({ ifindex: 0 }), (e: unknown) => e instanceof FibError && e.errno === 22);
    assert.throws(() => rt.fib.addRoute({ dst: '10.0.0.0/33' }), /prefix length must be 0-32/);
    assert.throws(() => rt.fib.addRoute({ dst: '10.0.0.300/8' }), /not an IPv4 address/);
    assert.throws(() => rt.fib.setNeighbour({ ifindex: 1, address: '10.0.0.1', mac: '02:00' }), /not a MAC address/);
  });

});
