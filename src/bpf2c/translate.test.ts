// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { dsl, withSlots } from '../asm/index.ts';
import { splitAtLocalCalls, type CodeProgram } from './code-program.ts';
import { assertGolden, PROGRAMS_OBJ } from '../internal/test-files.ts';
import { readObject } from '../spec/index.ts';
import { Bpf2cError, Bpf2cVerificationError, defaultOutputName, translateObject, translateRaw, translateSpec } from './index.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const SELFTEST_REF_TRACKING = join(import.meta.dirname, '../../../shared/linux-selftests/obj/verifier_ref_tracking.o');
const { R0, R1, R2, R6, R10, program, callLocal, mov64Imm, mov64Reg, exit, loadMem, storeMem, call, callKfunc, jumpImm, JumpOp, Width, alu64Imm, alu32Imm, signed64Imm, AluOp } = dsl;

/** Every object the goldens cover: the shared example and benchmark programs, and bpf2c's own test objects. */
function goldenObjects(): string[] {
  const shared = readdirSync(PROGRAMS_OBJ).filter((f) => f.endsWith('.o')).map((f) => join(PROGRAMS_OBJ, f));
  const own = readdirSync(TESTDATA).filter((f) => f.endsWith('.o')).map((f) => join(TESTDATA, f));
  return [...shared, ...own].sort();
}

function translate(path: string): string {
  return translateObject(new Uint8Array(readFileSync(path)), { sourceName: basename(path) }).c;
}

describe('bpf2c golden files', () => {
  for (const path of goldenObjects()) {
    it(`generates the expected C for ${basename(path)}`, () => {
      assertGolden(join(TESTDATA, 'golden', defaultOutputName(basename(path))), translate(path));
    });
  }

  it('is deterministic: the same object gives the same bytes', () => {
    for (const path of goldenObjects()) assert.equal(translate(path), translate(path));
  });
});

