// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { BpfshipError } from '../internal/errors.ts';
import { corpusObjects } from '../internal/test-files.ts';
import { prepareLinkedProgram } from '../interp/index.ts';
import { linkProgram, readObject } from '../spec/index.ts';
import { compileProgram } from './compile.ts';
import { wasm } from './wasm-api.ts';

describe('compileProgram on the corpus', () => {
  it('compiles every program the interpreter accepts into a module the engine validates', (t) => {
    let compiled = 0, refused = 0, slots = 0, maxSlots = 0, ms = 0;
    const allHelpers = { has: () => true, name: () => undefined };
    for (const file of corpusObjects()) {
      let spec;
      try {
        spec = readObject(new Uint8Array(readFileSync(file)), { name: file });
      } catch (e) {
        if (e instanceof BpfshipError) continue;
        throw e;
      }
      for (const program of spec.programs) {
        let prog;
        try {
          prog = prepareLinkedProgram(linkProgram(spec, program), { helpers: allHelpers, mapAddress: (i) => 0x1000 + i * 64, mapValueAddress: (i, off) => 0x100000 + i * 0x1000 + off });
        } catch (e) {
          if (e instanceof BpfshipError) { refused++; continue; }
          throw e;
        }
        const t0 = performance.now();
        const mod = compileProgram(prog);
        ms += performance.now() - t0;
        assert.ok(wasm.validate(mod.bytes), `${file} ${program.name}: the module does not validate`);
        compiled++;
        slots += prog.slotCount;
        maxSlots = Math.max(maxSlots, prog.slotCount);
      }
    }
    t.diagnostic(`corpus: ${compiled} programs compiled and validated (${slots} slots, largest ${maxSlots}), ${refused} refused while preparing; compile ${ms.toFixed(0)} ms in all`);
    assert.ok(compiled > 0);
  });
});
