/**
 * Test fixtures: hand-built BTF that holds every kind and the unusual encodings clang rarely emits (ENUM64,
 * FLOAT, TYPE_TAG, RESTRICT, bitfields, variadic prototypes, extern and static linkage, signed enums), shared by the
 * unit tests and the bpftool comparison (bpftool reads raw BTF files too).
 *
 * Author: Claude.
 *
 * @module
 */

import { BtfBuilder } from './_btf-builder.ts';

/** A `.BTF` blob with one or more types of every kind. */
export function everyKindBtf(): Uint8Array {
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1); // 1
  b.float('double', 8); // 2
  b.typeTag('user', int); // 3
  b.enum64('e64', 8, [['MAX', 0xffffffffffffffffn], ['ONE', 1n]]); // 4
  b.enum64('s64', 8, [['M', -5n]], true); // 5
  b.enum('se', 4, [['NEG', -5]], true); // 6
  b.enum('ue', 4, [['BIG', -5], ['ZERO', 0]]); // 7
  b.restrict(int); // 8
  b.int('_Bool', 1, 4); // 9
  b.int('char', 1, 2); // 10
  b.int('odd', 1, 3, 5, 2); // 11
  const bf = b.struct('bf', 4, [{ name: 'a', type: int, bitOffset: 0, bitfieldSize: 3 }, { name: '', type: int, bitOffset: 3 }], true); // 12
  const proto = b.funcProto(0, [{ name: 'fmt', type: int }], true); // 13
  const printk = b.func('printk', proto, 2); // 14
  b.func('st', proto, 0); // 15
  const sv = b.var('sv', int, 0); // 16
  b.var('ev', int, 2); // 17
  b.declTag('tag', printk, 0); // 18
  b.fwd('uu', true); // 19
  b.fwd('ss'); // 20
  const ptr = b.ptr(bf); // 21
  const arr = b.array(int, int, 4); // 22
  b.typedef('bf_t', bf); // 23
  b.volatile(int); // 24
  b.const(ptr); // 25
  b.union('un', 8, [{ name: 'x', type: int, bitOffset: 0 }, { name: 'y', type: arr, bitOffset: 0 }]); // 26
  const gv = b.var('gv', arr, 1); // 27
  b.datasec('.data', 20, [{ type: sv, offset: 0, size: 4 }, { type: gv, offset: 4, size: 16 }]); // 28
  b.datasec('.ksyms', 0, [{ type: printk, offset: 0, size: 0 }]); // 29
  b.declTag('on_struct', bf, -1); // 30
  b.funcProto(int, []); // 31
  b.enum('empty', 4, []); // 32
  return b.build();
}

/** What `bpftool btf dump file` prints for {@link everyKindBtf} (taken from bpftool v7.1). */
export const EVERY_KIND_DUMP = `[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] FLOAT 'double' size=8
[3] TYPE_TAG 'user' type_id=1
[4] ENUM64 'e64' encoding=UNSIGNED size=8 vlen=2
\t'MAX' val=18446744073709551615ULL
\t'ONE' val=1ULL
[5] ENUM64 's64' encoding=SIGNED size=8 vlen=1
\t'M' val=-5LL
[6] ENUM 'se' encoding=SIGNED size=4 vlen=1
\t'NEG' val=-5
[7] ENUM 'ue' encoding=UNSIGNED size=4 vlen=2
\t'BIG' val=4294967291
\t'ZERO' val=0
[8] RESTRICT '(anon)' type_id=1
[9] INT '_Bool' size=1 bits_offset=0 nr_bits=8 encoding=BOOL
[10] INT 'char' size=1 bits_offset=0 nr_bits=8 encoding=CHAR
[11] INT 'odd' size=1 bits_offset=2 nr_bits=5 encoding=UNKN
[12] STRUCT 'bf' size=4 vlen=2
\t'a' type_id=1 bits_offset=0 bitfield_size=3
\t'(anon)' type_id=1 bits_offset=3
[13] FUNC_PROTO '(anon)' ret_type_id=0 vlen=2
\t'fmt' type_id=1
\t'(anon)' type_id=0
[14] FUNC 'printk' type_id=13 linkage=extern
[15] FUNC 'st' type_id=13 linkage=static
[16] VAR 'sv' type_id=1, linkage=static
[17] VAR 'ev' type_id=1, linkage=extern
[18] DECL_TAG 'tag' type_id=14 component_idx=0
[19] FWD 'uu' fwd_kind=union
[20] FWD 'ss' fwd_kind=struct
[21] PTR '(anon)' type_id=12
[22] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=4
[23] TYPEDEF 'bf_t' type_id=12
[24] VOLATILE '(anon)' type_id=1
[25] CONST '(anon)' type_id=21
[26] UNION 'un' size=8 vlen=2
\t'x' type_id=1 bits_offset=0
\t'y' type_id=22 bits_offset=0
[27] VAR 'gv' type_id=22, linkage=global
[28] DATASEC '.data' size=20 vlen=2
\ttype_id=16 offset=0 size=4 (VAR 'sv')
\ttype_id=27 offset=4 size=16 (VAR 'gv')
[29] DATASEC '.ksyms' size=0 vlen=1
\ttype_id=14 offset=0 size=0 (FUNC 'printk')
[30] DECL_TAG 'on_struct' type_id=12 component_idx=-1
[31] FUNC_PROTO '(anon)' ret_type_id=1 vlen=0
[32] ENUM 'empty' encoding=UNSIGNED size=4 vlen=0
`;
