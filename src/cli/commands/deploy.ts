/**
 * `bpfship deploy OBJECT.o --attach KIND:TARGET... [--program NAME] [--name NAME] [--policy development|production]
 * [--trust ROOT.pem...] [--revocations FILE] [--audit-log FILE] [--sig FILE] [--map NAME:KEY:VALUE...]
 * [--pin-dir DIR] [--pin-root DIR] [--state-dir DIR] [--tc-mode auto|tcx|clsact] [--json]`: loads a program of an
 * eBPF object into the kernel under a load policy and attaches it (src/deploy, docs/deploy.md); and
 * `deploy list`, `deploy remove NAME`, `deploy maps NAME [--map MAP]`.
 *
 * Exit status: 0 deployed (listed, removed, dumped); 1 refused, by the policy (the reason and the audit log) or
 * by the kernel (its verifier's log); 2 a request that cannot be carried out as given (unknown interface, name in
 * use, malformed object or attach point, no bpffs); 70 an internal fault.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import { basename } from 'node:path';
import { toJson } from '../json.ts';
import { UsageError } from '../io.ts';
import type { CommandContext } from '../context.ts';
import type { AllowedLoad } from '../../policy/index.ts';
import { makePolicy, parseHex } from './run.ts';

const TC_MODES = ['auto', 'tcx', 'clsact'] as const;

/** The deploy layer, loaded when a deploy command runs (libbpf is bound then). */
const loadDeploy = () => import('../../deploy/index.ts');

/** Kernel verifier logs longer than this are shown by their last lines (the refusal is at the end). */
const LOG_LINES = 200;

/** The command line's --map entries. */
function mapEntries(specs: readonly string[] | undefined): { map: string; key: Uint8Array; value: Uint8Array }[] {
  return (specs ?? []).map((m) => {
    const [map, key, value, ...rest] = m.split(':');
    if (map === undefined || map === '' || key === undefined || value === undefined || rest.length > 0) throw new UsageError(`--map wants NAME:KEY:VALUE (key and value in hex, little-endian as stored), found '${m}'`);
    return { map, key: parseHex(key, `--map ${map} key`), value: parseHex(value, `--map ${map} value`) };
  });
}

