/**
 * `bpfship inspect FILE [--json]`: what an object holds.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import type { ObjectSpec, MapSpec, ProgramSpec } from '../../spec/index.ts';
import { mapFlagNames, mapTypeName, readObject } from '../../spec/index.ts';
import type { CommandContext } from '../context.ts';
import { readInput } from '../io.ts';
import { toJson } from '../json.ts';

/** Configures `inspect`. */
export function configureInspect(command: Command, { io }: CommandContext): void {
  command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -c)')
    .option('--json', 'print JSON instead of text')
    .action((file, opts) => {
      const spec = readObject(readInput(file), { name: file });
      io.stdout(opts.json === true ? toJson(inspectReport(spec)) + '\n' : formatInspect(spec));
    });
}

/** The inspect report as data (the `--json` form). */
export function inspectReport(spec: ObjectSpec): object {
  const mapJson = (m: MapSpec): object => ({
    name: m.name,
    type: mapTypeName(m.type),
    typeId: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    flagNames: mapFlagNames(m.flags),
    pinning: pinningName(m.pinning),
    numaNode: m.numaNode,
    mapExtra: m.mapExtra,
    keyTypeId: m.keyTypeId,
    valueTypeId: m.valueTypeId,
    innerMap: m.innerMap === undefined ? null : mapJson(m.innerMap),
    initialValues: m.initialValues,
    source: m.source,
    ...(m.legacyLayout !== undefined ? { legacyLayout: m.legacyLayout } : {}),
    section: m.sectionName,
    sectionOffset: m.sectionOffset,
  });
  return {
    file: spec.file,
    license: spec.license ?? null,
    kernelVersion: spec.kernelVersion ?? null,
    programs: spec.programs.map((p) => ({
      section: p.sectionName,
      name: p.name,
      type: p.kind.programType,
      attachType: p.kind.attachType ?? null,
      typeSource: p.kind.source,
      sleepable: p.kind.sleepable,
      insns: p.slotCount,
      subprograms: p.calls,
      maps: usedMaps(spec, p).filter((m) => !m.startsWith('.')),
      globalData: usedMaps(spec, p).filter((m) => m.startsWith('.')),
      static: p.isStatic,
    })),
    subprograms: spec.subprograms.map((f) => ({ section: f.sectionName, name: f.name, insns: f.slotCount, static: f.isStatic })),
    maps: spec.maps.map(mapJson),
    globalData: spec.dataSections.map((d) => ({
      section: d.name,
      kind: d.kind,
      size: d.size,
      readOnly: d.readOnly,
      variables: d.variables.map((v) => ({ name: v.name, offset: v.offset, size: v.size, typeId: v.typeId, static: v.isStatic })),
    })),
    externs: spec.externs,
    btf: spec.btf === undefined ? null : {
      types: spec.btf.typeCount,
      stringBytes: spec.btf.header.strLen,
      funcInfo: spec.btfExt?.funcInfo.reduce((n, s) => n + s.records.length, 0) ?? 0,
      lineInfo: spec.btfExt?.lineInfo.reduce((n, s) => n + s.records.length, 0) ?? 0,
      coreRelocations: spec.btfExt?.coreRelos.reduce((n, s) => n + s.records.length, 0) ?? 0,
    },
    sections: spec.sections.map((s) => ({ index: s.index, name: s.name, size: s.size, role: s.role })),
  };
}

/** The maps and global data sections a program uses, itself or through its subprograms, in first-use order. */
function usedMaps(spec: ObjectSpec, p: ProgramSpec): string[] {
  const fns = [p, ...p.calls.map((name) => spec.subprograms.find((f) => f.name === name) ?? spec.programs.find((f) => f.name === name))];
  const used = new Set<string>();
  for (const f of fns) for (const r of f?.references ?? []) if (r.kind === 'map') used.add(r.map); else if (r.kind === 'data') used.add(r.section);
  return [...used];
}

