// Deployment into the running kernel, as a library: tc (tcx and clsact), cgroup programs exercised by a process in
// the test's own cgroup, maps pinned by name and shared, map dumps against bpftool's, the kernel's refusal with its
// log, rollback of a failed attachment, and usage errors. Root and bpffs are required: without them these tests
// fail, they do not skip. src/cli/commands/deploy.test.ts drives the signed xdp_firewall end to end through the CLI.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LoadPolicy, PolicyRefusedError } from '../policy/index.ts';
import { AuditLog, readAuditLog } from '../sign/index.ts';
import { deploy, type DeployOptions } from './deploy.ts';
import { readRecord } from './deployment-record.ts';
import { DeployError, KernelRefusedError } from './errors.ts';
import { deploymentMaps, listDeployments } from './list.ts';
import { undeploy } from './undeploy.ts';
import { exampleObject, idMarks, KernelFixture, madeSince, makeTestKeys, requireRootAndBpffs, run, stillThere, testObject, type TestKeys } from './_test-kernel.ts';

let fx: KernelFixture;
let keys: TestKeys;
let audit: AuditLog;
let production: LoadPolicy;
const development = LoadPolicy.development();
const pid = process.pid;
const pinRoot = `/sys/fs/bpf/bpfship-test-${pid}`;

before(async () => {
  requireRootAndBpffs();
  fx = new KernelFixture();
  fx.setUpNetwork();
  keys = await makeTestKeys(fx.dir);
  audit = AuditLog.open(fx.auditLog);
  production = LoadPolicy.production({ trustedRoots: [keys.trusted.root.certificate], auditLog: audit });
});

after(() => {
  audit?.close();
  fx?.cleanup();
  try {
    if (existsSync(pinRoot) && readdirSync(pinRoot).length === 0) run('rmdir', [pinRoot]);
  } catch {
    // reported by the tests themselves
  }
});

/** deploy() with the fixture's state directory. */
function deployHere(options: Omit<DeployOptions, 'stateDir'>): ReturnType<typeof deploy> {
  return deploy({ stateDir: fx.stateDir, ...options });
}

/** Removes a deployment and checks that nothing it made is left: ids, pins, record. */
async function removeAndCheck(name: string): Promise<void> {
  const record = readRecord(fx.stateDir, name);
  assert.ok(record !== undefined, `no record of ${name}`);
  undeploy({ name, stateDir: fx.stateDir });
  assert.equal(readRecord(fx.stateDir, name), undefined);
  assert.equal(existsSync(record.pinDir), false, `${record.pinDir} is left`);
  const links = record.attachments.flatMap((a) => (a.via === 'link' ? [a.linkId] : []));
  const left = await stillThere({ progs: record.program === null ? [] : [record.program.id], maps: record.maps.filter((m) => !m.pinnedByName).map((m) => m.id), links });
  assert.deepEqual(left, [], `left in the kernel after removing ${name}`);
}

/** Reads a little-endian u64 from an array map's pinned entry through bpftool. */
function u64At(pin: string, key: number): bigint {
  const entries = JSON.parse(run('bpftool', ['-j', 'map', 'lookup', 'pinned', pin, 'key', String(key), '0', '0', '0'])) as { value: string[] | { formatted?: unknown } };
  const bytes = Array.isArray(entries.value) ? entries.value : [];
  return bytes.reduceRight((acc, b) => (acc << 8n) | BigInt(parseInt(b, 16)), 0n);
}