/** Configures `deploy` and its subcommands. */
export function configureDeploy(command: Command, { io, setExit }: CommandContext): void {
  const deployCommand = command
    // Options after `list`, `remove`, `maps` are theirs (--state-dir is on both levels).
    .enablePositionalOptions()
    .argument('<object>', 'an eBPF ELF object (clang -target bpf -c), signed with bpfship sign-object for production')
    // Not a required option: commander would then ask for it before `deploy list` too.
    .option('--attach <KIND:TARGET...>', 'where to attach: xdp:IFACE, xdpdrv:IFACE, xdpgeneric:IFACE, tc-ingress:IFACE, tc-egress:IFACE, cgroup-KIND:DIR (e.g. cgroup-connect4:/sys/fs/cgroup)')
    .option('--program <name>', 'the program to deploy (needed when the object has several)')
    .option('--name <name>', 'the deployment name (default: the program name)')
    .option('--policy <policy>', 'development (unsigned objects allowed, with a warning) or production (signed, verified objects only)', 'development')
    .option('--trust <root.pem...>', 'trusted root certificates (PEM): production needs one; development checks signatures against them')
    .option('--revocations <file>', 'a revocation list (JSON: revokedSerials, revokedImageDigests)')
    .option('--audit-log <file>', 'append the load decision here as a JSON line (default: $BPFSHIP_AUDIT_LOG; production: $XDG_STATE_HOME/bpfship/audit.log, for root /var/log/bpfship/audit.log; development: none)')
    .option('--sig <file>', 'the signature file (default OBJECT.sig)')
    .option('--require-rules <set>', "with --policy production: refuse an object whose attestation records a weaker rule set than this (strict: refuse objects verified under linux rules)")
    .option('--map <name:key:value...>', 'write map entries after loading and before attaching (key and value in hex, little-endian as stored)')
    .option('--pin-dir <dir>', 'the bpffs directory of the deployment (default /sys/fs/bpf/bpfship/NAME)')
    .option('--pin-root <dir>', 'where maps the object pins by name (LIBBPF_PIN_BY_NAME) go (default /sys/fs/bpf)')
    .option('--state-dir <dir>', 'where deployment records are kept (default $BPFSHIP_STATE_DIR, else /run/bpfship)')
    .option('--tc-mode <mode>', 'tc attach points: auto (tcx when the kernel has it, else clsact), tcx or clsact', 'auto')
    .option('--json', 'print the deployment record as JSON')
    .action(async (file, opts) => {
      if (opts.attach === undefined) throw new UsageError("deploy needs --attach KIND:TARGET (e.g. --attach xdp:eth0); or use 'deploy list', 'deploy remove NAME', 'deploy maps NAME'");
      if (!(TC_MODES as readonly string[]).includes(opts.tcMode)) throw new UsageError(`--tc-mode must be ${TC_MODES.join(', ')}, not '${opts.tcMode}'`);
      const entries = mapEntries(opts.map);
      // The object and its signature, each read once as a regular file within its size limit (bounded-file.ts).
      const { BoundedFileError, MAX_NATIVE_IMAGE_BYTES, readBoundedFile, readSignatureFileAt } = await import('../../runtime/bounded-file.ts');
      let object: Uint8Array;
      try {
        object = readBoundedFile(file, MAX_NATIVE_IMAGE_BYTES, 'eBPF object');
      } catch (e) {
        if (e instanceof BoundedFileError) throw new UsageError(`${file}: ${e.reason}`);
        throw e;
      }
      const sigPath = opts.sig ?? `${file}.sig`;
      const sig = readSignatureFileAt(sigPath);
      const signature = sig.bytes;
      if (opts.sig !== undefined && signature === undefined && sig.unreadable === undefined) throw new UsageError(`${opts.sig}: no such file`);
      const d = await loadDeploy();
      const { policy, auditPath, close } = await makePolicy(opts);
      const objectName = basename(file);
      try {
        // The policy's decision is told as soon as it is made, before libbpf and the kernel have their say.
        const announce = (decision: AllowedLoad): void => {
          if (decision.verification !== undefined) {
            const v = decision.verification;
            io.stderr(`bpfship: allowed by the ${policy.name} policy: ${objectName} (${decision.imageDigest}), signed by ${v.signer.subject}, root ${v.trustRoot.subject}${auditPath !== undefined ? ` (audit: ${auditPath})` : ''}\n`);
          } else if (signature === undefined) {
            io.stderr(`bpfship: warning: ${objectName} is not signed: deployed under the development policy without any signature or verification check (the production policy refuses it)\n`);
          } else {
            io.stderr(`bpfship: warning: ${decision.reason}\n`);
          }
        };
        const { record } = d.deploy({
          object,
          objectName,
          signature,
          signatureSource: { file: sigPath },
          ...(sig.unreadable !== undefined ? { signatureUnreadable: sig.unreadable } : {}),
          policy,
          name: opts.name ?? opts.program ?? (await soleProgramName(object, objectName)),
          ...(opts.program !== undefined ? { program: opts.program } : {}),
          attach: opts.attach,
          mapEntries: entries,
          ...(opts.pinDir !== undefined ? { pinDir: opts.pinDir } : {}),
          ...(opts.pinRoot !== undefined ? { pinRoot: opts.pinRoot } : {}),
          ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
          tcMode: opts.tcMode as (typeof TC_MODES)[number],
          afterCheck: announce,
        });
        if (opts.json === true) {
          io.stdout(toJson(record) + '\n');
        } else {
          const p = record.program;
          const attached = record.attachments.map((a) => (a.via === 'link' ? `${a.point} (link ${a.linkId})` : `${a.point} (clsact filter, handle ${a.handle}, priority ${a.priority})`)).join(', ');
          io.stdout(`deployed ${record.name}: program ${p?.name} (${p?.type}, id ${p?.id}, tag ${p?.tag}) attached at ${attached}; pinned in ${record.pinDir}\n`);
        }
        setExit(0);
      } catch (e) {
        if (e instanceof Error && e.name === 'PolicyRefusedError') {
          const dec = (e as unknown as { decision: { policy: string; code: string; message: string } }).decision;
          io.stderr(`bpfship: refused by the ${dec.policy} policy: ${dec.code}: ${dec.message}${auditPath !== undefined ? ` (audit: ${auditPath})` : ''}; nothing was loaded\n`);
          setExit(1);
          return;
        }
        if (e instanceof d.KernelRefusedError) {
          io.stderr(`bpfship: refused by the kernel: ${e.message}; nothing is left loaded or pinned\n`);
          if (e.verifierLog !== '') io.stderr(kernelLog(e.verifierLog));
          else if (e.libbpfLog.length > 0) io.stderr(`libbpf said:\n${e.libbpfLog.map((l) => `  ${l}\n`).join('')}`);
          setExit(1);
          return;
        }
        throw e;
      } finally {
        close();
      }
    });

  deployCommand
    .command('list')
    .description('list the deployments: program, ids, attach points, object digest, signer, and whatever no longer holds')
    .option('--state-dir <dir>', 'where deployment records are kept (default $BPFSHIP_STATE_DIR, else /run/bpfship)')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const d = await loadDeploy();
      const list = d.listDeployments(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {});
      if (opts.json === true) io.stdout(toJson(list.map((s) => ({ ...s.record, problems: s.problems }))) + '\n');
      else io.stdout(list.length === 0 ? 'no deployments\n' : list.map(formatStatus).join(''));
      setExit(0);
    });

  deployCommand
    .command('remove')
    .description('detach, unpin and forget a deployment: nothing it created is left')
    .argument('<name>', 'the deployment (bpfship deploy list)')
    .option('--state-dir <dir>', 'where deployment records are kept (default $BPFSHIP_STATE_DIR, else /run/bpfship)')
    .action(async (name, opts) => {
      const d = await loadDeploy();
      const r = d.undeploy({ name, ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}) });
      io.stdout(`removed ${name}:\n${r.steps.map((s) => `  ${s}\n`).join('')}${r.kept.map((k) => `  kept ${k}\n`).join('')}`);
      setExit(0);
    });

  deployCommand
    .command('maps')
    .description("dump a deployment's pinned maps as bpftool map dump prints them")
    .argument('<name>', 'the deployment (bpfship deploy list)')
    .option('--map <map>', 'only this map (its dump alone, as bpftool map dump pinned PATH prints it)')
    .option('--state-dir <dir>', 'where deployment records are kept (default $BPFSHIP_STATE_DIR, else /run/bpfship)')
    .action(async (name, opts) => {
      const d = await loadDeploy();
      const maps = d.deploymentMaps({ name, ...(opts.map !== undefined ? { map: opts.map } : {}), ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}) });
      if (opts.map !== undefined) io.stdout(maps[0]?.dump ?? '');
      else {
        // A header per map, as bpftool's `map show` prints its first line, then the dump.
        io.stdout(maps.map((m) => `${m.info.id}: ${m.info.type}  name ${m.info.name}  flags 0x${m.info.flags.toString(16)}\n${m.dump}`).join('\n'));
      }
      setExit(0);
    });
}

