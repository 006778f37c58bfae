/**
 * The running kernel as an oracle for verifier tests: compiles `verifier-oracle.c` once (cc and libbpf needed) and
 * loads a linked program, with its maps, into the kernel to get the Linux verifier's verdict on exactly the same
 * instructions. Needs root; tests that use it say so.
 *
 * Author: Claude.
 *
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeInstructions, type Instruction } from '../src/asm/index.ts';
import type { VerifierMap } from '../src/verifier/index.ts';

/** What the kernel said. */
export interface KernelVerdict {
  readonly verdict: 'pass' | 'fail' | 'unavailable';
  readonly errno?: number;
  readonly processed?: number;
  /** The kernel's own verification time (BPF_LOG_STATS' "verification time"), in microseconds. */
  readonly usec?: number;
  /** The tail of the verifier log (on failure), or why the oracle could not run. */
  readonly log: string;
}

let built: string | undefined | null = null;

/** The oracle binary, compiled on first use; undefined when it cannot be built or we are not root. */
export function oraclePath(): string | undefined {
  if (built !== null) return built;
  built = undefined;
  if (process.getuid?.() !== 0) return built;
  const dir = join(tmpdir(), 'bpfship-verifier-oracle');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'oracle');
  try {
    execFileSync('cc', ['-O1', '-o', out, join(import.meta.dirname, 'verifier-oracle.c'), '-lbpf'], { stdio: 'pipe' });
    if (existsSync(out)) built = out;
  } catch {
    built = undefined;
  }
  return built;
}

/** Whether the kernel oracle can run here. */
export function oracleAvailable(): boolean {
  return oraclePath() !== undefined;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Loads `instructions` (a linked program, maps by index) into the kernel and returns its verdict. */
export function kernelVerdict(
  instructions: readonly Instruction[],
  maps: readonly VerifierMap[],
  programType: string,
  attachType: string | undefined,
  license: string,
): KernelVerdict {
  const bin = oraclePath();
  if (bin === undefined) return { verdict: 'unavailable', log: 'the kernel oracle needs root, cc and libbpf' };
  const lines: string[] = [`prog ${programType} ${attachType ?? '-'} ${license.replace(/\n/g, ' ') || '-'}`];
  for (const m of maps) {
    const contents = m.frozen !== undefined && m.frozen.length > 0 ? hex(m.frozen) : '-';
    lines.push(`map ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags} ${m.inner ?? -1} ${m.readOnly && m.isData ? 1 : 0} ${contents}`);
  }
  const bytes = encodeInstructions(instructions);
  for (let i = 0; i < bytes.length; i += 8) lines.push(`insn ${hex(bytes.subarray(i, i + 8))}`);
  const r = spawnSync(bin, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = r.stdout ?? '';
  if (out.startsWith('oracle-error')) return { verdict: 'unavailable', log: out.trim() };
  const verdict = /^verdict (pass|fail)(?: (\d+))?/m.exec(out);
  if (verdict === null) return { verdict: 'unavailable', log: `the oracle printed nothing useful: ${out.slice(0, 200)} ${r.stderr ?? ''}` };
  const processed = /^processed (\d+)/m.exec(out);
  const usec = /^usec (\d+)/m.exec(out);
  const log = out.includes('\nlog\n') ? out.slice(out.indexOf('\nlog\n') + 5) : '';
  return {
    verdict: verdict[1] as 'pass' | 'fail',
    ...(verdict[2] !== undefined ? { errno: Number(verdict[2]) } : {}),
    ...(processed !== null ? { processed: Number(processed[1]) } : {}),
    ...(usec !== null ? { usec: Number(usec[1]) } : {}),
    log,
  };
}
