// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeArgType, decodeRetType } from './arg-types.ts';
import { describeArgs, helperById, helperByName, helperNames, helperPrototype, helperPrototypes, helpers } from './helpers.ts';
import { compatibleMapTypes, isMapCompatible } from './map-compat.ts';

const shared = join(import.meta.dirname, '..', '..', '..', 'shared');

/**
 * Helper names in mapper order, from a uapi header: Linux 6.1 has `#define __BPF_FUNC_MAPPER(FN)` with `FN(name)`,
 * later headers `#define ___BPF_FUNC_MAPPER(FN, ctx...)` with `FN(name, id, ##ctx)`.
 */
function mapperNames(header: string): string[] {
  const m = /#define _{2,3}BPF_FUNC_MAPPER\(FN[^)]*\)((?:[^\n]*\\\n)+)/.exec(header);
  assert.ok(m !== null, 'the header defines no helper mapper');
  const names: string[] = [];
  for (const fn of m[1]!.matchAll(/\bFN\((\w+)(?:,\s*(\d+))?/g)) {
    if (fn[2] !== undefined) assert.equal(Number(fn[2]), names.length, `${fn[1]}'s explicit id`);
    names.push(fn[1]!);
  }
  return names;
}

/** `enum bpf_func_id` of the running kernel, from its BTF (bpftool btf dump ... format c). */
function kernelHelperIds(): Map<string, number> {
  const text = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const body = /\nenum bpf_func_id \{\n([^}]*)\};/.exec(text);
  assert.ok(body !== null, 'vmlinux BTF has no enum bpf_func_id');
  const ids = new Map<string, number>();
  for (const m of body[1]!.matchAll(/^\s*BPF_FUNC_(\w+) = (\d+)/gm)) ids.set(m[1]!, Number(m[2]));
  return ids;
}

function objectFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) objectFiles(p, out);
    else if (name.endsWith('.o')) out.push(p);
  }
  return out;
}

/** Helper ids of every `call` with src_reg 0 in the objects, from llvm-objdump-19's raw bytes (`85 00 ...`). */
function calledHelperIds(files: string[]): Map<number, string[]> {
  const found = new Map<number, string[]>();
  // One llvm-objdump run per batch keeps process start-up out of the test's time.
  for (let i = 0; i < files.length; i += 40) {
    const batch = files.slice(i, i + 40);
    const text = execFileSync('llvm-objdump-19', ['-d', ...batch], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
    let file = '';
    for (const line of text.split('\n')) {
      if (line.endsWith(':\tfile format elf64-bpf')) file = line.slice(0, line.indexOf(':\tfile format'));
      const m = /^\s*[0-9a-f]+:\s+85 ([0-9a-f])0 [0-9a-f]{2} [0-9a-f]{2} ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2}) ([0-9a-f]{2})\s/.exec(line);
      if (m === null) continue;
      if (m[1] !== '0') continue; // src_reg is the high nibble of byte 1: 1 is a bpf-to-bpf call, 2 a kfunc
      const id = Number.parseInt(m[5]! + m[4]! + m[3]! + m[2]!, 16) | 0;
      const users = found.get(id) ?? [];
      if (!users.includes(file)) users.push(file);
      found.set(id, users);
    }
  }
  return found;
}

describe('helper ids and names', () => {
  it('follow ___BPF_FUNC_MAPPER in /usr/include/linux/bpf.h', () => {
    const names = mapperNames(readFileSync('/usr/include/linux/bpf.h', 'utf8'));
    assert.ok(names.length > 200, `parsed ${names.length} helper names`);
    names.forEach((name, id) => assert.equal(helperNames[id], name, `helper ${id}`));
    console.log(`helper ids agreeing with /usr/include/linux/bpf.h: ${names.length}/${names.length} (abi knows ${helperNames.length})`);
  });

  it('match enum bpf_func_id of the running kernel (bpftool, /sys/kernel/btf/vmlinux)', () => {
    const ids = kernelHelperIds();
    let agree = 0;
    for (const [name, id] of ids) {
      assert.equal(helperNames[id], name, `BPF_FUNC_${name}`);
      agree++;
    }
    assert.ok(agree >= 212, `the kernel lists ${agree} helpers`);
    console.log(`helper ids agreeing with the running kernel's BTF: ${agree}/${agree}`);
  });

  it('are unique, one definition per id', () => {
    assert.equal(new Set(helperNames).size, helperNames.length);
    assert.equal(helperNames.length, 212);
    helpers.forEach((h, id) => assert.equal(h.id, id));
  });

  it('look up by id and by name, with or without bpf_', () => {
    assert.equal(helperById(1)?.name, 'map_lookup_elem');
    assert.equal(helperById(211)?.name, 'cgrp_storage_delete');
    assert.equal(helperById(212), undefined);
    assert.equal(helperById(-1), undefined);
    assert.equal(helperById(1.5), undefined);
    assert.equal(helperByName('bpf_ringbuf_reserve')?.id, 131);
    assert.equal(helperByName('ringbuf_reserve')?.id, 131);
    assert.equal(helperByName('no_such_helper'), undefined);
  });
});

