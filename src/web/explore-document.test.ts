// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROGRAMS_OBJ, SHARED, runTool } from '../internal/test-files.ts';
import { readObject } from '../spec/index.ts';
import { exploreObject, exploreProgram } from './explore-document.ts';
import { ExploreIndex } from './explore-index.ts';

const BIND = join(PROGRAMS_OBJ, 'bind_monitor.o');
const FIXED = join(PROGRAMS_OBJ, 'bind_monitor_fixed.o');
const spec = readObject(new Uint8Array(readFileSync(BIND)), { name: BIND });
const readSource = (file: string): string | undefined => {
  try {
    return readFileSync(join(SHARED, 'programs', file), 'utf8');
  } catch {
    return undefined;
  }
};

describe('explore document', () => {
  const doc = exploreProgram(spec, 0, { readSource });

  it('carries the verifier report with its recording, as JSON', () => {
    assert.equal(doc.format, 'bpfship-explore/1');
    assert.equal(doc.report.verdict, 'fail');
    assert.equal(doc.report.diagnostics[0]?.source?.line, 33);
    const copy = JSON.parse(JSON.stringify(doc)) as typeof doc;
    assert.deepEqual(copy.report.recording?.errorPath, doc.report.recording?.errorPath);
  });

  it('lists the instructions as bpfship disasm (llvm-objdump) prints them', () => {
    const objdump = runTool('llvm-objdump-19', ['-d', '--no-show-raw-insn', BIND]).stdout;
    const texts = objdump.split('\n').map((l) => /^\s*(\d+):\s+(.*)$/.exec(l)).filter((m) => m !== null).map((m) => [Number(m[1]), (m[2] as string).replace(/\s+<.*>$/, '').trim()]);
    assert.ok(texts.length > 30);
    for (const [slot, text] of texts) assert.equal(doc.listing.find((l) => l.slot === slot)?.text, text, `instruction ${slot}`);
    assert.equal(doc.listing.find((l) => l.slot === 7)?.reloc, 'map bind_limit');
  });

  it('shows the C file when it agrees with the line info, and the BTF lines otherwise', () => {
    const src = doc.sources[0];
    assert.equal(src?.name, './examples/bind_monitor.c');
    assert.equal(src?.text?.[32], '  if (*count > *limit) { /* BUG: limit may be NULL */');
    assert.equal(src?.btfLines[25], '  __u64 *limit = bpf_map_lookup_elem(&bind_limit, &zero);');
    const other = exploreProgram(spec, 0, { readSource: () => 'int main(void) { return 0; }\n' });
    assert.equal(other.sources[0]?.text, undefined);
    assert.equal(exploreProgram(spec, 0).sources[0]?.text, undefined);
  });

  it('splits the program into basic blocks with jump, fall-through and goto edges', () => {
    assert.deepEqual(doc.cfg.blocks.map((b) => [b.start, b.end]), [[0, 17], [17, 28], [28, 34], [34, 40], [40, 42]]);
    assert.deepEqual(doc.cfg.edges.map((e) => `${e.from}->${e.to} ${e.kind}`), ['0->2 jump', '0->1 fallthrough', '1->4 goto', '2->4 jump', '2->3 fallthrough', '3->4 fallthrough']);
  });

  it('marks loops as back edges', () => {
    const loops = readObject(new Uint8Array(readFileSync(join(PROGRAMS_OBJ, 'primes.o'))), { name: 'primes.o' });
    const d = exploreProgram(loops, 0);
    assert.ok(d.cfg.edges.some((e) => e.back), 'primes.o has a loop');
    assert.equal(d.report.verdict, 'pass');
  });

  it('lists the programs of an object, or a selection', () => {
    assert.deepEqual(exploreObject(spec).programs.map((p) => [p.index, p.name, p.type]), [[0, 'bind_monitor', 'cgroup_sock_addr']]);
    assert.throws(() => exploreProgram(spec, 3), /has no program #3/);
  });
});

describe('explore index', () => {
  const ix = new ExploreIndex(exploreProgram(spec, 0, { readSource }));

  it('finds the error, the path to it, and the states at an instruction', () => {
    assert.equal(ix.errorSlot, 32);
    assert.ok(ix.errorSlots.has(16) && ix.errorSlots.has(28) && !ix.errorSlots.has(17));
    assert.deepEqual([...ix.errorBlocks].sort(), [0, 2]);
    assert.ok(ix.errorEdges.has('0:2'));
    const at32 = ix.statesAt(32);
    assert.equal(at32.length, 1);
    const s = ix.state(at32[0] as number);
    assert.equal(ix.register(s!, 7)?.type, 'map_value_or_null');
    assert.deepEqual(ix.decisions(s!.path).map((d) => [d.kind, d.slot, d.taken]), [['branch', 16, true]]);
  });

  it('follows a register back along the same path', () => {
    const s32 = ix.statesAt(32)[0] as number;
    const w = ix.state(s32)?.frames[0]?.written[7];
    assert.equal(w, 10);
    const at10 = ix.stateOnPathAt(s32, 10);
    assert.equal(ix.state(at10!)?.slot, 10);
    assert.equal(ix.register(ix.state(at10!)!, 0)?.type, 'map_value_or_null');
    assert.equal(ix.state(at10!)?.frames[0]?.written[0], 9);
  });

  it('matches source lines to instructions, and counts edges', () => {
    assert.deepEqual(ix.slotsOfLine(0, 25), [7, 9, 10, 11, 12]);
    assert.deepEqual(ix.sourceLineOf(32), { file: 0, line: 33 });
    assert.equal(ix.edgeCount(0, 2, 'jump'), 1);
    assert.equal(ix.edgeCount(0, 1, 'fallthrough'), 1);
    assert.equal(ix.edgeCount(2, 3, 'fallthrough'), 0);
    assert.equal(ix.reached(34), false);
  });

  it('finds no error in a program that passes', () => {
    const fixed = readObject(new Uint8Array(readFileSync(FIXED)), { name: FIXED });
    const fx = new ExploreIndex(exploreProgram(fixed, 0));
    assert.equal(fx.doc.report.verdict, 'pass');
    assert.equal(fx.errorSlot, undefined);
    assert.equal(fx.errorSlots.size, 0);
  });
});
