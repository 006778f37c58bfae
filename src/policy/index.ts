/**
 * The load policy: what an administrator allows to be loaded (execution modes, signers, trust roots, revocations),
 * decided before anything is mapped or run, and written to the audit log. The runtime and kernel deployment apply it.
 *
 * Author: Claude.
 *
 * @module
 */
export { LoadPolicy, LoadRefusalCode, PolicyName, PolicyRefusedError, type AllowedLoad, type ExecutionMode, type LoadDecision, type LoadInput, type LoadMode, type LoadPolicyOptions, type LoadRequest, type RefusedLoad, type RuntimeAuditRecord } from './load-policy.ts';
export { objectPrograms, objectProgramsOf, type ObjectProgram } from './object-programs.ts';
export { SYSTEM_AUDIT_LOG, auditLogPathFor, defaultAuditLogPath, openAuditLog, type AuditLogEnvironment } from './audit-log-location.ts';
