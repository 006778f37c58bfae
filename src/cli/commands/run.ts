/**
 * `bpfship run FILE [--program NAME] [--mode interpret|jit|native] [--data PACKET.bin | --pcap FILE.pcap] [--ctx CTX.bin]
 * [--repeat N] [--cpu N] [--map NAME:KEY:VALUE ...] [--show-maps] [--trace-format trace_pipe|json] [--json]
 * [--policy development|production] [--trust ROOT.pem...] [--revocations FILE] [--audit-log FILE] [--sig FILE]`:
 * loads an ELF object or a native image under a load policy and runs one program as Linux's BPF_PROG_TEST_RUN
 * does, then prints the return value, the packet after the run, the trace lines and the time per run, and with
 * `--show-maps` every map as `bpftool map dump` prints it (map-report.ts). With `--pcap`, every frame of the
 * capture is run once and the return values are summarised; a frame the program type cannot take (a runt, another
 * link type) is reported by its number and skipped.
 *
 * Inputs and modes:
 * - an ELF object (`clang -target bpf -c`): `--mode interpret` (the default), `--mode jit` (every program verified,
 *   then compiled to WebAssembly; a program the verifier rejects is not loaded, and its diagnostics are printed),
 *   or `--mode native`, which builds a native image from it first (through the build cache, verified when a
 *   verifier is wired in);
 * - a native image (`bpfship build`'s `.so`, told apart from an object by its ELF header): native mode (the
 *   default for an image), loaded from a sealed memfd holding the bytes read once, bound to the runtime core's maps
 *   and helpers.
 *
 * Policies (src/policy): `development` (the default) allows every mode and checks a native image's signature
 * file when there is one; `production` allows only signed native images that pass every check against `--trust`,
 * and so runs native mode unless told otherwise (and refuses anything else, saying what it takes instead).
 * Decisions go to the audit log as JSON lines (src/policy/audit-log-location.ts): `--audit-log FILE`, else
 * `$BPFSHIP_AUDIT_LOG`; production otherwise writes `$XDG_STATE_HOME/bpfship/audit.log` (root:
 * `/var/log/bpfship/audit.log`) and refuses to run when it cannot; development writes no log unless asked. A
 * refused load prints the reason, loads nothing and exits with status 1. Exit statuses: src/cli/exit-code.ts.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { basename } from 'node:path';
import type { Runtime } from '../../runtime/runtime.ts';
import type { LoadedObject } from '../../runtime/loaded-object.ts';
import type { RedirectResult, RunInput } from '../../runtime/program-run.ts';
import type { PacketModel } from '../../runtime/program-type-profiles.ts';
import type { LoadPolicy } from '../../policy/index.ts';
import type { AuditLog } from '../../sign/index.ts';
import type { NativeObject } from '../../runtime/native/native-object.ts';
import { formatTraceJson, formatTracePipe, type TraceEvent } from '../../runtime/trace.ts';
import type { ObjectSpec } from '../../spec/index.ts';
import type { CommandContext, Io } from '../context.ts';
import { RefusedError } from '../exit-code.ts';
import { readInput, UsageError } from '../io.ts';
import { formatMapsReport, mapsReportJson, runMap, type RunMap } from '../map-report.ts';
import { buildThroughCache } from '../native-build.ts';
import { verifierFor } from '../verifier-wiring.ts';
import { silentProgress } from '../progress.ts';
import { UNVERIFIED_WARNING } from './bpf2c.ts';
import type { RuleSet } from '../../verifier/rules.ts';
import { addVerifierOptions, licenseFor, verifierSettings } from '../verifier-options.ts';

/** The input of `run` (an ELF object or a native image): a regular file of at most MAX_NATIVE_IMAGE_BYTES. */
async function readRunInput(file: string): Promise<Uint8Array> {
  const { BoundedFileError, MAX_NATIVE_IMAGE_BYTES, readBoundedFile } = await import('../../runtime/bounded-file.ts');
  try {
    return readBoundedFile(file, MAX_NATIVE_IMAGE_BYTES, 'input');
  } catch (e) {
    // Its message names the file twice (in its location and its detail): once is enough.
    if (e instanceof BoundedFileError) throw new UsageError(`${file}: ${e.reason}`);
    throw e;
  }
}

