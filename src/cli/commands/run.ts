/**
 * `bpfship run FILE --program NAME [--mode interpret] [--data PACKET.bin | --pcap FILE.pcap] [--ctx CTX.bin]
 * [--repeat N] [--cpu N] [--map NAME:KEY:VALUE ...] [--trace-format trace_pipe|json] [--json]`: loads an object and runs one program as Linux's
 * BPF_PROG_TEST_RUN does, then prints the return value, the packet after the run, the trace lines and the time per
 * run. With `--pcap`, every frame of the capture is run once and the return values are summarised.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { readObject, type ObjectSpec } from '../../spec/index.ts';
import { readPcap, LinkType } from '../../runtime/pcap.ts';
import { Runtime } from '../../runtime/runtime.ts';
import type { LoadedObject, LoadedProgram } from '../../runtime/loaded-object.ts';
import type { RunResult } from '../../runtime/program-run.ts';
import { formatTracePipe, formatTraceJson, type TraceEvent } from '../../runtime/trace.ts';
import { readInput, UsageError } from '../io.ts';
import type { Io } from '../main.ts';

const MODES = ['interpret', 'jit', 'native'] as const;

/** `offset  hex bytes  ascii`, 16 bytes a line. */
export function hexDump(bytes: Uint8Array, indent = '  '): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out += `${indent}${i.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${ascii}\n`;
  }
  return out;
}

