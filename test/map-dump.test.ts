// `run --show-maps` prints maps as `bpftool map dump` does: the same bytes put into the kernel's maps and into our
// formatter must print the same text (and, with -j, the same JSON). The objects are the shipped examples and
// test/testdata/map_value_kinds.c (every kind of value bpftool formats from BTF), loaded into the kernel with
// bpftool; maps without BTF are made with `bpftool map create`.
//
// Author: Claude.
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatMapDump, mapDumpJson, perCpuStride, isPerCpuMapType, writeJson, type MapDumpEntry } from '../src/btf/index.ts';
import { btfIdsOf } from '../src/cli/map-report.ts';
import { ensureBpffs, runTool, BPFFS } from '../src/internal/test-files.ts';
import { compileBpf } from '../src/native/index.ts';
import { readObject, type ObjectSpec } from '../src/spec/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PIN_ROOT = join(BPFFS, `bpfship-map-dump-${process.pid}`);
let scratch: string;
let ncpus: number;
let noKernel: string | undefined;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'bpfship-map-dump-'));
  noKernel = ensureBpffs();
  if (noKernel === undefined) {
    try {
      mkdirSync(PIN_ROOT);
    } catch (e) {
      noKernel = `cannot create ${PIN_ROOT} (${(e as Error).message}): not root?`;
    }
  }
  // The kernel's possible CPUs: per-CPU values come one per possible CPU.
  const possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  ncpus = Math.max(...possible.split(',').map((r) => Number(r.split('-').pop()))) + 1;
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(PIN_ROOT, { recursive: true, force: true });
});

/** Deterministic bytes: a xorshift stream from `seed`. */
function noise(n: number, seed: number): Uint8Array {
  let x = seed | 1;
  return Uint8Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

/** Printable letters with a NUL every seventh byte, so that char arrays read as strings. */
function text(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i % 7 === 6 ? 0 : 0x61 + (i % 26)));
}

const hexArgs = (b: Uint8Array): string[] => [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);

interface KernelMap {
  readonly pinned: string;
  readonly name: string;
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly frozen: boolean;
}

const MAP_TYPE_IDS: Record<string, number> = { hash: 1, array: 2, percpu_hash: 5, percpu_array: 6, lru_hash: 9, lru_percpu_hash: 10, lpm_trie: 11, ringbuf: 27 };

function kernelMap(pinned: string): KernelMap {
  const r = runTool('bpftool', ['-j', 'map', 'show', 'pinned', pinned]);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { name: string; type: string; bytes_key: number; bytes_value: number; max_entries: number; frozen?: number };
  const type = MAP_TYPE_IDS[j.type];
  assert.ok(type !== undefined, `map type ${j.type} is not in the test's table`);
  return { pinned, name: j.name, type, typeName: j.type, keySize: j.bytes_key, valueSize: j.bytes_value, maxEntries: j.max_entries, frozen: j.frozen === 1 };
}

/** Fills a kernel map with up to three entries (random, textual, zero), except read-only ones. */
function fill(m: KernelMap): void {
  if (m.frozen || m.type === 27) return;
  const keyFor = (i: number): Uint8Array => {
    if (m.type === 2 || m.type === 6) return Uint8Array.from([i, 0, 0, 0]); // array index
    if (m.type === 11) return Uint8Array.from([24, 0, 0, 0, 10, 0, i, 0]); // LPM: /24 prefix
    return noise(m.keySize, 7 + i);
  };
  const values = [noise(m.valueSize, 1234 + m.valueSize), text(m.valueSize), new Uint8Array(m.valueSize)];
  const count = m.type === 2 || m.type === 6 ? Math.min(3, m.maxEntries) : 3;
  for (let i = 0; i < count; i++) {
    const r = runTool('bpftool', ['map', 'update', 'pinned', m.pinned, 'key', ...hexArgs(keyFor(i)), 'value', ...hexArgs(values[i] as Uint8Array)]);
    assert.equal(r.status, 0, `bpftool map update ${m.name}: ${r.stderr}`);
  }
}