describe('#line directives', () => {
  for (const path of goldenObjects()) {
    it(`point back at the generated file's own next line in ${basename(path)}`, () => {
      const c = translate(path);
      const out = defaultOutputName(basename(path));
      const lines = c.split('\n');
      let back = 0;
      let toSource = 0;
      lines.forEach((l, i) => {
        const m = /^#line (\d+) "(.*)"$/.exec(l);
        if (m === null) return;
        if (m[2] === out) {
          assert.equal(Number(m[1]), i + 2, `line ${i + 1}: ${l}`);
          back++;
        } else {
          assert.ok(Number(m[1]) > 0);
          assert.ok((m[2] as string).endsWith('.c'));
          toSource++;
        }
      });
      const spec = readObject(new Uint8Array(readFileSync(path)), { name: path });
      if (spec.btfExt !== undefined) {
        assert.ok(toSource > 0, 'line info becomes #line directives');
        assert.ok(back > 0, 'each function returns to the generated file');
      }
    });
  }

  it('every instruction statement of xdp_firewall follows a #line to its source', () => {
    const lines = translate(join(PROGRAMS_OBJ, 'xdp_firewall.o')).split('\n');
    const body = lines.slice(lines.findIndex((l) => l.startsWith('static uint64_t xdp_firewall(') && !l.endsWith(';')));
    let statements = 0;
    for (let i = 1; i < body.length && body[i] !== '}'; i++) {
      if (/\/\* \d+: /.test(body[i] as string)) {
        statements++;
        assert.match(body[i - 1] as string, /^#line \d+ "\.\/bench\/xdp_firewall\.c"$/);
      }
    }
    assert.equal(statements, 105); // 114 slots, 9 of them the second halves of lddw
  });
});

describe('a selection of programs (libbpf autoload)', () => {
  const elf = (): Uint8Array => new Uint8Array(readFileSync(join(TESTDATA, 'subprograms.o')));

  it('translates the programs asked for, with those the program arrays name, and every map', () => {
    const all = translateObject(elf(), { sourceName: 'subprograms.o' }).metadata;
    const some = translateObject(elf(), { sourceName: 'subprograms.o', programs: ['entry'] }).metadata;
    assert.deepEqual(all.programs.map((p) => p.name), ['tail_target', 'entry']);
    assert.deepEqual(some.programs.map((p) => p.name), ['tail_target', 'entry']); // its prog array names tail_target
    assert.deepEqual(some.maps, all.maps);
  });

  it('refuses a name the object does not have, listing the programs', () => {
    assert.throws(() => translateObject(elf(), { sourceName: 'subprograms.o', programs: ['nope'] }), (e: unknown) => e instanceof Bpf2cError && /has no program 'nope' \(programs: tail_target, entry\)/.test(e.message));
  });

  it('leaves out a program native code cannot express', { skip: !existsSync(SELFTEST_REF_TRACKING) && 'no ../shared/linux-selftests' }, () => {
    const out = translateObject(new Uint8Array(readFileSync(SELFTEST_REF_TRACKING)), { sourceName: 'verifier_ref_tracking.o', programs: ['reference_tracking_access_member'] });
    assert.ok(out.metadata.programs.some((p) => p.name === 'reference_tracking_access_member'));
    assert.ok(!out.metadata.programs.some((p) => p.section === 'lsm.s/bpf'));
  });
});

describe('calls without relocations', () => {
  // An entry function whose own slot 3 is a call target, as `call l0_%=` in hand-written assembly leaves it.
  const instructions = withSlots(program(callLocal(1), exit(), mov64Imm(R0, 7), exit()).map((ins) => ins), 0);
  const code: CodeProgram = { instructions, slotCount: 4, functions: [{ name: 'main', start: 0, slotCount: 4, sectionName: 'socket', sectionInsnOffset: 10 }], lineInfo: [] };

  it('split the function at the call target, as Linux makes it a subprogram', () => {
    const split = splitAtLocalCalls(code);
    assert.deepEqual(split.functions, [
      { name: 'main', start: 0, slotCount: 2, sectionName: 'socket', sectionInsnOffset: 10 },
      { name: 'main_fn12', start: 2, slotCount: 2, sectionName: 'socket', sectionInsnOffset: 12 },
    ]);
    assert.equal(splitAtLocalCalls(split), split);
  });

  it('refuse kfunc calls of an object by name of the problem, not as calls into nowhere', { skip: !existsSync(SELFTEST_REF_TRACKING) && 'no ../shared/linux-selftests' }, () => {
    assert.throws(() => translateObject(new Uint8Array(readFileSync(SELFTEST_REF_TRACKING)), { sourceName: 'verifier_ref_tracking.o' }), (e: unknown) => e instanceof Bpf2cError && /kfunc bpf_lookup_user_key is not available in this runtime/.test(e.message));
  });
});

describe('translation', () => {
  it('names C functions after the eBPF functions and gives each its own frame', () => {
    const c = translate(join(TESTDATA, 'subprograms.o'));
    for (const f of ['entry', 'tail_target', 'mix', 'global_sum', 'add_step', 'maybe_jump']) assert.match(c, new RegExp(`^static uint64_t ${f}\\(uint64_t r1, `, 'm'));
    // mix and entry both use their stacks: each declares its own.
    const frames = c.split('\n').filter((l) => l.includes('uint64_t stack[64]')).length;
    assert.ok(frames >= 3, `${frames} frames`);
    assert.match(c, /r2 = BS_FUNC_ADDR\(add_step\);/); // bpf_loop callback by address
    assert.match(c, /r0 = maybe_jump\(r1, r2, r3, r4, r5, run_ctx\); \/\*/);
    // A tail call in a subprogram runs the target in place (its r0 returns to the caller, as in Linux).
    assert.match(c, /if \(BS_TAIL_CALL_TAKEN\(run_ctx\)\) return bs_tail_call_here\(&bs_runtime, r1, run_ctx\);/);
    assert.match(c, /\{ \.key = 1, \.kind = 0, \.name = "tail_target" \}/);
  });

  it('rewrites context packet pointer loads of XDP programs to the run context', () => {
    const c = translate(join(PROGRAMS_OBJ, 'xdp_firewall.o'));
    assert.match(c, /r2 = run_ctx->data_end; \/\* 0: r2 = \*\(u32 \*\)\(r1 \+ 0x4\)/);
    assert.match(c, /r3 = run_ctx->data; \/\* 1: /);
  });

  it('follows the context through a stack spill', () => {
    const prog = program(
      storeMem(Width.u64, R10, -8, R1),
      mov64Imm(R1, 0),
      loadMem(Width.u64, R6, R10, -8),
      loadMem(Width.u32, R0, R6, 4),
      exit(),
    );
    const c = translateRaw([{ name: 'spill', instructions: prog, programType: 'xdp' }]).c;
    assert.match(c, /r0 = run_ctx->data_end;/);
    // The same code in a program type without packet pointers reads the struct.
    assert.match(translateRaw([{ name: 'spill', instructions: prog }]).c, /r0 = BS_LOAD_U32\(r6 \+ 4\);/);
  });

  it('refuses a load whose base is the context on one path only', () => {
    const prog = program(
      jumpImm(JumpOp.JEQ, R2, 0, 1),
      mov64Reg(R1, R10),
      loadMem(Width.u32, R0, R1, 0),
      exit(),
    );
    assert.throws(() => translateRaw([{ name: 'ambiguous', instructions: prog, programType: 'xdp' }]), (e: unknown) => e instanceof Bpf2cError && /context on some paths/.test(e.message));
  });

  it('refuses a narrow read of a packet pointer field', () => {
    const prog = program(loadMem(Width.u16, R0, R1, 0), exit());
    assert.throws(() => translateRaw([{ name: 'narrow', instructions: prog, programType: 'xdp' }]), /16-bit load/);
  });

  it('translates a sign-extending load of a packet pointer field (which Linux refuses) into a trap', () => {
    const prog = program(dsl.loadMemSx(Width.u32, R2, R1, 0), mov64Imm(R0, 0), exit());
    const c = translateRaw([{ name: 'ldsx_ctx', instructions: prog, programType: 'xdp' }]).c;
    assert.match(c, /__builtin_trap\(\); \/\* a sign-extending load of a context packet pointer/);
    // Elsewhere than the context it is an ordinary sign-extending load.
    assert.match(translateRaw([{ name: 'ldsx', instructions: prog }]).c, /r2 = BS_LOAD_S32\(r1\);/);
  });

  it('translates a write to r10 (dead code Linux accepts) into a trap', () => {
    const prog = program(mov64Imm(R0, 3), jumpImm(JumpOp.JLT, R0, 5, 1), mov64Imm(R10, 0), mov64Imm(R0, 1), exit());
    assert.match(translateRaw([{ name: 'dead', instructions: prog }]).c, /__builtin_trap\(\); \/\* writes r10/);
  });

  it('refuses kfunc calls with the instruction', () => {
    assert.throws(() => translateRaw([{ name: 'k', instructions: program(callKfunc(1234), exit()) }]), (e: unknown) => e instanceof Bpf2cError && e.where.insn === 0 && /kfunc/.test(e.message));
  });

  it('resolves immediate division and modulo by 0 and -1 without C division', () => {
    const c = translateRaw([{
      name: 'div',
      instructions: program(
        alu64Imm(AluOp.DIV, R0, 0),
        alu64Imm(AluOp.MOD, R0, 0),
        alu32Imm(AluOp.MOD, R0, 0),
        signed64Imm(AluOp.DIV, R0, -1),
        signed64Imm(AluOp.MOD, R0, -1),
        exit(),
      ),
    }]).c;
    assert.match(c, /r0 = 0; \/\* division by zero \*\//);
    assert.match(c, /r0 %= 0 leaves r0 unchanged/);
    assert.match(c, /r0 = \(uint32_t\)r0; \/\* modulo by zero keeps the low 32 bits \*\//);
    assert.match(c, /r0 = 0 - r0;/);
    assert.doesNotMatch(c, /\/ \(uint64_t\)-1|% -1/);
  });

  it('binds helpers through one table shared by all programs, ascending by id', () => {
    const out = translateRaw([
      { name: 'a', instructions: program(call(7), call(1), exit()) },
      { name: 'b', instructions: program(call(1), exit()) },
    ]);
    assert.deepEqual(out.metadata.helperIds, [1, 7]);
    assert.deepEqual(out.metadata.programs.map((p) => p.helpers), [[1, 7], [1]]);
    assert.match(out.c, /r0 = BS_HELPER\(1\)\(r1, r2, r3, r4, r5, run_ctx\); \/\* 0: call 0x7 \(bpf_get_prandom_u32\) \*\//);
  });

  it('gives a function a C name that does not clash with C or with other functions', () => {
    const out = translateRaw([
      { name: 'int', instructions: program(mov64Imm(R0, 0), exit()) },
      { name: 'memcpy', instructions: program(mov64Imm(R0, 0), exit()) },
      { name: 'a.b', instructions: program(mov64Imm(R0, 0), exit()) },
      { name: 'a_b', instructions: program(mov64Imm(R0, 0), exit()) },
    ]);
    assert.deepEqual(out.metadata.programs.map((p) => p.cName), ['int_bpf', 'memcpy_bpf', 'a_b', 'a_b_2']);
  });
});

describe('metadata and verification', () => {
  const elf = new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o')));

  it('describes programs, maps and the source ELF', () => {
    const { metadata } = translateObject(elf, { sourceName: 'xdp_firewall.o' });
    assert.equal(metadata.elfSha256, createHash('sha256').update(elf).digest('hex'));
    assert.equal(metadata.sourceName, 'xdp_firewall.o');
    assert.equal(metadata.programs.length, 1);
    const p = metadata.programs[0];
    assert.equal(p?.name, 'xdp_firewall');
    assert.equal(p?.programType, 'xdp');
    assert.equal(p?.programTypeId, 6);
    assert.equal(p?.insnCount, 114);
    assert.deepEqual(p?.helpers, [1]);
    assert.deepEqual(p?.maps, [0, 1]);
    assert.match(p?.infoHash ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(metadata.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]), [['blocked_ports', 1, 2, 1, 1024], ['verdicts', 2, 4, 8, 4]]);
  });

  it('calls the verify hook for every program and stops with its diagnostics', () => {
    const seen: string[] = [];
    const out = translateObject(elf, { sourceName: 'xdp_firewall.o', verify: ({ program }) => (seen.push(program.name), { ok: true, diagnostics: [] }) });
    assert.deepEqual(seen, ['xdp_firewall']);
    assert.equal(out.verified, true);
    assert.throws(
      () => translateObject(elf, { sourceName: 'xdp_firewall.o', verify: () => ({ ok: false, diagnostics: ['xdp_firewall.c:40:3: error: invalid access'] }) }),
      (e: unknown) => e instanceof Bpf2cVerificationError && e.program === 'xdp_firewall' && /xdp_firewall\.c:40:3: error: invalid access/.test(e.message),
    );
  });

  it('translates an already read spec the same way', () => {
    const spec = readObject(elf, { name: 'xdp_firewall.o' });
    const a = translateSpec(spec, 'ab'.repeat(32), { sourceName: 'xdp_firewall.o' }).c;
    const b = translateObject(elf, { sourceName: 'xdp_firewall.o' }).c;
    assert.equal(a.replace(/SHA-256: \S+/, '').replace(/\.elf_sha256 = \{[^}]*\}/, ''), b.replace(/SHA-256: \S+/, '').replace(/\.elf_sha256 = \{[^}]*\}/, ''));
  });
});

describe('defaultOutputName', () => {
  it('never reuses the source file name', () => {
    assert.equal(defaultOutputName('dir/xdp_firewall.o'), 'xdp_firewall.bpf2c.c');
    assert.equal(defaultOutputName('prog'), 'prog.bpf2c.c');
  });
});

