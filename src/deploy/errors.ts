/**
 * The errors of deployment, by who refused:
 *
 * - {@link DeployError}: the request cannot be carried out as given (an unknown interface, a malformed attach
 *   point, a name already deployed, no bpffs to pin in): nothing was loaded; the CLI exits 2.
 * - {@link KernelRefusedError}: the kernel refused the program (its verifier, with its log) or an attachment;
 *   everything already done was undone; the CLI exits 1, as for a policy refusal (PolicyRefusedError, src/policy).
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError } from '../internal/errors.ts';

/** A deployment request that cannot be carried out as given; nothing of it was loaded. */
export class DeployError extends BpfshipError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('DEPLOY_INVALID', detail, {}, options);
    this.name = 'DeployError';
  }
}

/** Where the kernel refused. */
export type KernelStage = 'load' | 'attach' | 'map-update';

/** The kernel refused to load or attach the program; nothing of the deployment is left loaded or pinned. */
export class KernelRefusedError extends Error {
  readonly stage: KernelStage;
  /** The errno the kernel answered. */
  readonly errno: number;
  readonly errnoName: string;
  /** The kernel verifier's log of the refused load (log level 1), when the load was refused. */
  readonly verifierLog: string;
  /** What libbpf printed meanwhile. */
  readonly libbpfLog: readonly string[];
  constructor(stage: KernelStage, message: string, errno: number, errnoName: string, verifierLog: string, libbpfLog: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KernelRefusedError';
    this.stage = stage;
    this.errno = errno;
    this.errnoName = errnoName;
    this.verifierLog = verifierLog;
    this.libbpfLog = libbpfLog;
  }
}
