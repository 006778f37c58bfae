/**
 * The web layer: the verifier explorer. Its data is the explore document (explore-document.ts: the verifier's
 * report with its recorded states, the listing, the source, the control-flow graph), which the CLI (`bpfship
 * explore`) and the service (`bpfship serve`) produce and the page (src/web/page, bundled into dist/web/static by
 * scripts/build-web.mjs) shows. Pure: no `node:*`.
 *
 * Author: Claude.
 *
 * @module
 */
export {
  EXPLORE_FORMAT, basicBlocks, exploreObject, exploreProgram,
  type ExploreOptions, type ExploreObject, type ExploreProgram, type ExploreProgramSummary, type ListingLine,
  type SourceFile, type SourcePositionRef, type BasicBlock, type CfgEdge,
} from './explore-document.ts';
export { ExploreIndex, isConditional, type LineRef } from './explore-index.ts';
export { explorerStaticUrl } from './static-files.ts';
