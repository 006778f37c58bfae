// What the production policy costs at load: the time to open a signed native image under `production` (read the
// signature, validate the chain, verify the DSSE signature, recompute the image digest and every program-info
// hash, append and fsync the audit line, load from a sealed memfd checked against the digest) beside the time to
// open the same image unsigned under `development` (its audit line, the same sealed-memfd load), medians of
// interleaved rounds, per image; then the production check alone, split into its parts.
// `--runs N` (default 41), `--json` prints the figures as JSON as well.
//
// Author: Claude.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinProgramInfo, programInfoHash } from '../src/bpf2c/index.ts';
import { SHARED } from '../src/internal/test-files.ts';
import { buildNative, type NativeBuildResult } from '../src/native/index.ts';
import { LoadPolicy } from '../src/policy/index.ts';
import { readImageMetadata } from '../src/native/index.ts';
import { openNativeImage } from '../src/runtime/open-native-image.ts';
import { AuditLog, buildPredicate, createDevHierarchy, formatSignatureFile, NO_REVOCATIONS, signImage, verifyImage } from '../src/sign/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '41' }, json: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const OBJ = join(SHARED, 'programs', 'obj');
const images = ['xdp_firewall', 'tail_chain', 'events_ringbuf'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}
function ms(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'bpfship-bench-sign-'));
try {
  const pki = await createDevHierarchy();
  const signer = { privateKey: pki.signer.privateKey, certificate: pki.signer.certificate, intermediates: [pki.intermediate.certificate] };
  const devLog = AuditLog.open(join(dir, 'development.log'));
  const prodLog = AuditLog.open(join(dir, 'production.log'));
  const development = LoadPolicy.development({ auditLog: devLog });
  const production = LoadPolicy.production({ trustedRoots: [pki.root.certificate], auditLog: prodLog });
  const figures: Record<string, unknown>[] = [];

  console.log(`signed production load vs unsigned development load (median of ${runs}, interleaved; both audited, both from a sealed memfd)`);
  console.log('image                 bytes  programs   development   production    added  | check: verify  prog-info   audit');
  for (const name of images) {
    const r: NativeBuildResult = buildNative(new Uint8Array(readFileSync(join(OBJ, `${name}.o`))), { sourceName: `${name}.o`, verify: () => ({ ok: true, diagnostics: [] }), verifierId: 'bench' });
    const predicate = buildPredicate({
      elf: { name: `${name}.o`, sha256: r.elfSha256 },
      generatedC: { name: `${name}.bpf2c.c`, sha256: r.cSha256 },
      verifier: { name: 'bench', version: '1', options: {} },
      programs: r.metadata.programs.map((p) => ({ name: p.name, section: p.section, verdict: 'accepted' as const, programInfoHash: p.infoHash })),
      compiler: { name: 'gcc', version: r.compiler.version, flags: [...r.flags] },
    });
    const signature = formatSignatureFile(signImage({ image: r.so, imageName: `${name}.so`, predicate }, signer));
    const dev: number[] = [];
    const prod: number[] = [];
    const verify: number[] = [];
    const info: number[] = [];
    const audit: number[] = [];
    for (let i = 0; i < runs; i++) {
      dev.push(ms(() => openNativeImage(r.so, { policy: development, name: `${name}.so` }).object.close()));
      prod.push(ms(() => openNativeImage(r.so, { policy: production, name: `${name}.so`, signature }).object.close()));
      // The parts of the production check.
      verify.push(ms(() => {
        const v = verifyImage({ image: r.so, signature, trustedRoots: [pki.root.certificate], revocations: NO_REVOCATIONS });
        if (!v.ok) throw new Error(v.message);
      }));
      info.push(ms(() => {
        for (const p of readImageMetadata(r.so, name).programs) programInfoHash(p.programType, p.programTypeId, p.helpers, builtinProgramInfo);
      }));
      audit.push(ms(() => prodLog.append({ time: new Date().toISOString(), policy: 'bench', decision: 'allowed', code: 'OK', reason: 'bench', image: { digest: 'sha256:' } })));
    }
    const f = {
      image: name, bytes: r.so.length, programs: r.metadata.programs.length,
      developmentMs: median(dev), productionMs: median(prod), addedMs: median(prod) - median(dev),
      verifyMs: median(verify), programInfoMs: median(info), auditMs: median(audit),
    };
    figures.push(f);
    console.log(
      `${name.padEnd(18)} ${String(f.bytes).padStart(8)} ${String(f.programs).padStart(9)} ${f.developmentMs.toFixed(3).padStart(10)} ms ${f.productionMs.toFixed(3).padStart(9)} ms ${f.addedMs.toFixed(3).padStart(6)} ms  | ${f.verifyMs.toFixed(3).padStart(10)} ${f.programInfoMs.toFixed(3).padStart(10)} ${f.auditMs.toFixed(3).padStart(7)}`,
    );
  }
  devLog.close();
  prodLog.close();
  if (values.json) console.log(JSON.stringify({ runs, images: figures }, null, 2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