describe('deploy: tc programs', () => {
  it('attaches through tcx where the kernel has it, counting what the namespace sends', async () => {
    const name = `tc-${pid}`;
    const { record } = deployHere({ object: testObject('tc_counter.o'), objectName: 'tc_counter.o', signature: keys.sign(testObject('tc_counter.o'), 'tc_counter.o'), policy: production, name, attach: [`tc-ingress:${fx.hostIf}`] });
    const a = record.attachments[0];
    assert.equal(a?.via, 'link', 'Linux 6.18 has tcx: a link is expected');
    assert.equal(a?.via === 'link' ? a.attachType : '', 'tcx_ingress');
    // bpftool 7.1 predates tcx and prints its link type as the number (BPF_LINK_TYPE_TCX = 11).
    const links = JSON.parse(run('bpftool', ['-j', 'link', 'show'])) as { id: number; type: string | number; prog_id: number }[];
    assert.ok(['tcx', 11].includes(links.find((l) => a?.via === 'link' && l.id === a.linkId)?.type ?? ''), 'a tcx link');
    const countsPin = record.maps.find((m) => m.name === 'tc_counts')?.pin as string;
    const before = u64At(countsPin, 0);
    await fx.connectFromNamespace(fx.hostIp, [9], 300);
    assert.ok(u64At(countsPin, 0) > before, 'the tc program counted no packet');
    await removeAndCheck(name);
  });

  it('falls back to a clsact filter (forced here), found by its handle and priority, deleted on removal', async () => {
    const name = `tcc-${pid}`;
    const { record } = deployHere({ object: testObject('tc_counter.o'), objectName: 'tc_counter.o', policy: development, name, attach: [`tc-egress:${fx.hostIf}`], tcMode: 'clsact' });
    const a = record.attachments[0];
    assert.ok(a !== undefined && a.via === 'clsact', 'a clsact filter');
    assert.equal(a.direction, 'egress');
    const filters = run('tc', ['filter', 'show', 'dev', fx.hostIf, 'egress']);
    assert.match(filters, new RegExp(`pref ${a.priority} bpf .*handle 0x${a.handle.toString(16)} .*direct-action`));
    assert.match(filters, new RegExp(`id ${record.program?.id}`));
    assert.deepEqual(listDeployments({ stateDir: fx.stateDir }).find((d) => d.record.name === name)?.problems, []);
    await removeAndCheck(name);
    assert.doesNotMatch(run('tc', ['filter', 'show', 'dev', fx.hostIf, 'egress']), /bpf/);
  });
});

describe('deploy: cgroup programs', () => {
  it('runs bind_monitor_fixed for the binds of a process in our cgroup, refusing past the limit set with a map entry', async () => {
    const cgroup = fx.makeCgroup();
    const name = `bind-${pid}`;
    const object = exampleObject('bind_monitor_fixed.o');
    const { record } = deployHere({
      object,
      objectName: 'bind_monitor_fixed.o',
      signature: keys.sign(object, 'bind_monitor_fixed.o'),
      policy: production,
      name,
      attach: [`cgroup-bind4:${cgroup}`],
      mapEntries: [{ map: 'bind_limit', key: new Uint8Array(4), value: new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0]) }],
    });
    // A child joins the cgroup, then binds four times: the program lets two through and refuses the rest (EPERM).
    const script = `
      const fs = require('node:fs'); const net = require('node:net');
      fs.writeFileSync(${JSON.stringify(join(cgroup, 'cgroup.procs'))}, String(process.pid));
      const results = [];
      const next = (i) => {
        if (i === 4) { process.stdout.write(JSON.stringify({ pid: process.pid, results })); return; }
        const s = net.createServer();
        s.on('error', (e) => { results.push(e.code); next(i + 1); });
        s.listen(0, '127.0.0.1', () => { results.push('ok'); s.close(() => next(i + 1)); });
      };
      next(0);`;
    const outcome = await new Promise<{ pid: number; results: string[] }>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { pid: number; results: string[] }) : reject(new Error(err))));
    });
    assert.deepEqual(outcome.results, ['ok', 'ok', 'EPERM', 'EPERM']);
    const counts = deploymentMaps({ name, map: 'bind_counts', stateDir: fx.stateDir })[0]?.dump ?? '';
    assert.match(counts, new RegExp(`"key": ${outcome.pid},\\s*"value": 4`));
    // This process is outside the cgroup: its binds are neither counted nor refused.
    await new Promise<void>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => s.close(() => resolve()));
    });
    assert.doesNotMatch(deploymentMaps({ name, map: 'bind_counts', stateDir: fx.stateDir })[0]?.dump ?? '', new RegExp(`"key": ${pid},`));
    assert.equal(record.attachments[0]?.via === 'link' ? record.attachments[0].attachType : '', 'cgroup_inet4_bind');
    await removeAndCheck(name);
  });
});

