// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLE_C, SAMPLE_ELF, SAMPLE_PROGRAM_INFO, sampleImage, samplePredicate } from './_test-pki.ts';
import { buildPredicate, buildStatement, encodeStatement, IN_TOTO_STATEMENT_TYPE, NATIVE_IMAGE_PREDICATE_TYPE, parseStatement } from './attestation.ts';
import { sha256Hex } from './encoding.ts';
import { SignError } from './errors.ts';

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const image = sampleImage(256);

/** A statement as plain JSON, for mutation. */
function statementJson(): Record<string, any> {
  return JSON.parse(new TextDecoder().decode(encodeStatement(buildStatement('prog.so', image, samplePredicate())))) as Record<string, any>;
}

function invalid(value: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseStatement(value instanceof Uint8Array ? value : typeof value === 'string' ? new TextEncoder().encode(value) : bytes(value)),
    (e: unknown) => e instanceof SignError && e.code === 'ATTESTATION_INVALID' && pattern.test(e.message),
    `expected ATTESTATION_INVALID matching ${pattern}`,
  );
}

describe('buildPredicate / buildStatement', () => {
  it('records digests of the artifacts and of the image', () => {
    const p = samplePredicate();
    assert.equal(p.elf.digest.sha256, sha256Hex(SAMPLE_ELF));
    assert.equal(p.generatedC.digest.sha256, sha256Hex(SAMPLE_C));
    assert.equal(p.programs[0]?.programInfoHash.sha256, SAMPLE_PROGRAM_INFO);
    assert.equal(p.attestedAt, '2026-08-01T12:00:00.000Z');
    const s = buildStatement('prog.so', image, p);
    assert.equal(s._type, IN_TOTO_STATEMENT_TYPE);
    assert.equal(s.predicateType, NATIVE_IMAGE_PREDICATE_TYPE);
    assert.deepEqual(s.subject, [{ name: 'prog.so', digest: { sha256: sha256Hex(image) } }]);
  });

  it('accepts a digest given as hex instead of bytes (normalised to lowercase)', () => {
    const p = samplePredicate({ generatedC: { name: 'prog.c', sha256: 'AB'.repeat(32) } });
    assert.equal(p.generatedC.digest.sha256, 'ab'.repeat(32));
  });

  it('refuses to build an invalid predicate (ATTESTATION_UNSIGNABLE)', () => {
    const bad = [
      () => samplePredicate({ programs: [] }),
      () => samplePredicate({ elf: { name: '', bytes: SAMPLE_ELF } }),
      () => samplePredicate({ generatedC: { name: 'c', sha256: 'xyz' } }),
      () => samplePredicate({ programs: [{ name: 'a', section: 'xdp', verdict: 'accepted', programInfoHash: '00' }] }),
      () => samplePredicate({ verifier: { name: 'v', version: '1', options: { n: Number.NaN } } }),
      () => samplePredicate({ attestedAt: new Date(Number.NaN) }),
    ];
    for (const f of bad) assert.throws(f, (e: unknown) => e instanceof SignError && e.code === 'ATTESTATION_UNSIGNABLE');
  });
});

describe('parseStatement', () => {
  it('round-trips what was built', () => {
    const s = buildStatement('prog.so', image, samplePredicate());
    assert.equal(JSON.stringify(parseStatement(encodeStatement(s))), JSON.stringify(s));
  });

  it('keeps a verifier option named __proto__ as data', () => {
    const j = statementJson();
    const text = JSON.stringify(j).replace('"maxStates"', '"__proto__"');
    const parsed = parseStatement(new TextEncoder().encode(text));
    assert.equal(Object.keys(parsed.predicate.verifier.options).includes('__proto__'), true);
  });

  it('ignores unknown statement and subject fields (in-toto parsing rule)', () => {
    const j = statementJson();
    j['future'] = 1;
    j['subject'][0]['annotations'] = { x: 1 };
    j['subject'][0]['digest']['sha512'] = 'ab';
    parseStatement(bytes(j));
  });

  it('refuses each malformed field, naming its path', () => {
    const mutate = (f: (j: Record<string, any>) => void): Record<string, any> => {
      const j = statementJson();
      f(j);
      return j;
    };
    invalid('not json', /not UTF-8 JSON/);
    invalid(new Uint8Array([0xff, 0xfe]), /not UTF-8 JSON|statement/);
    invalid([], /statement should be an object/);
    invalid(mutate((j) => (j['_type'] = 'https://in-toto.io/Statement/v0.1')), /_type/);
    invalid(mutate((j) => (j['subject'] = [])), /exactly one subject/);
    invalid(mutate((j) => j['subject'].push(j['subject'][0])), /exactly one subject/);
    invalid(mutate((j) => delete j['subject'][0]['name']), /subject\[0\]\.name/);
    invalid(mutate((j) => (j['subject'][0]['digest'] = { sha512: 'ab' })), /subject\[0\]\.digest\.sha256/);
    invalid(mutate((j) => (j['subject'][0]['digest']['sha256'] = 'AB'.repeat(32))), /lowercase hex/);
    invalid(mutate((j) => (j['predicateType'] = 'https://slsa.dev/provenance/v1')), /predicateType/);
    invalid(mutate((j) => (j['predicate']['extra'] = true)), /unexpected field 'extra'/);
    invalid(mutate((j) => delete j['predicate']['compiler']), /predicate\.compiler should be present/);
    invalid(mutate((j) => (j['predicate']['elf']['digest']['sha1'] = 'ab')), /predicate\.elf\.digest/);
    invalid(mutate((j) => (j['predicate']['generatedC']['name'] = 'a\nb')), /generatedC\.name/);
    invalid(mutate((j) => (j['predicate']['verifier']['version'] = 1)), /verifier\.version should be a string/);
    invalid(mutate((j) => (j['predicate']['verifier']['options']['x'] = [1])), /verifier\.options\.x/);
    invalid(mutate((j) => (j['predicate']['verifier']['options']['y'] = null)), /verifier\.options\.y/);
    invalid(mutate((j) => (j['predicate']['programs'] = [])), /at least one program/);
    invalid(mutate((j) => (j['predicate']['programs'][1]['name'] = 'xdp_prog')), /programs\[1\]\.name/);
    invalid(mutate((j) => (j['predicate']['programs'][0]['verdict'] = 'maybe')), /programs\[0\]\.verdict/);
    invalid(mutate((j) => (j['predicate']['programs'][0]['programInfoHash'] = 'ab')), /programs\[0\]\.programInfoHash/);
    invalid(mutate((j) => delete j['predicate']['programs'][0]['section']), /programs\[0\]\.section/);
    invalid(mutate((j) => (j['predicate']['compiler']['flags'] = ['-O2', 2])), /compiler\.flags\[1\]/);
    invalid(mutate((j) => (j['predicate']['compiler']['flags'] = '-O2')), /compiler\.flags should be an array/);
    invalid(mutate((j) => (j['predicate']['attestedAt'] = '2026-08-01 12:00:00')), /attestedAt/);
    invalid(mutate((j) => (j['predicate']['attestedAt'] = '2026-13-45T12:00:00Z')), /attestedAt/);
  });

  it('refuses a statement over 1 MiB', () => {
    invalid(' '.repeat((1 << 20) + 1), /at most/);
  });

  it('keeps a rejected verdict (the verifier of the image refuses it, not the parser)', () => {
    const j = statementJson();
    j['predicate']['programs'][0]['verdict'] = 'rejected';
    assert.equal(parseStatement(bytes(j)).predicate.programs[0]?.verdict, 'rejected');
  });
});