/** What bpftool printed (plain and -j), and the entries read back from its JSON, in its order. */
function kernelDump(m: KernelMap): { plain: string; json: string; entries: MapDumpEntry[] } {
  const plain = runTool('bpftool', ['map', 'dump', 'pinned', m.pinned]);
  const json = runTool('bpftool', ['-j', 'map', 'dump', 'pinned', m.pinned]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(json.status, 0, json.stderr);
  const bytes = (hex: readonly string[]): Uint8Array => Uint8Array.from(hex.map((h) => parseInt(h, 16)));
  const parsed = JSON.parse(json.stdout) as { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }[];
  const entries = parsed.map((e) => {
    if (e.values === undefined) return { key: bytes(e.key), value: bytes(e.value ?? []) };
    const stride = perCpuStride(m.valueSize);
    const value = new Uint8Array(stride * e.values.length);
    for (const v of e.values) value.set(bytes(v.value), v.cpu * stride);
    return { key: bytes(e.key), value };
  });
  return { plain: plain.stdout, json: json.stdout, entries };
}

/** Our map for a kernel map: the spec's map or data section it came from. */
function ourName(spec: ObjectSpec, kernelName: string): string {
  // The kernel keeps 15 characters of a map's name.
  const map = spec.maps.find((x) => x.name.slice(0, 15) === kernelName);
  if (map !== undefined) return map.name;
  const sec = spec.dataSections.find((d) => kernelName === d.name || kernelName.endsWith(d.name));
  assert.ok(sec !== undefined, `no map or data section of ${spec.file} for kernel map ${kernelName}`);
  return sec.name;
}

/** Loads `object` with bpftool, fills its maps, and compares every map's dump with ours. */
function compareObject(t: TestContext, object: string, tag: string): void {
  if (noKernel !== undefined) {
    t.skip(noKernel);
    return;
  }
  const spec = readObject(new Uint8Array(readFileSync(object)), { name: object });
  const dir = join(PIN_ROOT, tag);
  mkdirSync(dir);
  const load = runTool('bpftool', ['prog', 'load', object, join(dir, 'prog'), 'pinmaps', join(dir, 'maps')]);
  assert.equal(load.status, 0, `bpftool prog load ${object}: ${load.stderr}`);
  let compared = 0;
  for (const pin of readdirSync(join(dir, 'maps')).sort()) {
    const m = kernelMap(join(dir, 'maps', pin));
    if (m.type === 27) continue; // bpftool cannot dump a ring buffer
    fill(m);
    const kernel = kernelDump(m);
    const info = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, ...btfIdsOf(spec, ourName(spec, m.name)) };
    assert.equal(formatMapDump(kernel.entries, info, spec.btf, ncpus), kernel.plain, `${tag}: map ${m.name} (plain)`);
    assert.equal(writeJson(mapDumpJson(kernel.entries, info, spec.btf, ncpus)), kernel.json, `${tag}: map ${m.name} (-j)`);
    compared++;
  }
  assert.ok(compared > 0, `${object}: no map compared`);
  t.diagnostic(`${compared} maps of ${tag} print as bpftool prints them`);
}

describe('map dumps beside bpftool map dump', () => {
  for (const name of ['xdp_firewall', 'flow_counter', 'tc_classifier', 'connection_events']) {
    it(`examples/${name}.o`, (t) => compareObject(t, join(ROOT, 'examples', `${name}.o`), name));
  }

  it('every kind of value (test/testdata/map_value_kinds.c)', (t) => {
    const object = join(scratch, 'map_value_kinds.o');
    writeFileSync(object, compileBpf(join(ROOT, 'test', 'testdata', 'map_value_kinds.c')).object);
    compareObject(t, object, 'kinds');
  });

  it('maps without BTF: the hex layout and its element count', (t) => {
    if (noKernel !== undefined) {
      t.skip(noKernel);
      return;
    }
    const shapes = [
      { name: 'plain_hash', type: 'hash', key: 2, value: 1 },
      { name: 'wide_array', type: 'array', key: 4, value: 20 },
      { name: 'pcpu_array', type: 'percpu_array', key: 4, value: 8 },
      { name: 'pcpu_wide', type: 'percpu_hash', key: 20, value: 24 },
    ];
    for (const s of shapes) {
      const pinned = join(PIN_ROOT, s.name);
      const created = runTool('bpftool', ['map', 'create', pinned, 'type', s.type, 'key', String(s.key), 'value', String(s.value), 'entries', '4', 'name', s.name]);
      assert.equal(created.status, 0, created.stderr);
      const m = kernelMap(pinned);
      fill(m);
      const kernel = kernelDump(m);
      const info = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, keyTypeId: 0, valueTypeId: 0 };
      assert.equal(isPerCpuMapType(m.type), s.type.startsWith('percpu'));
      assert.equal(formatMapDump(kernel.entries, info, undefined, ncpus), kernel.plain, `${s.name} (plain)`);
      assert.equal(writeJson(mapDumpJson(kernel.entries, info, undefined, ncpus)), kernel.json, `${s.name} (-j)`);
    }
  });
});
