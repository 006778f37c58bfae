/**
 * The verifier's view of a host-defined program type, so that jit mode can verify (and so run) its programs: the
 * context is the host's struct, whose declared fields may be read (the writable ones written), whose `data` /
 * `data_end` / `data_meta` fields give packet pointers, and the program may call only the helpers the host allows.
 * Everything else (helper prototypes, map rules) is Linux's.
 *
 * Author: Claude.
 *
 * @module
 */

import { linuxPlatform, type CtxAccess, type Platform, type ProgramTypeInfo } from '../verifier/index.ts';
import type { ProgramTypeProfile } from './program-type-profiles.ts';

const POINTER_KIND = { data: 'packet', data_end: 'packet_end', data_meta: 'packet_meta' } as const;

/** Linux's platform, with `profile` (a host-defined type) added under its name. */
export function hostPlatform(profile: ProgramTypeProfile): Platform {
  const info: ProgramTypeInfo = {
    name: profile.name,
    ctxSize: profile.contextSize,
    ctxAccess(off: number, size: number, write: boolean): CtxAccess {
      const field = profile.fields.find((f) => off >= f.offset && off + size <= f.offset + f.size);
      const range = `bytes ${off}-${off + size - 1} of ${profile.contextName}`;
      if (field === undefined) return { ok: false, reason: `no field of ${profile.contextName} covers ${range}` };
      if (field.role !== undefined) {
        if (write) return { ok: false, reason: `${profile.contextName}.${field.name} holds the packet pointer the runtime gives; programs may not write it` };
        if (off !== field.offset || size !== field.size) return { ok: false, reason: `${profile.contextName}.${field.name} is a packet pointer: read it whole (${field.size} bytes)` };
        return { ok: true, kind: POINTER_KIND[field.role] };
      }
      if (write && field.writable !== true) return { ok: false, reason: `${profile.contextName}.${field.name} is read-only` };
      return { ok: true, kind: 'scalar' };
    },
    helperAllowed: (id) => profile.allowedHelpers === undefined || profile.allowedHelpers.has(id),
    packetWrite: profile.packetWritable,
    legacyPacketLoads: false,
    retRange: undefined,
  };
  return {
    helper: (id) => linuxPlatform.helper(id),
    programType: (name, attachType) => (name === profile.name ? info : linuxPlatform.programType(name, attachType)),
    ...(linuxPlatform.mapCompatible !== undefined ? { mapCompatible: linuxPlatform.mapCompatible } : {}),
  };
}
