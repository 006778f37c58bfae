/**
 * The BTF layer: reads `.BTF` (types) and `.BTF.ext` (func_info, line_info, CO-RE relocations) from the raw bytes
 * of those sections, answers questions about the types, and prints them as `bpftool btf dump` does. It knows
 * nothing about ELF: the caller passes the section contents. The only import target for other layers.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { parseBtf, parseBtfExt, formatBtfDump } from './index.ts';
 * const btf = parseBtf(elf.section('.BTF')!.data, { file: elf.name });
 * const ext = parseBtfExt(elf.section('.BTF.ext')!.data, btf, { file: elf.name });
 * const where = ext.lineInfoOf('xdp').find((l) => l.insn === 12);
 * ```
 *
 * @module
 */

export { Btf, describeType } from './btf.ts';
export { parseBtf, type ParseBtfOptions } from './parse-btf.ts';
export { BtfStringTable } from './string-table.ts';
export {
  BtfExt, parseBtfExt, type BtfExtHeader, type BtfExtSection, type CoreRelo, type FuncInfo, type LineInfo,
  type ParseBtfExtOptions,
} from './btf-ext.ts';
export { formatBtfDump, intEncodingName } from './format-dump.ts';
export { btfToJson, formatBtfJson, type BtfJson, type BtfJsonMember, type BtfJsonType } from './btf-json.ts';
export {
  BTF_KIND_MAX, BTF_KIND_NAMES, BTF_LINKAGE_NAMES, BTF_MAGIC, BTF_VERSION, BtfFuncLinkage, BtfIntEncoding, BtfKind,
  BtfVarLinkage, CORE_RELO_KIND_NAMES, CoreReloKind, type BtfKindName, type BtfLinkage, type CoreReloKindName,
} from './kinds.ts';
export type {
  BtfArray, BtfConst, BtfDatasec, BtfDeclTag, BtfEnum, BtfEnum64, BtfEnum64Value, BtfEnumValue, BtfFloat, BtfFunc,
  BtfFuncProto, BtfFwd, BtfHeader, BtfInt, BtfMember, BtfModifier, BtfParam, BtfPtr, BtfRestrict, BtfStruct,
  BtfType, BtfTypedef, BtfTypeTag, BtfUnion, BtfVar, BtfVarSecinfo, BtfVoid, BtfVolatile,
} from './types.ts';
export { describeCoreRelocation } from './core-relo-text.ts';
export { writeJson, JsonMembers, JsonRaw, type JsonValue } from './json-writer.ts';
export { btfValue, type BtfValueOptions } from './value-dump.ts';
export { formatMapDump, mapDumpJson, hexBytes, isPerCpuMapType, perCpuStride, type MapDumpEntry, type MapDumpInfo } from './map-dump.ts';
