// may_goto in every engine: a loop only may_goto ends runs BPF_MAX_LOOPS (2^23) times in the interpreter, the JIT
// and native code, and a subprogram called after the program's budget is used up has a budget of its own (Linux
// keeps one counter per call frame). The object is bpf2c's test program may_goto.o; the verifier accepts it, as
// Linux 6.18 does.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNative } from '../src/native/index.ts';
import { openNativeObject } from '../src/runtime/native/native-object.ts';
import { Runtime } from '../src/runtime/index.ts';
import { readObject } from '../src/spec/index.ts';
import { verifyObject } from '../src/verifier/index.ts';

const OBJECT = join(import.meta.dirname, '..', 'src', 'bpf2c', 'testdata', 'may_goto.o');
const BUDGET = 1n << 23n;
const u64 = (b: Uint8Array, at: number): bigint => new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, true);

describe('may_goto in every engine', () => {
  const elf = new Uint8Array(readFileSync(OBJECT));
  const spec = readObject(elf, { name: 'may_goto.o' });

  it('is verified as Linux verifies it', () => {
    assert.deepEqual(verifyObject(spec).programs.map((p) => p.verdict), ['pass']);
  });

  for (const mode of ['interpret', 'jit'] as const) {
    it(`counts 2^23 iterations per call in ${mode} mode`, () => {
      const obj = Runtime.createSync().load(spec, { mode });
      try {
        assert.equal(obj.program('may_goto_loops').run({ data: new Uint8Array(64) }).retval, 2);
        assert.equal(u64(obj.readGlobal('loops'), 0), BUDGET, 'the program\'s loop');
        assert.equal(u64(obj.readGlobal('sub_loops'), 0), BUDGET, 'the subprogram\'s loop, with a budget of its own');
      } finally {
        obj.close();
      }
    });
  }

  it('counts 2^23 iterations per call in native mode', () => {
    const native = openNativeObject(buildNative(elf, { sourceName: 'may_goto.o' }).so, { name: 'may_goto.so' });
    try {
      assert.equal(native.runXdp('may_goto_loops', new Uint8Array(64)).r0, 2n);
      const bss = native.map('.bss').lookup(Uint8Array.of(0, 0, 0, 0)) as Uint8Array;
      assert.equal(u64(bss, 0), BUDGET);
      assert.equal(u64(bss, 8), BUDGET);
    } finally {
      native.close();
    }
  });
});
