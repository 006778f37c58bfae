/**
 * Renders verifier reports for people and tools: compiler-style text (`file:line:col: error: ...`, the source line
 * with a caret, the path taken and the registers involved), JSON, and SARIF 2.1.0 for code-scanning tools. Pure
 * string building; the CLI decides where it goes.
 *
 * Author: Claude.
 *
 * @module
 */

import type { Diagnostic, PathStep, ProgramReport, SourcePosition, VerifierReport } from './report.ts';

/** Options of the renderers. */
export interface RenderOptions {
  /** Include the state log lines of each program (text only). */
  readonly log?: boolean;
  /** The tool version recorded in SARIF. */
  readonly version?: string;
}

/** The file name as recorded by the compiler, without a leading `./`. */
function fileName(s: SourcePosition): string {
  return s.file.replace(/^\.\//, '');
}

function position(s: SourcePosition): string {
  return `${fileName(s)}:${s.line}${s.column > 0 ? `:${s.column}` : ''}`;
}

/** The source line and a caret under the column (tabs kept so the caret lines up). */
function snippet(s: SourcePosition): string[] {
  if (s.text === '') return [];
  const gutter = String(s.line).padStart(5);
  const out = [`${gutter} | ${s.text}`];
  if (s.column > 0) {
    const lead = s.text.slice(0, s.column - 1).replace(/[^\t]/g, ' ');
    out.push(`${' '.repeat(gutter.length)} | ${lead}^`);
  }
  return out;
}

function stepText(step: PathStep): string {
  const where = step.source !== undefined ? `${position(step.source)}: ` : '';
  const code = step.source !== undefined && step.source.text !== '' ? `${step.source.text.trim()}  ` : '';
  switch (step.kind) {
    case 'branch':
      return `${where}${code}[insn ${step.slot}: ${step.instruction}: ${step.taken === true ? 'jump taken' : 'not taken'}]`;
    case 'call':
      return `${where}${code}[insn ${step.slot}: ${step.instruction}: call]`;
    default:
      return `${where}[insn ${step.slot}: return from ${step.function}]`;
  }
}

/** One diagnostic as compiler-style text. */
export function renderDiagnostic(d: Diagnostic, program: ProgramReport, objectFile: string): string {
  const lines: string[] = [];
  const head = d.source !== undefined && d.source.line > 0
    ? `${position(d.source)}: ${d.severity}: ${d.message}`
    : `${objectFile}: section '${program.section}' program '${program.name}' instruction ${d.slot}: ${d.severity}: ${d.message}`;
  lines.push(head);
  if (d.source !== undefined) lines.push(...snippet(d.source));
  if (d.instruction !== '') lines.push(`  at instruction ${d.slot} in ${d.function}: ${d.instruction}`);
  if (d.path.length > 0) {
    const shown = d.path.length > 40 ? d.path.slice(-40) : d.path;
    lines.push(`  path${d.path.length > shown.length ? ` (last ${shown.length} of ${d.path.length} decisions)` : ''}:`);
    for (const s of shown) lines.push(`    ${stepText(s)}`);
  }
  if (d.registers.length > 0) {
    lines.push('  registers:');
    for (const r of d.registers) {
      const origin = r.origin === undefined ? '' : `; ${r.origin.what} at ${r.origin.source !== undefined && r.origin.source.line > 0 ? position(r.origin.source) : `instruction ${r.origin.slot}`}`;
      lines.push(`    ${r.register} = ${r.state} (${r.description}${origin})`);
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * The whole report as text: one block per diagnostic, then a summary line per program.
 *
 * @example
 * ```ts
 * process.stdout.write(renderText(verifyObject(spec)));
 * ```
 */
export function renderText(report: VerifierReport, options: RenderOptions = {}): string {
  const out: string[] = [];
  for (const p of report.programs) {
    if (options.log === true && p.log.length > 0) {
      out.push(`; state log of ${p.section}/${p.name}\n`);
      out.push(p.log.join('\n') + '\n');
    }
    for (const d of p.diagnostics) out.push(renderDiagnostic(d, p, report.file));
  }
  for (const p of report.programs) {
    const figures = `${p.insnsProcessed} instructions processed, ${p.statesStored} states, ${p.timeMs.toFixed(1)} ms`;
    out.push(`${report.file}: ${p.section}/${p.name} (${p.type}): ${p.verdict === 'pass' ? 'PASS' : p.malformed ? 'FAIL (malformed)' : 'FAIL'} (${figures})\n`);
  }
  return out.join('');
}

/** The report as JSON, in the shape `bpfship verify --format json` promises. */
export function renderJson(report: VerifierReport): string {
  const json = {
    file: report.file,
    programs: report.programs.map((p) => ({
      section: p.section,
      name: p.name,
      type: p.type,
      verdict: p.verdict,
      malformed: p.malformed,
      insns_processed: p.insnsProcessed,
      states: p.statesStored,
      stack_depth: p.stackDepth,
      time_ms: Math.round(p.timeMs * 1000) / 1000,
      diagnostics: p.diagnostics.map((d) => ({
        message: d.message,
        code: d.code,
        insn: d.slot,
        file: d.source?.file ?? null,
        line: d.source?.line ?? null,
        column: d.source?.column ?? null,
        function: d.function,
        instruction: d.instruction,
        path: d.path.map((s) => ({
          kind: s.kind,
          insn: s.slot,
          ...(s.taken !== undefined ? { taken: s.taken } : {}),
          instruction: s.instruction,
          file: s.source?.file ?? null,
          line: s.source?.line ?? null,
          column: s.source?.column ?? null,
        })),
        registers: d.registers.map((r) => ({
          register: r.register,
          state: r.state,
          description: r.description,
          ...(r.origin !== undefined ? { origin: { insn: r.origin.slot, what: r.origin.what, line: r.origin.source?.line ?? null } } : {}),
        })),
      })),
    })),
  };
  return JSON.stringify(json, null, 2) + '\n';
}

const RULE_TEXT: Record<string, string> = {
  'malformed': 'The program is not well-formed bytecode',
  'uninitialized-register': 'A register is read before it is written',
  'uninitialized-stack': 'Stack memory is read before it is written',
  'null-dereference': 'A pointer that may be NULL is used without a check',
  'out-of-bounds': 'A memory access may fall outside its region',
  'unbounded-access': 'A memory access has no upper bound',
  'invalid-pointer': 'A value is used as a pointer it is not',
  'invalid-pointer-arithmetic': 'Pointer arithmetic that is not allowed',
  'pointer-leak': 'An address could leak out of the program',
  'invalid-context-access': 'An access to the context the program type does not allow',
  'read-only': 'A write to read-only memory',
  'invalid-helper-argument': 'A helper argument does not match its prototype',
  'unknown-helper': 'A call to a helper that does not exist',
  'helper-not-allowed': 'A call to a helper the program may not use',
  'unreleased-reference': 'A reference is not released on every path',
  'invalid-return': 'The program returns a value it may not',
  'infinite-loop': 'A loop that does not terminate',
  'too-complex': 'The program exceeds the verifier\'s complexity limit',
  'call-depth': 'Calls nest too deeply or recurse',
  'stack-limit': 'The program uses too much stack',
  'misaligned-access': 'A misaligned memory access',
  'unsupported': 'A feature the verifier does not support',
};

/** The report as a SARIF 2.1.0 log. */
export function renderSarif(report: VerifierReport, options: RenderOptions = {}): string {
  const codes = [...new Set(report.programs.flatMap((p) => p.diagnostics.map((d) => d.code)))].sort();
  const location = (src: SourcePosition | undefined, p: ProgramReport, slot: number, message?: string): object => ({
    physicalLocation: src !== undefined && src.line > 0
      ? {
        artifactLocation: { uri: fileName(src) },
        region: { startLine: src.line, ...(src.column > 0 ? { startColumn: src.column } : {}), ...(src.text !== '' ? { snippet: { text: src.text } } : {}) },
      }
      : { artifactLocation: { uri: report.file } },
    logicalLocations: [{ name: p.name, fullyQualifiedName: `${p.section}/${p.name}+${slot}`, kind: 'function' }],
    ...(message !== undefined ? { message: { text: message } } : {}),
  });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'bpfship-verify',
          version: options.version ?? '0.1.0',
          informationUri: 'https://github.com/bpfship/bpfship',
          rules: codes.map((c) => ({ id: c, shortDescription: { text: RULE_TEXT[c] ?? c } })),
        },
      },
      artifacts: [{ location: { uri: report.file } }],
      results: report.programs.flatMap((p) => p.diagnostics.map((d) => ({
        ruleId: d.code,
        ruleIndex: codes.indexOf(d.code),
        level: d.severity === 'error' ? 'error' : 'note',
        message: { text: d.message },
        locations: [location(d.source, p, d.slot)],
        ...(d.path.length > 0
          ? {
            codeFlows: [{
              threadFlows: [{
                locations: [
                  ...d.path.map((s) => ({ location: location(s.source, p, s.slot, `${s.instruction}${s.kind === 'branch' ? (s.taken === true ? ' (jump taken)' : ' (not taken)') : ` (${s.kind})`}`) })),
                  { location: location(d.source, p, d.slot, d.message) },
                ],
              }],
            }],
          }
          : {}),
        properties: {
          program: `${p.section}/${p.name}`,
          programType: p.type,
          insn: d.slot,
          instruction: d.instruction,
          registers: d.registers.map((r) => `${r.register} = ${r.state}`),
        },
      }))),
      invocations: [{ executionSuccessful: true }],
    }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
