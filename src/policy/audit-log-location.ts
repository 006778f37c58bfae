/**
 * Where load decisions are audited when no path is given, and opening that log: what `bpfship run` and
 * `bpfship deploy` share, so that an administrator finds every decision of a machine in one place.
 *
 * - root: `/var/log/bpfship/audit.log` (the system's log directory);
 * - anyone else: `$XDG_STATE_HOME/bpfship/audit.log`, by default `~/.local/state/bpfship/audit.log` (the XDG base
 *   directory for state that should persist: logs, history).
 *
 * The production policy always audits (to that default unless told otherwise) and refuses to load anything when
 * the log cannot be written; development audits only when asked (`--audit-log`, or `$BPFSHIP_AUDIT_LOG`).
 *
 * Author: Claude.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AuditLog } from '../sign/index.ts';
import { PolicyName } from './load-policy.ts';

/** The system-wide audit log, for root. */
export const SYSTEM_AUDIT_LOG = '/var/log/bpfship/audit.log';

/** The environment the location depends on (tests pass their own). */
export interface AuditLogEnvironment {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The effective user id (default: the process's). */
  readonly uid?: number;
  /** The home directory (default: os.homedir()). */
  readonly home?: string;
}

/** The default audit log: {@link SYSTEM_AUDIT_LOG} for root, else the user's XDG state directory. */
export function defaultAuditLogPath(where: AuditLogEnvironment = {}): string {
  const uid = where.uid ?? process.geteuid?.() ?? -1;
  if (uid === 0) return SYSTEM_AUDIT_LOG;
  const env = where.env ?? process.env;
  const state = env.XDG_STATE_HOME;
  // XDG: a relative path in the variable is invalid and must be ignored.
  const base = state !== undefined && state.startsWith('/') ? state : join(where.home ?? homedir(), '.local', 'state');
  return join(base, 'bpfship', 'audit.log');
}

/**
 * The audit log a load under `policy` writes to: `explicit` (a command's `--audit-log`), else `$BPFSHIP_AUDIT_LOG`,
 * else, for production only, {@link defaultAuditLogPath}. Undefined: development, not asked to audit.
 */
export function auditLogPathFor(policy: PolicyName, explicit: string | undefined, where: AuditLogEnvironment = {}): string | undefined {
  if (explicit !== undefined && explicit !== '') return explicit;
  const fromEnv = (where.env ?? process.env).BPFSHIP_AUDIT_LOG;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return policy === PolicyName.production ? defaultAuditLogPath(where) : undefined;
}

/**
 * Opens the audit log at `path` for appending, creating its directory when missing (mode 0750: readable by the
 * group of an administrator's log readers, never by everyone).
 *
 * @throws Node's error (EACCES, EROFS, ENOTDIR, ...) when it cannot be created or opened: callers decide whether
 *   that refuses the load (production) or is a usage error.
 */
export function openAuditLog(path: string): AuditLog {
  makeDirectories(dirname(resolve(path)));
  return AuditLog.open(path);
}

/**
 * `mkdir -p` one level at a time: Node 20's recursive mkdirSync loops forever where mkdir keeps answering ENOENT
 * for a parent that exists (/proc, an unmounted /sys/fs/bpf), and a log path may well point there by mistake.
 */
function makeDirectories(dir: string): void {
  const parts = dir.split('/').filter((p) => p !== '');
  let at = '';
  for (const part of parts) {
    at += `/${part}`;
    try {
      mkdirSync(at, { mode: 0o750 });
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
  }
}
