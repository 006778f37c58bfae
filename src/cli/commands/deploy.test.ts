// `bpfship deploy` end to end, in the running kernel (root and bpffs required: these tests fail without them, they
// do not skip): the shared xdp_firewall, signed, deployed under production to one end of a veth pair whose other end
// is in a network namespace; TCP to port 22 dropped and to another port let through, counted in the pinned map;
// `deploy list`, `deploy maps` (bpftool's layout), `deploy remove` leaving nothing; and every refusal (tampered
// object, another object's signature, an untrusted root, an object our verifier rejects, an attestation of a
// rejected program, an object the kernel rejects, an attestation under weaker rules than --require-rules asks)
// loading nothing, with exit status 1 and an audit line.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { readAuditLog, buildKernelObjectStatement, encodeStatement, signEnvelope, IN_TOTO_PAYLOAD_TYPE, parseKernelObjectStatement, parseSignatureFile } from '../../sign/index.ts';
import { DEPLOY_TESTDATA, exampleObject, idMarks, KernelFixture, madeSince, makeTestKeys, requireRootAndBpffs, run, stillThere, type TestKeys } from '../../deploy/_test-kernel.ts';
import { PROGRAMS_OBJ } from '../../internal/test-files.ts';
import { cli, type CliResult } from './_test-cli.ts';

let fx: KernelFixture;
let keys: TestKeys;
const pid = process.pid;

before(async () => {
  requireRootAndBpffs();
  fx = new KernelFixture();
  fx.setUpNetwork();
  keys = await makeTestKeys(fx.dir);
});
after(() => fx?.cleanup());

/** `bpfship deploy ...` with the fixture's state directory and audit log. */
function deployCli(args: readonly string[]): Promise<CliResult> {
  return cli(['deploy', ...args, '--state-dir', fx.stateDir, '--audit-log', fx.auditLog]);
}

/** A copy of `object` in the fixture's directory with `signature` beside it (as OBJECT.sig). */
function placed(name: string, object: Uint8Array, signature?: string): string {
  const path = join(fx.dir, name);
  writeFileSync(path, object);
  if (signature !== undefined) writeFileSync(`${path}.sig`, signature);
  return path;
}

/** A TCP server on the host end of the veth pair, recording what it receives. */
async function listen(): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((c) => c.on('data', (d: Buffer) => received.push(d.toString())));
  await new Promise<void>((resolve) => server.listen(0, fx.hostIp, resolve));
  return { server, port: (server.address() as { port: number }).port, received };
}

