// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { assemble, makeInstruction } from '../asm/index.ts';
import { prepareConformanceProgram } from '../interp/index.ts';
import { analyseFunctions, BlockEnd, functionEntries, type FunctionGraph } from './control-flow.ts';

const prepare = (text: string) => prepareConformanceProgram(assemble(text, { dialect: 'llvm' }));

/** The one function of `text`, analysed. */
function graph(text: string): FunctionGraph {
  const a = analyseFunctions(prepare(text));
  if (!a.ok) assert.fail(a.why);
  return a.functions[0] as FunctionGraph;
}

/** Slot numbers of the blocks that have `flag` set. */
const startsWhere = (g: FunctionGraph, flag: Uint8Array): number[] => g.blocks.filter((_, i) => flag[i] === 1).map((b) => b.start);

describe('analyseFunctions', () => {
  it('finds the blocks of an if-else and its join, the join dominated by the branch', () => {
    const g = graph(['r0 = 1', 'if r1 > 5 goto big', 'r0 = 2', 'goto out', 'big:', 'r0 = 3', 'out:', 'exit'].join('\n'));
    const at = (slot: number): number => g.blocks.findIndex((b) => b.start === slot);
    assert.deepEqual(g.blocks.map((b) => [b.start, b.kind]).sort((x, y) => (x[0] as number) - (y[0] as number)), [[0, BlockEnd.BRANCH], [2, BlockEnd.JUMP], [4, BlockEnd.FALL], [5, BlockEnd.EXIT]]);
    assert.deepEqual(startsWhere(g, g.merge), [5]);
    assert.deepEqual(startsWhere(g, g.loopHeader), []);
    assert.equal(g.idom[at(5)], at(0)); // the join's immediate dominator is the branch
    assert.deepEqual([...(g.children[at(0)] ?? [])].map((b) => g.blocks[b]?.start).sort(), [2, 4, 5]);
  });

  it('marks loop headers, nested loops included', () => {
    const g = graph([
      'r0 = 0', 'r1 = 0',
      'outer:', 'r2 = 0',
      'inner:', 'r0 += 1', 'r2 += 1', 'if r2 < 3 goto inner',
      'r1 += 1', 'if r1 < 4 goto outer',
      'exit',
    ].join('\n'));
    assert.deepEqual(startsWhere(g, g.loopHeader), [2, 3]);
    assert.deepEqual(g.rpo.map((b) => g.blocks[b]?.start), [0, 2, 3, 6, 8]);
  });

  it('keeps one successor for a conditional jump to the next instruction', () => {
    const g = graph('r0 = 0\nif r1 > 1 goto +0\nexit');
    assert.deepEqual(g.blocks[0]?.succ, [1]);
    assert.deepEqual(startsWhere(g, g.merge), []);
  });

  it('leaves unreachable code out of the graph', () => {
    const g = graph('r0 = 0\nexit\nr0 = 1\nexit');
    assert.deepEqual(g.blocks.map((b) => b.start), [0]);
  });

  it('refuses an irreducible loop (entered at two places)', () => {
    const irreducible = analyseFunctions(prepare(['if r1 > 0 goto b', 'a:', 'r0 += 1', 'if r0 > 9 goto out', 'b:', 'r0 += 2', 'goto a', 'out:', 'exit'].join('\n')));
    assert.equal(irreducible.ok, false);
    assert.match(irreducible.ok ? '' : irreducible.why, /irreducible loop/);
  });

  it('splits the program into its functions at call targets and function addresses', () => {
    const prog = prepareConformanceProgram([
      makeInstruction(0x18, 2, 4, 0, 6), // r2 = the function at slot 7
      makeInstruction(0x85, 0, 1, 0, 2), // call local +2 (slot 5)
      makeInstruction(0xb7, 0, 0, 0, 0),
      makeInstruction(0x95, 0, 0, 0, 0),
      makeInstruction(0xb7, 0, 0, 0, 1), // slot 5
      makeInstruction(0x95, 0, 0, 0, 0),
      makeInstruction(0xb7, 0, 0, 0, 2), // slot 7
      makeInstruction(0x95, 0, 0, 0, 0),
    ]);
    assert.deepEqual(functionEntries(prog), [0, 5, 7]);
    const a = analyseFunctions(prog);
    assert.ok(a.ok);
    assert.deepEqual(a.functions.map((f) => [f.entry, f.blocks.map((b) => b.start)]), [[0, [0]], [5, [5]], [7, [7]]]);
  });

  it('refuses functions that share code (a call into the middle of another function)', () => {
    const a = analyseFunctions(prepareConformanceProgram([
      makeInstruction(0xb7, 0, 0, 0, 0),
      makeInstruction(0x85, 0, 1, 0, -1), // calls itself: slot 1 is a function entry inside the entry's code
      makeInstruction(0x95, 0, 0, 0, 0),
    ]));
    assert.equal(a.ok, false);
    assert.match(a.ok ? '' : a.why, /share the code at slot 1/);
  });
});
