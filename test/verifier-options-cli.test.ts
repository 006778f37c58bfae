/**
 * The verifier's options on the commands that verify (`--rules`, `--license`, `--btf`) and objects whose ELF
 * header says e_machine 0 (EM_NONE, older LLVM), which load as libbpf loads them.
 *
 * Author: Claude.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli } from '../src/cli/commands/_test-cli.ts';
import { PROGRAMS_OBJ } from '../src/internal/test-files.ts';

const SELFTESTS_OBJ = resolve(import.meta.dirname, '..', '..', 'shared', 'linux-selftests', 'obj');
const FALCO = resolve(import.meta.dirname, '..', '..', 'shared', 'corpus', 'ebpf-samples', 'falco', 'probe.o');
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-verifier-options-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of `file` with e_machine (offset 18) set to `machine`. */
function withMachine(file: string, machine: number): string {
  const bytes = readFileSync(file);
  bytes.writeUInt16LE(machine, 18);
  const out = join(dir, `machine-${machine}.o`);
  writeFileSync(out, bytes);
  return out;
}

describe('--rules', () => {
  it('linux (the default) reads never-written stack as Linux does; strict refuses it', async () => {
    const obj = join(SELFTESTS_OBJ, 'verifier_basic_stack.o');
    const linux = await cli(['verify', obj, '--program', 'uninitialized_stack1']);
    assert.equal(linux.code, 0, linux.out + linux.err);
    assert.equal((await cli(['verify', obj, '--program', 'uninitialized_stack1', '--rules', 'linux'])).code, 0);
    const strict = await cli(['verify', obj, '--program', 'uninitialized_stack1', '--rules', 'strict']);
    assert.equal(strict.code, 1, strict.out + strict.err);
    const bad = await cli(['verify', obj, '--rules', 'lax']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /Allowed choices are linux, strict/);
  });

  it('run --mode jit verifies under the rule set asked for', async () => {
    const obj = join(SELFTESTS_OBJ, 'verifier_basic_stack.o');
    const pkt = join(dir, 'zero64.bin');
    writeFileSync(pkt, new Uint8Array(64));
    const linux = await cli(['run', obj, '--program', 'uninitialized_stack1', '--mode', 'jit', '--data', pkt]);
    assert.equal(linux.code, 0, linux.err);
    const strict = await cli(['run', obj, '--program', 'uninitialized_stack1', '--mode', 'jit', '--data', pkt, '--rules', 'strict']);
    assert.equal(strict.code, 1, strict.err);
  });

  it('explore verifies under the rule set asked for, and its report says which', async () => {
    const obj = join(SELFTESTS_OBJ, 'verifier_basic_stack.o');
    const verdicts = async (rules: string): Promise<string> => {
      const r = await cli(['explore', obj, '--program', 'uninitialized_stack1', '--json', '--rules', rules]);
      const { programs } = JSON.parse(r.out) as { programs: { report: { rules: string; verdict: string } }[] };
      return `${r.code} ${programs.map((p) => `${p.report.rules}:${p.report.verdict}`).join()}`;
    };
    assert.equal(await verdicts('linux'), '0 linux:pass');
    assert.equal(await verdicts('strict'), '1 strict:fail');
    assert.match((await cli(['explore', obj, '--rules', 'lax', '--json'])).err, /Allowed choices are linux, strict/);
  });
});

describe('--license', () => {
  it("stands in for a missing license section (falco's objects call GPL-only helpers)", { skip: !existsSync(FALCO) && 'no falco object' }, async () => {
    const without = await cli(['verify', FALCO, '--program', 'bpf_sys_single']);
    assert.equal(without.code, 1);
    assert.match(without.out, /GPL/);
    const withLicense = await cli(['verify', FALCO, '--program', 'bpf_sys_single', '--license', 'GPL']);
    assert.equal(withLicense.code, 0, withLicense.out);
  });

  it("does not override an object's own license section, as libbpf loads the object's", async () => {
    // xdp_firewall.o says GPL: a non-GPL --license changes nothing.
    const r = await cli(['verify', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--license', 'Proprietary']);
    assert.equal(r.code, 0, r.out);
  });
});

describe('--btf', () => {
  it('names the file when it is missing or not BTF (status 2)', async () => {
    const missing = await cli(['verify', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--btf', join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--btf .*nope: no such file/);
    const notBtf = join(dir, 'not-btf');
    writeFileSync(notBtf, 'hello, world\n');
    const invalid = await cli(['verify', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--btf', notBtf]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.err, /--btf .*not-btf: not a kernel BTF file/);
  });

  it('takes the running kernel\'s BTF', { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no /sys/kernel/btf/vmlinux' }, async () => {
    const r = await cli(['verify', join(PROGRAMS_OBJ, 'xdp_firewall.o'), '--btf', '/sys/kernel/btf/vmlinux']);
    assert.equal(r.code, 0, r.err);
  });
});

describe('e_machine 0 (EM_NONE, older LLVM)', () => {
  it('is verified and run as libbpf loads it', async () => {
    const obj = withMachine(join(PROGRAMS_OBJ, 'xdp_firewall.o'), 0);
    const v = await cli(['verify', obj]);
    assert.equal(v.code, 0, v.out + v.err);
    const pkt = join(dir, 'zero64-run.bin');
    writeFileSync(pkt, new Uint8Array(64));
    const r = await cli(['run', obj, '--mode', 'jit', '--data', pkt]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /return value: 2 \(XDP_PASS\)/);
  });

  it('other machines are still refused, naming the machine', async () => {
    const v = await cli(['verify', withMachine(join(PROGRAMS_OBJ, 'xdp_firewall.o'), 62)]);
    assert.equal(v.code, 2);
    assert.match(v.err, /e_machine is 62, expected 247 \(BPF, or 0 as older LLVM wrote\): this is not an eBPF object/);
  });
});
