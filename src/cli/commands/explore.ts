/**
 * `bpfship explore FILE [--section S] [--program NAME] [--type TYPE] [--rules linux|strict] [--license STR]
 * [--btf FILE] [--listen HOST:PORT] [--open] [--json]`: the verifier explorer for an object, verifying as `verify`
 * does with the same options. Every selected program is verified with its states recorded; the explorer page
 * is then served on loopback (a free port unless --listen says) and its URL printed; --open opens it in a browser.
 * With --json, the explore documents are printed instead (no server). The C source files named by BTF line info
 * are read from disk when found (beside the object or in a directory above it, or from the current directory) and
 * shown only when their lines are the ones the compiler recorded.
 *
 * Author: Claude.
 *
 * @module
 */
import { type Command } from '@commander-js/extra-typings';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ProgramType, readObject, selectPrograms, type ProgramTypeName } from '../../spec/index.ts';
import { exploreObject, exploreProgram, type ExploreProgram } from '../../web/index.ts';
import { readInput, UsageError } from '../io.ts';
import type { CommandContext, Io } from '../context.ts';
import { addVerifierOptions, kernelBtfFor, licenseFor, verifierSettings, VMLINUX_BTF } from '../verifier-options.ts';
import { parseListen } from './serve.ts';

/** Source files larger than this are not read. */
const MAX_SOURCE_BYTES = 4 << 20;

/** Finds a source file BTF names: as given (absolute or from the current directory), or below a directory above the object. */
export function sourceReader(objectPath: string): (file: string) => string | undefined {
  return (file) => {
    const candidates: string[] = [];
    if (isAbsolute(file)) candidates.push(file);
    else {
      candidates.push(resolve(file));
      let dir = dirname(resolve(objectPath));
      for (let up = 0; up < 4; up++) {
        candidates.push(resolve(dir, file));
        const parent = dirname(dir);
        if (parent === dir) break;
        dir = parent;
      }
    }
    for (const c of candidates) {
      try {
        if (existsSync(c) && statSync(c).isFile() && statSync(c).size <= MAX_SOURCE_BYTES) return readFileSync(c, 'utf8');
      } catch {
        // Unreadable: try the next place.
      }
    }
    return undefined;
  };
}

function positiveInteger(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new UsageError(`${option} must be a positive integer, not '${text}'`);
  return Number(text);
}

/** Opens a URL in the user's browser ($BROWSER, else xdg-open); says so when none can be started. */
function openBrowser(url: string, io: Io): void {
  const command = process.env['BROWSER'] ?? 'xdg-open';
  try {
    const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => io.stderr(`bpfship: could not start '${command}' to open the page: open ${url} yourself\n`));
    child.unref();
  } catch {
    io.stderr(`bpfship: could not start '${command}' to open the page: open ${url} yourself\n`);
  }
}

