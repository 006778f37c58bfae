// The package as users get it: `npm pack`, the tarball installed with npm into a fresh directory outside the
// checkout (no link to it), and README.md's "First five minutes" block run there as written: examples, compile,
// verify, a failing verify naming its source line, build, keys, sign, run under production (native mode), run in
// jit and interpret mode, the build service, fetch. The native core is built from the shipped C sources into a
// fresh per-user cache on the way.
//
// The install is offline and quick, as npm's own features allow: the dependencies come from npm's cache (which the
// set-up's `npm ci` filled) through a lockfile made from the checkout's (the same versions `npm install` resolved),
// and better-sqlite3, which npm would compile for minutes, gets its addon through prebuild-install's documented
// local-prebuilds directory, packed from the one the set-up built on this machine.
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfship-package-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The README's block between `<!-- NAME -->` and `<!-- /NAME -->`, as lines. */
function readmeBlock(name: string): string[] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\`\\n<!-- /${name} -->`).exec(text);
  assert.ok(m !== null, `README.md has no ${name} block`);
  return (m[1] as string).split('\n').filter((l) => l.trim() !== '');
}

/** Whether TCP port `port` on loopback is free. */
function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Packs the checkout (as built: `npm run build` made dist/) and returns the tarball's path. */
function pack(): string {
  for (const built of ['dist/bundle/main.cjs', 'dist/cli/code-cache.js', 'dist/index.js', 'build/core/bpfship_core.wasm']) {
    assert.ok(existsSync(join(ROOT, built)), `${built} is missing: run npm run build`);
  }
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  assert.ok(info !== undefined);
  const files = new Set(info.files.map((f) => f.path));
  for (const needed of ['bin/bpfship.js', 'dist/bundle/main.cjs', 'dist/bundle/cmd-run.cjs', 'build/core/bpfship_core.wasm', 'src/core/core.c', 'src/core/bpfship_core.h', 'src/bpf2c/bpfship_native.h', 'examples/xdp_firewall.c', 'examples/xdp_firewall.o', 'examples/packets/sample.pcap']) {
    assert.ok(files.has(needed), `the package lacks ${needed}`);
  }
  assert.ok(![...files].some((f) => f.endsWith('.test.ts')), 'the package ships tests');
  return join(dir, info.filename);
}

/** An app directory depending on the tarball, with a lockfile pinning every dependency to the checkout's versions. */
function appWithLockfile(tarball: string): string {
  const app = join(dir, 'app');
  mkdirSync(app);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const spec = `file:../${tarball.split('/').pop()}`;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'five-minutes', dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: spec, integrity, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  // The checkout's production dependencies (and their optional, per-platform parts), at the checkout's versions.
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true) packages[path] = entry;
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'five-minutes', private: true, dependencies: { [pkg.name]: spec } }, null, 2));
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'five-minutes', lockfileVersion: 3, requires: true, packages }, null, 2));
  return app;
}

/** A prebuild-install local prebuild of better-sqlite3's addon, from the one the set-up built here. */
function betterSqlitePrebuild(): string {
  const prebuilds = join(dir, 'prebuilds');
  mkdirSync(prebuilds);
  const module = join(ROOT, 'node_modules', 'better-sqlite3');
  const { version } = JSON.parse(readFileSync(join(module, 'package.json'), 'utf8')) as { version: string };
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(prebuilds, name), '-C', module, 'build/Release/better_sqlite3.node']);
  return prebuilds;
}

