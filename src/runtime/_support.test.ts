/**
 * Shared by the runtime's tests (no tests of its own): a runtime over a freshly built core, the test objects, and
 * frame builders. Named `.test.ts` because it uses node:* modules.
 *
 * Author: Claude.
 *
 * @module
 */

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRAMS_OBJ } from '../internal/test-files.ts';
import { coreWasmPath } from '../core/core-wasm.ts';
import { Runtime, type RuntimeOptions } from './runtime.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The runtime's own test objects (built by testdata/build.sh). */
export const TESTDATA = join(ROOT, 'src', 'runtime', 'testdata');

/** A runtime; builds the core first when build/core has no module yet (scripts/build-core.sh, about a second). */
export function testRuntime(options: RuntimeOptions = {}): Runtime {
  if (!existsSync(coreWasmPath())) execFileSync('bash', [join(ROOT, 'scripts', 'build-core.sh')], { cwd: ROOT, stdio: 'pipe' });
  return Runtime.createSync({ task: { pid: 4242, tgid: 4242, uid: 0, gid: 0, comm: 'bpfship-test' }, ...options });
}

/** An example program's object (../shared/programs/obj). */
export function exampleObject(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(PROGRAMS_OBJ, `${name}.o`)));
}

/** A test object of src/runtime/testdata. */
export function testObject(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TESTDATA, `${name}.o`)));
}

/** An IPv4 frame: Ethernet, a 20-byte IP header, ports for TCP (6) and UDP (17), zero padding to `len`. */
export function ipv4Frame(proto: number, dport: number, options: { len?: number; saddr?: number; daddr?: number; sport?: number } = {}): Uint8Array {
  const len = options.len ?? 64;
  const f = new Uint8Array(len);
  const dv = new DataView(f.buffer);
  f.fill(0x02, 0, 6);
  f.fill(0x04, 6, 12);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, len - 14);
  f[22] = 64;
  f[23] = proto;
  dv.setUint32(26, options.saddr ?? 0x0a000001);
  dv.setUint32(30, options.daddr ?? 0x0a000002);
  dv.setUint16(34, options.sport ?? 40000);
  dv.setUint16(36, dport);
  return f;
}

/** A little-endian u16 as 2 bytes (the firewall's port keys). */
export function u16le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, v >>> 8);
}