describe('helper prototypes', () => {
  it('cover every helper id but unspec', () => {
    const missing = helpers.filter((h) => h.id !== 0 && h.variants.length === 0).map((h) => h.name);
    assert.deepEqual(missing, []);
    console.log(`helpers with prototypes: ${helpers.filter((h) => h.variants.length > 0).length}/${helpers.length - 1}, prototypes: ${helperPrototypes.length}`);
  });

  it('have unique kernel names and decodable types', () => {
    assert.equal(new Set(helperPrototypes.map((p) => p.proto)).size, helperPrototypes.length);
    for (const p of helperPrototypes) {
      decodeRetType(p.ret);
      assert.ok(p.args.length <= 5, p.proto);
      for (const a of p.args) decodeArgType(a);
      assert.equal(helperPrototype(p.proto), p);
    }
  });

  it('pair every memory argument with a size (or a fixed size), as check_func_proto demands', () => {
    for (const p of helperPrototypes) {
      for (const a of describeArgs(p)) {
        if (a.base !== 'ARG_PTR_TO_MEM') continue;
        assert.ok(a.sizeArg !== undefined || a.fixedSize !== undefined, `${p.proto} arg ${a.arg} has no size`);
      }
    }
  });

  it('record the facts a verifier needs for the common helpers', () => {
    const lookup = helperByName('map_lookup_elem')!.variants[0]!;
    assert.equal(lookup.ret, 'RET_PTR_TO_MAP_VALUE_OR_NULL');
    assert.deepEqual(lookup.args, ['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY']);
    assert.equal(lookup.pktAccess, true);

    const reserve = helperByName('ringbuf_reserve')!;
    assert.equal(reserve.acquiresReference, true);
    assert.deepEqual(decodeRetType(reserve.variants[0]!.ret), { base: 'RET_PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RINGBUF'], value: 0x506 });
    assert.equal(describeArgs(reserve.variants[0]!)[1]!.allocSize, true);

    const submit = helperByName('ringbuf_submit')!;
    assert.equal(submit.releasesReference, true);
    assert.equal(describeArgs(submit.variants[0]!)[0]!.releases, true);
    assert.equal(helperByName('sk_release')!.releasesReference, true);
    assert.equal(helperByName('sk_lookup_tcp')!.variants[0]!.ret, 'RET_PTR_TO_SOCKET_OR_NULL');

    const probeRead = describeArgs(helperPrototype('bpf_probe_read_kernel_proto')!);
    assert.deepEqual([probeRead[0]!.access, probeRead[0]!.sizeArg, probeRead[1]!.sizeOf, probeRead[1]!.zeroSizeAllowed], ['write', 2, 1, true]);
    assert.equal(helperPrototype('bpf_probe_read_kernel_proto')!.gplOnly, true);

    const funcArg = describeArgs(helperPrototype('bpf_get_func_arg_proto')!)[2]!;
    assert.equal(funcArg.fixedSize, 8);

    assert.equal(helperByName('tail_call')!.variants[0]!.ret, 'RET_VOID');
    assert.equal(helperByName('loop')!.callback, 'sync');
    assert.equal(helperByName('timer_set_callback')!.callback, 'async');
    assert.equal(helperByName('xdp_adjust_head')!.changesPacketData, true);
    assert.equal(helperByName('copy_from_user')!.variants[0]!.mightSleep, true);
    assert.equal(helperByName('get_current_task_btf')!.variants[0]!.retBtf, 'task_struct');
    assert.equal(helperByName('spin_lock')!.variants[0]!.args[0], 'ARG_PTR_TO_SPIN_LOCK');
    assert.equal(helperByName('snprintf')!.variants[0]!.args[2], 'ARG_PTR_TO_CONST_STR');
    assert.equal(helperByName('for_each_map_elem')!.variants[0]!.args[1], 'ARG_PTR_TO_FUNC');
    assert.equal(helperByName('dynptr_read')!.variants[0]!.args[2], 'ARG_PTR_TO_DYNPTR | MEM_RDONLY');
  });

  it('exist for the helpers the verifier, runtime and bpf2c need first', () => {
    const wanted = [
      'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem', 'tail_call',
      'ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_coarse_ns', 'get_prandom_u32', 'get_smp_processor_id', 'trace_printk',
      'trace_vprintk', 'snprintf', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query',
      'perf_event_output', 'csum_diff', 'xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta', 'redirect', 'redirect_map',
      'skb_load_bytes', 'skb_store_bytes', 'l3_csum_replace', 'l4_csum_replace', 'get_current_pid_tgid', 'get_current_uid_gid',
      'get_current_comm', 'spin_lock', 'spin_unlock', 'loop', 'for_each_map_elem', 'probe_read', 'probe_read_str', 'probe_read_user',
      'probe_read_kernel', 'probe_read_user_str', 'probe_read_kernel_str', 'get_current_task', 'perf_event_read',
      'skb_load_bytes_relative', 'fib_lookup', 'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'get_socket_cookie',
    ];
    for (const name of wanted) assert.ok((helperByName(name)?.variants.length ?? 0) > 0, name);
  });

  it('cover every helper the corpus and the example programs call (llvm-objdump-19)', () => {
    const files = [...objectFiles(join(shared, 'corpus', 'ebpf-samples')), ...objectFiles(join(shared, 'programs', 'obj'))];
    assert.ok(files.length > 100, `found ${files.length} objects`);
    const called = calledHelperIds(files);
    const missing = [...called.keys()].filter((id) => (helperById(id)?.variants.length ?? 0) === 0);
    assert.deepEqual(missing, [], `helper ids called without a prototype: ${missing.join(', ')}`);
    console.log(`helpers called in the corpus with a prototype: ${called.size - missing.length}/${called.size} (${files.length} objects)`);
  });
});

