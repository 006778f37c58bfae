/**
 * Deployment into the Linux kernel: only what the load policy allows is loaded, through libbpf, from the very bytes
 * the policy checked, pinned in bpffs and attached with BPF links that outlive the process; `undeploy` takes all
 * of it away again. See docs/deploy.md.
 *
 * Author: Claude.
 *
 * @example
 * ```ts
 * import { deploy, undeploy } from 'bpfship/deploy';
 * const { record } = deploy({ object, objectName: 'prog.o', signature, policy, name: 'fw', attach: ['xdp:eth0'] });
 * undeploy({ name: 'fw' });
 * ```
 * @module
 */
export { deploy, DEFAULT_PIN_BASE, Rollback, type DeployOptions, type Deployment, type MapEntry, type TcMode } from './deploy.ts';
export { undeploy, type UndeployOptions, type Undeployed } from './undeploy.ts';
export { deploymentMaps, listDeployments, type DeployedMap, type DeploymentStatus } from './list.ts';
export { ATTACH_KINDS, attachMismatch, parseAttachPoint, XdpFlags, type AttachFamily, type AttachPoint } from './attach-point.ts';
export {
  DEFAULT_STATE_DIR,
  DEPLOYMENT_RECORD_FORMAT,
  readRecord,
  readRecords,
  stateDirectory,
  type AttachmentRecord,
  type DeploymentRecord,
  type MapRecord,
} from './deployment-record.ts';
export { DEFAULT_BPFFS, ensureBpffsFor, onBpffs } from './bpffs.ts';
export { cgroup2Mounts, isCgroup2Directory } from './targets.ts';
export { DeployError, KernelRefusedError, type KernelStage } from './errors.ts';
export { dumpMap } from './map-dump.ts';
export { LinkType, linkInfo, mapInfo, programInfo, type LinkInfo, type MapInfo, type ProgramInfo } from './kernel-objects.ts';
export { ObjectNotVerifiedError, signObjectForKernel, type SignedObject, type SignObjectOptions } from './sign-object.ts';