describe('bpfship deploy: the signed xdp_firewall under production', () => {
  it('drops TCP to port 22 and lets the rest through, counts both in the pinned map, lists, dumps, and removes without a trace', async () => {
    const object = exampleObject('xdp_firewall.o');
    const file = placed('xdp_firewall.o', object);
    const signed = await cli(['sign-object', file, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--chain', keys.intermediatePem]);
    assert.equal(signed.code, 0, signed.err);
    const name = `fw-${pid}`;
    // Port 22, little-endian u16 as the map stores it: 16 00; value 1.
    const r = await deployCli([file, '--program', 'xdp_firewall', '--name', name, '--attach', `xdp:${fx.hostIf}`, '--policy', 'production', '--trust', keys.rootPem, '--map', 'blocked_ports:1600:01']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /allowed by the production policy: xdp_firewall\.o \(sha256:[0-9a-f]{64}\), signed by CN=deploy signer/);
    assert.match(r.out, new RegExp(`deployed ${name}: program xdp_firewall \\(xdp, id \\d+, tag [0-9a-f]{16}\\) attached at xdp:${fx.hostIf} \\(link \\d+\\); pinned in /sys/fs/bpf/bpfship/${name}`));
    const audit = readAuditLog(fx.auditLog).at(-1) as { decision?: string; mode?: string; input?: string; deployment?: unknown } | undefined;
    assert.deepEqual([audit?.decision, audit?.mode, audit?.input], ['allowed', 'kernel', 'object']);
    assert.deepEqual(audit?.deployment, { name, program: 'xdp_firewall', attach: [`xdp:${fx.hostIf}`] });

    // The pins outlive the loading process's fds: the program is attached in driver mode on the veth.
    assert.match(run('ip', ['link', 'show', fx.hostIf]), /xdp/);
    const pinDir = `/sys/fs/bpf/bpfship/${name}`;
    assert.deepEqual(run('ls', [pinDir]).trim().split('\n').sort(), ['link_0_xdp', 'map_blocked_ports', 'map_verdicts', 'prog_xdp_firewall']);

    const { server, port, received } = await listen();
    try {
      const outcome = await fx.connectFromNamespace(fx.hostIp, [22, port]);
      assert.deepEqual(outcome, { 22: 'timeout', [port]: 'connected' }, 'port 22 dropped by XDP (no answer at all), the other port reached');
      await new Promise((res) => setTimeout(res, 100));
      assert.deepEqual(received, [`hello ${port}`]);
    } finally {
      server.close();
    }
    // verdicts: 0 pass, 1 dropped by port, 2 malformed, 3 other.
    const dump = await cli(['deploy', 'maps', name, '--map', 'verdicts', '--state-dir', fx.stateDir]);
    assert.equal(dump.code, 0, dump.err);
    assert.equal(dump.out, run('bpftool', ['map', 'dump', 'pinned', `${pinDir}/map_verdicts`]), 'deploy maps prints what bpftool map dump prints');
    const counts = new Map([...dump.out.matchAll(/"key": (\d+),\s*"value": (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]));
    assert.ok((counts.get(1) ?? 0) >= 1, `a SYN to port 22 was counted as dropped: ${dump.out}`);
    assert.ok((counts.get(0) ?? 0) >= 3, `the connection to ${port} was counted as passed: ${dump.out}`);
    const all = await cli(['deploy', 'maps', name, '--state-dir', fx.stateDir]);
    assert.match(all.out, /: hash {2}name blocked_ports {2}flags 0x0\n\[\{\n {8}"key": 22,\n {8}"value": 1\n {4}\}\n\]\n/);

    const list = await cli(['deploy', 'list', '--state-dir', fx.stateDir]);
    assert.equal(list.code, 0);
    assert.match(list.out, new RegExp(`${name}: program xdp_firewall \\(xdp\\) id \\d+ tag [0-9a-f]{16}  ok\\n\\tobject xdp_firewall\\.o sha256:[0-9a-f]{64}\\n\\tpolicy production, signed by CN=deploy signer, O=bpfship tests, deployed `));
    assert.match(list.out, new RegExp(`\\tattached xdp:${fx.hostIf} link \\d+\\n`));
    const json = JSON.parse((await cli(['deploy', 'list', '--json', '--state-dir', fx.stateDir])).out) as { name: string; program: { id: number }; maps: { id: number }[]; attachments: { linkId: number }[]; problems: string[] }[];
    const record = json.find((d) => d.name === name);
    assert.ok(record !== undefined);
    assert.deepEqual(record.problems, []);

    const removed = await cli(['deploy', 'remove', name, '--state-dir', fx.stateDir]);
    assert.equal(removed.code, 0, removed.err);
    assert.match(removed.out, /detached xdp:.* \(link \d+\)\n/);
    assert.doesNotMatch(run('ip', ['link', 'show', fx.hostIf]), /xdp/);
    assert.equal(existsSync(pinDir), false);
    assert.deepEqual(await stillThere({ progs: [record.program.id], maps: record.maps.map((m) => m.id), links: record.attachments.map((a) => a.linkId) }), []);
    assert.equal((await cli(['deploy', 'list', '--state-dir', fx.stateDir])).out, 'no deployments\n');
  });
});

describe('bpfship deploy: the fleet workflow', () => {
  it('publishes to the build service, fetches the object with --object, and deploys it under production', async () => {
    const { testPki, testService, postElf } = await import('../../service/_support.test.ts');
    const pki = await testPki('deploy-fleet-');
    const service = await testService(pki, 'data');
    try {
      const published = await postElf(service.app, 'xdp-firewall', exampleObject('xdp_firewall.o'));
      assert.equal(published.statusCode, 201, published.body);
      await service.app.listen({ host: '127.0.0.1', port: 0 });
      const url = `http://127.0.0.1:${(service.app.server.address() as { port: number }).port}`;
      const file = join(fx.dir, 'fleet', 'xdp_firewall.o');
      run('mkdir', ['-p', join(fx.dir, 'fleet')]);
      const fetched = await cli(['fetch', url, 'xdp-firewall', '--object', '-o', file, '--trust', pki.keys.rootCertificate]);
      assert.equal(fetched.code, 0, fetched.err);
      const name = `fleet-${pid}`;
      const r = await deployCli([file, '--name', name, '--attach', `xdpgeneric:${fx.hostIf}`, '--policy', 'production', '--trust', pki.keys.rootCertificate]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /allowed by the production policy: xdp_firewall\.o .*signed by CN=bpfship development signer/);
      assert.match(run('ip', ['link', 'show', fx.hostIf]), /xdpgeneric/);
      assert.equal((await cli(['deploy', 'remove', name, '--state-dir', fx.stateDir])).code, 0);
    } finally {
      await service.close();
      pki.remove();
    }
  });
});

describe('bpfship deploy: refusals load nothing', () => {
  const fwName = 'xdp_firewall';
  const refusal = async (file: string, extra: readonly string[], code: string): Promise<void> => {
    const name = `refused-${pid}`;
    const marks = idMarks();
    const r = await deployCli([file, '--name', name, '--attach', `xdp:${fx.hostIf}`, '--policy', 'production', '--trust', keys.rootPem, ...extra]);
    assert.equal(r.code, 1, `${code}: ${r.err}`);
    assert.match(r.err, new RegExp(`refused by the production policy: ${code}: .*nothing was loaded`));
    assert.equal(readAuditLog(fx.auditLog).at(-1)?.code, code);
    assert.equal(existsSync(`/sys/fs/bpf/bpfship/${name}`), false);
    assert.equal(existsSync(join(fx.stateDir, 'deployments', `${name}.json`)), false);
    // Objects of this program made meanwhile by this test would be ours (the firewall is loaded by other tests too,
    // so this is only asked of the test objects with names of their own).
    if (!file.includes(fwName)) assert.deepEqual(await madeSince(marks, ['tc_count', 'tc_counts', 'bind_monitor', 'bind_counts', 'bind_limit']), []);
    assert.doesNotMatch(run('ip', ['link', 'show', fx.hostIf]), /xdp/);
  };

  it('a tampered object, another object\'s signature, an untrusted root, no signature', async () => {
    const object = exampleObject('xdp_firewall.o');
    const signature = keys.sign(object, 'xdp_firewall.o');
    const tampered = new Uint8Array(object);
    tampered[tampered.length - 3] = (tampered[tampered.length - 3] as number) ^ 0x01;
    await refusal(placed('tampered-xdp_firewall.o', tampered, signature), [], 'IMAGE_DIGEST_MISMATCH');
    const flow = exampleObject('flow_counter.o');
    await refusal(placed('other-xdp_firewall.o', object, keys.sign(flow, 'flow_counter.o')), [], 'IMAGE_DIGEST_MISMATCH');
    await refusal(placed('stranger-xdp_firewall.o', object, keys.sign(object, 'xdp_firewall.o', 'stranger')), [], 'CHAIN_UNTRUSTED_ROOT');
    await refusal(placed('unsigned-xdp_firewall.o', object), [], 'IMAGE_UNSIGNED');
    // The signature given explicitly with --sig is the one checked.
    await refusal(join(PROGRAMS_OBJ, 'xdp_firewall.o'), ['--sig', join(fx.dir, 'other-xdp_firewall.o.sig')], 'IMAGE_DIGEST_MISMATCH');
  });

  it('an object our verifier rejects: sign-object refuses it, and neither it unsigned nor a forged attestation of it deploys', async () => {
    const object = exampleObject('bind_monitor.o');
    const file = placed('bind_monitor.o', object);
    const signed = await cli(['sign-object', file, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert]);
    assert.equal(signed.code, 1);
    assert.equal(existsSync(`${file}.sig`), false);
    const cgroup = fx.makeCgroup();
    const attach = ['--attach', `cgroup-bind4:${cgroup}`];
    const refuseBind = async (path: string, code: string): Promise<void> => {
      const marks = idMarks();
      const r = await deployCli([path, '--name', `bm-${pid}`, ...attach, '--policy', 'production', '--trust', keys.rootPem]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`refused by the production policy: ${code}`));
      assert.deepEqual(await madeSince(marks, ['bind_monitor', 'bind_counts', 'bind_limit']), []);
    };
    await refuseBind(file, 'IMAGE_UNSIGNED');
    // The trusted signer's key used outside sign-object to attest the rejected program as it is: still refused.
    const good = parseSignatureFile(keys.sign(exampleObject('bind_monitor_fixed.o'), 'bind_monitor_fixed.o'));
    const statement = parseKernelObjectStatement(Buffer.from(good.envelope.payload, 'base64'));
    const forged = buildKernelObjectStatement('bind_monitor.o', object, { ...statement.predicate, programs: statement.predicate.programs.map((p) => ({ ...p, verdict: 'rejected' as const })) });
    const doc = JSON.parse(keys.sign(exampleObject('bind_monitor_fixed.o'), 'bind_monitor_fixed.o')) as Record<string, unknown>;
    doc['dsseEnvelope'] = signEnvelope(IN_TOTO_PAYLOAD_TYPE, encodeStatement(forged), keys.trusted.signer.privateKey, keys.trusted.signer.certificate.keyId);
    writeFileSync(`${file}.sig`, JSON.stringify(doc));
    await refuseBind(file, 'PROGRAM_NOT_VERIFIED');
  });

  it('--require-rules strict: an object attested under linux rules is refused; signed under strict, it deploys', async () => {
    const object = exampleObject('xdp_firewall.o');
    const linuxFile = placed('linux-rules-xdp_firewall.o', object);
    const linuxSigned = await cli(['sign-object', linuxFile, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--chain', keys.intermediatePem]);
    assert.equal(linuxSigned.code, 0, linuxSigned.err);
    await refusal(linuxFile, ['--require-rules', 'strict'], 'RULES_REFUSED');
    assert.match(readAuditLog(fx.auditLog).at(-1)?.reason ?? '', /'linux' rule set.*'strict'/);
    const strictFile = placed('strict-rules-xdp_firewall.o', object);
    const strictSigned = await cli(['sign-object', strictFile, '--sign-key', keys.signerKey, '--sign-cert', keys.signerCert, '--chain', keys.intermediatePem, '--rules', 'strict']);
    assert.equal(strictSigned.code, 0, strictSigned.err);
    const name = `strict-${pid}`;
    const r = await deployCli([strictFile, '--name', name, '--attach', `xdp:${fx.hostIf}`, '--policy', 'production', '--trust', keys.rootPem, '--require-rules', 'strict']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /allowed by the production policy: strict-rules-xdp_firewall\.o/);
    assert.match(run('ip', ['link', 'show', fx.hostIf]), /xdp/);
    assert.equal((await cli(['deploy', 'remove', name, '--state-dir', fx.stateDir])).code, 0);
    assert.doesNotMatch(run('ip', ['link', 'show', fx.hostIf]), /xdp/);
  });

  it('an object the kernel rejects: status 1 with the kernel verifier\'s log, nothing loaded or pinned', async () => {
    const object = new Uint8Array(readFileSync(join(DEPLOY_TESTDATA, 'kernel_refuses.o')));
    const file = placed('kernel_refuses.o', object, keys.sign(object, 'kernel_refuses.o'));
    const marks = idMarks();
    const r = await deployCli([file, '--name', `kref-${pid}`, '--attach', `xdp:${fx.hostIf}`, '--policy', 'production', '--trust', keys.rootPem]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /allowed by the production policy/);
    assert.match(r.err, /refused by the kernel: kernel_refuses\.o: the kernel's verifier refused program 'refused_by_kernel': EACCES \(13\); nothing is left loaded or pinned/);
    assert.match(r.err, /the kernel's verifier log:\n(.*\n)*  R2 bitwise operator &= on pointer prohibited\n/);
    assert.deepEqual(await madeSince(marks, ['refused_by_kernel']), []);
    assert.equal(existsSync(`/sys/fs/bpf/bpfship/kref-${pid}`), false);
  });

  it('development deploys an unsigned object with a warning line; wrong requests exit 2', async () => {
    const object = new Uint8Array(readFileSync(join(DEPLOY_TESTDATA, 'tc_counter.o')));
    const file = placed('tc_counter.o', object);
    const name = `dev-${pid}`;
    const r = await deployCli([file, '--name', name, '--attach', `tc-ingress:${fx.hostIf}`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^bpfship: warning: tc_counter\.o is not signed: deployed under the development policy without any signature or verification check \(the production policy refuses it\)\n$/);
    assert.equal((await cli(['deploy', 'remove', name, '--state-dir', fx.stateDir])).code, 0);
    const usage = [
      [[file, '--attach', `tc-ingress:nosuch${pid}`], /there is no interface named 'nosuch/],
      [[file], /deploy needs --attach KIND:TARGET/],
      [[file, '--attach', `tc-ingress:${fx.hostIf}`, '--tc-mode', 'sideways'], /--tc-mode must be auto, tcx, clsact/],
      [[file, '--attach', `tc-ingress:${fx.hostIf}`, '--map', 'tc_counts:00'], /--map wants NAME:KEY:VALUE/],
      [[file, '--attach', `tc-ingress:${fx.hostIf}`, '--policy', 'production'], /the production policy needs trusted roots/],
      [[join(fx.dir, 'nope.o'), '--attach', `tc-ingress:${fx.hostIf}`], /nope\.o: no such eBPF object\n/],
    ] as const;
    for (const [args, pattern] of usage) {
      const u = await deployCli(args);
      assert.equal(u.code, 2, `${args.join(' ')}: ${u.err}`);
      assert.match(u.err, pattern);
    }
    const unknown = await cli(['deploy', 'remove', `nosuch-${pid}`, '--state-dir', fx.stateDir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /there is no deployment named 'nosuch-/);
  });
});
