// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { helperPrototypeFor, structLayouts } from '../abi/index.ts';
import { builtinProgramInfo, programInfoHash, programInfoText, prototypeText, type ProgramInfoSource } from './program-info.ts';

describe('program-info hash', () => {
  it('describes the program type, its context layout and access rules from the ABI tables', () => {
    const text = programInfoText('xdp', 6, [1]);
    const lines = text.split('\n');
    assert.equal(lines[0], 'bpfship-program-info 2');
    assert.equal(lines[1], 'program-type xdp id 6 abi-id 6');
    assert.equal(lines[2], `context xdp_md size ${structLayouts.xdp_md.size}`);
    for (const f of structLayouts.xdp_md.fields) assert.ok(lines.includes(`field ${f.name} ${f.offset} ${f.size} ${f.type}`), f.name);
    assert.ok(lines.includes('access data read 4 yields PTR_TO_PACKET'));
    assert.ok(lines.includes('packet read write helper-args'));
    assert.ok(lines.includes('rewrite data@0 data_end@4 data_meta@8'));
  });

  it('gives each helper its full prototype as resolved for the program type', () => {
    const tc = programInfoText('sched_cls', 3, [25]);
    const proto = helperPrototypeFor('sched_cls', 'perf_event_output');
    assert.ok(proto !== undefined);
    assert.ok(tc.includes(`helper 25 perf_event_output ${prototypeText(proto)}\n`));
    assert.match(tc, /bpf_skb_event_output_proto ret RET_INTEGER args \(ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_MEM \| MEM_RDONLY, ARG_CONST_SIZE_OR_ZERO\)/);
    // A helper some attach types of the program type get is listed whatever the attach type.
    assert.match(programInfoText('cgroup_sock_addr', 18, [64]), /^helper 64 bind bpf_bind_proto ret RET_INTEGER/m);
    assert.match(programInfoText('socket_filter', 1, [23]), /^helper 23 redirect unavailable$/m);
  });

  it('is the same for the same facts, in any helper order', () => {
    assert.equal(programInfoHash('xdp', 6, [44, 1, 1, 12]), programInfoHash('xdp', 6, [1, 12, 44]));
    assert.match(programInfoHash('xdp', 6, [1]), /^[0-9a-f]{64}$/);
  });

  it('changes when any fact changes: program type, its id, a helper, a prototype, the context', () => {
    const base = programInfoHash('xdp', 6, [1]);
    assert.notEqual(programInfoHash('xdp', 6, [1, 2]), base);
    assert.notEqual(programInfoHash('xdp', 7, [1]), base);
    assert.notEqual(programInfoHash('sched_cls', 6, [1]), base);
    const otherHelperTable: ProgramInfoSource = {
      programTypeFacts: (t, id) => builtinProgramInfo.programTypeFacts(t, id),
      helperFacts: (t, id) => builtinProgramInfo.helperFacts(t, id).map((l) => l.replace('ARG_PTR_TO_MAP_KEY', 'ARG_PTR_TO_MAP_VALUE')),
    };
    assert.notEqual(programInfoHash('xdp', 6, [1], otherHelperTable), base);
    const otherContext: ProgramInfoSource = {
      programTypeFacts: (t, id) => builtinProgramInfo.programTypeFacts(t, id).map((l) => l.replace('field data_end 4 4', 'field data_end 8 4')),
      helperFacts: (t, id) => builtinProgramInfo.helperFacts(t, id),
    };
    assert.notEqual(programInfoHash('xdp', 6, [1], otherContext), base);
    assert.equal(programInfoHash('xdp', 6, [1], { ...builtinProgramInfo }), base);
  });

  it('describes program types and helpers the tables do not know without failing', () => {
    assert.match(programInfoText('unspec', 0, [1, 9999]), /context unknown\n.*\nhelper 1 map_lookup_elem bpf_map_lookup_elem_proto .*\nhelper 9999 \S+ unavailable\n$/s);
  });
});
