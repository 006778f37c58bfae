// Author: Claude.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from '../internal/test-files.ts';
import { samplePredicate, sampleImage, tempDir } from './_test-pki.ts';
import { parseCertificates } from './certificate.ts';
import { validateChain } from './chain.ts';
import { SignError } from './errors.ts';
import { createDevHierarchy, DevKeyFile, initDevKeys, loadPrivateKey, loadSigningIdentity, readSigningIdentity, readTrustedRoots } from './keys.ts';
import { DEFAULT_SIGNER_EKUS, EKU_CODE_SIGNING, EKU_EBPF_PROGRAM_VERIFICATION } from './oids.ts';
import { signImage } from './sign-image.ts';
import { formatSignatureFile } from './signature-file.ts';
import { verifyImage } from './verify.ts';

const tmp = tempDir();
after(() => tmp.remove());
const isCode = (code: string) => (e: unknown) => e instanceof SignError && e.code === code;

/** Runs openssl, failing the test (not skipping) if it is missing or exits non-zero. */
function openssl(args: readonly string[], cwd = tmp.dir): string {
  const r = runTool('openssl', args.map((a) => (a.startsWith('@') ? join(cwd, a.slice(1)) : a)));
  assert.equal(r.status, 0, `openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('initDevKeys (bpfship keys init)', () => {
  for (const algorithm of ['ed25519', 'ecdsa-p256'] as const) {
    it(`writes the ${algorithm} hierarchy with 0600 keys, which openssl verify accepts`, async (t) => {
      const dir = join(tmp.dir, `keys-${algorithm}`);
      const paths = await initDevKeys(dir, { algorithm });
      assert.deepEqual(Object.keys(paths), Object.keys(DevKeyFile));
      for (const key of [paths.rootKey, paths.intermediateKey, paths.signerKey]) assert.equal(statSync(key).mode & 0o777, 0o600, key);
      for (const cert of [paths.rootCertificate, paths.intermediateCertificate, paths.signerCertificate]) assert.equal(statSync(cert).mode & 0o777, 0o644, cert);
      assert.equal(statSync(dir).mode & 0o777, 0o700);

      const out = openssl(['verify', '-CAfile', paths.rootCertificate, '-untrusted', paths.intermediateCertificate, paths.signerCertificate]);
      assert.equal(out.trim(), `${paths.signerCertificate}: OK`);
      // openssl must also refuse the signer without the intermediate, and under another root.
      const r = runTool('openssl', ['verify', '-CAfile', paths.rootCertificate, paths.signerCertificate]);
      assert.notEqual(r.status, 0);
      t.diagnostic(`openssl verify agreed on ${algorithm}: chain OK, chain without intermediate refused`);

      const text = openssl(['x509', '-in', paths.signerCertificate, '-noout', '-text']);
      assert.match(text, new RegExp(`Extended Key Usage: *\\n *${EKU_EBPF_PROGRAM_VERIFICATION.replace(/\./g, '\\.')}, Code Signing`));
      assert.match(text, /Basic Constraints: critical\n *CA:FALSE/);
      assert.match(text, /Key Usage: critical\n *Digital Signature/);
      assert.match(openssl(['x509', '-in', paths.intermediateCertificate, '-noout', '-text']), /CA:TRUE, pathlen:0/);
      assert.match(openssl(['x509', '-in', paths.rootCertificate, '-noout', '-text']), /CA:TRUE, pathlen:1/);
      // openssl reads the keys too, and each key is its certificate's.
      for (const [key, cert] of [[paths.signerKey, paths.signerCertificate], [paths.rootKey, paths.rootCertificate]] as const) {
        assert.equal(openssl(['pkey', '-in', key, '-pubout']), openssl(['x509', '-in', cert, '-noout', '-pubkey']));
      }

      const identity = readSigningIdentity({ key: paths.signerKey, certificate: paths.signerCertificate, chain: [paths.intermediateCertificate] });
      validateChain(identity.certificate, identity.intermediates, { trustedRoots: readTrustedRoots([paths.rootCertificate]) });
    });
  }

  it('refuses to overwrite existing keys unless asked', async () => {
    const dir = join(tmp.dir, 'keys-ed25519');
    const before = readFileSync(join(dir, 'signer.key'), 'utf8');
    await assert.rejects(initDevKeys(dir), isCode('KEYS_EXIST'));
    assert.equal(readFileSync(join(dir, 'signer.key'), 'utf8'), before);
    await initDevKeys(dir, { overwrite: true });
    assert.notEqual(readFileSync(join(dir, 'signer.key'), 'utf8'), before);
    assert.equal(statSync(join(dir, 'signer.key')).mode & 0o777, 0o600);
  });

  it('takes another EKU and organisation', async () => {
    const h = await createDevHierarchy({ ebpfVerificationEku: '1.3.6.1.4.1.99999.7', organization: 'Example Corp' });
    assert.deepEqual(h.signer.certificate.extendedKeyUsage, ['1.3.6.1.4.1.99999.7', EKU_CODE_SIGNING]);
    assert.equal(h.root.certificate.subject, 'CN=Example Corp root CA, O=Example Corp');
    await assert.rejects(createDevHierarchy({ ebpfVerificationEku: 'not.an.oid' }), RangeError);
    await assert.rejects(createDevHierarchy({ organization: 'a, CN=b' }), RangeError);
  });
});

describe('loadPrivateKey', () => {
  it('reads PKCS#8 Ed25519 and P-256, SEC1 P-256 and encrypted PKCS#8, as openssl writes them', (t) => {
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', '@ed.key']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', '@p256.key']);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', '@sec1.key']);
    openssl(['pkcs8', '-topk8', '-in', '@ed.key', '-v2', 'aes-256-cbc', '-passout', 'pass:secret', '-out', '@enc.key']);
    const read = (f: string): string => readFileSync(join(tmp.dir, f), 'utf8');
    assert.match(read('sec1.key'), /BEGIN EC PRIVATE KEY/);
    assert.equal(loadPrivateKey(read('ed.key')).asymmetricKeyType, 'ed25519');
    assert.equal(loadPrivateKey(read('p256.key')).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(loadPrivateKey(read('sec1.key')).asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(loadPrivateKey(read('enc.key'), { passphrase: 'secret' }).asymmetricKeyType, 'ed25519');
    assert.throws(() => loadPrivateKey(read('enc.key'), { where: { file: 'enc.key' } }), (e: unknown) => isCode('KEY_INVALID')(e) && (e as Error).message.startsWith('enc.key: '));
    assert.throws(() => loadPrivateKey(read('enc.key'), { passphrase: 'wrong' }), isCode('KEY_INVALID'));
    t.diagnostic('4 openssl-written key formats read');
  });

  it('refuses other key types and non-keys', () => {
    openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', '@rsa.key']);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', '@p384.key']);
    const read = (f: string): string => readFileSync(join(tmp.dir, f), 'utf8');
    assert.throws(() => loadPrivateKey(read('rsa.key')), (e: unknown) => isCode('KEY_UNSUPPORTED')(e) && /rsa/.test((e as Error).message));
    assert.throws(() => loadPrivateKey(read('p384.key')), (e: unknown) => isCode('KEY_UNSUPPORTED')(e) && /secp384r1/.test((e as Error).message));
    assert.throws(() => loadPrivateKey('not a key'), isCode('KEY_INVALID'));
    assert.throws(() => loadPrivateKey(readFileSync(join(tmp.dir, 'keys-ed25519', 'signer.pem'))), isCode('KEY_INVALID'));
  });
});

describe('loadSigningIdentity', () => {
  it('reads a full-chain certificate file and refuses a key of another certificate', () => {
    const dir = join(tmp.dir, 'keys-ecdsa-p256');
    const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
    const full = loadSigningIdentity({ privateKeyPem: read('signer.key'), certificatePem: read('signer.pem') + read('intermediate-ca.pem') });
    assert.equal(full.intermediates.length, 1);
    assert.throws(() => loadSigningIdentity({ privateKeyPem: read('root-ca.key'), certificatePem: read('signer.pem') }), isCode('KEY_CERTIFICATE_MISMATCH'));
    assert.throws(() => readSigningIdentity({ key: join(dir, 'signer.key'), certificate: join(dir, 'signer.pem'), chain: [join(dir, 'signer.key')] }), (e: unknown) => isCode('CERT_MALFORMED')(e) && (e as Error).message.includes('signer.key'));
  });
});

describe("an organisation's own CA made with openssl", () => {
  it('signs with its SEC1 P-256 key and verifies under its root', (t) => {
    const dir = join(tmp.dir, 'org');
    mkdirSync(dir);
    writeFileSync(join(dir, 'leaf.ext'), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      `extendedKeyUsage=${EKU_EBPF_PROGRAM_VERIFICATION},codeSigning`,
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'));
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', '@root.key'], dir);
    openssl(['req', '-x509', '-new', '-key', '@root.key', '-subj', '/O=Example Corp/CN=Example Root', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', '@root.pem'], dir);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', '@leaf.key'], dir);
    openssl(['req', '-new', '-key', '@leaf.key', '-subj', '/O=Example Corp/CN=Example eBPF signer', '-out', '@leaf.csr'], dir);
    openssl(['x509', '-req', '-in', '@leaf.csr', '-CA', '@root.pem', '-CAkey', '@root.key', '-CAcreateserial', '-days', '7', '-extfile', '@leaf.ext', '-out', '@leaf.pem'], dir);

    const signer = readSigningIdentity({ key: join(dir, 'leaf.key'), certificate: join(dir, 'leaf.pem') });
    assert.deepEqual(signer.certificate.extendedKeyUsage, DEFAULT_SIGNER_EKUS);
    const image = sampleImage(1000);
    const sig = formatSignatureFile(signImage({ image, imageName: 'prog.so', predicate: samplePredicate() }, signer));
    const roots = readTrustedRoots([join(dir, 'root.pem')]);
    const result = verifyImage({ image, signature: sig, trustedRoots: roots });
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.equal(result.signer.subject, 'O=Example Corp, CN=Example eBPF signer');
    // Our validator also agrees with openssl's on the openssl-made chain.
    assert.equal(openssl(['verify', '-CAfile', '@root.pem', '@leaf.pem'], dir).trim(), `${join(dir, 'leaf.pem')}: OK`);
    // And a dev root does not vouch for it.
    const devRoots = parseCertificates(readFileSync(join(tmp.dir, 'keys-ed25519', 'root-ca.pem'), 'utf8'));
    const other = verifyImage({ image, signature: sig, trustedRoots: devRoots });
    assert.equal(other.ok ? 'OK' : other.code, 'CHAIN_UNTRUSTED_ROOT');
    t.diagnostic('openssl-made organisation chain: signed, verified by us and by openssl verify');
  });
});
