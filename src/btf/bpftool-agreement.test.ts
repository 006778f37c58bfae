/**
 * Differential test: our `formatBtfDump` and `formatBtfJson` against `bpftool btf dump file F` (and `-j`) over
 * every file of the corpus and the example programs, plus a hand-built BTF holding every kind. bpftool must be
 * installed: a missing tool fails the test.
 *
 * Author: Claude.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { BtfError } from '../internal/errors.ts';
import { CORPUS, PROGRAMS_OBJ, SHARED, filesBelow, runTool } from '../internal/test-files.ts';
import { elfSections, NotElfError } from './_elf-sections.ts';
import { everyKindBtf } from './_fixtures.ts';
import { btfToJson } from './btf-json.ts';
import type { Btf } from './btf.ts';
import { formatBtfDump } from './format-dump.ts';
import { type JsonValue, writeJson } from './json-writer.ts';
import { parseBtf } from './parse-btf.ts';

/** The dump split into one block of lines per type (a line starting with `[` opens a block). */
function typeBlocks(dump: string): string[] {
  const blocks: string[] = [];
  for (const line of dump.split('\n')) {
    if (line.startsWith('[') || blocks.length === 0) blocks.push(line);
    else blocks[blocks.length - 1] += '\n' + line;
  }
  return blocks;
}

