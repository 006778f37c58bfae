/**
 * `npm run fuzz:verifier`: generates random programs (src/verifier/generator.ts), verifies them, runs the accepted
 * ones on random inputs with a bounds-checking executor, and reports any fault (a soundness bug). With `--kernel`
 * (as root), also loads each program into the running kernel and compares verdicts: programs we accept that the
 * kernel rejects deserve a look (a kernel rule we lack, or a bug); programs the kernel accepts that we reject are
 * precision gaps.
 *
 * Options: `--count N` (default 20000), `--seed S` (first seed, default random), `--length L` (snippets per program,
 * default 16), `--inputs K` (runs per accepted program, default 10), `--callbacks` (programs also call bpf_loop with
 * generated callbacks), `--kernel`, `--show N` (cases printed per category, default 3). Exits 1 on a soundness
 * violation.
 *
 * @module
 */
import { referenceExecutor } from '../src/verifier/_reference-executor.ts';
import { testProgram } from '../src/verifier/_test-program.ts';
import { generateProgram } from '../src/verifier/generator.ts';
import { randomInput } from '../src/verifier/soundness.ts';
import { verifyLinked } from '../src/verifier/verify.ts';
import { kernelVerdict, oracleAvailable } from '../test/verifier-oracle.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const count = flag('--count', 20_000);
const first = flag('--seed', Math.floor(Math.random() * 1e9));
const length = flag('--length', 16);
const inputs = flag('--inputs', 10);
const show = flag('--show', 3);
const withKernel = args.includes('--kernel');
const callbacks = args.includes('--callbacks');
if (withKernel && !oracleAvailable()) {
  console.error('fuzz-verifier: --kernel needs root, cc and libbpf');
  process.exit(2);
}

let accepted = 0;
let runs = 0;
const violations: string[] = [];
const weAcceptKernelRejects: string[] = [];
const kernelAcceptsWeReject: string[] = [];
let kernelRuns = 0;
/** Our diagnostic codes on programs the kernel accepts (deliberate differences and precision gaps). */
const rejectCodes = new Map<string, number>();
const t0 = performance.now();
for (let seed = first; seed < first + count; seed++) {
  const p = generateProgram(seed, length, { callbacks });
  const linked = testProgram(p.instructions);
  const report = verifyLinked(linked, p.maps, { programType: p.programType, gpl: true }, { maxInsns: 200_000 });
  const pass = report.verdict === 'pass';
  // The verdict must not depend on how often states are remembered (more checkpoints, more pruning).
  const eager = verifyLinked(linked, p.maps, { programType: p.programType, gpl: true }, { maxInsns: 200_000, checkpointEveryPrunePoint: true });
  const complex = (r: typeof report): boolean => r.diagnostics[0]?.code === 'too-complex';
  if ((eager.verdict === 'pass') !== pass && !complex(report) && !complex(eager)) {
    violations.push(`seed ${seed}: the verdict changes with a checkpoint at every prune point: usual ${report.diagnostics[0]?.message ?? 'pass'}; eager ${eager.diagnostics[0]?.message ?? 'pass'}\n${p.text}`);
  }
  if (pass) {
    accepted++;
    for (let i = 0; i < inputs; i++) {
      // Programs are verified under the default (linux) rules, which let a program read stack it never wrote (as
      // Linux lets root): the executor must allow it too, as checkSoundness does for the linux rule set.
      const input = { ...randomInput(seed * 1000 + i), allowUninitializedStack: true };
      const out = referenceExecutor.run(p, input);
      runs++;
      if (out.kind === 'fault') {
        violations.push(`seed ${seed} (packet ${input.packet.length} bytes): ${out.message} at slot ${out.slot}\n${p.text}`);
        break;
      }
    }
  }
  if (withKernel) {
    const k = kernelVerdict(p.instructions, p.maps, p.programType, undefined, 'GPL');
    if (k.verdict === 'unavailable') continue;
    kernelRuns++;
    const last = k.log.trim().split('\n').filter((l) => l !== '' && !/^(processed|verification time|stack depth)/.test(l)).pop() ?? '';
    if (pass && k.verdict === 'fail') weAcceptKernelRejects.push(`seed ${seed}: kernel: ${last}\n${p.text}`);
    if (!pass && k.verdict === 'pass') {
      kernelAcceptsWeReject.push(`seed ${seed}: ours: ${report.diagnostics[0]?.message ?? ''}\n${p.text}`);
      const code = report.diagnostics[0]?.code ?? '?';
      rejectCodes.set(code, (rejectCodes.get(code) ?? 0) + 1);
    }
  }
}
const seconds = (performance.now() - t0) / 1000;
console.log(`seeds ${first}..${first + count - 1}: ${count} programs, ${accepted} accepted, ${runs} runs, ${violations.length} soundness violations (${seconds.toFixed(1)} s)`);
for (const v of violations.slice(0, show)) console.log(`\nVIOLATION ${v}`);
if (withKernel) {
  console.log(`kernel: ${kernelRuns} compared; we accept and the kernel rejects: ${weAcceptKernelRejects.length}; the kernel accepts and we reject: ${kernelAcceptsWeReject.length}`);
  console.log(`  our reasons where the kernel accepts: ${[...rejectCodes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  for (const v of weAcceptKernelRejects.slice(0, show)) console.log(`\nWE ACCEPT, KERNEL REJECTS ${v}`);
  for (const v of kernelAcceptsWeReject.slice(0, show)) console.log(`\nKERNEL ACCEPTS, WE REJECT ${v}`);
}
process.exitCode = violations.length > 0 ? 1 : 0;
