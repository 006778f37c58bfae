// The production policy through the command line, in the forms the acceptance checks use:
//   bpfship keys init DIR
//   bpfship build FILE -o OUT.so --sign-key DIR/signer.key --sign-cert DIR/signer.pem --chain DIR/intermediate-ca.pem
//   bpfship run OUT.so --program NAME --mode native --policy production --trust DIR/root-ca.pem --data PACKET.bin
// Each refused case asserts the exit status, the cause named on stderr and in the audit log, and that nothing was
// loaded (no image mapped) or run (no report). The commands run in-process on a command tree wired as main.ts
// wires them (src/cli/commands/_test-cli.ts); one case runs the installed `bpfship` command.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { builtinProgramInfo, type ProgramInfoSource } from '../src/bpf2c/index.ts';
import { cli, type CliResult } from '../src/cli/commands/_test-cli.ts';
import { PROGRAMS_OBJ } from '../src/internal/test-files.ts';
import { buildNative } from '../src/native/index.ts';
import { nativeImageLoadCount } from '../src/runtime/native/native-image.ts';
import { makeCa, makeSigner, DAY, type TestCertOptions } from '../src/sign/_test-pki.ts';
import {
  buildPredicate,
  EKU_CODE_SIGNING,
  encodePrivateKeyPem,
  formatSignatureFile,
  KeyUsageBit,
  loadPrivateKey,
  parseCertificates,
  readAuditLog,
  readSigningIdentity,
  sha256Hex,
  signImage,
  type CertifiedKey,
} from '../src/sign/index.ts';

let dir: string;
let keys: string;
let image: string;
let root: string;
let pkt22: string;
let auditPath: string;
const saved = { cache: process.env.BPFSHIP_CACHE, audit: process.env.BPFSHIP_AUDIT_LOG };
const firewall = join(PROGRAMS_OBJ, 'xdp_firewall.o');

/** The acceptance form of `run` under production, on `target` (default the signed firewall image). */
function production(target = image, ...extra: string[]): Promise<CliResult> {
  return cli(['run', target, '--program', 'xdp_firewall', '--mode', 'native', '--policy', 'production', '--trust', root, '--data', pkt22, ...extra]);
}

/** A fresh directory holding copies of the signed image, its signature and build record. */
function copyOfImage(label: string): { image: string; sig: string } {
  const d = join(dir, label);
  mkdirSync(d, { recursive: true });
  const copy = join(d, 'fw.so');
  copyFileSync(image, copy);
  copyFileSync(`${image}.sig`, `${copy}.sig`);
  copyFileSync(`${image}.build.json`, `${copy}.build.json`);
  return { image: copy, sig: `${copy}.sig` };
}

/** Asserts a refusal naming `code`: exit 1, the reason on stderr, nothing run, nothing mapped, the audit line. */
async function refused(run: () => Promise<CliResult>, code: string, pattern?: RegExp): Promise<CliResult> {
  const loadsBefore = nativeImageLoadCount();
  const linesBefore = audit().length;
  const r = await run();
  assert.equal(r.code, 1, `expected a refusal (${code}), got exit ${r.code}:\n${r.out}${r.err}`);
  assert.match(r.err, new RegExp(`refused by the production policy: ${code}: `));
  if (pattern !== undefined) assert.match(r.err, pattern);
  assert.equal(r.out, '', 'nothing may run');
  assert.equal(nativeImageLoadCount(), loadsBefore, 'nothing may be loaded');
  const lines = audit();
  assert.equal(lines.length, linesBefore + 1, 'one audit line per decision');
  const last = lines[lines.length - 1];
  assert.equal(last?.decision, 'refused');
  assert.equal(last?.code, code);
  assert.equal(last?.policy, 'production');
  return r;
}

function audit(): ReturnType<typeof readAuditLog> {
  try {
    return readAuditLog(auditPath);
  } catch {
    return [];
  }
}