/** The name of the object's only program (the default deployment name), or a usage error naming them all. */
async function soleProgramName(object: Uint8Array, objectName: string): Promise<string> {
  const { readObject } = await import('../../spec/index.ts');
  let names: string[];
  try {
    names = readObject(object, { name: objectName }).programs.map((p) => p.name);
  } catch {
    // The policy judges a malformed object first; name the deployment after the file meanwhile.
    return objectName.replace(/\.o$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  }
  if (names.length !== 1 || names[0] === undefined) throw new UsageError(`${objectName} has ${names.length} programs (${names.join(', ') || 'none'}): choose one with --program`);
  return names[0];
}

/** The kernel verifier's log, its last lines when it is long. */
function kernelLog(log: string): string {
  const lines = log.replace(/\n$/, '').split('\n');
  const shown = lines.length > LOG_LINES ? lines.slice(-LOG_LINES) : lines;
  const omitted = lines.length - shown.length;
  return `the kernel's verifier log${omitted > 0 ? ` (its last ${LOG_LINES} lines; ${omitted} earlier lines omitted)` : ''}:\n${shown.map((l) => `  ${l}\n`).join('')}`;
}

/** One deployment as `deploy list` prints it, in the manner of `bpftool prog show`. */
function formatStatus(s: { readonly record: import('../../deploy/index.ts').DeploymentRecord; readonly problems: readonly string[] }): string {
  const r = s.record;
  const p = r.program;
  let out = `${r.name}: ${p === null ? '(no program loaded)' : `program ${p.name} (${p.type}) id ${p.id} tag ${p.tag}`}  ${r.state === 'deployed' && s.problems.length === 0 ? 'ok' : 'NEEDS ATTENTION'}\n`;
  out += `\tobject ${r.object.name} ${r.object.digest}\n`;
  out += `\tpolicy ${r.policy}, ${r.signer === null ? 'unsigned' : `signed by ${r.signer.subject}${r.signer.verified ? '' : ' (chain not checked)'}`}, deployed ${r.deployedAt}\n`;
  for (const a of r.attachments) out += `\tattached ${a.point} ${a.via === 'link' ? `link ${a.linkId}` : `clsact filter handle ${a.handle} priority ${a.priority}`}\n`;
  if (r.maps.length > 0) out += `\tmaps ${r.maps.map((m) => `${m.name} (id ${m.id}${m.pinnedByName ? `, pinned by name at ${m.pin}` : ''})`).join(', ')}\n`;
  out += `\tpinned ${r.pinDir}\n`;
  for (const problem of s.problems) out += `\tproblem: ${problem}\n`;
  return out;
}
