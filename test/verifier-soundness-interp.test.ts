/**
 * The verifier's soundness check with the project's interpreter as the executor: generated programs the verifier
 * accepts must run without a memory fault. (The verifier's own tests use a small reference executor; this plugs the
 * interpreter into the same {@link SoundnessExecutor} interface.) The interpreter checks every access against the
 * regions but keeps no record of which stack bytes were written, so it judges both rule sets alike: out-of-region
 * accesses, NULL dereferences and stores into read-only memory are faults, a read of never-written stack (which
 * `linux` allows and `strict` does not) is not one here. Its `may_goto` budget is Linux's (2^23 per call).
 *
 * Author: Claude.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExecutionError, FaultKind, HelperOutcome, Interpreter, prepareProgram, type InterpreterHost, type MemoryRegion } from '../src/interp/index.ts';
import type { GeneratedProgram } from '../src/verifier/generator.ts';
import { checkSoundness, type ConcreteInput, type ExecutionOutcome, type SoundnessExecutor } from '../src/verifier/soundness.ts';

const CTX = 0x100;
const PACKET = 0x1000;
const STACK = 0x10000;
const MAPS = 0x7000;
const VALUES = 0x20000;

/** Runs a generated XDP program in the interpreter over one ArrayBuffer address space (whatever the rule set). */
function runInInterpreter(p: GeneratedProgram, input: ConcreteInput): ExecutionOutcome {
  const memory = new ArrayBuffer(1 << 20);
  const u8 = new Uint8Array(memory);
  const dv = new DataView(memory);
  u8.set(input.packet, PACKET);
  dv.setUint32(CTX, PACKET, true);
  dv.setUint32(CTX + 4, PACKET + input.packet.length, true);
  dv.setUint32(CTX + 8, PACKET, true);
  const values = new Map<string, MemoryRegion>();
  let next = VALUES;
  let calls = 0;
  const host: InterpreterHost = {
    memory: () => memory,
    findRegion(address, size) {
      for (const r of values.values()) if (address >= r.start && address + size <= r.end) return r;
      return undefined;
    },
    callHelper(id, interp) {
      const reg = (r: number): bigint => (BigInt(interp.hi[r] as number >>> 0) << 32n) | BigInt(interp.lo[r] as number >>> 0);
      let result = 0n;
      calls++;
      if (id === 1) {
        const m = Number(reg(1)) - MAPS;
        const map = p.maps[m];
        if (map === undefined) throw new Error(`not a map: ${reg(1)}`);
        const keyAddr = Number(reg(2));
        let key = 0n;
        for (let i = map.keySize - 1; i >= 0; i--) key = (key << 8n) | BigInt(u8[keyAddr + i] as number);
        if (input.present(m, key)) {
          const k = `${m}:${key}`;
          let region = values.get(k);
          if (region === undefined) {
            region = { start: next, end: next + map.valueSize, writable: true, name: `value of ${map.name}` };
            next += 0x100;
            values.set(k, region);
          }
          result = BigInt(region.start);
        }
      } else if (id === 5 || id === 7 || id === 8) {
        const v = input.helperResult(id, calls);
        result = id === 5 ? v : v & 0xffffffffn;
      }
      interp.lo[0] = Number(BigInt.asIntN(32, result));
      interp.hi[0] = Number(BigInt.asIntN(32, result >> 32n));
      return HelperOutcome.CONTINUE;
    },
  };
  const prog = prepareProgram(p.instructions, { name: `seed${p.seed}`, mapAddress: (i) => MAPS + i, helpers: { has: (id) => [1, 5, 7, 8].includes(id), name: () => undefined } });
  const regions: MemoryRegion[] = [
    { start: CTX, end: CTX + 24, writable: false, name: 'context' },
    { start: PACKET, end: PACKET + input.packet.length, writable: true, name: 'packet' },
  ];
  try {
    const r0 = new Interpreter(host, { instructionLimit: 100_000 }).run(prog, { stack: STACK, regions }, [BigInt(CTX)]);
    return { kind: 'ok', r0 };
  } catch (e) {
    if (e instanceof ExecutionError) {
      if (e.fault.kind === FaultKind.INSTRUCTION_LIMIT) return { kind: 'limit' };
      return { kind: 'fault', slot: e.fault.pc, message: e.message };
    }
    throw e;
  }
}

const interpreterExecutor: SoundnessExecutor = { name: 'interpreter', run: runInInterpreter };

describe('verifier soundness, executed by the interpreter', () => {
  for (const [what, options] of [['', { count: 300 }], [' with may_goto loops', { count: 150, mayGoto: true }]] as const) {
    it(`no program accepted under either rule set faults${what} (figures printed)`, (t) => {
      const r = checkSoundness(interpreterExecutor, { firstSeed: 5000, inputs: 6, runRejected: true, rules: 'both', ...options });
      t.diagnostic(`${r.generated} programs, ${r.accepted} verifications passed (of ${2 * r.generated}), ${r.runs} runs, ${r.faultsInRejected} rejected programs faulted in the interpreter`);
      for (const v of r.violations.slice(0, 3)) t.diagnostic(`VIOLATION seed ${v.seed} (--rules ${v.rules}): ${JSON.stringify(v.outcome)}\n${v.text}`);
      assert.equal(r.violations.length, 0);
      assert.ok(r.faultsInRejected > 0, 'the interpreter should catch some of the unsafe programs the verifier rejects');
    });
  }
});
