/**
 * The verifier layer: proves programs safe (memory accesses inside their regions, registers and stack initialized
 * before use, NULL checks, no pointer leaks, helper contracts, references released, termination) by exploring their
 * paths as the Linux verifier does, and reports the first problem with its source line, the path to it and the
 * registers involved. Pure (no `node:*`), so it runs in a browser too.
 *
 * Author: Claude.
 *
 * @module
 */
export { verifyObject, verifyProgram, verifyLinked, isGplCompatible, formatState, MAX_INSNS_PROCESSED, type ProgramContext } from './verify.ts';
export type { VerifyOptions } from './env.ts';
export type {
  VerifierReport, ProgramReport, Diagnostic, DiagnosticCode, PathStep, RegisterNote, SourcePosition,
} from './report.ts';
export { DiagnosticCode as DiagnosticCodes } from './report.ts';
export { mapTable, describeMap, type VerifierMap } from './maps.ts';
export { linuxPlatform, mapHelperCompatible } from './linux-platform.ts';
export { ArgKind, RetKind, type Platform, type HelperPrototype, type HelperArg, type ProgramTypeInfo, type CtxAccess } from './platform.ts';
export { renderText, renderJson, renderSarif, type RenderOptions } from './render.ts';
export { buildCfg, type Cfg, type CfgProblem } from './cfg.ts';
export { VERIFIER_NAME, VERIFIER_VERSION, verifierIdentity, verifierIdOf, type VerifierSettings } from './version.ts';
export {
  StateRecorder, recordErrorPathAgain, type RecordOptions, type KeptDecision, type StateRecording, type RecordedState, type RecordedFrame, type RecordedValue,
  type RecordedScalar, type RecordedStackSlot, type RecordedDecision, type PathLink, type PathEnd,
} from './state-recorder.ts';
export { lazyKernelBtf, parsedKernelBtf, type KernelBtf } from './kernel-btf.ts';
export { DEFAULT_RULES, RULE_SETS, parseRuleSet, ruleSetPolicy, type RuleSet, type RuleSetPolicy } from './rules.ts';
