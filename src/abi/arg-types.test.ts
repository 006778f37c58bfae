// Author: Claude.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ArgBaseType, ArgTypeAlias, RetBaseType, RetTypeAlias, TypeFlag, decodeArgType, decodeRetType } from './arg-types.ts';

/** An enum of the running kernel, from its BTF (`bpftool btf dump file /sys/kernel/btf/vmlinux format c`). */
function kernelEnum(text: string, name: string): Map<string, number> {
  const body = new RegExp(`\\nenum ${name} \\{\\n([^}]*)\\};`).exec(text);
  assert.ok(body !== null, `vmlinux BTF has no enum ${name}`);
  const values = new Map<string, number>();
  for (const m of body[1]!.matchAll(/^\s*(\w+) = (-?\d+)/gm)) values.set(m[1]!, Number(m[2]));
  return values;
}

describe('argument and return types', () => {
  it('decode the kernel spellings into base and flags', () => {
    assert.deepEqual(decodeArgType('ARG_PTR_TO_UNINIT_MEM'), { base: 'ARG_PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'], value: 0x4008004 });
    assert.deepEqual(decodeArgType('ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY').flags, ['PTR_MAYBE_NULL', 'MEM_RDONLY']);
    assert.deepEqual(decodeArgType('ARG_PTR_TO_MEM_OR_NULL | MEM_WRITE').flags, ['PTR_MAYBE_NULL', 'MEM_WRITE']);
    assert.equal(decodeRetType('RET_PTR_TO_SOCKET_OR_NULL').base, 'RET_PTR_TO_SOCKET');
    assert.throws(() => decodeArgType('ARG_NOT_A_TYPE'), RangeError);
    assert.throws(() => decodeArgType('ARG_PTR_TO_MEM | NOT_A_FLAG'), RangeError);
    assert.throws(() => decodeRetType(''), RangeError);
  });

  it('carry the values of the running kernel\'s enums (bpftool, /sys/kernel/btf/vmlinux)', () => {
    const text = execFileSync('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const args = kernelEnum(text, 'bpf_arg_type');
    const rets = kernelEnum(text, 'bpf_return_type');
    const flags = kernelEnum(text, 'bpf_type_flag');
    let checked = 0;
    for (const [name, value] of Object.entries(ArgBaseType)) (assert.equal(args.get(name), value, name), checked++);
    for (const [name, value] of Object.entries(RetBaseType)) (assert.equal(rets.get(name), value, name), checked++);
    for (const [name, value] of Object.entries(TypeFlag)) (assert.equal(flags.get(name), value, name), checked++);
    for (const name of Object.keys(ArgTypeAlias)) (assert.equal(decodeArgType(name).value, args.get(name), name), checked++);
    for (const name of Object.keys(RetTypeAlias)) (assert.equal(decodeRetType(name).value, rets.get(name), name), checked++);
    console.log(`type enumerators agreeing with the running kernel: ${checked}/${checked}`);
  });
});
