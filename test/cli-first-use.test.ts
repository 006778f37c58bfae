// What a new user meets first, through the command line: a native image runs natively without --mode and
// production implies native (refusals say what to do instead); the audit log goes where the policy says; --pcap
// reports a frame the program type cannot take and runs the others; --show-maps prints maps as bpftool does;
// verify --format json|sarif writes a document whatever the input; progress appears on a terminal only.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../src/cli/commands/_test-cli.ts';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');
const firewall = join(EXAMPLES, 'xdp_firewall.o');
const ssh = join(EXAMPLES, 'packets', 'tcp_syn_ssh.bin');
const pcap = join(EXAMPLES, 'packets', 'sample.pcap');
let dir: string;
let keys: string;
let image: string;
let signed: string;
const saved = { cache: process.env.BPFSHIP_CACHE, audit: process.env.BPFSHIP_AUDIT_LOG, state: process.env.XDG_STATE_HOME };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-first-use-'));
  process.env.BPFSHIP_CACHE = join(dir, 'cache');
  delete process.env.BPFSHIP_AUDIT_LOG;
  keys = join(dir, 'keys');
  assert.equal((await cli(['keys', 'init', keys])).code, 0);
  image = join(dir, 'fw.so');
  assert.equal((await cli(['build', firewall, '-o', image])).code, 0);
  signed = join(dir, 'signed.so');
  const b = await cli(['build', join(EXAMPLES, 'xdp_firewall.c'), '-o', signed, '--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem'), '--chain', join(keys, 'intermediate-ca.pem')]);
  assert.equal(b.code, 0, b.err);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [['BPFSHIP_CACHE', saved.cache], ['BPFSHIP_AUDIT_LOG', saved.audit], ['XDG_STATE_HOME', saved.state]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('the execution mode', () => {
  it('is native for a native image without --mode, and interpret for an object', async () => {
    const r = await cli(['run', image, '--data', ssh]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^program xdp_firewall \(xdp, native\)/);
    assert.match((await cli(['run', firewall, '--data', ssh])).out, /^program xdp_firewall \(xdp, interpret\)/);
  });

  it('says how to run an image when another mode is asked for', async () => {
    const r = await cli(['run', image, '--mode', 'jit', '--data', ssh]);
    assert.equal(r.code, 2);
    assert.match(r.err, /fw\.so is a native image, which runs in native mode only: leave out --mode jit/);
  });

  it('is native under production, and refusals send people the right way', async () => {
    const production = ['--policy', 'production', '--trust', join(keys, 'root-ca.pem'), '--audit-log', join(dir, 'production.log')];
    const ok = await cli(['run', signed, ...production, '--data', ssh, '--map', 'blocked_ports:1600:01']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^program xdp_firewall \(xdp, native\)\nreturn value: 1 \(XDP_DROP\)/);
    const interpret = await cli(['run', signed, ...production, '--mode', 'interpret', '--data', ssh]);
    assert.equal(interpret.code, 1);
    assert.match(interpret.err, /refused by the production policy: MODE_REFUSED: .*\nhint: the production policy runs signed native images only: leave out --mode interpret \(production runs native mode\)/);
    const object = await cli(['run', firewall, ...production, '--data', ssh]);
    assert.equal(object.code, 1);
    assert.match(object.err, /OBJECT_REFUSED: .*\nhint: the production policy runs signed native images, not objects: build and sign one first \(bpfship build .*xdp_firewall\.o -o IMAGE\.so --sign-key KEY --sign-cert CERT\), then run IMAGE\.so/);
  });
});

describe('the audit log', () => {
  it('production writes the default location, $XDG_STATE_HOME/bpfship/audit.log (root: /var/log/bpfship/audit.log)', async () => {
    const state = join(dir, 'state');
    process.env.XDG_STATE_HOME = state;
    try {
      const r = await cli(['run', signed, '--policy', 'production', '--trust', join(keys, 'root-ca.pem'), '--data', ssh]);
      assert.equal(r.code, 0, r.err);
      const expected = process.geteuid?.() === 0 ? '/var/log/bpfship/audit.log' : join(state, 'bpfship', 'audit.log');
      assert.match(r.err, new RegExp(`\\(audit: ${expected.replace(/[.]/g, '\\.')}\\)`));
      assert.match(readFileSync(expected, 'utf8'), /"decision":"allowed"/);
    } finally {
      delete process.env.XDG_STATE_HOME;
    }
  });

  it('production refuses to run when it cannot write the log', async () => {
    const r = await cli(['run', signed, '--policy', 'production', '--trust', join(keys, 'root-ca.pem'), '--audit-log', '/proc/bpfship/audit.log', '--data', ssh]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^bpfship: refused by the production policy: AUDIT_LOG_UNWRITABLE: cannot write the audit log \/proc\/bpfship\/audit\.log: .*nothing was loaded/m);
    assert.equal(r.out, '');
  });

  it('development writes none unless asked', async () => {
    const state = join(dir, 'dev-state');
    process.env.XDG_STATE_HOME = state;
    try {
      const before = readdirSync(process.cwd());
      assert.equal((await cli(['run', image, '--data', ssh])).code, 0);
      assert.equal(existsSync(state), false);
      assert.deepEqual(readdirSync(process.cwd()), before);
      const asked = join(dir, 'dev.log');
      assert.equal((await cli(['run', image, '--data', ssh, '--audit-log', asked])).code, 0);
      assert.match(readFileSync(asked, 'utf8'), /"policy":"development"/);
    } finally {
      delete process.env.XDG_STATE_HOME;
    }
  });
});

describe('run --pcap', () => {
  for (const mode of ['interpret', 'jit', 'native']) {
    it(`reports the frame the program type cannot take and runs the others (${mode})`, async () => {
      const r = await cli(['run', firewall, '--mode', mode, '--pcap', pcap, '--map', 'blocked_ports:1600:01']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /warning: .*sample\.pcap: frame 8 skipped: the packet is 10 bytes, shorter than an Ethernet header \(14\)/);
      assert.match(r.out, /11 frames from .*sample\.pcap\n\s+2  1 \(XDP_DROP\)\n\s+8  2 \(XDP_PASS\)\n\s+1  skipped: the program type cannot take frame 8\n/);
      const j = JSON.parse((await cli(['run', firewall, '--mode', mode, '--pcap', pcap, '--json'])).out) as { frames: number; skipped: { frame: number; reason: string }[]; returns: { frames: number }[] };
      assert.equal(j.frames, 11);
      assert.deepEqual(j.skipped.map((s) => s.frame), [8]);
      assert.equal(j.returns.reduce((n, x) => n + x.frames, 0), 10);
    });
  }
});

describe('run --show-maps', () => {
  it("prints every map after the run as bpftool map dump does, formatted from the object's BTF", async () => {
    const r = await cli(['run', firewall, '--data', ssh, '--map', 'blocked_ports:1600:01', '--show-maps']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /maps after the run:\nmap blocked_networks \(lpm_trie, key 8 bytes, value 1 byte, max_entries 256\):\n\[\]\nmap blocked_ports \(hash, key 2 bytes, value 1 byte, max_entries 256\):\n\[\{\n {8}"key": 22,\n {8}"value": 1\n {4}\}\n\]\n/);
    assert.match(r.out, /map verdicts \(array, key 4 bytes, value 8 bytes, max_entries 4\):\n\[\{\n {8}"key": 0,\n {8}"value": 0\n {4}\},\{\n {8}"key": 1,\n {8}"value": 0\n {4}\},\{\n {8}"key": 2,\n {8}"value": 1\n/);
  });

  it('in bpftool -j layout under --json, and as hex for a native image, which carries no BTF', async () => {
    const j = JSON.parse((await cli(['run', firewall, '--data', ssh, '--show-maps', '--json'])).out) as { maps: { name: string; entries: { key: string[]; value: string[]; formatted: unknown }[] }[] };
    const verdicts = j.maps.find((m) => m.name === 'verdicts');
    assert.deepEqual(verdicts?.entries[1], { key: ['0x01', '0x00', '0x00', '0x00'], value: ['0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00'], formatted: { key: 1, value: 0 } });
    const native = await cli(['run', image, '--data', ssh, '--show-maps']);
    assert.equal(native.code, 0, native.err);
    assert.match(native.out, /map verdicts \(array, key 4 bytes, value 8 bytes, max_entries 4\):\nkey: 00 00 00 00  value: 01 00 00 00 00 00 00 00\nkey: 01 00 00 00  value: 00 00 00 00 00 00 00 00\n/);
    assert.match(native.out, /Found 4 elements\n/);
  });

  it('lists the records a ring buffer holds, and global data by variable', async () => {
    const r = await cli(['run', join(EXAMPLES, 'connection_events.o'), '--data', ssh, '--show-maps']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /map connection_events \(ringbuf, 4096 bytes\):\nrecord 0 \(24 bytes\):\n.*\n.*\nFound 1 record\n/);
    assert.match(r.out, /map \.bss \(array, key 4 bytes, value 8 bytes, max_entries 1\):\n\[\{\n {8}"value": \{\n {12}"\.bss": \[\{\n {20}"lost_events": 0\n/);
  });
});

describe('verify --format json|sarif on input that is not an eBPF object', () => {
  for (const input of ['missing.o', 'README.md']) {
    it(`writes a valid document with the input error (${input})`, async () => {
      const file = join(ROOT, input);
      const json = await cli(['verify', file, '--format', 'json']);
      assert.equal(json.code, 2);
      const j = JSON.parse(json.out) as { file: string; programs: unknown[]; error: { code: string; message: string } };
      assert.deepEqual([j.file, j.programs], [file, []]);
      assert.match(j.error.message, input === 'missing.o' ? /no such file/ : /not an ELF|magic/i);
      const sarif = await cli(['verify', file, '--format', 'sarif']);
      assert.equal(sarif.code, 2);
      const s = JSON.parse(sarif.out) as { version: string; runs: { results: { ruleId: string; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[]; invocations: { executionSuccessful: boolean }[] }[] };
      assert.equal(s.version, '2.1.0');
      const result = s.runs[0]?.results[0];
      assert.deepEqual([result?.ruleId, result?.level, result?.locations[0]?.physicalLocation.artifactLocation.uri], ['input-error', 'error', file]);
      assert.equal(s.runs[0]?.invocations[0]?.executionSuccessful, false);
    });
  }
});

describe('progress', () => {
  const BIN = join(ROOT, 'bin', 'bpfship.js');
  // `script` (util-linux) gives the command a terminal; the delay is cut to 0 so a short build shows its stages.
  function onTerminal(args: readonly string[]): string {
    const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, BPFSHIP_PROGRESS_DELAY_MS: '0' } });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  it('shows the stages of a build on a terminal, then clears the line; nothing with --quiet or off a terminal', () => {
    const out = join(dir, 'progress.so');
    // The first build of flow_counter in this file's cache: compiled, verified, translated, compiled again.
    const shown = onTerminal(['build', join(EXAMPLES, 'flow_counter.c'), '-o', out]);
    // The line shows the stage current when it is drawn: stages quicker than a redraw may never appear.
    const drawn = [...shown.matchAll(/\r\x1b\[Kbpfship: ([^\r]+?) \(\d+ s\)(?=\r)/g)].map((m) => m[1] as string);
    assert.ok(drawn.length > 0, `no progress line on a terminal: ${JSON.stringify(shown)}`);
    for (const stage of drawn) assert.match(stage, /^(compiling flow_counter\.c \(clang -target bpf\)|translating flow_counter\.o to C|verifying xdp\/flow_counter \(1\/1\)|translating to C \(bpf2c\)|compiling flow_counter\.bpf2c\.c \(\d+ KiB of C\))$/);
    // Cleared before the command's own output.
    assert.match(shown, /\r\x1b\[K[^\r]*progress\.so: 1 program/);
    // Cached from here on, but clang still runs (a stage the zero delay would draw).
    assert.doesNotMatch(onTerminal(['build', join(EXAMPLES, 'flow_counter.c'), '-o', out, '--quiet']), /\x1b\[K/);
    const piped = spawnSync(process.execPath, [BIN, 'build', join(EXAMPLES, 'flow_counter.c'), '-o', out], { encoding: 'utf8', env: { ...process.env, BPFSHIP_PROGRESS_DELAY_MS: '0' } });
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stderr, '');
  });
});
