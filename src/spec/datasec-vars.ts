/**
 * The variables of a BTF DATASEC with their real offsets. clang leaves a DATASEC's size and its variables'
 * offsets at 0 for the loader to fill in; libbpf takes them from the ELF section size and the variables' symbols
 * (btf_fixup_datasec), and so do we. The spec layer reads DATASECs only through here.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Btf } from '../btf/index.ts';
import { SymbolType, type ElfFile, type ElfSection } from '../elf/index.ts';
import { SpecError } from '../internal/errors.ts';

/** One variable of a data section. */
export interface DatasecVar {
  readonly name: string;
  /** The VAR type id. */
  readonly varTypeId: number;
  /** The variable's own type id (what the VAR points to). */
  readonly typeId: number;
  readonly offset: number;
  readonly size: number;
  readonly isStatic: boolean;
}

/**
 * The variables of section `s` as BTF describes them, offsets fixed from the symbol table, sorted by offset; or
 * undefined when BTF has no DATASEC for the section.
 */
export function datasecVars(elf: ElfFile, btf: Btf, s: ElfSection): DatasecVar[] | undefined {
  const datasec = btf.datasecByName(s.name);
  if (datasec === undefined) return undefined;
  const symbols = new Map<string, number>();
  for (const sym of elf.symbols) {
    if (sym.sectionIndex === s.index && sym.type !== SymbolType.SECTION && sym.name !== '') symbols.set(sym.name, sym.value);
  }
  const out: DatasecVar[] = [];
  for (const v of datasec.vars) {
    const t = btf.typeById(v.type);
    if (t.kind !== 'VAR') continue; // FUNC entries (extern kfuncs in .ksyms) are not data
    const offset = symbols.get(t.name) ?? v.offset;
    if (offset + v.size > s.size) {
      throw new SpecError(`variable '${t.name}' at offset ${offset} (${v.size} bytes) runs past the end of the section (${s.size} bytes)`, { file: elf.name, section: s.name, offset });
    }
    out.push({ name: t.name, varTypeId: t.id, typeId: t.type, offset, size: v.size, isStatic: t.linkage === 'static' });
  }
  return out.sort((a, b) => a.offset - b.offset);
}
