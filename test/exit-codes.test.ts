// The exit statuses of docs/cli.md, the same for every command and mode (src/cli/exit-code.ts):
//   0 success; 1 refused (verification or policy); 2 usage or malformed input; 3 the program faulted at run time;
//   70 internal error.
// Every row is checked through the command line, in each command and mode where the case can arise.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli, type CliResult } from '../src/cli/commands/_test-cli.ts';
import { COMMANDS } from '../src/cli/command-table.ts';
import { ExitCode, exitCodeFor } from '../src/cli/exit-code.ts';
import { compileBpf } from '../src/native/index.ts';

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');
const safe = join(EXAMPLES, 'xdp_firewall.o');
const packet = join(EXAMPLES, 'packets', 'tcp_syn_ssh.bin');
let dir: string;
let unsafe: string;
let faulting: string;
let notElf: string;
let truncated: string;
const saved = { cache: process.env.BPFSHIP_CACHE, audit: process.env.BPFSHIP_AUDIT_LOG };

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-exit-codes-'));
  process.env.BPFSHIP_CACHE = join(dir, 'cache');
  delete process.env.BPFSHIP_AUDIT_LOG;
  // The firewall without its NULL check (what the README's "break it" step makes).
  writeFileSync(join(dir, 'broken.c'), readFileSync(join(EXAMPLES, 'xdp_firewall.c'), 'utf8').replace(/\n[^\n]*NULL check[^\n]*\n[^\n]*\n/, '\n'));
  unsafe = join(dir, 'broken.o');
  writeFileSync(unsafe, compileBpf('broken.c', { cwd: dir }).object);
  faulting = join(dir, 'faults.o');
  writeFileSync(faulting, compileBpf(join(ROOT, 'test', 'testdata', 'faults.c')).object);
  notElf = join(dir, 'notes.txt');
  writeFileSync(notElf, 'these are not the objects you are looking for\n');
  truncated = join(dir, 'truncated.o');
  writeFileSync(truncated, readFileSync(safe).subarray(0, 200));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [['BPFSHIP_CACHE', saved.cache], ['BPFSHIP_AUDIT_LOG', saved.audit]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

function expectCode(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit status ${r.code}, expected ${code}\nstdout: ${r.out.slice(0, 400)}\nstderr: ${r.err.slice(0, 800)}`);
}

describe('exit status 0: success', () => {
  it('in every command and mode', async () => {
    expectCode(await cli(['verify', safe]), ExitCode.ok, 'verify');
    expectCode(await cli(['inspect', safe]), ExitCode.ok, 'inspect');
    for (const mode of ['interpret', 'jit', 'native']) expectCode(await cli(['run', safe, '--mode', mode, '--data', packet]), ExitCode.ok, `run --mode ${mode}`);
    expectCode(await cli(['build', safe, '-o', join(dir, 'fw.so')]), ExitCode.ok, 'build');
    expectCode(await cli(['run', join(dir, 'fw.so'), '--data', packet]), ExitCode.ok, 'run IMAGE.so');
    expectCode(await cli(['--version']), ExitCode.ok, '--version');
    expectCode(await cli(['--help']), ExitCode.ok, '--help');
  });
});

describe('exit status 1: refused', () => {
  it('a program the verifier refuses, in verify, bpf2c, build and every run mode that verifies', async () => {
    for (const args of [['verify', unsafe], ['bpf2c', unsafe], ['build', unsafe, '-o', join(dir, 'broken.so')], ['run', unsafe, '--mode', 'jit', '--data', packet], ['run', unsafe, '--mode', 'native', '--data', packet]]) {
      const r = await cli(args);
      expectCode(r, ExitCode.refused, args.join(' '));
      assert.match(r.out + r.err, /broken\.c:\d+:\d+: error: possible NULL dereference/, args.join(' '));
    }
  });

  it('a load the policy refuses, whatever the mode', async () => {
    const keys = join(dir, 'keys');
    expectCode(await cli(['keys', 'init', keys]), ExitCode.ok, 'keys init');
    const trust = ['--policy', 'production', '--trust', join(keys, 'root-ca.pem'), '--audit-log', join(dir, 'audit.log')];
    // An unsigned image, an object, and a signed image asked to run in another mode.
    expectCode(await cli(['run', join(dir, 'fw.so'), ...trust, '--data', packet]), ExitCode.refused, 'run unsigned image under production');
    for (const mode of ['interpret', 'jit', 'native']) expectCode(await cli(['run', safe, '--mode', mode, ...trust, '--data', packet]), ExitCode.refused, `run object --mode ${mode} under production`);
  });
});

describe('exit status 2: usage or malformed input', () => {
  it('wrong arguments', async () => {
    expectCode(await cli(['verify']), ExitCode.usage, 'verify without a file');
    expectCode(await cli(['verify', safe, '--frobnicate']), ExitCode.usage, 'unknown option');
    expectCode(await cli(['frobnicate']), ExitCode.usage, 'unknown command');
    expectCode(await cli(['run', safe, '--mode', 'turbo', '--data', packet]), ExitCode.usage, 'unknown mode');
  });

  it('a missing file, something that is not ELF, a malformed object: in every command and mode', async () => {
    for (const input of [join(dir, 'missing.o'), notElf, truncated]) {
      for (const args of [['verify', input], ['inspect', input], ['bpf2c', input], ['build', input, '-o', join(dir, 'x.so')], ...['interpret', 'jit', 'native'].map((m) => ['run', input, '--mode', m, '--data', packet])]) {
        const r = await cli(args);
        expectCode(r, ExitCode.usage, args.join(' '));
        assert.match(r.err, /^bpfship: error: /m, args.join(' '));
      }
    }
  });

  it('C that clang rejects', async () => {
    writeFileSync(join(dir, 'bad.c'), 'int f(void) { return undeclared; }\n');
    const r = await cli(['compile', join(dir, 'bad.c'), '-o', join(dir, 'bad.o')]);
    expectCode(r, ExitCode.usage, 'compile');
    assert.match(r.err, /error: use of undeclared identifier 'undeclared'/);
  });
});

describe('exit status 3: the program faulted at run time', () => {
  it('an unverified run that reads past its packet (interpret mode; jit and native verify first and refuse it)', async () => {
    const r = await cli(['run', faulting, '--data', packet]);
    expectCode(r, ExitCode.faulted, 'run --mode interpret');
    assert.match(r.err, /load of 1 byte .* is outside the program's memory/);
    expectCode(await cli(['run', faulting, '--mode', 'jit', '--data', packet]), ExitCode.refused, 'run --mode jit');
    expectCode(await cli(['run', faulting, '--mode', 'native', '--data', packet]), ExitCode.refused, 'run --mode native');
  });

  it('in a capture, naming the frame', async () => {
    const r = await cli(['run', faulting, '--pcap', join(EXAMPLES, 'packets', 'sample.pcap')]);
    expectCode(r, ExitCode.faulted, 'run --pcap');
    assert.match(r.err, /sample\.pcap: frame 1: /);
  });
});

describe('exit status 70: internal error', () => {
  it('a bug in a command is reported as one, with its stack', async () => {
    const buggy = [...COMMANDS, {
      name: 'crash',
      usage: '',
      summary: 'a command with a bug',
      load: () => Promise.resolve(((command: import('@commander-js/extra-typings').Command) => {
        command.action(() => {
          throw new TypeError('cannot read properties of undefined');
        });
      })),
    }];
    const r = await cli(['crash'], undefined, { commands: buggy });
    expectCode(r, ExitCode.internal, 'crash');
    assert.match(r.err, /^bpfship: internal error \(please report it\): TypeError: cannot read properties of undefined\n\s+at /);
  });

  it('the table maps errors by kind, not by command', () => {
    const named = (name: string): Error => Object.assign(new Error(name), { name });
    assert.equal(exitCodeFor(named('VerificationRefusedError')), 1);
    assert.equal(exitCodeFor(named('PolicyRefusedError')), 1);
    assert.equal(exitCodeFor(named('Bpf2cVerificationError')), 1);
    assert.equal(exitCodeFor(named('ExecutionError')), 3);
    assert.equal(exitCodeFor(named('UsageError')), 2);
    assert.equal(exitCodeFor(new RangeError('x')), 70);
    assert.equal(exitCodeFor('a string'), 70);
  });
});