/** The intermediate CA `keys init` made, as a CertifiedKey that can issue odd certificates. */
function intermediate(): CertifiedKey {
  const certificate = parseCertificates(readFileSync(join(keys, 'intermediate-ca.pem'), 'utf8'))[0];
  if (certificate === undefined) throw new Error('no intermediate certificate');
  return { certificate, privateKey: loadPrivateKey(readFileSync(join(keys, 'intermediate-ca.key'))) };
}

/** Writes a certified key as KEY and CERT files under `label`; returns their paths. */
function writeIdentity(label: string, key: CertifiedKey): { key: string; cert: string } {
  const paths = { key: join(dir, `${label}.key`), cert: join(dir, `${label}.pem`) };
  writeFileSync(paths.key, encodePrivateKeyPem(key.privateKey), { mode: 0o600 });
  writeFileSync(paths.cert, key.certificate.toPem());
  return paths;
}

/** A copy of the image signed with `bpfship sign` by a signer with odd certificate options (issued by the intermediate). */
async function signedByOddSigner(label: string, options: TestCertOptions, chain: string[] = [join(keys, 'intermediate-ca.pem')], issuer: CertifiedKey = intermediate()): Promise<string> {
  const signer = writeIdentity(label, await makeSigner(label, issuer, options));
  const copy = copyOfImage(label);
  const r = await cli(['sign', copy.image, '--sign-key', signer.key, '--sign-cert', signer.cert, '--chain', ...chain]);
  assert.equal(r.code, 0, r.err);
  return copy.image;
}

/** Rewrites a base64 field of the signature file with one byte of its decoded value flipped. */
function flipInSignatureFile(sigPath: string, field: 'payload' | 'sig', at: number): void {
  const doc = JSON.parse(readFileSync(sigPath, 'utf8')) as { dsseEnvelope: { payload: string; signatures: { sig: string }[] } };
  const env = doc.dsseEnvelope;
  const first = env.signatures[0];
  if (first === undefined) throw new Error('no signature');
  const bytes = Buffer.from(field === 'payload' ? env.payload : first.sig, 'base64');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = (bytes[i] as number) ^ 0x01;
  if (field === 'payload') env.payload = bytes.toString('base64');
  else first.sig = bytes.toString('base64');
  writeFileSync(sigPath, JSON.stringify(doc, null, 2) + '\n');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-production-'));
  process.env.BPFSHIP_CACHE = join(dir, 'cache');
  auditPath = join(dir, 'audit.log');
  process.env.BPFSHIP_AUDIT_LOG = auditPath;
  keys = join(dir, 'keys');
  const init = await cli(['keys', 'init', keys]);
  assert.equal(init.code, 0, init.err);
  root = join(keys, 'root-ca.pem');
  image = join(dir, 'fw.so');
  const built = await cli(['build', firewall, '-o', image, '--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem'), '--chain', join(keys, 'intermediate-ca.pem')]);
  assert.equal(built.code, 0, built.err);
  const frame = new Uint8Array(64);
  const dv = new DataView(frame.buffer);
  dv.setUint16(12, 0x0800);
  frame[14] = 0x45;
  frame[23] = 6;
  dv.setUint16(36, 22);
  pkt22 = join(dir, 'pkt22.bin');
  writeFileSync(pkt22, frame);
});

after(() => {
  if (saved.cache === undefined) delete process.env.BPFSHIP_CACHE;
  else process.env.BPFSHIP_CACHE = saved.cache;
  if (saved.audit === undefined) delete process.env.BPFSHIP_AUDIT_LOG;
  else process.env.BPFSHIP_AUDIT_LOG = saved.audit;
  rmSync(dir, { recursive: true, force: true });
});

