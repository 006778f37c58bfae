// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { parseConformanceData } from '../asm/index.ts';
import { BpfshipError } from '../internal/errors.ts';
import { ConformanceHost, Interpreter, conformanceInstructions, prepareConformanceProgram, runConformanceProgram } from '../interp/index.ts';
import { compileProgram } from './compile.ts';
import { jitConformanceExecutor, runJitConformance } from './conformance.ts';
import { wasm } from './wasm-api.ts';

const dir = '/work/shared/conformance';

/** r0, or the error's detail, of one run. */
function outcome(f: () => bigint): string {
  try {
    return `0x${f().toString(16)}`;
  } catch (e) {
    if (e instanceof BpfshipError) return `error`;
    throw e;
  }
}

describe('jit conformance', () => {
  it('passes every bpf_conformance test and agrees with the interpreter on r0', (t) => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
    assert.ok(files.length > 300, `expected the suite in ${dir}`);
    const jit = jitConformanceExecutor();
    const host = new ConformanceHost();
    const interp = new Interpreter(host);
    let passed = 0, agreed = 0, skipped = 0, validated = 0, structured = 0;
    const failures: string[] = [];
    let compileMs = 0, compiled = 0, maxMs = 0;
    for (const name of files) {
      const file = join(dir, name);
      let test;
      try {
        test = parseConformanceData(readFileSync(file, 'utf8'), file);
      } catch (e) {
        if (e instanceof BpfshipError) { skipped++; continue; }
        throw e;
      }
      if (test.result === undefined && test.error === undefined) { skipped++; continue; }
      const insns = conformanceInstructions(test, file);
      // Every module validates.
      try {
        const prog = prepareConformanceProgram(insns, file);
        const t0 = performance.now();
        const mod = compileProgram(prog);
        const ms = performance.now() - t0;
        compileMs += ms; compiled++; maxMs = Math.max(maxMs, ms);
        assert.ok(wasm.validate(mod.bytes), `${name}: the module does not validate`);
        validated++;
        if (mod.shape.kind === 'structured') {
          structured++;
          // The dispatcher, which the structured shape replaces, gives the same outcome.
          const dispatcher = new wasm.Module(compileProgram(prog, { shape: 'dispatcher' }).bytes);
          const s = outcome(() => runJitConformance(prog, new wasm.Module(mod.bytes), test.mem));
          const d = outcome(() => runJitConformance(prog, dispatcher, test.mem));
          if (s !== d) failures.push(`${name}: structured ${s}, dispatcher ${d}`);
        }
      } catch (e) {
        if (!(e instanceof BpfshipError)) throw e;
      }
      const j = outcome(() => jit.run(insns, test.mem, { xdp: false, file }));
      const i = outcome(() => runConformanceProgram(prepareConformanceProgram(insns, file), test.mem, { host, interp }).r0);
      if (j === i) agreed++;
      else failures.push(`${name}: jit ${j}, interpreter ${i}`);
      const ok = test.result !== undefined ? j === `0x${test.result.toString(16)}` : j === 'error';
      if (ok) passed++;
      else failures.push(`${name}: expected ${test.result === undefined ? 'an error' : `0x${test.result.toString(16)}`}, jit ${j}`);
    }
    jit.close?.();
    t.diagnostic(`jit: ${passed} passed, ${agreed} agree with the interpreter, ${validated} modules validated (${structured} structured), ${skipped} skipped; compile ${(compileMs / Math.max(compiled, 1)).toFixed(3)} ms/program average, ${maxMs.toFixed(2)} ms max`);
    console.log(`jit conformance: ${passed} passed, ${agreed} agree with the interpreter, ${skipped} skipped, compile ${(compileMs / Math.max(compiled, 1)).toFixed(3)} ms avg, ${maxMs.toFixed(2)} ms max`);
    assert.deepEqual(failures, []);
    assert.equal(passed, 313);
  });
});
