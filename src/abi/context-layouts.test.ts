// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextField, fieldsAt, structLayouts, type StructLayout, type StructName } from './context-layouts.ts';

interface Measured {
  size: number;
  fields: Map<string, { offset: number; size: number }>;
}

/**
 * Compiles a C program that prints sizeof and offsetof for the given members with gcc, after `prelude` (the
 * headers that declare them), and returns what it printed.
 */
function measure(prelude: string, wanted: ReadonlyMap<StructName, readonly string[]>): Map<string, Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'abi-layout-'));
  try {
    const lines = [
      prelude,
      'int printf(const char *, ...);',
      '#define OFF(t, f) ((unsigned long)&((t *)0)->f)',
      '#define SIZE(t, f) ((unsigned long)sizeof(((t *)0)->f))',
      'int main(void) {',
    ];
    for (const [struct, fields] of wanted) {
      lines.push(`  printf("S ${struct} %lu\\n", (unsigned long)sizeof(struct ${struct}));`);
      for (const f of fields) lines.push(`  printf("F ${struct} ${f} %lu %lu\\n", OFF(struct ${struct}, ${f}), SIZE(struct ${struct}, ${f}));`);
    }
    lines.push('  return 0;', '}');
    writeFileSync(join(dir, 'layout.c'), lines.join('\n'));
    execFileSync('gcc', ['-w', '-o', join(dir, 'layout'), join(dir, 'layout.c')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const out = execFileSync(join(dir, 'layout'), { encoding: 'utf8' });
    const result = new Map<string, Measured>();
    for (const line of out.trim().split('\n')) {
      const p = line.split(' ');
      if (p[0] === 'S') result.set(p[1]!, { size: Number(p[2]), fields: new Map() });
      else result.get(p[1]!)!.fields.set(p[2]!, { offset: Number(p[3]), size: Number(p[4]) });
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Compares the measured layouts with abi's; returns the number of facts (sizes, offsets, member sizes) compared. */
function compare(measured: Map<string, Measured>, label: string, sizeDiffers: ReadonlySet<string> = new Set()): number {
  let facts = 0;
  for (const [struct, m] of measured) {
    const layout = structLayouts[struct as StructName] as StructLayout;
    if (!sizeDiffers.has(struct)) {
      assert.equal(layout.size, m.size, `${label}: sizeof(struct ${struct})`);
      facts++;
    }
    for (const [name, f] of m.fields) {
      const mine = layout.fields.find((x) => x.name === name)!;
      assert.equal(mine.offset, f.offset, `${label}: offsetof(struct ${struct}, ${name})`);
      assert.equal(mine.size, f.size, `${label}: sizeof(${struct}.${name})`);
      facts += 2;
    }
  }
  return facts;
}

function structBody(header: string, struct: string): string | undefined {
  const m = new RegExp(`\\nstruct ${struct} \\{\\n([\\s\\S]*?)\\n\\};`).exec(header);
  return m?.[1];
}

describe('context layouts', () => {
  it('match gcc on /usr/include/linux/bpf.h for every member that header has', () => {
    const header = readFileSync('/usr/include/linux/bpf.h', 'utf8');
    const wanted = new Map<StructName, string[]>();
    const skipped: string[] = [];
    for (const [struct, layout] of Object.entries(structLayouts) as [StructName, StructLayout][]) {
      const body = structBody(header, struct);
      if (body === undefined) continue; // pt_regs, bpf_perf_event_data, bpf_nf_ctx live elsewhere
      const present = layout.fields.map((f) => f.name).filter((n) => new RegExp(`\\b${n}\\b`).test(body));
      skipped.push(...layout.fields.filter((f) => !present.includes(f.name)).map((f) => `${struct}.${f.name}`));
      wanted.set(struct, present);
    }
    // A struct that grew after the header's kernel has another sizeof there: only its members are compared.
    const grown = new Set(skipped.map((s) => s.split('.')[0]!));
    const facts = compare(measure('#include <linux/bpf.h>', wanted), '/usr/include', grown);
    assert.ok(wanted.size >= 14, `found ${wanted.size} structs in the header`);
    console.log(`layout facts agreeing with gcc on /usr/include/linux/bpf.h: ${facts}/${facts} (${wanted.size} structs; newer members: ${skipped.join(', ') || 'none'})`);
  });

  it('match gcc on the running kernel\'s BTF (bpftool btf dump format c) for every struct', () => {
    const dir = mkdtempSync(join(tmpdir(), 'abi-vmlinux-'));
    try {
      const vmlinux = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 30 });
      writeFileSync(join(dir, 'vmlinux.h'), vmlinux);
      const wanted = new Map<StructName, string[]>();
      for (const [struct, layout] of Object.entries(structLayouts) as [StructName, StructLayout][]) wanted.set(struct, layout.fields.map((f) => f.name));
      const facts = compare(measure(`#include "${join(dir, 'vmlinux.h')}"`, wanted), 'vmlinux');
      console.log(`layout facts agreeing with gcc on the running kernel's BTF: ${facts}/${facts} (${wanted.size} structs)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('find members by name and by offset', () => {
    assert.deepEqual(contextField('xdp_md', 'data_end'), { name: 'data_end', offset: 4, size: 4, type: '__u32' });
    assert.equal(contextField('xdp_md', 'nope'), undefined);
    assert.deepEqual(fieldsAt('__sk_buff', 56).map((f) => f.name), ['cb']);
    assert.deepEqual(fieldsAt('bpf_sock_ops', 4).map((f) => f.name), ['args', 'reply', 'replylong']);
    assert.deepEqual(fieldsAt('__sk_buff', 181), []);
  });

  it('lay members out in order without overlap, unions aside', () => {
    const unions = new Set(['__sk_buff', 'bpf_sock_ops', 'bpf_sk_lookup', 'bpf_flow_keys']);
    for (const [struct, layout] of Object.entries(structLayouts) as [StructName, StructLayout][]) {
      let end = 0;
      for (const f of layout.fields) {
        assert.ok(f.offset + f.size <= layout.size, `${struct}.${f.name} ends past the struct`);
        if (f.count !== undefined && f.count > 0) assert.equal(f.size % f.count, 0, `${struct}.${f.name}`);
        if (!unions.has(struct)) assert.ok(f.offset >= end, `${struct}.${f.name} overlaps`);
        end = Math.max(end, f.offset + f.size);
      }
    }
  });
});
