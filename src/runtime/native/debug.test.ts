// Source-level debugging of native programs: gdb stops at a line of the eBPF C source and lists it; perf
// attributes samples to the program's function and source lines. Both through native-host.c, a small C host.
//
// Author: Claude.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROGRAMS_OBJ, runTool, SHARED } from '../../internal/test-files.ts';
import { buildNative, findCompiler } from '../../native/index.ts';
import { coreLibraryPath } from '../../core/core-library.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SOURCES = join(SHARED, 'programs'); // BTF line info names ./bench/xdp_firewall.c relative to it
let dir = '';
let host = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-debug-'));
  host = join(dir, 'native-host');
  const core = coreLibraryPath();
  execFileSync(findCompiler().command, [
    '-O2', '-g', '-I', join(ROOT, 'src', 'bpf2c'), '-I', join(ROOT, 'src', 'core'),
    join(import.meta.dirname, 'native-host.c'), '-L', dirname(core), '-lbpfship_core', `-Wl,-rpath,${dirname(core)}`, '-ldl', '-o', host,
  ], { stdio: 'pipe' });
  for (const opt of ['O0', 'O2'] as const) {
    const r = buildNative(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'xdp_firewall.o'))), { sourceName: 'xdp_firewall.o', optimization: opt });
    writeFileSync(join(dir, `xdp_firewall-${opt}.so`), r.so);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('source-level debugging', () => {
  it('runs the image in the C host', () => {
    assert.equal(execFileSync(host, [join(dir, 'xdp_firewall-O2.so')], { encoding: 'utf8' }), 'xdp_firewall: r0 = 2\n');
  });

  for (const opt of ['O0', 'O2']) {
    it(`gdb stops at xdp_firewall.c:66 and lists the eBPF source (-${opt} -g)`, (t) => {
      const r = runTool('gdb', [
        '-batch', '-nx',
        '-ex', 'set breakpoint pending on',
        '-ex', `directory ${SOURCES}`,
        '-ex', 'break xdp_firewall.c:66',
        '-ex', 'run',
        '-ex', 'info frame',
        '-ex', 'list',
        '-ex', 'bt 1',
        '--args', host, join(dir, `xdp_firewall-${opt}.so`),
      ]);
      const out = r.stdout;
      assert.match(out, /Breakpoint 1, xdp_firewall \(r1=/, out);
      assert.match(out, /at \.\/bench\/xdp_firewall\.c:66\n66\t  __u16 port = bpf_ntohs\(dport\);/);
      assert.match(out, /rip = 0x[0-9a-f]+ in xdp_firewall \(\.\/bench\/xdp_firewall\.c:66\)/);
      assert.match(out, /67\t  if \(bpf_map_lookup_elem\(&blocked_ports, &port\)\) \{/); // `list` shows the source around it
      t.diagnostic(`gdb (-${opt}): stopped in xdp_firewall at ./bench/xdp_firewall.c:66 and listed it`);
    });
  }

  it('perf attributes samples to the program function and its source lines', (t) => {
    const data = join(dir, 'perf.data');
    const rec = runTool('perf', ['record', '-q', '-o', data, host, join(dir, 'xdp_firewall-O2.so'), 'xdp_firewall', '3000000']);
    if (rec.status !== 0) {
      t.skip(`the kernel refuses perf events here: ${rec.stderr.trim().split('\n')[0] ?? ''}`);
      return;
    }
    const bySymbol = runTool('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'sym']).stdout;
    assert.match(bySymbol, /\[\.\] xdp_firewall\s*$/m);
    const byLine = runTool('perf', ['report', '-i', data, '--stdio', '--no-children', '--sort', 'sym,srcline']).stdout;
    const lines = byLine.split('\n').filter((l) => /\bxdp_firewall\s+xdp_firewall\.c:\d+/.test(l));
    assert.ok(lines.length >= 3, byLine.slice(0, 2000));
    t.diagnostic(`perf: ${lines.length} xdp_firewall.c lines carry samples of the native program`);
  });
});
