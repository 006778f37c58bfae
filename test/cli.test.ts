// The command line, run in-process through main() (exit statuses, output, errors), and once through the installed
// `bpfship` command to check that the set-up built it.
//
// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.ts';
import { PROGRAMS_OBJ, runTool, SHARED } from '../src/internal/test-files.ts';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'bpfship', ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const firewall = join(PROGRAMS_OBJ, 'xdp_firewall.o');

describe('bpfship inspect', () => {
  it('lists programs and maps', async () => {
    const r = await run('inspect', firewall);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /xdp\s+xdp_firewall\s+xdp\s+xdp\s+\d+/);
    assert.match(r.out, /verdicts\s+array\s+4\s+8\s+4/);
  });

  it('prints JSON with --json', async () => {
    const r = await run('inspect', firewall, '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { programs: { name: string; type: string; insns: number }[]; maps: { name: string; type: string }[]; license: string };
    assert.equal(j.license, 'Dual MIT/GPL');
    assert.deepEqual(j.programs.map((p) => [p.name, p.type]), [['xdp_firewall', 'xdp']]);
    assert.ok(j.maps.some((m) => m.name === 'blocked_ports' && m.type === 'hash'));
  });

  it('exits 2 naming the file when it is missing', async () => {
    const r = await run('inspect', '/nonexistent.o');
    assert.equal(r.code, 2);
    assert.match(r.err, /^bpfship: error: \/nonexistent\.o: no such file/);
  });

  it('exits 2 with the place of the fault for a malformed object', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-cli-'));
    const bad = join(dir, 'bad.o');
    writeFileSync(bad, Buffer.from('\x7fELF\x02\x01\x01 a truncated header'));
    const r = await run('inspect', bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.o: .*runs past the end/);
  });

  it('exits 2 on an unknown option, with usage', async () => {
    const r = await run('inspect', firewall, '--frobnicate');
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option '--frobnicate'/);
  });
});

describe('bpfship btf', () => {
  it('prints what bpftool btf dump prints', async () => {
    const r = await run('btf', firewall);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, runTool('bpftool', ['btf', 'dump', 'file', firewall]).stdout);
  });
});

describe('bpfship disasm', () => {
  it('prints what llvm-objdump -dr prints', async () => {
    const r = await run('disasm', firewall);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, runTool('llvm-objdump-19', ['-dr', firewall]).stdout);
  });

  it('interleaves source lines from BTF line info with -S', async () => {
    const r = await run('disasm', firewall, '-S');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^; .*bpf_map_lookup_elem/m);
  });

  it('names the sections there are when --section names none', async () => {
    const r = await run('disasm', firewall, '--section', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.err, /no section named 'nope' \(sections: .*xdp/);
  });
});

describe('the installed bpfship command', () => {
  it('runs from the checkout after the set-up (npx bpfship --help)', () => {
    const root = resolve(import.meta.dirname, '..');
    const out = execFileSync('npx', ['--no-install', 'bpfship', '--help'], { cwd: root, encoding: 'utf8' });
    assert.match(out, /Usage: bpfship/);
    assert.match(out, /inspect/);
  });
});

describe('bpfship asm', () => {
  it('assembles a conformance test and round-trips through disasm-raw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-asm-'));
    const bin = join(dir, 'out.bin');
    const r = await run('asm', join(SHARED, 'conformance', 'call_local.data'), '-o', bin);
    assert.equal(r.code, 0, r.err);
    const text = await run('disasm-raw', bin);
    assert.equal(text.code, 0, text.err);
    const s = join(dir, 'again.s');
    writeFileSync(s, text.out);
    const bin2 = join(dir, 'again.bin');
    assert.equal((await run('asm', s, '-o', bin2)).code, 0);
    assert.deepEqual(readFileSync(bin2), readFileSync(bin));
  });

  it('reports a syntax error at its line and column and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-asm-'));
    const s = join(dir, 'bad.s');
    writeFileSync(s, 'r0 = 1\nr0 +=\nexit\n');
    const out = join(dir, 'bad.bin');
    const r = await run('asm', s, '-o', out);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.s:2:\d+: /);
    assert.equal(existsSync(out), false);
  });
});

describe('the installed bpf2c command', () => {
  it('translates an object (bpf2c FILE), as bpfship bpf2c does', () => {
    const out = execFileSync('bpf2c', [join(PROGRAMS_OBJ, 'hello_world.o')], { encoding: 'utf8' });
    assert.match(out, /Generated by bpfship bpf2c/);
    assert.match(out, /#line \d+ ".*hello_world\.c"/);
  });
});