describe('production policy: a properly signed image', () => {
  it('loads and runs, with its audit line', async () => {
    const loads = nativeImageLoadCount();
    const r = await production(image, '--map', 'blocked_ports:1600:01');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^program xdp_firewall \(xdp, native\)\nreturn value: 1 \(XDP_DROP\)\npacket after the run \(64 bytes\):\n/);
    assert.match(r.err, /allowed by the production policy: fw\.so \(sha256:[0-9a-f]{64}\), signed by CN=bpfship development signer/);
    assert.equal(nativeImageLoadCount(), loads + 1);
    const line = audit().at(-1);
    assert.equal(line?.decision, 'allowed');
    assert.equal(line?.code, 'OK');
    assert.equal(line?.image.digest, `sha256:${sha256Hex(readFileSync(image))}`);
    assert.equal(line?.elf?.digest, `sha256:${sha256Hex(readFileSync(firewall))}`);
    assert.match(line?.signer?.subject ?? '', /bpfship development signer/);
    assert.equal(line?.signer?.verified, true);
    assert.deepEqual(line?.programs?.map((p) => p.name), ['xdp_firewall']);
    assert.equal((line as { mode?: string } | undefined)?.mode, 'native');
  });

  it('runs in the exact acceptance form: exit 0 and the return value', async () => {
    const r = await production();
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /return value: 2 \(XDP_PASS\)/);
  });
});