/** The first line where two texts differ, for the failure report. */
function firstDifference(ours: string, theirs: string): string {
  const a = ours.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: ours ${JSON.stringify(a[i])}, bpftool ${JSON.stringify(b[i])}`;
  }
  return 'no difference';
}

/**
 * Our JSON with bpftool's one known quirk applied: it stores ENUM values in a signed 32-bit field and widens them
 * to 64 bits before printing them as unsigned, so an unsigned enumerator of 2^31 or more comes out as
 * 2^64 - 2^32 + value. We print the value itself; the comparison re-applies the quirk so everything else is
 * checked byte for byte.
 */
function jsonAsBpftoolPrintsIt(btf: Btf): string {
  const json = btfToJson(btf);
  const types = json.types.map((t) => t.kind !== 'ENUM' || t.encoding !== 'UNSIGNED' ? t : {
    ...t,
    values: (t.values ?? []).map((v) => (typeof v.val === 'number' && v.val >= 0x80000000 ? { ...v, val: BigInt(v.val) + 0xffffffff00000000n } : v)),
  });
  return writeJson({ types } as unknown as JsonValue);
}

function report(t: TestContext, line: string): void {
  t.diagnostic(line);
  console.log(`btf/bpftool: ${line}`);
}

/**
 * C that makes clang emit the kinds and encodings the corpus lacks: ENUM64 (signed and unsigned), signed ENUM,
 * FLOAT, TYPE_TAG, RESTRICT, bitfields, DECL_TAG on a struct and on a parameter, static and extern VARs.
 */
const RARE_KINDS_C = `
#define SEC(n) __attribute__((section(n), used))
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __user __attribute__((btf_type_tag("user")))
enum big { BIG_MIN = -0x7fffffffffffffffLL - 1, BIG_ONE = 1 };
enum ubig { UBIG = 0xffffffffffff0000ULL };
enum small { NEG = -3, POS = 4 };
struct bits { unsigned int a : 3; int b : 5; unsigned long long c : 40; char d; } __tag("bits_tag");
union u { int i; float f; double d; };
typedef const volatile struct bits cvbits;
struct holder { int __user *p; cvbits * restrict r; struct bits bb; union u uu; enum big eb; enum ubig eu; enum small es; int arr[3][4]; };
struct holder h;
static volatile int counter;
extern int ext_var __attribute__((weak));
static __attribute__((noinline)) int sub(struct holder *hp __tag("arg")) { return hp->uu.i + counter; }
SEC("xdp") int prog(void *ctx) { counter++; return sub(&h) + (int)h.eb + (&ext_var ? 1 : 0); }
char LICENSE[] SEC("license") = "GPL";
`;

describe('agreement with bpftool btf dump', () => {
  it('dumps every corpus object bpftool can dump exactly as bpftool does', (t) => {
    const files = [...filesBelow(CORPUS), ...filesBelow(PROGRAMS_OBJ)];
    let notElf = 0;
    let rejectedByBpftool = 0;
    let rejectedByBoth = 0;
    let filesCompared = 0;
    let filesAgreeing = 0;
    let typesCompared = 0;
    let typesAgreeing = 0;
    let jsonAgreeing = 0;
    const mismatches: string[] = [];
    for (const file of files) {
      const name = relative(SHARED, file);
      const bytes = readFileSync(file);
      let sections: Map<string, Uint8Array> | undefined;
      try {
        sections = elfSections(bytes);
      } catch (e) {
        if (!(e instanceof NotElfError)) throw e;
      }
      const ref = runTool('bpftool', ['btf', 'dump', 'file', file]);
      if (ref.status !== 0) {
        rejectedByBpftool++;
        if (sections === undefined) {
          notElf++;
          continue;
        }
        const data = sections.get('.BTF');
        if (data === undefined) continue;
        // bpftool read the ELF but refused its BTF: so must we.
        assert.throws(() => parseBtf(data, { file: name }), BtfError, `${name}: bpftool rejects its .BTF but we accept it`);
        rejectedByBoth++;
        continue;
      }
      assert.ok(sections !== undefined, `${name}: bpftool reads it but our test helper finds no ELF sections`);
      const data = sections.get('.BTF');
      assert.ok(data !== undefined, `${name}: bpftool dumps BTF but there is no .BTF section`);
      filesCompared++;
      let btf: Btf;
      try {
        btf = parseBtf(data, { file: name });
      } catch (e) {
        mismatches.push(`${name}: we reject what bpftool dumps: ${(e as Error).message}`);
        typesCompared += typeBlocks(ref.stdout).filter((b) => b.startsWith('[')).length;
        continue;
      }
      const ours = formatBtfDump(btf);
      const theirBlocks = typeBlocks(ref.stdout).filter((b) => b.startsWith('['));
      const ourBlocks = typeBlocks(ours).filter((b) => b.startsWith('['));
      typesCompared += theirBlocks.length;
      for (let i = 0; i < theirBlocks.length; i++) if (ourBlocks[i] === theirBlocks[i]) typesAgreeing++;
      if (ours === ref.stdout) filesAgreeing++;
      else mismatches.push(`${name}: ${firstDifference(ours, ref.stdout)}`);

      const refJson = runTool('bpftool', ['-j', 'btf', 'dump', 'file', file]);
      const ourJson = jsonAsBpftoolPrintsIt(btf);
      if (refJson.stdout === ourJson) jsonAgreeing++;
      else mismatches.push(`${name} (JSON): ${firstDifference(ourJson.replaceAll('},{', '},\n{'), refJson.stdout.replaceAll('},{', '},\n{'))}`);
    }
    report(t, `${files.length} files: ${notElf} not ELF or unreadable, ${rejectedByBpftool} rejected by bpftool (of which ${rejectedByBoth} with a .BTF we reject too), ${filesCompared} compared`);
    report(t, `text dump: ${filesAgreeing}/${filesCompared} files and ${typesAgreeing}/${typesCompared} types agree`);
    report(t, `JSON dump: ${jsonAgreeing}/${filesCompared} files agree`);
    for (const m of mismatches.slice(0, 20)) report(t, `mismatch: ${m}`);
    assert.ok(filesCompared > 0, 'bpftool dumped no file at all');
    assert.deepEqual(mismatches, []);
  });

  it('dumps an object clang compiles with the rarer kinds exactly as bpftool does', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-btf-'));
    try {
      const src = join(dir, 'rare.c');
      const obj = join(dir, 'rare.o');
      writeFileSync(src, RARE_KINDS_C);
      const cc = runTool('clang-19', ['-target', 'bpf', '-g', '-O2', '-c', src, '-o', obj]);
      assert.equal(cc.status, 0, cc.stderr);
      const data = elfSections(readFileSync(obj)).get('.BTF');
      assert.ok(data !== undefined);
      const btf = parseBtf(data);
      const kinds = new Set(btf.types.map((x) => x.kind));
      for (const k of ['ENUM64', 'FLOAT', 'TYPE_TAG', 'RESTRICT', 'DECL_TAG', 'UNION', 'ENUM'] as const) assert.ok(kinds.has(k), `clang emitted no ${k}`);
      const text = runTool('bpftool', ['btf', 'dump', 'file', obj]);
      assert.equal(text.status, 0, text.stderr);
      assert.equal(formatBtfDump(btf), text.stdout, firstDifference(formatBtfDump(btf), text.stdout));
      const json = runTool('bpftool', ['-j', 'btf', 'dump', 'file', obj]);
      assert.equal(jsonAsBpftoolPrintsIt(btf), json.stdout);
      const holder = btf.typesByName('holder')[0];
      assert.ok(holder !== undefined);
      assert.equal(btf.sizeOf(holder.id), holder.kind === 'STRUCT' ? holder.size : -1);
      report(t, `clang-built rare kinds: ${btf.typeCount - 1}/${btf.typeCount - 1} types agree (text and JSON)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dumps a hand-built BTF with every kind exactly as bpftool does', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfship-btf-'));
    try {
      const path = join(dir, 'every-kind.btf');
      const data = everyKindBtf();
      writeFileSync(path, data);
      const btf = parseBtf(data);
      const text = runTool('bpftool', ['btf', 'dump', 'file', path]);
      assert.equal(text.status, 0, text.stderr);
      assert.equal(formatBtfDump(btf), text.stdout, firstDifference(formatBtfDump(btf), text.stdout));
      const json = runTool('bpftool', ['-j', 'btf', 'dump', 'file', path]);
      assert.equal(jsonAsBpftoolPrintsIt(btf), json.stdout);
      report(t, `every-kind BTF: ${btf.typeCount - 1}/${btf.typeCount - 1} types agree (text and JSON)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
