/**
 * The abi layer: Linux's eBPF ABI as typed data, for the verifier, the runtime and bpf2c. Helper ids, names and
 * prototypes (`struct bpf_func_proto`), which helpers each program type may call and with which prototype, map
 * compatibility, context layouts and the loads and stores the kernel allows into them, packet access and return
 * ranges. Facts are Linux 6.18's; the tests compare them with the headers, the C compiler and the running kernel.
 * Pure (no `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { helperById, helperPrototypeFor, checkContextAccess } from './abi/index.ts';
 * helperById(131)?.name; // 'ringbuf_reserve'
 * helperPrototypeFor('xdp', 'perf_event_output')?.args;
 * checkContextAccess('xdp', 0, 4, 'read'); // { allowed: true, field: 'data', yields: 'PTR_TO_PACKET' }
 * ```
 * @module
 */
export {
  ProgramType,
  MapType,
  AttachType,
  programTypeName,
  mapTypeName,
  attachTypeName,
  type ProgramTypeName,
  type MapTypeName,
  type AttachTypeName,
} from './kernel-enums.ts';
export { LINUX_ABI_VERSION } from './linux-version.ts';
export {
  ArgBaseType,
  RetBaseType,
  TypeFlag,
  ArgTypeAlias,
  RetTypeAlias,
  decodeArgType,
  decodeRetType,
  renamedTypes,
  type ArgBaseTypeName,
  type RetBaseTypeName,
  type TypeFlagName,
  type ArgTypeAliasName,
  type RetTypeAliasName,
  type ArgType,
  type RetType,
  type DecodedType,
} from './arg-types.ts';
export {
  helperNames,
  helpers,
  helperPrototypes,
  helperById,
  helperByName,
  helperPrototype,
  describeArgs,
  describeReturn,
  acquiringHelpers,
  pointerCastHelpers,
  packetChangingHelpers,
  callbackHelpers,
  storageGetHelpers,
  type HelperName,
  type HelperPrototype,
  type HelperDefinition,
  type ArgumentInfo,
  type KernelSource,
} from './helpers.ts';
export {
  mapTypeHelpers,
  helperMapTypes,
  sockmapUpdatePrograms,
  isMapCompatible,
  compatibleMapTypes,
  type MapCallContext,
} from './map-compat.ts';
export {
  helperTables,
  resolveHelper,
  conditionHolds,
  type HelperTable,
  type HelperTableName,
  type HelperTableEntry,
  type HelperCondition,
  type HelperChainLink,
  type ProgramContext,
  type Capability,
  type ResolvedHelper,
} from './helper-tables.ts';
export { structLayouts, contextField, fieldsAt, type StructField, type StructLayout, type StructName } from './context-layouts.ts';
export {
  programTypes,
  programType,
  checkContextAccess,
  helperPrototypeFor,
  helpersFor,
  helperVariants,
  returnRange,
  type ProgramTypeInfo,
  type ContextAccessRule,
  type ContextAccessResult,
  type ContextPointer,
  type PacketAccess,
  type ReturnRule,
  type Width,
} from './program-types.ts';
export {
  KfuncFlag,
  KFUNC_SET_PROGRAM_TYPES,
  KFUNC_EMBEDDED_FIRST,
  KERNEL_CONTEXT_TYPES,
  kfuncs,
  kfuncByName,
  kfuncAllowed,
  type KfuncArg,
  type KfuncInfo,
  type KfuncRet,
  type KfuncSetName,
} from './kfuncs.ts';
