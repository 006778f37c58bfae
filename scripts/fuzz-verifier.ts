/**
 * `npm run fuzz:verifier`: generates random programs (src/verifier/generator.ts), verifies them under a rule set
 * (src/verifier/rules.ts), runs the accepted ones on random inputs with a bounds-checking executor whose notion of a
 * fault follows the rule set (see src/verifier/soundness.ts), and reports any fault (a soundness bug) and any verdict
 * that changes with a checkpoint at every prune point. With `--kernel` (as root), also loads each program into the
 * running kernel and compares verdicts: programs we accept that the kernel rejects deserve a look (a kernel rule we
 * lack, or a bug); programs the kernel accepts that we reject are precision gaps.
 *
 * Options: `--count N` (default 20000), `--seed S` (first seed, default random), `--length L` (snippets per program,
 * default 16), `--inputs K` (runs per accepted program, default 10), `--rules linux|strict|both` (default both:
 * every program verified and run under each), `--callbacks` (programs also call bpf_loop with generated callbacks),
 * `--may-goto` (programs also loop with may_goto), `--iterators` (and over bpf_iter_num iterators), `--kernel`
 * (compares the verdicts of the first rule set; programs that call kfuncs are not compared), `--show N` (cases
 * printed per category, default 3). Exits 1 on a soundness violation or a pruning inconsistency.
 *
 * A violation prints its seed and options; `--seed S --count 1` with the same options reproduces it.
 *
 * Author: Claude.
 *
 * @module
 */
import { referenceExecutor } from '../src/verifier/_reference-executor.ts';
import { generateProgram } from '../src/verifier/generator.ts';
import { parseRuleSet, type RuleSet } from '../src/verifier/rules.ts';
import { checkProgram, type RuleChoice, ruleSetsOf } from '../src/verifier/soundness.ts';
import { kernelVerdict, oracleAvailable } from '../test/verifier-oracle.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const text = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const count = flag('--count', 20_000);
const first = flag('--seed', Math.floor(Math.random() * 1e9));
const length = flag('--length', 16);
const inputs = flag('--inputs', 10);
const show = flag('--show', 3);
const withKernel = args.includes('--kernel');
const features = { callbacks: args.includes('--callbacks'), mayGoto: args.includes('--may-goto'), iterators: args.includes('--iterators') };
const ruleChoice = text('--rules', 'both');
const rules: RuleChoice = ruleChoice === 'both' ? 'both' : parseRuleSet(ruleChoice);
const ruleSets = ruleSetsOf(rules);
if (withKernel && !oracleAvailable()) {
  console.error('fuzz-verifier: --kernel needs root, cc and libbpf');
  process.exit(2);
}
const optionText = [`--rules ${rules}`, `--length ${length}`, `--inputs ${inputs}`, ...(features.callbacks ? ['--callbacks'] : []), ...(features.mayGoto ? ['--may-goto'] : []), ...(features.iterators ? ['--iterators'] : [])].join(' ');

const accepted = new Map<RuleSet, number>(ruleSets.map((r) => [r, 0]));
let runs = 0;
const violations: string[] = [];
/** Programs strict accepts and linux rejects: linux allows everything strict does, so each deserves a look. */
const strictOnly: string[] = [];
const weAcceptKernelRejects: string[] = [];
const kernelAcceptsWeReject: string[] = [];
let kernelRuns = 0;
/** Our diagnostic codes on programs the kernel accepts (deliberate differences and precision gaps). */
const rejectCodes = new Map<string, number>();
const t0 = performance.now();
for (let seed = first; seed < first + count; seed++) {
  const p = generateProgram(seed, length, features);
  const checks = ruleSets.map((r) => checkProgram(referenceExecutor, p, r, { inputs }));
  for (const c of checks) {
    runs += c.runs;
    if (c.pass) accepted.set(c.rules, (accepted.get(c.rules) ?? 0) + 1);
    const v = c.violation;
    if (v !== undefined && v.outcome.kind === 'fault') {
      violations.push(`seed ${seed} (--rules ${c.rules}, packet ${v.packetSize} bytes): ${v.outcome.message} at slot ${v.outcome.slot}\n${p.text}`);
    }
    // The verdict must not depend on how often states are remembered (more checkpoints, more pruning).
    if (c.pruning !== undefined) violations.push(`seed ${seed} (--rules ${c.rules}): the verdict changes with a checkpoint at every prune point: usual ${c.pruning.usual}; eager ${c.pruning.eager}\n${p.text}`);
  }
  const [linux, strict] = [checks.find((c) => c.rules === 'linux'), checks.find((c) => c.rules === 'strict')];
  if (linux !== undefined && strict !== undefined && strict.pass && !linux.pass && linux.rejectCode !== 'too-complex') strictOnly.push(`seed ${seed}: linux: ${linux.rejectCode ?? '?'}\n${p.text}`);
  if (withKernel && p.kfuncs.length === 0) {
    const ours = checks[0];
    const k = kernelVerdict(p.instructions, p.maps, p.programType, undefined, 'GPL');
    if (ours === undefined || k.verdict === 'unavailable') continue;
    kernelRuns++;
    const last = k.log.trim().split('\n').filter((l) => l !== '' && !/^(processed|verification time|stack depth)/.test(l)).pop() ?? '';
    if (ours.pass && k.verdict === 'fail') weAcceptKernelRejects.push(`seed ${seed}: kernel: ${last}\n${p.text}`);
    if (!ours.pass && k.verdict === 'pass') {
      kernelAcceptsWeReject.push(`seed ${seed}: ours: ${ours.rejectCode ?? ''}\n${p.text}`);
      const code = ours.rejectCode ?? '?';
      rejectCodes.set(code, (rejectCodes.get(code) ?? 0) + 1);
    }
  }
}
const seconds = (performance.now() - t0) / 1000;
const acceptedText = [...accepted].map(([r, n]) => `${n} accepted under ${r}`).join(', ');
console.log(`seeds ${first}..${first + count - 1} (${optionText}): ${count} programs, ${acceptedText}, ${runs} runs, ${violations.length} soundness violations (${seconds.toFixed(1)} s)`);
if (strictOnly.length > 0) console.log(`${strictOnly.length} programs accepted under strict and rejected under linux (linux should allow all strict does)`);
for (const v of violations.slice(0, show)) console.log(`\nVIOLATION ${v}`);
for (const v of strictOnly.slice(0, show)) console.log(`\nSTRICT ONLY ${v}`);
if (withKernel) {
  console.log(`kernel: ${kernelRuns} compared with --rules ${ruleSets[0]}; we accept and the kernel rejects: ${weAcceptKernelRejects.length}; the kernel accepts and we reject: ${kernelAcceptsWeReject.length}`);
  console.log(`  our reasons where the kernel accepts: ${[...rejectCodes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  for (const v of weAcceptKernelRejects.slice(0, show)) console.log(`\nWE ACCEPT, KERNEL REJECTS ${v}`);
  for (const v of kernelAcceptsWeReject.slice(0, show)) console.log(`\nKERNEL ACCEPTS, WE REJECT ${v}`);
}
process.exitCode = violations.length > 0 ? 1 : 0;