function pinningName(p: number): string {
  return p === 0 ? 'none' : p === 1 ? 'by_name' : `${p}`;
}

/** Renders rows as aligned columns under a header. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`).join('\n');
}

/** The inspect report as text. */
export function formatInspect(spec: ObjectSpec): string {
  const out: string[] = [];
  const btf = spec.btf === undefined ? 'no BTF' : `BTF: ${spec.btf.typeCount} types` + (spec.btfExt === undefined ? '' : `, ${spec.btfExt.lineInfo.reduce((n, s) => n + s.records.length, 0)} line info records`);
  out.push(`${spec.file}: eBPF object, license ${spec.license === undefined ? '(none)' : JSON.stringify(spec.license)}, ${btf}`);
  if (spec.kernelVersion !== undefined) out.push(`kernel version: 0x${spec.kernelVersion.toString(16)}`);
  out.push('');
  out.push(`Programs (${spec.programs.length}):`);
  if (spec.programs.length > 0) {
    out.push(table(['section', 'function', 'type', 'attach', 'insns', 'subprograms', 'maps and global data used'], spec.programs.map((p) => [
      p.sectionName,
      p.name,
      p.kind.programType + (p.kind.source === 'legacy-prefix' ? ' (legacy name)' : p.kind.source === 'unknown' ? ' (unknown section name)' : ''),
      p.kind.attachType ?? '-',
      String(p.slotCount),
      p.calls.length === 0 ? '-' : p.calls.join(','),
      usedMaps(spec, p).join(',') || '-',
    ])));
  }
  if (spec.subprograms.length > 0) {
    out.push('');
    out.push(`Subprograms (${spec.subprograms.length}):`);
    out.push(table(['section', 'function', 'insns'], spec.subprograms.map((f) => [f.sectionName, f.name + (f.isStatic ? ' (static)' : ''), String(f.slotCount)])));
  }
  out.push('');
  out.push(`Maps (${spec.maps.length}):`);
  if (spec.maps.length > 0) {
    out.push(table(['name', 'type', 'key', 'value', 'max_entries', 'flags', 'pinning', 'inner map', 'defined in'], spec.maps.map((m) => [
      m.name,
      mapTypeName(m.type),
      String(m.keySize),
      String(m.valueSize),
      String(m.maxEntries),
      m.flags === 0 ? '-' : mapFlagNames(m.flags).join('|'),
      pinningName(m.pinning),
      m.innerMap === undefined ? '-' : `${mapTypeName(m.innerMap.type)}(${m.innerMap.keySize},${m.innerMap.valueSize},${m.innerMap.maxEntries})`,
      m.source === 'btf' ? '.maps (BTF)' : `${m.sectionName} (${m.legacyLayout ?? 'legacy'})`,
    ])));
    for (const m of spec.maps) {
      if (m.initialValues.length > 0) out.push(`  ${m.name} initial values: ${m.initialValues.map((v) => `[${v.key}] = ${v.name}`).join(', ')}`);
    }
  }
  if (spec.dataSections.length > 0) {
    out.push('');
    out.push(`Global data (${spec.dataSections.length}):`);
    out.push(table(['section', 'size', 'access', 'variables'], spec.dataSections.map((d) => [
      d.name,
      String(d.size),
      d.readOnly ? 'read-only' : 'read-write',
      d.variables.map((v) => `${v.name}@${v.offset}:${v.size}`).join(' ') || '-',
    ])));
  }
  if (spec.externs.length > 0) {
    out.push('');
    out.push(`Externs (${spec.externs.length}):`);
    out.push(table(['name', 'kind'], spec.externs.map((e) => [e.name, e.kind])));
  }
  out.push('');
  out.push(`Sections (${spec.sections.length - 1}):`);
  out.push(table(['idx', 'name', 'size', 'role'], spec.sections.filter((s) => s.index > 0).map((s) => [String(s.index), s.name, String(s.size), s.role])));
  return out.join('\n') + '\n';
}