describe('production policy: the refusal matrix', () => {
  it('refuses a flipped byte anywhere in the .so', async (t) => {
    const size = readFileSync(image).length;
    const places = [0, 0x40, 0x1000, Math.floor(size / 2), size - 1];
    for (const at of places) {
      const copy = copyOfImage(`flip-so-${at}`);
      const bytes = readFileSync(copy.image);
      bytes[at] = (bytes[at] as number) ^ 0x80;
      writeFileSync(copy.image, bytes);
      await refused(() => production(copy.image), 'IMAGE_DIGEST_MISMATCH', /the image changed, or the signature belongs to another image/);
    }
    t.diagnostic(`${places.length} flipped bytes of the image refused`);
  });

  it('refuses a flipped byte in the envelope payload or in the signature', async () => {
    for (const [field, at] of [['payload', 0], ['payload', 100], ['payload', -2], ['sig', 0], ['sig', -1]] as const) {
      const copy = copyOfImage(`flip-${field}-${at}`);
      flipInSignatureFile(copy.sig, field, at);
      await refused(() => production(copy.image), 'DSSE_SIGNATURE_INVALID');
    }
  });

  it('refuses a signature file damaged anywhere', async (t) => {
    const text = readFileSync(`${image}.sig`);
    let n = 0;
    for (let at = 7; at < text.length; at += Math.floor(text.length / 9)) {
      const copy = copyOfImage(`flip-sigfile-${at}`);
      const bytes = Buffer.from(text);
      bytes[at] = (bytes[at] as number) ^ 0x04;
      writeFileSync(copy.sig, bytes);
      const loads = nativeImageLoadCount();
      const r = await production(copy.image);
      assert.equal(r.code, 1, `byte ${at}: ${r.err}`);
      assert.match(r.err, /refused by the production policy: [A-Z0-9_]+: /);
      assert.equal(nativeImageLoadCount(), loads);
      n++;
    }
    t.diagnostic(`${n} damaged signature files refused`);
  });

  it('refuses an envelope moved to another image', async () => {
    const other = join(dir, 'moved', 'flow.so');
    mkdirSync(join(dir, 'moved'), { recursive: true });
    const built = await cli(['build', join(PROGRAMS_OBJ, 'flow_counter.o'), '-o', other]);
    assert.equal(built.code, 0, built.err);
    copyFileSync(`${image}.sig`, `${other}.sig`);
    await refused(() => cli(['run', other, '--program', 'flow_counter', '--mode', 'native', '--policy', 'production', '--trust', root, '--data', pkt22]), 'IMAGE_DIGEST_MISMATCH', /signature is for 'fw\.so'/);
  });

  it('refuses an unsigned image', async () => {
    const copy = copyOfImage('unsigned');
    rmSync(copy.sig);
    await refused(() => production(copy.image), 'IMAGE_UNSIGNED');
  });

  it('refuses a chain to an untrusted root', async () => {
    const other = join(dir, 'other-keys');
    assert.equal((await cli(['keys', 'init', other])).code, 0);
    await refused(() => cli(['run', image, '--program', 'xdp_firewall', '--mode', 'native', '--policy', 'production', '--trust', join(other, 'root-ca.pem'), '--data', pkt22]), 'CHAIN_UNTRUSTED_ROOT');
  });

  it('refuses an expired and a not-yet-valid signing certificate', async () => {
    const expired = await signedByOddSigner('expired', { notBefore: new Date(Date.now() - 60 * DAY), notAfter: new Date(Date.now() - 30 * DAY) });
    await refused(() => production(expired), 'CERT_EXPIRED');
    const future = await signedByOddSigner('future', { notBefore: new Date(Date.now() + 30 * DAY), notAfter: new Date(Date.now() + 60 * DAY) });
    await refused(() => production(future), 'CERT_NOT_YET_VALID');
  });

  it('refuses a signer without the eBPF program verification EKU', async () => {
    const noEku = await signedByOddSigner('no-eku', { extendedKeyUsage: [EKU_CODE_SIGNING] });
    await refused(() => production(noEku), 'CERT_EKU_MISSING');
  });

  it('refuses a CA certificate used as the signer', async () => {
    const ca = await signedByOddSigner('ca-signer', { basicConstraints: { ca: true }, keyUsage: KeyUsageBit.digitalSignature | KeyUsageBit.keyCertSign });
    await refused(() => production(ca), 'CERT_LEAF_IS_CA');
  });

  it('refuses a chain over its path length', async () => {
    // The intermediate of keys init allows no CA below it (pathlen 0); put one there.
    const sub = await makeCa('sub-intermediate', intermediate(), { extendedKeyUsage: null });
    const subFiles = writeIdentity('sub-intermediate', sub);
    const deep = await signedByOddSigner('deep', {}, [subFiles.cert, join(keys, 'intermediate-ca.pem')], sub);
    await refused(() => production(deep), 'CERT_PATH_LENGTH_EXCEEDED');
  });

  it('refuses a revoked certificate serial and a revoked image digest', async () => {
    const serial = parseCertificates(readFileSync(join(keys, 'signer.pem'), 'utf8'))[0]?.serialNumber ?? '';
    const bySerial = join(dir, 'revoked-serial.json');
    writeFileSync(bySerial, JSON.stringify({ revokedSerials: [serial] }));
    await refused(() => production(image, '--revocations', bySerial), 'CERT_REVOKED');
    const byDigest = join(dir, 'revoked-image.json');
    writeFileSync(byDigest, JSON.stringify({ revokedImageDigests: [`sha256:${sha256Hex(readFileSync(image))}`] }));
    await refused(() => production(image, '--revocations', byDigest), 'IMAGE_REVOKED');
  });

  it("refuses an image whose program-info hash is not this runtime's (another helper table)", async () => {
    // An image built and signed by a toolchain whose bpf_map_lookup_elem prototype differs from this runtime's.
    const otherAbi: ProgramInfoSource = {
      programTypeFacts: (t, id) => builtinProgramInfo.programTypeFacts(t, id),
      helperFacts: (t, id) => builtinProgramInfo.helperFacts(t, id).map((l) => l.replace('ARG_PTR_TO_MAP_KEY)', 'ARG_PTR_TO_MAP_KEY, ARG_ANYTHING)')),
    };
    const elf = new Uint8Array(readFileSync(firewall));
    const r = buildNative(elf, { sourceName: 'xdp_firewall.o', programInfo: otherAbi, cache: false, verify: () => ({ ok: true, diagnostics: [] }) });
    const d = join(dir, 'other-abi');
    mkdirSync(d);
    const so = join(d, 'fw.so');
    writeFileSync(so, r.so);
    const predicate = buildPredicate({
      elf: { name: 'xdp_firewall.o', bytes: elf },
      generatedC: { name: 'xdp_firewall.bpf2c.c', sha256: r.cSha256 },
      verifier: { name: 'bpfship-verifier', version: '0.1.0', options: {} },
      programs: r.metadata.programs.map((p) => ({ name: p.name, section: p.section, verdict: 'accepted' as const, programInfoHash: p.infoHash })),
      compiler: { name: 'gcc', version: r.compiler.version, flags: [...r.flags] },
    });
    const signer = readSigningIdentity({ key: join(keys, 'signer.key'), certificate: join(keys, 'signer.pem'), chain: [join(keys, 'intermediate-ca.pem')] });
    writeFileSync(`${so}.sig`, formatSignatureFile(signImage({ image: r.so, imageName: 'fw.so', predicate }, signer)));
    await refused(() => production(so), 'PROGRAM_INFO_MISMATCH', /program 'xdp_firewall' was verified against program info [0-9a-f]{64}, but this runtime computes [0-9a-f]{64}/);
  });

  it('refuses an attestation naming another ELF object than the one the image was built from', async () => {
    const elf = readFileSync(firewall);
    const record = JSON.parse(readFileSync(`${image}.build.json`, 'utf8')) as { programs: { name: string; section: string; programInfoHash: string }[]; generatedC: { sha256: string } };
    const predicate = buildPredicate({
      elf: { name: 'xdp_firewall.o', bytes: new Uint8Array([...elf, 0]) },
      generatedC: { name: 'xdp_firewall.bpf2c.c', sha256: record.generatedC.sha256 },
      verifier: { name: 'bpfship-verifier', version: '0.1.0', options: {} },
      programs: record.programs.map((p) => ({ ...p, verdict: 'accepted' as const })),
      compiler: { name: 'gcc', version: '12', flags: [] },
    });
    const copy = copyOfImage('other-elf');
    const signer = readSigningIdentity({ key: join(keys, 'signer.key'), certificate: join(keys, 'signer.pem'), chain: [join(keys, 'intermediate-ca.pem')] });
    writeFileSync(copy.sig, formatSignatureFile(signImage({ image: readFileSync(copy.image), imageName: 'fw.so', predicate }, signer)));
    await refused(() => production(copy.image), 'ELF_DIGEST_MISMATCH');
  });

  it('refuses the JIT and the interpreter', async () => {
    for (const mode of ['jit', 'interpret']) {
      await refused(() => cli(['run', image, '--program', 'xdp_firewall', '--mode', mode, '--policy', 'production', '--trust', root, '--data', pkt22]), 'MODE_REFUSED', new RegExp(`execution mode '${mode}'`));
      await refused(() => cli(['run', firewall, '--mode', mode, '--policy', 'production', '--trust', root, '--data', pkt22]), 'MODE_REFUSED');
    }
  });

  it('refuses an ELF object, in native mode too', async () => {
    await refused(() => cli(['run', firewall, '--program', 'xdp_firewall', '--mode', 'native', '--policy', 'production', '--trust', root, '--data', pkt22]), 'OBJECT_REFUSED', /build, verify and sign a native image/);
  });

  it('refuses to load from a debug directory, which can be replaced after the check', async () => {
    process.env.BPFSHIP_NATIVE_DEBUG_DIR = join(dir, 'debug');
    try {
      await refused(() => production(), 'DEBUG_DIRECTORY_REFUSED');
    } finally {
      delete process.env.BPFSHIP_NATIVE_DEBUG_DIR;
    }
  });

  it('needs trusted roots (usage error, exit 2)', async () => {
    const r = await cli(['run', image, '--mode', 'native', '--policy', 'production', '--data', pkt22]);
    assert.equal(r.code, 2);
    assert.match(r.err, /the production policy needs trusted roots: give --trust ROOT\.pem/);
  });
});

