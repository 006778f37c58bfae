/**
 * Choosing an entry point: a program by section and name, or any function of the object (a `.text` function
 * verified or run on its own, as PREVAIL and test harnesses do), with the program type given or from its section.
 *
 * Author: Claude.
 *
 * @module
 */

import type { FunctionSpec, ObjectSpec, ProgramSpec } from './object-spec.ts';
import { ProgramType, sectionKind, type ProgramTypeName, type SectionKind } from './program-types.ts';
import { callees } from './functions.ts';

/** What to pick: any of the fields narrows the choice. */
export interface ProgramSelector {
  readonly section?: string;
  readonly name?: string;
  /** Overrides the program type the section name gives (needed for `.text` functions). */
  readonly type?: ProgramTypeName;
}

/**
 * The entry programs matching `selector`. With no selector, every entry program; with a section or name that only
 * a `.text` function matches, that function as an entry program.
 *
 * @example
 * ```ts
 * const [p] = selectPrograms(spec, { section: '.text', name: 'func', type: 'xdp' });
 * ```
 */
export function selectPrograms(spec: ObjectSpec, selector: ProgramSelector = {}): ProgramSpec[] {
  const matches = (f: FunctionSpec): boolean =>
    (selector.section === undefined || f.sectionName === selector.section) && (selector.name === undefined || f.name === selector.name);
  let found: ProgramSpec[] = spec.programs.filter(matches);
  if (found.length === 0 && (selector.section !== undefined || selector.name !== undefined)) {
    found = spec.subprograms.filter(matches).map((f) => asEntryProgram(spec, f));
  }
  if (selector.type === undefined) return found;
  const type = selector.type;
  return found.map((p) => ({ ...p, kind: withType(p.kind, type) }));
}

/** `f` (a program or a subprogram) as an entry program, its type from its section name. */
export function asEntryProgram(spec: ObjectSpec, f: FunctionSpec): ProgramSpec {
  const byKey = new Map<string, FunctionSpec>();
  for (const g of [...spec.programs, ...spec.subprograms]) byKey.set(`${g.sectionIndex}:${g.sectionInsnOffset}`, g);
  return { ...f, kind: sectionKind(f.sectionName), calls: callees(f, byKey, spec.elf), license: spec.license };
}

function withType(kind: SectionKind, type: ProgramTypeName): SectionKind {
  if (!(type in ProgramType)) return kind;
  return { programType: type, sleepable: kind.sleepable, xdpFrags: kind.xdpFrags, source: kind.source };
}
