/**
 * The kfunc table against the running kernel's BTF (`/sys/kernel/btf/vmlinux`, skipped where there is none): every
 * kfunc exists, with the table's arity, argument kinds, struct names and parameter-name suffixes, and result.
 *
 * Author: Claude.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf } from '../btf/index.ts';
import { KfuncFlag, kfuncAllowed, kfuncByName, kfuncs } from './kfuncs.ts';

const VMLINUX = '/sys/kernel/btf/vmlinux';

describe('kfunc table', () => {
  it('has unique names and flags Linux combines', () => {
    assert.equal(new Set(kfuncs.map((k) => k.name)).size, kfuncs.length);
    for (const k of kfuncs) {
      if ((k.flags & KfuncFlag.RET_NULL) !== 0) assert.ok(k.ret.kind === 'object' || k.ret.kind === 'int_ptr', k.name);
      if ((k.flags & KfuncFlag.RELEASE) !== 0) assert.equal(k.args.filter((a) => a.kind === 'object').length, 1, k.name);
    }
    assert.equal(kfuncAllowed(kfuncByName('bpf_iter_num_new')!, 'socket_filter'), true);
  });

  it('matches the running kernel\'s BTF prototypes', { skip: !existsSync(VMLINUX) && 'no /sys/kernel/btf/vmlinux' }, () => {
    const btf = parseBtf(new Uint8Array(readFileSync(VMLINUX)));
    const pointee = (id: number): string => {
      const t = btf.resolve(id);
      if (t.kind !== 'PTR') return '';
      const u = btf.resolve(t.type);
      return u.kind === 'STRUCT' ? u.name : u.kind;
    };
    for (const k of kfuncs) {
      const fn = btf.funcByName(k.name);
      assert.ok(fn !== undefined, `${k.name} is in the kernel's BTF`);
      const proto = btf.typeById(fn.type);
      assert.ok(proto.kind === 'FUNC_PROTO');
      assert.equal(proto.params.length, k.args.length, `${k.name}: arity`);
      proto.params.forEach((p, i) => {
        const a = k.args[i]!;
        const isPtr = btf.resolve(p.type).kind === 'PTR';
        if (a.kind === 'object' || a.kind === 'iter') assert.equal(pointee(p.type), a.type, `${k.name} argument ${i + 1}`);
        else if (a.kind === 'scalar') assert.equal(isPtr, false, `${k.name} argument ${i + 1}`);
        else if (a.kind === 'const') assert.match(p.name, /__k$/, `${k.name} argument ${i + 1}`);
        else if (a.kind === 'ignored') assert.match(p.name, /__ign$/, `${k.name} argument ${i + 1}`);
        else assert.equal(isPtr, true, `${k.name} argument ${i + 1}`);
      });
      if (k.ret.kind === 'object') assert.equal(pointee(proto.returnType), k.ret.type, `${k.name} result`);
      if (k.ret.kind === 'void') assert.equal(proto.returnType, 0, `${k.name} result`);
      if (k.ret.kind === 'scalar') assert.notEqual(btf.resolve(proto.returnType).kind, 'PTR', `${k.name} result`);
    }
  });
});
