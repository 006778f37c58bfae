/**
 * Test helper: the contents of named sections of an ELF64 little-endian object, read with the fewest possible
 * checks. Tests of the BTF layer use it to get `.BTF` and `.BTF.ext` without depending on the ELF layer.
 *
 * Author: Claude.
 *
 * @module
 */

/** Why a file gave no sections: not ELF, or not the ELF64 little-endian kind this helper reads. */
export class NotElfError extends Error {}

/**
 * The sections of `bytes` by name (the first of each name wins, as libbpf's lookup does), or a NotElfError when
 * the file is not an ELF64 little-endian object whose section headers lie inside it.
 */
export function elfSections(bytes: Uint8Array): Map<string, Uint8Array> {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new NotElfError('not an ELF file');
  }
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new NotElfError('not ELF64 little-endian');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  if (shentsize < 64 || shoff + shnum * shentsize > bytes.length || shstrndx >= shnum) {
    throw new NotElfError('section headers out of range');
  }
  const header = (i: number): { name: number; type: number; offset: number; size: number } => {
    const h = shoff + i * shentsize;
    return {
      name: dv.getUint32(h, true),
      type: dv.getUint32(h + 4, true),
      offset: Number(dv.getBigUint64(h + 0x18, true)),
      size: Number(dv.getBigUint64(h + 0x20, true)),
    };
  };
  const strtab = header(shstrndx);
  if (strtab.offset + strtab.size > bytes.length) throw new NotElfError('section names out of range');
  const names = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
  const out = new Map<string, Uint8Array>();
  for (let i = 1; i < shnum; i++) {
    const h = header(i);
    if (h.name >= names.length) throw new NotElfError(`section ${i} name out of range`);
    const end = names.indexOf(0, h.name);
    const name = new TextDecoder().decode(names.subarray(h.name, end < 0 ? names.length : end));
    if (out.has(name)) continue;
    const NOBITS = 8;
    if (h.type === NOBITS) {
      out.set(name, new Uint8Array(0));
      continue;
    }
    if (h.offset + h.size > bytes.length) throw new NotElfError(`section ${i} '${name}' out of range`);
    out.set(name, bytes.subarray(h.offset, h.offset + h.size));
  }
  return out;
}