describe('production policy: rule sets', () => {
  /** The rule set a signature file's attestation records. */
  const recordedRules = (sigPath: string): unknown => {
    const doc = JSON.parse(readFileSync(sigPath, 'utf8')) as { dsseEnvelope: { payload: string } };
    const statement = JSON.parse(Buffer.from(doc.dsseEnvelope.payload, 'base64').toString('utf8')) as { predicate: { verifier: { options: Record<string, unknown> } } };
    return statement.predicate.verifier.options['rules'];
  };

  it('build --sign-key records the rule set; --require-rules strict refuses linux (RULES_REFUSED, audited) and allows strict', async () => {
    assert.equal(recordedRules(`${image}.sig`), 'linux', 'the default rule set is recorded');
    const strictImage = join(dir, 'fw-strict.so');
    const built = await cli(['build', firewall, '-o', strictImage, '--rules', 'strict', '--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem'), '--chain', join(keys, 'intermediate-ca.pem')]);
    assert.equal(built.code, 0, built.err);
    assert.equal(recordedRules(`${strictImage}.sig`), 'strict');
    const record = JSON.parse(readFileSync(`${strictImage}.build.json`, 'utf8')) as { verifier: { options: Record<string, unknown> } };
    assert.equal(record.verifier.options['rules'], 'strict', 'the build record names the rule set too');
    await refused(() => production(image, '--require-rules', 'strict'), 'RULES_REFUSED', /records the 'linux' rule set, but this policy requires the verifier's 'strict' rules/);
    const allowed = await production(strictImage, '--require-rules', 'strict');
    assert.equal(allowed.code, 0, allowed.err);
    assert.equal(audit().at(-1)?.decision, 'allowed');
    assert.equal((await production(image, '--require-rules', 'linux')).code, 0, 'linux is satisfied by any rule set');
  });

  it('refuses an attestation that records no rule set when strict is required', async () => {
    const elf = readFileSync(firewall);
    const record = JSON.parse(readFileSync(`${image}.build.json`, 'utf8')) as { programs: { name: string; section: string; programInfoHash: string }[]; generatedC: { sha256: string } };
    const predicate = buildPredicate({
      elf: { name: 'xdp_firewall.o', bytes: new Uint8Array(elf) },
      generatedC: { name: 'xdp_firewall.bpf2c.c', sha256: record.generatedC.sha256 },
      verifier: { name: 'bpfship-verifier', version: '0.1.0', options: {} },
      programs: record.programs.map((p) => ({ ...p, verdict: 'accepted' as const })),
      compiler: { name: 'gcc', version: '12', flags: [] },
    });
    const copy = copyOfImage('no-rules');
    const signer = readSigningIdentity({ key: join(keys, 'signer.key'), certificate: join(keys, 'signer.pem'), chain: [join(keys, 'intermediate-ca.pem')] });
    writeFileSync(copy.sig, formatSignatureFile(signImage({ image: readFileSync(copy.image), imageName: 'fw.so', predicate }, signer)));
    await refused(() => production(copy.image, '--require-rules', 'strict'), 'RULES_REFUSED', /records no rule set/);
  });

  it('--require-rules goes with the production policy (usage error otherwise)', async () => {
    const r = await cli(['run', image, '--require-rules', 'strict', '--data', pkt22]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--require-rules goes with --policy production/);
  });
});