const MODES = ['interpret', 'jit', 'native'] as const;
type Mode = (typeof MODES)[number];
const POLICIES = ['development', 'production'] as const;

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

/** Hex bytes (`1600`, `0x16 00`, `16:00`) as given to --map. */
export function parseHex(text: string, what: string): Uint8Array {
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

/** The runtime for interpret and jit mode (the core's WebAssembly module). */
async function createRuntime(ncpus: number): Promise<Runtime> {
  const { Runtime } = await import('../../runtime/runtime.ts');
  return Runtime.createSync({ ncpus });
}

/**
 * What FILE is, from its ELF header: an eBPF object (EM_BPF, or EM_NONE in a relocatable object, as older LLVM
 * wrote and libbpf loads) or a native image (a shared object).
 */
export function inputKind(bytes: Uint8Array, file: string): 'object' | 'native-image' {
  if (bytes.length < 20 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new UsageError(`${file}: not an ELF file (expected an eBPF object or a native image)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine === 247 || (machine === 0 && type === 1)) return 'object';
  if (type === 3) return 'native-image';
  throw new UsageError(`${file}: an ELF file for machine ${machine}, neither an eBPF object nor a native image`);
}

/** {@link inputKind}, or undefined for a file that is neither. */
function tryInputKind(bytes: Uint8Array): 'object' | 'native-image' | undefined {
  try {
    return inputKind(bytes, '');
  } catch {
    return undefined;
  }
}

/** One run's outcome, whichever the executor: the interpreter's RunResult or native mode's. */
interface RunOutcome {
  readonly retval: number;
  readonly r0: bigint;
  readonly returnName: string | undefined;
  readonly data: Uint8Array | undefined;
  readonly ctx: Uint8Array;
  readonly redirect: RedirectResult | undefined;
  readonly trace: readonly TraceEvent[];
  readonly durationNs: number;
  /** The interpreter counts instructions; native code does not. */
  readonly instructions: number | undefined;
  readonly repeat: number;
}

/** The program being run, whichever the executor. */
interface Runnable {
  readonly name: string;
  readonly type: string;
  readonly mode: Mode;
  readonly packet: PacketModel;
  /** The object's spec when the run started from one (BTF for map dumps); a native image alone has none. */
  readonly spec: ObjectSpec | undefined;
  /** Possible CPUs (per-CPU map values). */
  readonly ncpus: number;
  run(input: RunInput): RunOutcome;
  setMap(name: string, key: Uint8Array, value: Uint8Array): void;
  /** Every map of the object (global data sections too), for --show-maps. */
  maps(): RunMap[];
  close(): void;
}

function resultJson(prog: Runnable, r: RunOutcome): object {
  return {
    program: prog.name,
    type: prog.type,
    mode: prog.mode,
    retval: r.retval,
    returnName: r.returnName ?? null,
    r0: r.r0,
    data: r.data ?? null,
    ctx: r.ctx,
    redirect: r.redirect ?? null,
    trace: r.trace.map((t) => JSON.parse(formatTraceJson(t)) as unknown),
    durationNs: Math.round(r.durationNs),
    instructions: r.instructions ?? null,
    repeat: r.repeat,
  };
}

/** The interpreter's or the JIT's program as a Runnable. */
function interpreted(obj: LoadedObject, file: string, name: string | undefined, ncpus: number): Runnable {
  let prog;
  if (name !== undefined) prog = obj.program(name);
  else {
    const all = [...obj.programs.values()];
    if (all.length !== 1) throw new UsageError(`${file}: the object has ${obj.spec.programs.length} programs (${obj.spec.programs.map((p) => p.name).join(', ')}): choose one with --program`);
    prog = all[0] as NonNullable<(typeof all)[number]>;
  }
  const p = prog;
  return {
    name: p.name,
    type: p.profile.name,
    mode: p.mode,
    packet: p.profile.packet,
    spec: obj.spec,
    ncpus,
    run: (input) => p.run(input),
    setMap: (m, k, v) => obj.map(m).update(k, v),
    maps: () =>
      [...obj.maps].map(([mapName, m]) =>
        runMap(mapName, {
          type: m.type,
          keySize: m.keySize,
          valueSize: m.valueSize,
          maxEntries: m.maxEntries,
          keys() {
            const out: Uint8Array[] = [];
            for (let k = m.nextKey(); k !== undefined && out.length <= m.maxEntries; k = m.nextKey(k)) out.push(k);
            return out;
          },
          lookup: (k) => m.lookup(k),
          consume: () => m.consume(),
        }, obj.spec),
      ),
    close: () => obj.close(),
  };
}

/** A native image's program as a Runnable. */
async function native(obj: NativeObject, file: string, name: string | undefined, spec: ObjectSpec | undefined): Promise<Runnable> {
  const { nativeProgramProfile, runNativeProgram } = await import('../../runtime/native/native-test-run.ts');
  if (name === undefined && obj.programs.length !== 1) {
    obj.close();
    throw new UsageError(`${file}: the image has ${obj.programs.length} programs (${obj.programs.map((p) => p.name).join(', ')}): choose one with --program`);
  }
  let profile;
  try {
    profile = nativeProgramProfile(obj, name ?? 0);
  } catch (e) {
    obj.close();
    throw e;
  }
  const program = obj.program(name ?? 0).name;
  return {
    name: program,
    type: profile.name,
    mode: 'native',
    packet: profile.packet,
    spec,
    ncpus: obj.core.ncpus(),
    run: (input) => ({ ...runNativeProgram(obj, program, input), instructions: undefined }),
    setMap: (m, k, v) => obj.map(m).update(k, v),
    maps: () =>
      [...obj.maps].map(([mapName, m]) =>
        runMap(mapName, { ...m.definition, keys: () => m.keys(), lookup: (k) => m.lookup(k), consume: () => m.consume() }, spec),
      ),
    close: () => obj.close(),
  };
}

/**
 * The policy the options ask for, with its trust roots, revocations and audit log (run and deploy; see the module
 * comment: production always audits, development only when asked, then `auditPath` is undefined).
 */
export async function makePolicy(opts: { policy: string; trust?: string[] | undefined; revocations?: string | undefined; auditLog?: string | undefined; requireRules?: string | undefined }): Promise<{ policy: LoadPolicy; auditPath: string | undefined; close: () => void }> {
  if (!(POLICIES as readonly string[]).includes(opts.policy)) throw new UsageError(`unknown policy '${opts.policy}' (expected ${POLICIES.join(' or ')})`);
  const production = opts.policy === 'production';
  if (production && (opts.trust === undefined || opts.trust.length === 0)) throw new UsageError('the production policy needs trusted roots: give --trust ROOT.pem');
  let requiredRules: RuleSet | undefined;
  if (opts.requireRules !== undefined) {
    if (!production) throw new UsageError('--require-rules goes with --policy production (it checks the rule set a signed attestation records)');
    const { parseRuleSet } = await import('../../verifier/rules.ts');
    try {
      requiredRules = parseRuleSet(opts.requireRules);
    } catch (e) {
      throw new UsageError(`--require-rules: ${(e as Error).message}`);
    }
  }
  const sign = await import('../../sign/index.ts');
  const { LoadPolicy, auditLogPathFor, openAuditLog } = await import('../../policy/index.ts');
  const trustedRoots = opts.trust === undefined ? [] : opts.trust.map((p) => {
    readInput(p); // a missing file is a usage error naming it
    return sign.readTrustedRoots([p]);
  }).flat();
  const revocations = opts.revocations === undefined ? undefined : sign.parseRevocationList(new TextDecoder().decode(readInput(opts.revocations)), { file: opts.revocations });
  const auditPath = auditLogPathFor(production ? 'production' : 'development', opts.auditLog);
  let auditLog: AuditLog | undefined;
  if (auditPath !== undefined) {
    try {
      auditLog = openAuditLog(auditPath);
    } catch (e) {
      const why = `cannot write the audit log ${auditPath}: ${(e as Error).message}`;
      // Production loads nothing it cannot account for; in development the log was asked for by name.
      if (production) throw new RefusedError(`refused by the production policy: AUDIT_LOG_UNWRITABLE: ${why} (nothing was loaded; give a writable --audit-log FILE)`);
      throw new UsageError(why);
    }
  }
  const options = { trustedRoots, ...(auditLog !== undefined ? { auditLog } : {}), ...(revocations !== undefined ? { revocations } : {}), ...(requiredRules !== undefined ? { requiredRules } : {}) };
  const policy = production ? LoadPolicy.production({ ...options, auditLog: auditLog as AuditLog }) : LoadPolicy.development(options);
  return { policy, auditPath, close: () => auditLog?.close() };
}

/** What to do instead, for the refusals people meet first. */
function refusalHint(code: string, file: string, mode: string | undefined): string {
  if (code === 'MODE_REFUSED') return `the production policy runs signed native images only: leave out --mode ${mode ?? ''} (production runs native mode)`.replace('  ', ' ');
  if (code === 'OBJECT_REFUSED') return `the production policy runs signed native images, not objects: build and sign one first (bpfship build ${file} -o IMAGE.so --sign-key KEY --sign-cert CERT), then run IMAGE.so`;
  if (code === 'RULES_REFUSED') return `rebuild and sign the image under the rules this policy requires (bpfship build OBJECT.o -o ${file} --rules strict --sign-key KEY --sign-cert CERT)`;
  if (code === 'SIGNATURE_MISSING') return `sign the image first (bpfship sign ${file} --sign-key KEY --sign-cert CERT), or build it with --sign-key`;
  return '';
}

/** Configures `run`. The context's verifier verifies objects built into native images on the fly (`--mode native` on a `.o`). */
export function configureRun(command: Command, ctx: CommandContext): void {
  const { io, setExit } = ctx;
  addVerifierOptions(command
    .argument('<file>', 'an eBPF ELF object (clang -target bpf -c) or a native image (bpfship build)'))
    .option('--program <name>', 'the program to run (needed when the object has several)')
    .option('--mode <mode>', 'execution mode: interpret, jit (verified, compiled to WebAssembly), or native (a native image, or an object built into one); default: native for a native image and under --policy production, else interpret')
    .option('--data <file>', 'the packet (raw bytes, an Ethernet frame for xdp and tc)')
    .option('--pcap <file>', 'run every frame of a pcap or pcapng capture and summarise the return values')
    .option('--ctx <file>', 'the context struct as raw bytes (BPF_PROG_TEST_RUN ctx_in)')
    .option('--repeat <n>', 'run N times in a loop inside the engine, as BPF_PROG_TEST_RUN does (nothing restored between runs), and report the mean time per run', '1')
    .option('--cpu <n>', 'the CPU to run on', '0')
    .option('--ncpus <n>', 'possible CPUs (slots of per-CPU maps)', '1')
    .option('--map <name:key:value...>', 'set map entries before running (key and value in hex, little-endian as stored)')
    .option('--show-maps', 'print every map after the run, as bpftool map dump does (with --json: in the JSON)')
    .option('--trace-format <format>', 'trace lines as trace_pipe prints them, or json (one object a line)', 'trace_pipe')
    .option('--json', 'print JSON')
    .option('--policy <policy>', 'development (any mode; a signature is checked when present) or production (signed native images only)', 'development')
    .option('--trust <root.pem...>', 'trusted root certificates (PEM): production needs one; development checks signatures against them')
    .option('--revocations <file>', 'a revocation list (JSON: revokedSerials, revokedImageDigests)')
    .option('--audit-log <file>', 'append every load decision here as a JSON line (default: $BPFSHIP_AUDIT_LOG; production: $XDG_STATE_HOME/bpfship/audit.log, for root /var/log/bpfship/audit.log; development: none)')
    .option('--sig <file>', "a native image's signature file (default IMAGE.sig)")
    .option('--require-rules <set>', "with --policy production: refuse an image whose attestation records a weaker rule set than this (strict: refuse images verified under linux rules)")
    .action(async (file, opts) => {
      // jit and native verify objects under these; a native image was verified when it was built (its attestation says how).
      const settings = verifierSettings(opts);
      if (opts.mode !== undefined && !(MODES as readonly string[]).includes(opts.mode)) throw new UsageError(`unknown mode '${opts.mode}' (expected ${MODES.join(', ')})`);
      if (opts.data !== undefined && opts.pcap !== undefined) throw new UsageError('give --data or --pcap, not both');
      if (opts.traceFormat !== 'trace_pipe' && opts.traceFormat !== 'json') throw new UsageError(`--trace-format must be trace_pipe or json, not '${opts.traceFormat}'`);
      const traceLine = opts.traceFormat === 'json' ? formatTraceJson : formatTracePipe;
      const repeat = positiveInt(opts.repeat, '--repeat', 1);
      const { MAX_REPEAT } = await import('../../runtime/program-run.ts');
      if (repeat > MAX_REPEAT) throw new UsageError(`--repeat must be at most ${MAX_REPEAT} (BPF_PROG_TEST_RUN's u32), not ${repeat}`);
      const cpu = positiveInt(opts.cpu, '--cpu', 0);
      const ncpus = positiveInt(opts.ncpus, '--ncpus', 1);
      if (cpu >= ncpus) throw new UsageError(`--cpu ${cpu} needs --ncpus ${cpu + 1} or more`);

      // 1. The input, read once; what it is; the policy's decision (audited) before anything is loaded.
      // A regular file within the image limit, checked before reading (a link to /dev/zero is refused at once).
      const bytes = await readRunInput(file);
      const { policy, auditPath, close } = await makePolicy(opts);
      const decideLoadAndRun = async (): Promise<void> => {
        // Under production a file that is not even an ELF file is decided on (and audited) as the native image it
        // claims to be: its signature check names what is wrong with it.
        const kind = policy.name === 'production' ? tryInputKind(bytes) ?? 'native-image' : inputKind(bytes, file);
        const name = basename(file);
        // A native image runs natively, and production runs nothing else: native is their default.
        const mode: Mode = (opts.mode as Mode | undefined) ?? (kind === 'native-image' || policy.name === 'production' ? 'native' : 'interpret');
        const audited = auditPath !== undefined ? ` (audit: ${auditPath})` : '';
        const refused = (e: unknown): boolean => {
          const d = (e as { decision?: { ok: false; code: string; message: string; policy: string } }).decision;
          if (d === undefined || (e as Error).name !== 'PolicyRefusedError') return false;
          io.stderr(`bpfship: refused by the ${d.policy} policy: ${d.code}: ${d.message}${audited}\n`);
          const hint = refusalHint(d.code, file, opts.mode);
          if (hint !== '') io.stderr(`hint: ${hint}\n`);
          setExit(1);
          return true;
        };
        if (policy.name === 'development' && kind === 'native-image' && mode !== 'native') {
          throw new UsageError(`${file} is a native image, which runs in native mode only: leave out --mode ${mode}`);
        }

        let prog: Runnable;
        try {
          if (kind === 'native-image' && mode === 'native') {
            const { openNativeImage } = await import('../../runtime/open-native-image.ts');
            const { readSignatureFileAt } = await import('../../runtime/bounded-file.ts');
            const sigPath = opts.sig ?? `${file}.sig`;
            // A regular file within its limit, checked before reading; one that is there but unreadable is refused (audited).
            const signature = readSignatureFileAt(sigPath);
            if (opts.sig !== undefined && signature.bytes === undefined && signature.unreadable === undefined) throw new UsageError(`${opts.sig}: no such file`);
            const { object, decision } = openNativeImage(bytes, {
              policy,
              name,
              signature: signature.bytes,
              signatureSource: { file: sigPath },
              ...(signature.unreadable !== undefined ? { signatureUnreadable: signature.unreadable } : {}),
              ncpus,
              cpu,
            });
            if (policy.name === 'production') {
              const v = decision.verification;
              io.stderr(`bpfship: allowed by the production policy: ${name} (${decision.imageDigest})${v !== undefined ? `, signed by ${v.signer.subject}, root ${v.trustRoot.subject}` : ''}${audited}\n`);
            }
            prog = await native(object, file, opts.program, undefined);
          } else {
            policy.admit({ bytes, name, input: kind, mode });
            if (mode === 'native') {
              // Development only (production refused the object above): build the image, then load those bytes.
              const { openNativeObject } = await import('../../runtime/native/native-object.ts');
              const { result: built } = await buildThroughCache(bytes, { sourceName: name }, verifierFor(ctx, settings), silentProgress);
              if (!built.verified) io.stderr(UNVERIFIED_WARNING);
              const spec = opts.showMaps === true ? (await import('../../spec/index.ts')).readObject(bytes, { name: file }) : undefined;
              prog = await native(openNativeObject(built.so, { name: name.replace(/\.o$/, '') + '.so', expectedSha256: built.soSha256, ncpus, cpu }), file, opts.program, spec);
            } else {
              const { readObject } = await import('../../spec/index.ts');
              const spec = readObject(bytes, { name: file });
              const verify = { rules: settings.rules, ...licenseFor(spec.license, settings.license) };
              const obj = (await createRuntime(ncpus)).load(spec, { mode, verify, ...(opts.program === undefined ? {} : { programs: [opts.program] }) });
              prog = interpreted(obj, file, opts.program, ncpus);
            }
          }
        } catch (e) {
          if (refused(e)) return;
          if (e instanceof Error && e.name === 'VerificationRefusedError') {
            // Unsafe, as `bpfship verify` would say: status 1, with the verifier's diagnostics.
            const detail = (e as Error & { detail: string }).detail;
            io.stderr(`bpfship: ${detail.endsWith('\n') ? detail : `${detail}\n`}`);
            setExit(1);
            return;
          }
          throw e;
        }

        try {
          await runAndReport(prog, opts, { cpu, repeat, traceLine }, io);
        } finally {
          prog.close();
        }
        setExit(0);
      };
      try {
        await decideLoadAndRun();
      } finally {
        close();
      }
    });
}

/** A frame of a capture the program type could not take, numbered from 1 as Wireshark and tcpdump number them. */
interface SkippedFrame {
  readonly frame: number;
  readonly reason: string;
}

/** Runs the program on the packet, context or capture given, and prints the report. */
async function runAndReport(
  prog: Runnable,
  opts: { readonly map?: string[] | undefined; readonly ctx?: string | undefined; readonly pcap?: string | undefined; readonly data?: string | undefined; readonly json?: true | undefined; readonly showMaps?: true | undefined },
  run: { readonly cpu: number; readonly repeat: number; readonly traceLine: (t: TraceEvent) => string },
  io: Io,
): Promise<void> {
  const { cpu, repeat, traceLine } = run;
  for (const m of opts.map ?? []) {
    const [name, key, value, ...rest] = m.split(':');
    if (name === undefined || key === undefined || value === undefined || rest.length > 0) throw new UsageError(`--map wants NAME:KEY:VALUE, found '${m}'`);
    prog.setMap(name, parseHex(key, `--map ${name} key`), parseHex(value, `--map ${name} value`));
  }
  const ctx = opts.ctx === undefined ? undefined : readInput(opts.ctx);
  const mapsText = (): string => (opts.showMaps === true ? `maps after the run:\n${formatMapsReport(prog.maps(), prog.spec?.btf, prog.ncpus)}` : '');
  const mapsJson = (): object => (opts.showMaps === true ? { maps: mapsReportJson(prog.maps(), prog.spec?.btf, prog.ncpus) } : {});

  if (opts.pcap !== undefined) {
    const { LinkType, readPcap } = await import('../../packet/index.ts');
    const frames = readPcap(readInput(opts.pcap), opts.pcap);
    const counts = new Map<number, { name: string | undefined; n: number }>();
    let totalNs = 0;
    let totalInsns = 0;
    let counted = false;
    const traces: TraceEvent[] = [];
    const skipped: SkippedFrame[] = [];
    for (const f of frames) {
      const frame = f.index + 1;
      if (f.linkType !== LinkType.ETHERNET && prog.packet !== 'buffer') {
        skipped.push({ frame, reason: `link type ${f.linkType}; ${prog.type} programs take Ethernet frames (link type 1)` });
        continue;
      }
      let r: RunOutcome;
      try {
        r = prog.run({ data: f.data, cpu, repeat, ...(ctx === undefined ? {} : { ctx }) });
      } catch (e) {
        // A frame the program type cannot take is the capture's, not the program's: report it, run the rest.
        if (e instanceof Error && e.name === 'RunInputError') {
          skipped.push({ frame, reason: (e as Error & { detail?: string }).detail ?? e.message });
          continue;
        }
        if (e instanceof Error) e.message = `${opts.pcap}: frame ${frame}: ${e.message}`;
        throw e;
      }
      const c = counts.get(r.retval) ?? { name: r.returnName, n: 0 };
      c.n++;
      counts.set(r.retval, c);
      totalNs += r.durationNs;
      totalInsns += r.instructions ?? 0;
      // The interpreter counts instructions; jit and native code do not.
      counted ||= r.instructions !== undefined;
      traces.push(...r.trace);
    }
    for (const k of skipped) io.stderr(`bpfship: warning: ${opts.pcap}: frame ${k.frame} skipped: ${k.reason}\n`);
    const ran = frames.length - skipped.length;
    const summary = [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([retval, c]) => ({ retval, returnName: c.name ?? null, frames: c.n }));
    if (opts.json === true) {
      io.stdout(JSON.stringify({
        program: prog.name, type: prog.type, mode: prog.mode, frames: frames.length, returns: summary, skipped,
        meanDurationNs: ran === 0 ? 0 : Math.round(totalNs / ran),
        meanInstructions: !counted ? null : ran === 0 ? 0 : totalInsns / ran,
        trace: traces.map((t) => JSON.parse(formatTraceJson(t)) as unknown),
        ...mapsJson(),
      }, null, 2) + '\n');
    } else {
      let out = `program ${prog.name} (${prog.type}, ${prog.mode}): ${frames.length} frame${frames.length === 1 ? '' : 's'} from ${opts.pcap}\n`;
      for (const s of summary) out += `  ${String(s.frames).padStart(8)}  ${s.retval}${s.returnName === null ? '' : ` (${s.returnName})`}\n`;
      if (skipped.length > 0) out += `  ${String(skipped.length).padStart(8)}  skipped: the program type cannot take frame${skipped.length === 1 ? '' : 's'} ${skipped.map((k) => k.frame).join(', ')}\n`;
      if (traces.length > 0) out += 'trace:\n' + traces.map((t) => traceLine(t) + '\n').join('');
      if (ran > 0) out += `time: ${Math.round(totalNs / ran)} ns per frame${counted ? `, ${(totalInsns / ran).toFixed(1)} instructions per frame` : ''}\n`;
      io.stdout(out + mapsText());
    }
    if (frames.length > 0 && ran === 0) throw new UsageError(`${opts.pcap}: ${prog.type} programs cannot take any frame of the capture`);
    return;
  }

  const data = opts.data === undefined ? undefined : readInput(opts.data);
  if (data === undefined && prog.packet !== 'none') throw new UsageError(`${prog.type} programs run on a packet: give --data FILE or --pcap FILE`);
  const r = prog.run({ cpu, repeat, ...(data === undefined ? {} : { data }), ...(ctx === undefined ? {} : { ctx }) });
  if (opts.json === true) {
    io.stdout(JSON.stringify({ ...resultJson(prog, r), ...mapsJson() }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2) + '\n');
    return;
  }
  let out = `program ${prog.name} (${prog.type}, ${prog.mode})\n`;
  out += `return value: ${r.retval}${r.returnName === undefined ? '' : ` (${r.returnName})`}\n`;
  if (r.redirect !== undefined) {
    out += r.redirect.kind === 'ifindex'
      ? `redirect: to ifindex ${r.redirect.ifindex}\n`
      : `redirect: through map ${r.redirect.mapId} key ${r.redirect.key}${r.redirect.ifindex === 0 ? '' : ` (ifindex ${r.redirect.ifindex})`}\n`;
  }
  if (r.data !== undefined) out += `packet after the run (${r.data.length} bytes):\n${hexDump(r.data)}`;
  if (ctx !== undefined) out += `context after the run (${r.ctx.length} bytes):\n${hexDump(r.ctx)}`;
  if (r.trace.length > 0) out += 'trace:\n' + r.trace.map((t) => traceLine(t) + '\n').join('');
  out += `time: ${Math.round(r.durationNs)} ns per run${repeat > 1 ? ` (mean of ${repeat})` : ''}${r.instructions === undefined ? '' : `, ${r.instructions} instructions`}\n`;
  io.stdout(out + mapsText());
}
