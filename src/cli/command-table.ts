/**
 * Every command, by name, with its one-line summary and where its code is. main.ts creates each command from this
 * table (name and summary, which is all `bpfship --help` prints) and loads the code of the one being run: a
 * command's module, and the layers it imports, load only when that command runs.
 *
 * To add a command: a module in commands/ exporting `configure(command, ctx)` that adds the arguments, options and
 * action to the command it is given (already named and described from this table), and an entry here.
 *
 * Author: Claude.
 *
 * @module
 */
import type { Command } from '@commander-js/extra-typings';
import type { CommandContext } from './context.ts';

/** Adds a command's arguments, options, sub-commands and action to `command`. */
export type ConfigureCommand = (command: Command, ctx: CommandContext) => void;

/** One command. */
export interface CommandEntry {
  readonly name: string;
  /** Its arguments as `bpfship --help` lists them after the name, e.g. `[options] <file>`. */
  readonly usage: string;
  /** One line, for `bpfship --help` and the command's own help. */
  readonly summary: string;
  /** Loads the command's module and returns its configure function. */
  readonly load: () => Promise<ConfigureCommand>;
}

/** The commands, in the order `bpfship --help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'examples',
    usage: '<dir>',
    summary: 'copy the example programs (C, objects, sample packets) into a directory to start from',
    load: async () => (await import('./commands/examples.ts')).configureExamples,
  },
  {
    name: 'compile',
    usage: '<source>',
    summary: 'compile an eBPF program written in C into an object (clang -target bpf -O2 -g, libbpf headers, reproducible)',
    load: async () => (await import('./commands/compile.ts')).configureCompile,
  },
  {
    name: 'inspect',
    usage: '<file>',
    summary: 'list the programs, maps, global data, license and BTF of an eBPF object',
    load: async () => (await import('./commands/inspect.ts')).configureInspect,
  },
  {
    name: 'disasm',
    usage: '<file>',
    summary: 'disassemble the program sections of an object, as llvm-objdump -dr prints them',
    load: async () => (await import('./commands/asm.ts')).configureDisasm,
  },
  {
    name: 'btf',
    usage: '<file>',
    summary: 'print the BTF types of an object, as `bpftool btf dump file` does',
    load: async () => (await import('./commands/btf.ts')).configureBtf,
  },
  {
    name: 'asm',
    usage: '<input>',
    summary: 'assemble eBPF assembly (LLVM syntax as disasm prints it, or the bpf_conformance dialect) into raw instructions',
    load: async () => (await import('./commands/asm.ts')).configureAsm,
  },
  {
    name: 'disasm-raw',
    usage: '<input>',
    summary: 'disassemble raw instructions (as asm writes them) into assembly that asm reads back',
    load: async () => (await import('./commands/asm.ts')).configureDisasmRaw,
  },
  {
    name: 'verify',
    usage: '<file>',
    summary: 'prove the programs of an eBPF object safe, or show where and why not',
    load: async () => (await import('./commands/verify.ts')).configureVerify,
  },
  {
    name: 'explore',
    usage: '<file>',
    summary: "open the verifier explorer for an object: verdicts, source beside instructions, control flow, and the verifier's state at each instruction",
    load: async () => (await import('./commands/explore.ts')).configureExplore,
  },
  {
    name: 'bpf2c',
    usage: '<file>',
    summary: 'verify an eBPF object and translate every program into one C file (for a native image)',
    load: async () => (await import('./commands/bpf2c.ts')).configureBpf2c,
  },
  {
    name: 'build',
    usage: '<file>',
    summary: 'verify an eBPF object (or compile a C file first), translate it with bpf2c and build a reproducible native image (.so); sign it with --sign-key',
    load: async () => (await import('./commands/build.ts')).configureBuild,
  },
  {
    name: 'keys',
    usage: 'init <dir>',
    summary: 'signing keys and certificates',
    load: async () => (await import('./commands/sign.ts')).configureKeys,
  },
  {
    name: 'sign',
    usage: '<image>',
    summary: 'sign a verified native image built by bpfship build: writes IMAGE.sig (DSSE envelope, in-toto attestation, certificate chain)',
    load: async () => (await import('./commands/sign-image.ts')).configureSign,
  },
  {
    name: 'sign-object',
    usage: '<object>',
    summary: "verify an eBPF object's programs and sign it for the kernel: writes OBJECT.o.sig (deployed by bpfship deploy)",
    load: async () => (await import('./commands/sign-object.ts')).configureSignObject,
  },
  {
    name: 'verify-signature',
    usage: '<image>',
    summary: 'check a native image, or an eBPF object signed with sign-object, against its signature (FILE.sig) and trusted roots, offline',
    load: async () => (await import('./commands/sign.ts')).configureVerifySignature,
  },
  {
    name: 'run',
    usage: '<file>',
    summary: 'load an object or a native image under a policy and run one program like BPF_PROG_TEST_RUN: return value, packet, maps, trace, time',
    load: async () => (await import('./commands/run.ts')).configureRun,
  },
  {
    name: 'deploy',
    usage: '<object>',
    summary: 'load a verified, signed eBPF program into the Linux kernel and attach it (see docs/deploy.md); deploy list|remove|maps manage deployments',
    load: async () => (await import('./commands/deploy.ts')).configureDeploy,
  },
  {
    name: 'conformance',
    usage: '<files...>',
    summary: 'run bpf_conformance tests (.data files) and report each failure and the totals',
    load: async () => (await import('./commands/conformance.ts')).configureConformance,
  },
  {
    name: 'conformance-plugin',
    usage: '[memory]',
    summary: 'bpf_conformance runner plugin: program as hex on stdin, memory as hex in the first argument, prints r0 in hex',
    load: async () => (await import('./commands/conformance.ts')).configureConformancePlugin,
  },
  {
    name: 'serve',
    usage: '',
    summary: 'run the build-and-sign service: POST an ELF, get a verified, signed native image published for runtimes to fetch',
    load: async () => (await import('./commands/serve.ts')).configureServe,
  },
  {
    name: 'fetch',
    usage: '<source> [name]',
    summary: 'download a signed native image from a build service (bpfship serve) or its OCI registry, verify it against trusted roots, then write IMAGE and IMAGE.sig',
    load: async () => (await import('./commands/fetch.ts')).configureFetch,
  },
  {
    name: 'store',
    usage: 'check',
    summary: "the build service's store: check re-hashes every blob and lists the damaged ones with the builds that need them",
    load: async () => (await import('./commands/store.ts')).configureStore,
  },
];
