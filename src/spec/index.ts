/**
 * The spec layer: an eBPF object read into deterministic, plain data (programs, maps, global data, BTF). Pure (no
 * `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @module
 */
export { readObject, type ReadObjectOptions } from './read-object.ts';
export type * from './object-spec.ts';
export { sectionKind, ProgramType, type ProgramTypeName, type SectionKind, type ProgramTypeSource } from './program-types.ts';
export { MapType, MapFlag, Pinning, mapTypeName, mapFlagNames, type MapTypeName } from './map-types.ts';
export { dataSectionKind } from './data-sections.ts';
export { linkProgram, lineInfoAt, type LinkedProgram, type LinkedFunction, type LinkedReference, type LinkedLineInfo } from './link.ts';
export { selectPrograms, asEntryProgram, type ProgramSelector } from './find-program.ts';