function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/^0x/i, '').replace(/[\s_:]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) throw new UsageError(`${what}: expected hex bytes (e.g. 1600 for the u16 22 little-endian), found '${text}'`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function positiveInt(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} must be an integer of at least ${min}, not '${text}'`);
  return n;
}

/** The runtime for the CLI, with a clear message when the core was not built. */
function createRuntime(ncpus: number): Runtime {
  try {
    return Runtime.createSync({ ncpus });
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') throw new UsageError(`the runtime core is not built (${(e as Error).message}); run: bash scripts/build-core.sh`);
    throw e;
  }
}

function chooseProgram(spec: ObjectSpec, obj: LoadedObject, file: string, name: string | undefined): LoadedProgram {
  if (name !== undefined) return obj.program(name);
  const all = [...obj.programs.values()];
  if (all.length === 1) return all[0] as LoadedProgram;
  throw new UsageError(`${file}: the object has ${spec.programs.length} programs (${spec.programs.map((p) => p.name).join(', ')}): choose one with --program`);
}

function resultJson(prog: LoadedProgram, r: RunResult): object {
  return {
    program: prog.name,
    type: prog.profile.name,
    mode: prog.mode,
    retval: r.retval,
    returnName: r.returnName ?? null,
    r0: r.r0,
    data: r.data ?? null,
    ctx: r.ctx,
    redirect: r.redirect ?? null,
    trace: r.trace.map((t) => JSON.parse(formatTraceJson(t)) as unknown),
    durationNs: Math.round(r.durationNs),
    instructions: r.instructions,
    repeat: r.repeat,
  };
}

/** Registers `run`. */
export function registerRunCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('load an object and run one program like BPF_PROG_TEST_RUN: return value, packet, trace, time')
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -c)')
    .option('--program <name>', 'the program to run (needed when the object has several)')
    .option('--mode <mode>', 'execution mode: interpret (jit and native to come)', 'interpret')
    .option('--data <file>', 'the packet (raw bytes, an Ethernet frame for xdp and tc)')
    .option('--pcap <file>', 'run every frame of a pcap or pcapng capture and summarise the return values')
    .option('--ctx <file>', 'the context struct as raw bytes (BPF_PROG_TEST_RUN ctx_in)')
    .option('--repeat <n>', 'run N times and report the mean time per run', '1')
    .option('--cpu <n>', 'the CPU to run on', '0')
    .option('--ncpus <n>', 'possible CPUs (slots of per-CPU maps)', '1')
    .option('--map <name:key:value...>', 'set map entries before running (key and value in hex, little-endian as stored)')
    .option('--trace-format <format>', 'trace lines as trace_pipe prints them, or json (one object a line)', 'trace_pipe')
    .option('--json', 'print JSON')
    .action((file, opts) => {
      if (!(MODES as readonly string[]).includes(opts.mode)) throw new UsageError(`unknown mode '${opts.mode}' (expected ${MODES.join(', ')})`);
      if (opts.mode !== 'interpret') throw new UsageError(`mode '${opts.mode}' is not available yet (available: interpret)`);
      if (opts.data !== undefined && opts.pcap !== undefined) throw new UsageError('give --data or --pcap, not both');
      if (opts.traceFormat !== 'trace_pipe' && opts.traceFormat !== 'json') throw new UsageError(`--trace-format must be trace_pipe or json, not '${opts.traceFormat}'`);
      const traceLine = opts.traceFormat === 'json' ? formatTraceJson : formatTracePipe;
      const repeat = positiveInt(opts.repeat, '--repeat', 1);
      const cpu = positiveInt(opts.cpu, '--cpu', 0);
      const ncpus = positiveInt(opts.ncpus, '--ncpus', 1);
      if (cpu >= ncpus) throw new UsageError(`--cpu ${cpu} needs --ncpus ${cpu + 1} or more`);

      const spec = readObject(readInput(file), { name: file });
      const rt = createRuntime(ncpus);
      const obj = rt.load(spec, { mode: 'interpret', ...(opts.program === undefined ? {} : { programs: [opts.program] }) });
      const prog = chooseProgram(spec, obj, file, opts.program);
      for (const m of opts.map ?? []) {
        const [name, key, value, ...rest] = m.split(':');
        if (name === undefined || key === undefined || value === undefined || rest.length > 0) throw new UsageError(`--map wants NAME:KEY:VALUE, found '${m}'`);
        obj.map(name).update(parseHex(key, `--map ${name} key`), parseHex(value, `--map ${name} value`));
      }
      const ctx = opts.ctx === undefined ? undefined : readInput(opts.ctx);

      if (opts.pcap !== undefined) {
        const frames = readPcap(readInput(opts.pcap), opts.pcap);
        const counts = new Map<number, { name: string | undefined; n: number }>();
        let totalNs = 0;
        let totalInsns = 0;
        const traces: TraceEvent[] = [];
        for (const f of frames) {
          if (f.linkType !== LinkType.ETHERNET && prog.profile.packet !== 'buffer') {
            throw new UsageError(`${opts.pcap}: frame ${f.index} has link type ${f.linkType}; ${prog.profile.name} programs take Ethernet frames (link type 1)`);
          }
          const r = prog.run({ data: f.data, cpu, repeat, ...(ctx === undefined ? {} : { ctx }) });
          const c = counts.get(r.retval) ?? { name: r.returnName, n: 0 };
          c.n++;
          counts.set(r.retval, c);
          totalNs += r.durationNs;
          totalInsns += r.instructions;
          traces.push(...r.trace);
        }
        const summary = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([retval, c]) => ({ retval, returnName: c.name ?? null, frames: c.n }));
        if (opts.json === true) {
          io.stdout(JSON.stringify({
            program: prog.name, type: prog.profile.name, mode: prog.mode, frames: frames.length, returns: summary,
            meanDurationNs: frames.length === 0 ? 0 : Math.round(totalNs / frames.length),
            meanInstructions: frames.length === 0 ? 0 : totalInsns / frames.length,
            trace: traces.map((t) => JSON.parse(formatTraceJson(t)) as unknown),
          }, null, 2) + '\n');
        } else {
          let out = `program ${prog.name} (${prog.profile.name}, ${prog.mode}): ${frames.length} frame${frames.length === 1 ? '' : 's'} from ${opts.pcap}\n`;
          for (const s of summary) out += `  ${String(s.frames).padStart(8)}  ${s.retval}${s.returnName === null ? '' : ` (${s.returnName})`}\n`;
          if (traces.length > 0) out += 'trace:\n' + traces.map((t) => traceLine(t) + '\n').join('');
          if (frames.length > 0) out += `time: ${Math.round(totalNs / frames.length)} ns per frame, ${(totalInsns / frames.length).toFixed(1)} instructions per frame\n`;
          io.stdout(out);
        }
        setExit(0);
        return;
      }

      const data = opts.data === undefined ? undefined : readInput(opts.data);
      if (data === undefined && prog.profile.packet !== 'none') throw new UsageError(`${prog.profile.name} programs run on a packet: give --data FILE or --pcap FILE`);
      const r = prog.run({ cpu, repeat, ...(data === undefined ? {} : { data }), ...(ctx === undefined ? {} : { ctx }) });
      if (opts.json === true) {
        io.stdout(JSON.stringify(resultJson(prog, r), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2) + '\n');
      } else {
        let out = `program ${prog.name} (${prog.profile.name}, ${prog.mode})\n`;
        out += `return value: ${r.retval}${r.returnName === undefined ? '' : ` (${r.returnName})`}\n`;
        if (r.redirect !== undefined) {
          out += r.redirect.kind === 'ifindex'
            ? `redirect: to ifindex ${r.redirect.ifindex}\n`
            : `redirect: through map ${r.redirect.mapId} key ${r.redirect.key}${r.redirect.ifindex === 0 ? '' : ` (ifindex ${r.redirect.ifindex})`}\n`;
        }
        if (r.data !== undefined) out += `packet after the run (${r.data.length} bytes):\n${hexDump(r.data)}`;
        if (ctx !== undefined) out += `context after the run (${r.ctx.length} bytes):\n${hexDump(r.ctx)}`;
        if (r.trace.length > 0) out += 'trace:\n' + r.trace.map((t) => traceLine(t) + '\n').join('');
        out += `time: ${Math.round(r.durationNs)} ns per run${repeat > 1 ? ` (mean of ${repeat})` : ''}, ${r.instructions} instructions\n`;
        io.stdout(out);
      }
      setExit(0);
    });
}
