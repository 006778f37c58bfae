/**
 * `verify --format json|sarif` when there is nothing to verify: the input is missing, is not an ELF file, or is a
 * malformed eBPF object. A CI step that uploads the report still gets a valid document, with the input error as its
 * one result, instead of an empty file (the error is on stderr too, and the exit status is 2).
 *
 * Author: Claude.
 *
 * @module
 */
import { BpfshipError } from '../internal/errors.ts';

/** What is known about the input error. */
interface InputError {
  readonly code: string;
  readonly message: string;
  readonly section?: string;
  readonly offset?: number;
}

function describe(error: unknown): InputError {
  if (error instanceof BpfshipError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.where.section !== undefined ? { section: error.where.section } : {}),
      ...(error.where.offset !== undefined ? { offset: error.where.offset } : {}),
    };
  }
  return { code: 'INPUT', message: error instanceof Error ? error.message : String(error) };
}

/** The JSON report (renderJson's shape) of a file that could not be verified: no programs, and `error`. */
export function inputErrorJson(file: string, error: unknown): string {
  const e = describe(error);
  return JSON.stringify({ file, programs: [], error: { code: e.code, message: e.message, section: e.section ?? null, offset: e.offset ?? null } }, null, 2) + '\n';
}

/** The SARIF 2.1.0 log (renderSarif's tool) of a file that could not be verified: one error result about the file. */
export function inputErrorSarif(file: string, error: unknown, version: string): string {
  const e = describe(error);
  const rule = 'input-error';
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'bpfship-verify',
          version,
          informationUri: 'https://github.com/bpfship/bpfship',
          rules: [{ id: rule, shortDescription: { text: 'The input is not an eBPF object that can be verified' } }],
        },
      },
      artifacts: [{ location: { uri: file } }],
      results: [{
        ruleId: rule,
        ruleIndex: 0,
        level: 'error',
        message: { text: e.message },
        locations: [{
          physicalLocation: {
            artifactLocation: { uri: file },
            ...(e.offset !== undefined ? { region: { byteOffset: e.offset } } : {}),
          },
        }],
        properties: { code: e.code, ...(e.section !== undefined ? { section: e.section } : {}) },
      }],
      invocations: [{
        executionSuccessful: false,
        toolExecutionNotifications: [{ level: 'error', message: { text: e.message } }],
      }],
    }],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