describe('the packed package, installed outside the checkout', () => {
  it("runs README.md's First five minutes as written", async (t) => {
    assert.ok(await portFree(8470), 'port 8470 (the service in the README) is taken on this machine');
    const tarball = pack();
    const app = appWithLockfile(tarball);
    const install = spawnSync('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: app,
      encoding: 'utf8',
      env: { ...process.env, npm_config_better_sqlite3_local_prebuilds: betterSqlitePrebuild() },
    });
    assert.equal(install.status, 0, `npm ci --offline failed:\n${install.stderr}`);
    const installed = join(app, 'node_modules', 'bpfship');
    assert.ok(!lstatSync(installed).isSymbolicLink() && !realpathSync(installed).startsWith(ROOT), 'the package is linked to the checkout');

    // Run the block as a script: each command followed by its exit status, in a fresh working directory, with a
    // fresh cache (the native core is compiled from the package's sources) and nothing of the checkout on PATH.
    const work = join(dir, 'work');
    mkdirSync(work);
    const lines = readmeBlock('first-five-minutes');
    const script = lines.map((l, i) => `${l}\necho "::status ${i} $?::"`).join('\n') + '\n';
    const env: NodeJS.ProcessEnv = {
      PATH: `${join(app, 'node_modules', '.bin')}:${(process.env.PATH ?? '').split(':').filter((p) => !p.startsWith(ROOT)).join(':')}`,
      HOME: process.env.HOME,
      XDG_CACHE_HOME: join(dir, 'cache'),
      XDG_STATE_HOME: join(dir, 'state'),
      LANG: 'C.UTF-8',
    };
    const run = spawnSync('bash', ['-c', script], { cwd: work, encoding: 'utf8', env, timeout: 600_000 });
    const output = run.stdout + run.stderr;
    t.diagnostic(`${lines.length} commands`);
    const statuses = [...run.stdout.matchAll(/::status (\d+) (\d+)::/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
    assert.equal(statuses.length, lines.length, `the block stopped early:\n${output.slice(-3000)}`);
    lines.forEach((line, i) => {
      const expected = Number(/# exit status (\d+)/.exec(line)?.[1] ?? 0);
      assert.equal(statuses[i]?.[1], expected, `"${line}" exited with ${statuses[i]?.[1]}, expected ${expected}:\n${output.slice(-4000)}`);
    });

    const five = join(work, 'five-minutes');
    // compile, verify, the failing verify at its source line.
    assert.match(run.stdout, /xdp_firewall\.o: xdp\/xdp_firewall \(xdp\): PASS/);
    assert.match(run.stdout, /^broken\.c:\d+:\d+: error: possible NULL dereference of r\d/m);
    assert.match(run.stdout, /^ +\d+ \| +__sync_fetch_and_add\(n, 1\);$/m);
    // build and sign; run under production, in native mode, from the signed image.
    for (const f of ['xdp_firewall.so', 'xdp_firewall.so.sig', 'xdp_firewall.so.build.json', 'fetched.so', 'fetched.so.sig']) assert.ok(readdirSync(five).includes(f), `${f} was not written`);
    assert.match(run.stderr, /allowed by the production policy: xdp_firewall\.so \(sha256:[0-9a-f]{64}\), signed by CN=bpfship development signer/);
    assert.match(run.stdout, /program xdp_firewall \(xdp, native\)\nreturn value: 1 \(XDP_DROP\)/);
    assert.match(readFileSync(join(five, 'audit.log'), 'utf8'), /"decision":"allowed"/);
    // jit over the capture (frame 8 skipped), interpret with the maps shown.
    assert.match(run.stdout, /program xdp_firewall \(xdp, jit\): 11 frames from packets\/sample\.pcap\n\s+2  1 \(XDP_DROP\)\n\s+8  2 \(XDP_PASS\)\n\s+1  skipped/);
    assert.match(run.stdout, /program xdp_firewall \(xdp, interpret\)\nreturn value: 2 \(XDP_PASS\)/);
    assert.match(run.stdout, /map verdicts \(array, key 4 bytes, value 8 bytes, max_entries 4\):\n\[\{\n {8}"key": 0,\n {8}"value": 1\n/);
    // The service built, signed and published it; fetch checked it before writing.
    assert.match(run.stdout, /"name":"xdp-firewall","version":1/);
    assert.match(run.stdout, /fetched\.so: xdp-firewall version 1, sha256:[0-9a-f]{64}\n\s+signer\s+CN=bpfship development signer/);
    // The library, as `import ... from 'bpfship'` in the app: an object read, a program run in the interpreter (the
    // WebAssembly core found inside the package).
    const library = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { readFileSync } from 'node:fs';
      import { readObject } from 'bpfship';
      import { Runtime } from 'bpfship/runtime';
      const bytes = readFileSync(${JSON.stringify(join(five, 'xdp_firewall.o'))});
      const spec = readObject(bytes, { name: 'xdp_firewall.o' });
      const rt = Runtime.createSync();
      const r = rt.load(spec).program('xdp_firewall').run({ data: readFileSync(${JSON.stringify(join(five, 'packets', 'udp_dns.bin'))}) });
      console.log(spec.programs.map((p) => p.name).join(','), r.returnName);
    `], { cwd: app, encoding: 'utf8', env });
    assert.equal(library.status, 0, library.stderr);
    assert.equal(library.stdout, 'xdp_firewall XDP_PASS\n');
    // The native core was compiled from the package's own sources, into the fresh cache.
    const core = readdirSync(join(dir, 'cache', 'bpfship', 'core'));
    assert.equal(core.length, 1);
    assert.ok(readdirSync(join(dir, 'cache', 'bpfship', 'core', core[0] as string)).includes('libbpfship_core.so'));
  });
});