describe('signing at build time', () => {
  it('refuses to sign when no verifier ran', async () => {
    const out = join(dir, 'unverified.so');
    const r = await cli(['build', firewall, '-o', out, '--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem')], {});
    assert.equal(r.code, 1);
    assert.match(r.err, /refusing to sign: no verifier is wired/);
  });

  it('refuses to sign an image whose program fails verification', async () => {
    const r = await cli(['build', join(PROGRAMS_OBJ, 'bind_monitor.o'), '-o', join(dir, 'bind.so'), '--sign-key', join(keys, 'signer.key'), '--sign-cert', join(keys, 'signer.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /program 'bind_monitor' failed verification/);
  });
});

describe('the installed bpfship command', () => {
  it('runs a signed image under production (npx bpfship)', () => {
    const rootDir = resolve(import.meta.dirname, '..');
    const npx = (...args: string[]): string => execFileSync('npx', ['--no-install', 'bpfship', ...args], { cwd: rootDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
    const help = npx('--help');
    // The set-up command builds dist/, which the installed command runs.
    assert.match(help, /^\s+sign <image>/m, 'the installed bpfship lacks the sign command: run npm run build');
    assert.match(help, /^\s+run <file>/m, 'the installed bpfship lacks the run command: run npm run build');
    const out = npx('run', image, '--program', 'xdp_firewall', '--mode', 'native', '--policy', 'production', '--trust', root, '--data', pkt22);
    assert.match(out, /return value: 2 \(XDP_PASS\)/);
  });
});
