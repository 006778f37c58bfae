/**
 * A minimal ELF64 little-endian relocatable-object writer, for tests only: it wraps chosen bytes, symbols and
 * relocations in an object that llvm-objdump and our reader both accept, so the two disassemblers can be compared on
 * inputs no compiler would write (random instruction words, odd symbol layouts).
 *
 * Author: Claude.
 *
 * @module
 */

/** A section to write. */
export interface TestSection {
  readonly name: string;
  readonly data: Uint8Array;
  /** sh_flags; default ALLOC|EXECINSTR (0x6). */
  readonly flags?: number;
  /** sh_type; default PROGBITS (1). */
  readonly type?: number;
}

/** A symbol to write; `section` names one of the sections, or is omitted for an undefined symbol. */
export interface TestSymbol {
  readonly name: string;
  readonly section?: string;
  readonly value: number;
  /** STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION. Default FUNC. */
  readonly type?: number;
  /** STB_*: 0 LOCAL, 1 GLOBAL. Default GLOBAL. */
  readonly bind?: number;
  readonly size?: number;
}

/** A REL relocation in `section` at `offset`, naming a symbol by name. */
export interface TestRelocation {
  readonly section: string;
  readonly offset: number;
  readonly type: number;
  readonly symbol: string;
}

/** Writes the object. Symbols of type SECTION take the section's name and get an empty symbol name. */
export function buildElf(sections: readonly TestSection[], symbols: readonly TestSymbol[] = [], relocations: readonly TestRelocation[] = []): Uint8Array {
  const strtab = new StringTable();
  const shstrtab = new StringTable();
  const secIndex = new Map<string, number>();
  sections.forEach((s, i) => secIndex.set(s.name, i + 1));

  // Symbols: null, locals, then globals.
  const ordered = [...symbols.filter((s) => (s.bind ?? 1) === 0), ...symbols.filter((s) => (s.bind ?? 1) !== 0)];
  const firstGlobal = 1 + symbols.filter((s) => (s.bind ?? 1) === 0).length;
  const symIndex = new Map<string, number>();
  const symBytes = new Uint8Array(24 * (ordered.length + 1));
  const symDv = new DataView(symBytes.buffer);
  ordered.forEach((s, i) => {
    const at = 24 * (i + 1);
    const type = s.type ?? 2;
    symIndex.set(s.name, i + 1);
    symDv.setUint32(at, type === 3 ? 0 : strtab.add(s.name), true);
    symDv.setUint8(at + 4, ((s.bind ?? 1) << 4) | type);
    symDv.setUint16(at + 6, s.section === undefined ? 0 : (secIndex.get(s.section) ?? 0), true);
    symDv.setBigUint64(at + 8, BigInt(s.value), true);
    symDv.setBigUint64(at + 16, BigInt(s.size ?? 0), true);
  });

  // Relocation sections, one per relocated section.
  const relSections: { name: string; info: number; data: Uint8Array }[] = [];
  for (const s of sections) {
    const rels = relocations.filter((r) => r.section === s.name);
    if (rels.length === 0) continue;
    const data = new Uint8Array(16 * rels.length);
    const dv = new DataView(data.buffer);
    rels.forEach((r, i) => {
      dv.setBigUint64(16 * i, BigInt(r.offset), true);
      dv.setBigUint64(16 * i + 8, (BigInt(symIndex.get(r.symbol) ?? 0) << 32n) | BigInt(r.type), true);
    });
    relSections.push({ name: '.rel' + s.name, info: secIndex.get(s.name) ?? 0, data });
  }

  interface Header { name: number; type: number; flags: number; data: Uint8Array; link: number; info: number; align: number; entsize: number }
  const headers: Header[] = [];
  for (const s of sections) headers.push({ name: shstrtab.add(s.name), type: s.type ?? 1, flags: s.flags ?? 6, data: s.data, link: 0, info: 0, align: 8, entsize: 0 });
  const symtabIndex = sections.length + relSections.length + 1;
  for (const r of relSections) headers.push({ name: shstrtab.add(r.name), type: 9, flags: 0x40, data: r.data, link: symtabIndex, info: r.info, align: 8, entsize: 16 });
  headers.push({ name: shstrtab.add('.symtab'), type: 2, flags: 0, data: symBytes, link: symtabIndex + 1, info: firstGlobal, align: 8, entsize: 24 });
  const strIndex = headers.length;
  headers.push({ name: shstrtab.add('.strtab'), type: 3, flags: 0, data: new Uint8Array(0), link: 0, info: 0, align: 1, entsize: 0 });
  headers.push({ name: shstrtab.add('.shstrtab'), type: 3, flags: 0, data: new Uint8Array(0), link: 0, info: 0, align: 1, entsize: 0 });
  (headers[strIndex] as Header).data = strtab.bytes();
  (headers[strIndex + 1] as Header).data = shstrtab.bytes();

  // Layout: ELF header, section contents (8-aligned), section header table.
  let pos = 64;
  const offsets: number[] = [];
  for (const h of headers) {
    pos = (pos + 7) & ~7;
    offsets.push(pos);
    pos += h.type === 8 ? 0 : h.data.length;
  }
  pos = (pos + 7) & ~7;
  const shoff = pos;
  const total = shoff + 64 * (headers.length + 1);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  dv.setUint16(16, 1, true); // ET_REL
  dv.setUint16(18, 247, true); // EM_BPF
  dv.setUint32(20, 1, true);
  dv.setBigUint64(40, BigInt(shoff), true);
  dv.setUint16(52, 64, true);
  dv.setUint16(58, 64, true);
  dv.setUint16(60, headers.length + 1, true);
  dv.setUint16(62, headers.length, true); // .shstrtab is last
  headers.forEach((h, i) => {
    const off = offsets[i] as number;
    if (h.type !== 8) out.set(h.data, off);
    const at = shoff + 64 * (i + 1);
    dv.setUint32(at, h.name, true);
    dv.setUint32(at + 4, h.type, true);
    dv.setBigUint64(at + 8, BigInt(h.flags), true);
    dv.setBigUint64(at + 24, BigInt(off), true);
    dv.setBigUint64(at + 32, BigInt(h.data.length), true);
    dv.setUint32(at + 40, h.link, true);
    dv.setUint32(at + 44, h.info, true);
    dv.setBigUint64(at + 48, BigInt(h.align), true);
    dv.setBigUint64(at + 56, BigInt(h.entsize), true);
  });
  return out;
}

class StringTable {
  private readonly parts: number[] = [0];
  private readonly seen = new Map<string, number>();
  add(s: string): number {
    const known = this.seen.get(s);
    if (known !== undefined) return known;
    const at = this.parts.length;
    for (const b of new TextEncoder().encode(s)) this.parts.push(b);
    this.parts.push(0);
    this.seen.set(s, at);
    return at;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