describe('map compatibility (check_map_func_compatibility)', () => {
  it('ties map-specific helpers to their map types', () => {
    assert.deepEqual(compatibleMapTypes('tail_call'), ['prog_array']);
    assert.deepEqual(compatibleMapTypes('ringbuf_reserve'), ['ringbuf']);
    assert.deepEqual(compatibleMapTypes('perf_event_output'), ['perf_event_array']);
    assert.deepEqual(compatibleMapTypes('redirect_map'), ['devmap', 'cpumap', 'xskmap', 'devmap_hash']);
    assert.deepEqual(compatibleMapTypes('map_push_elem'), ['queue', 'stack', 'bloom_filter']);
    assert.deepEqual(compatibleMapTypes('map_pop_elem'), ['queue', 'stack']);
    assert.deepEqual(compatibleMapTypes('get_stackid'), ['stack_trace']);
  });

  it('keeps special maps away from the generic helpers', () => {
    assert.equal(isMapCompatible('map_lookup_elem', 'hash'), true);
    assert.equal(isMapCompatible('map_lookup_elem', 'ringbuf'), false);
    assert.equal(isMapCompatible('map_lookup_elem', 'prog_array'), false);
    assert.equal(isMapCompatible('map_lookup_elem', 'devmap'), true);
    assert.equal(isMapCompatible('map_lookup_elem', 'cpumap'), false);
    assert.equal(isMapCompatible('map_update_elem', 'queue'), false);
    const lookups = compatibleMapTypes('map_lookup_elem');
    assert.ok(lookups.includes('array_of_maps') && lookups.includes('lpm_trie') && !lookups.includes('stack_trace'));
  });

  it('lets only some program types update a sockmap (may_update_sockmap)', () => {
    assert.equal(isMapCompatible('map_update_elem', 'sockmap'), false);
    assert.equal(isMapCompatible('map_update_elem', 'sockmap', { programType: 'xdp' }), true);
    assert.equal(isMapCompatible('map_update_elem', 'sockhash', { programType: 'sock_ops' }), false);
    assert.equal(isMapCompatible('map_delete_elem', 'sockhash', { programType: 'sock_ops' }), true);
    assert.equal(isMapCompatible('map_update_elem', 'sockmap', { programType: 'tracing', attachType: 'trace_iter' }), true);
    assert.equal(isMapCompatible('map_update_elem', 'sockmap', { programType: 'tracing', attachType: 'trace_fentry' }), false);
  });
});