describe('deploy: maps', () => {
  it('shares a map pinned by name (LIBBPF_PIN_BY_NAME) under the pin root, unpinning it with its last user', async () => {
    const [a, b] = fx.vethPair();
    const object = testObject('pinned_counter.o');
    const first = deployHere({ object, objectName: 'pinned_counter.o', policy: development, name: `pin1-${pid}`, attach: [`xdpgeneric:${a}`], pinRoot }).record;
    const second = deployHere({ object, objectName: 'pinned_counter.o', policy: development, name: `pin2-${pid}`, attach: [`xdpgeneric:${b}`], pinRoot }).record;
    const m1 = first.maps.find((m) => m.name === 'shared_count');
    const m2 = second.maps.find((m) => m.name === 'shared_count');
    assert.equal(m1?.pin, join(pinRoot, 'shared_count'));
    assert.equal(m1?.pinnedByName, true);
    assert.equal(m1?.created, true);
    assert.equal(m2?.created, false, 'the second deployment reuses the pinned map');
    assert.equal(m2?.id, m1?.id);
    const removed = undeploy({ name: first.name, stateDir: fx.stateDir });
    assert.match(removed.kept.join('\n'), /shared_count \(also used by deployment 'pin2-/);
    assert.ok(existsSync(join(pinRoot, 'shared_count')));
    await removeAndCheck(second.name);
    assert.equal(existsSync(join(pinRoot, 'shared_count')), false, 'the last user of the pinned map unpins it');
    assert.deepEqual(await stillThere({ maps: [m1?.id ?? -1] }), []);
  });

  it('dumps every map as bpftool map dump does: structs, bitfields, strings, enums, unions, per-CPU values, global data, hex', async () => {
    const [a] = fx.vethPair();
    const name = `maps-${pid}`;
    // struct flow { addr, port, proto:4 flags:3 valid:1, label[12], colour, union, delta[3], seen, c, big }
    const value = Uint8Array.from([0x0a, 0, 0, 1, 0x50, 0, 0xa7, ...Buffer.from('host-a\0\0\0\0\0\0'), 0, 0xfd, 0xff, 0xff, 0xff, 1, 2, 3, 4, 0xff, 0xfe, 0, 3, 1, 0x80, 1, 0x41, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const { record } = deployHere({
      object: testObject('map_layouts.o'),
      objectName: 'map_layouts.o',
      policy: development,
      name,
      attach: [`xdpgeneric:${a}`],
      mapEntries: [
        { map: 'flows', key: Uint8Array.from([5, 0, 0, 0]), value },
        { map: 'raw', key: Uint8Array.from([1, 0, 0, 0]), value: Uint8Array.from({ length: 20 }, (_, i) => i + 1) },
      ],
    });
    const ours = deploymentMaps({ name, stateDir: fx.stateDir });
    assert.deepEqual(ours.map((m) => m.record.name).sort(), ['flows', 'map_layo.data', 'map_layo.rodata', 'per_cpu', 'raw']);
    for (const m of ours) assert.equal(m.dump, run('bpftool', ['map', 'dump', 'pinned', m.record.pin]), `map ${m.record.name}`);
    assert.match(ours.find((m) => m.record.name === 'flows')?.dump ?? '', /"label": "host-a"/);
    assert.match(ours.find((m) => m.record.name === 'raw')?.dump ?? '', /Found 2 elements/);
    assert.equal(record.maps.length, 5);
    await removeAndCheck(name);
  });
});

describe('deploy: refusals leave nothing behind', () => {
  it('the kernel refusing a signed object our verifier accepts: its log, no program, map, link or pin', async () => {
    const object = testObject('kernel_refuses.o');
    const name = `kref-${pid}`;
    const marks = idMarks();
    let refused: unknown;
    try {
      deployHere({ object, objectName: 'kernel_refuses.o', signature: keys.sign(object, 'kernel_refuses.o'), policy: production, name, attach: [`xdp:${fx.hostIf}`] });
    } catch (e) {
      refused = e;
    }
    assert.ok(refused instanceof KernelRefusedError, String(refused));
    assert.equal(refused.stage, 'load');
    assert.equal(refused.errnoName, 'EACCES');
    assert.match(refused.verifierLog, /R2 bitwise operator &= on pointer prohibited/);
    assert.equal(readRecord(fx.stateDir, name), undefined);
    assert.equal(existsSync(`/sys/fs/bpf/bpfship/${name}`), false);
    assert.deepEqual(await madeSince(marks, ['refused_by_kernel']), []);
    assert.equal(readAuditLog(fx.auditLog).at(-1)?.decision, 'allowed', 'the policy allowed it; the kernel refused');
  });

  it('a failing attachment undoes the ones made before it, and the load', async () => {
    const [a] = fx.vethPair();
    const object = testObject('pinned_counter.o');
    const name = `rollback-${pid}`;
    const marks = idMarks();
    // The second XDP link on the same interface is refused (EBUSY): the first must go too.
    assert.throws(() => deployHere({ object, objectName: 'pinned_counter.o', policy: development, name, attach: [`xdpgeneric:${a}`, `xdpgeneric:${a}`], pinRoot }), (e: unknown) => e instanceof KernelRefusedError && e.stage === 'attach' && /at xdpgeneric:/.test(e.message));
    assert.equal(readRecord(fx.stateDir, name), undefined);
    assert.equal(existsSync(`/sys/fs/bpf/bpfship/${name}`), false);
    assert.equal(existsSync(join(pinRoot, 'shared_count')), false, 'the map pinned by name was created by this deployment: unpinned');
    assert.deepEqual(await madeSince(marks, ['count_shared', 'shared_count']), []);
    assert.doesNotMatch(run('ip', ['link', 'show', a]), /xdp/);
  });

  it('the production policy refusing an unsigned object: an audit line, and libbpf never opened it', async () => {
    const object = testObject('tc_counter.o');
    const name = `unsigned-${pid}`;
    const marks = idMarks();
    assert.throws(() => deployHere({ object, objectName: 'tc_counter.o', policy: production, name, attach: [`tc-ingress:${fx.hostIf}`] }), (e: unknown) => e instanceof PolicyRefusedError && e.decision.code === 'IMAGE_UNSIGNED');
    const line = readAuditLog(fx.auditLog).at(-1) as { code?: string; mode?: string; deployment?: { name: string } } | undefined;
    assert.equal(line?.code, 'IMAGE_UNSIGNED');
    assert.equal(line?.mode, 'kernel');
    assert.equal(line?.deployment?.name, name);
    assert.equal(readRecord(fx.stateDir, name), undefined);
    assert.deepEqual(await madeSince(marks, ['tc_count', 'tc_counts']), []);
  });
});

describe('deploy: requests that cannot be carried out', () => {
  it('are refused before anything is decided or loaded', () => {
    const object = testObject('tc_counter.o');
    const base = { object, objectName: 'tc_counter.o', policy: development };
    const refuse = (options: Omit<DeployOptions, 'stateDir' | 'object' | 'objectName' | 'policy'>, pattern: RegExp): void => {
      assert.throws(() => deployHere({ ...base, ...options }), (e: unknown) => e instanceof DeployError && pattern.test(e.message));
      if (/^[A-Za-z0-9_-]+$/.test(options.name)) assert.equal(readRecord(fx.stateDir, options.name), undefined);
    };
    refuse({ name: `u1-${pid}`, attach: [`tc-ingress:nosuch${pid}`] }, /there is no interface named 'nosuch/);
    refuse({ name: `u2-${pid}`, attach: [`warp:${fx.hostIf}`] }, /unknown kind 'warp'/);
    refuse({ name: `u3-${pid}`, attach: [`xdp:${fx.hostIf}`] }, /is a sched_cls program; xdp attaches xdp programs/);
    refuse({ name: `u4-${pid}`, attach: ['cgroup-bind4:/proc'] }, /\/proc is not a cgroup v2 directory \(cgroup v2 is mounted at/);
    refuse({ name: `u5-${pid}`, attach: [] }, /nothing to attach/);
    refuse({ name: 'bad.name', attach: [`tc-ingress:${fx.hostIf}`] }, /not a deployment name/);
    refuse({ name: `u6-${pid}`, program: 'nope', attach: [`tc-ingress:${fx.hostIf}`] }, /has no program named 'nope' \(its programs: tc_count\)/);
    const bind = exampleObject('bind_monitor_fixed.o');
    assert.throws(() => deployHere({ object: bind, objectName: 'bind_monitor_fixed.o', policy: development, name: `u7-${pid}`, attach: ['cgroup-connect4:' + fx.makeCgroup()] }), /loaded for attach type cgroup_inet4_bind, but cgroup-connect4 is cgroup_inet4_connect/);
  });

  it('refuses a name already deployed', async () => {
    const name = `twice-${pid}`;
    deployHere({ object: testObject('tc_counter.o'), objectName: 'tc_counter.o', policy: development, name, attach: [`tc-egress:${fx.hostIf}`] });
    assert.throws(() => deployHere({ object: testObject('tc_counter.o'), objectName: 'tc_counter.o', policy: development, name, attach: [`tc-egress:${fx.hostIf}`] }), /a deployment named 'twice-\d+' exists already/);
    await removeAndCheck(name);
  });
});