/** Configures `explore`. */
export function configureExplore(command: Command, { io, setExit }: CommandContext): void {
  addVerifierOptions(command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -g -O2 -c)')
    .option('--section <name>', 'only programs in this section')
    .option('--program <name>', 'only the program (or .text function) with this name')
    .option('--type <type>', 'verify as this program type (xdp, sched_cls, ...), overriding the section name'))
    .option('--btf <file>', `the kernel's BTF, for kfuncs (default ${VMLINUX_BTF} when present)`)
    .option('--listen <host:port>', 'the address to serve on (loopback only)', '127.0.0.1:0')
    .option('--open', 'open the page in a browser ($BROWSER, else xdg-open)')
    .option('--json', 'print the explore documents as JSON instead of serving them')
    .option('--max-states <n>', 'states kept per instruction (default 8)')
    .option('--max-bytes <n>', "a program's recording budget in bytes (default 16 MiB)")
    .action(async (file, opts) => {
      if (opts.type !== undefined && !(opts.type in ProgramType)) {
        throw new UsageError(`unknown program type '${opts.type}' (known: ${Object.keys(ProgramType).filter((t) => t !== 'unspec').join(', ')})`);
      }
      const listen = parseListen(opts.listen);
      if (!['127.0.0.1', 'localhost', '::1'].includes(listen.host) && !listen.host.startsWith('127.')) {
        throw new UsageError(`--listen ${opts.listen}: the explorer serves on loopback only (127.0.0.1, ::1)`);
      }
      const settings = verifierSettings(opts);
      const kernelBtf = await kernelBtfFor(opts.btf);
      const maxStates = positiveInteger(opts.maxStates, '--max-states');
      const maxBytes = positiveInteger(opts.maxBytes, '--max-bytes');
      const spec = readObject(readInput(file), { name: file });
      const selected = selectPrograms(spec, {
        ...(opts.section !== undefined ? { section: opts.section } : {}),
        ...(opts.program !== undefined ? { name: opts.program } : {}),
        ...(opts.type !== undefined ? { type: opts.type as ProgramTypeName } : {}),
      });
      if (selected.length === 0) {
        const have = spec.programs.map((p) => `${p.sectionName}/${p.name}`).join(', ') || 'none';
        throw new UsageError(`${file}: no program matches${opts.section !== undefined ? ` section '${opts.section}'` : ''}${opts.program !== undefined ? ` name '${opts.program}'` : ''} (programs: ${have})`);
      }
      const readSource = sourceReader(file);
      const docs: ExploreProgram[] = selected.map((p, index) => exploreProgram(spec, p, {
        index,
        readSource,
        record: { ...(maxStates !== undefined ? { maxStatesPerInsn: maxStates } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) },
        ...(opts.type !== undefined ? { programType: opts.type } : {}),
        rules: settings.rules,
        ...licenseFor(spec.license, settings.license),
        ...(kernelBtf !== undefined ? { kernelBtf } : {}),
      }));
      const all = exploreObject(spec, { programs: selected, ...(opts.type !== undefined ? { programType: opts.type } : {}) });
      const object = {
        ...all,
        programs: docs.map((d) => ({ ...(all.programs[d.index] as (typeof all.programs)[number]), type: d.report.type, verdict: d.report.verdict })),
      };
      const failed = docs.some((d) => d.report.verdict !== 'pass');
      const malformed = docs.some((d) => d.report.malformed);
      if (opts.json === true) {
        io.stdout(JSON.stringify({ object, programs: docs }) + '\n');
        setExit(malformed ? 2 : failed ? 1 : 0);
        return;
      }
      for (const d of docs) {
        const diag = d.report.diagnostics[0];
        const where = diag?.source !== undefined ? ` at ${diag.source.file.replace(/^\.\//, '')}:${diag.source.line}` : '';
        const states = d.report.recording?.states.length ?? 0;
        io.stderr(`${file}: ${d.section}/${d.name} (${d.report.type}, ${d.report.rules} rules): ${d.report.verdict === 'pass' ? 'PASS' : `FAIL${where}`} (${d.report.insnsProcessed.toLocaleString('en-US')} instructions processed, ${states.toLocaleString('en-US')} states recorded)\n`);
      }
      const { createLocalExplorer } = await import('../../service/local-explorer.ts');
      const app = await createLocalExplorer({ object, documents: new Map(docs.map((d) => [d.index, JSON.stringify(d)])) });
      const stopped = new Promise<string>((resolveStop) => {
        const stop = (signal: string): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolveStop(signal);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      try {
        await app.listen({ host: listen.host, port: listen.port });
      } catch (e) {
        await app.close();
        const code = (e as { code?: string }).code;
        if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') throw new UsageError(`--listen ${opts.listen}: cannot listen there (${code})`);
        throw e;
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : listen.port;
      const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
      const url = `http://${host}:${port}/`;
      io.stdout(`${url}\n`);
      io.stderr(`bpfship: explorer on ${url}; stop with Ctrl-C\n`);
      if (opts.open === true) openBrowser(url, io);
      const signal = await stopped;
      io.stderr(`bpfship: ${signal}: stopping\n`);
      await app.close();
      setExit(0);
    });
}
