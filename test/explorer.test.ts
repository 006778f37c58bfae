// The verifier explorer in a real browser (Debian's Chromium, headless, through playwright-core): `bpfship explore`
// run as a process on bind_monitor.o and bind_monitor_fixed.o, and `bpfship serve`'s page uploading an object.
// Each test saves screenshots to test-artifacts/ (gitignored).
//
// Author: Claude.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { PROGRAMS_OBJ } from '../src/internal/test-files.ts';
import { testPki, testService, type TestPki, type TestService } from '../src/service/_support.test.ts';
import { tokenHash } from '../src/service/token-file.ts';
import { screenshot, startBrowser, type TestBrowser } from './browser.ts';
// @ts-expect-error: a JavaScript module without types
import { ensurePageBuilt } from '../scripts/build-web.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const BIND = join(PROGRAMS_OBJ, 'bind_monitor.o');
const FIXED = join(PROGRAMS_OBJ, 'bind_monitor_fixed.o');

/** `bpfship explore FILE` as a process; resolves with its URL once it prints it. */
function explore(file: string): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'explore', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => void (err += d.toString()));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`bpfship explore printed no URL in 60 s: ${err}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolvePromise({ url: m[1] as string, child, stderr: () => err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bpfship explore exited (${code}) before printing its URL: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => {
    if (child.exitCode !== null) return r(child.exitCode);
    child.on('exit', (code) => r(code));
    child.kill('SIGTERM');
  });
}

let browser: TestBrowser;
before(async () => {
  await (ensurePageBuilt as () => Promise<string>)();
  browser = await startBrowser();
});
after(async () => {
  await browser?.close();
});

describe('bpfship explore in Chromium', () => {
  it('shows why bind_monitor.o is refused: the error at bind_monitor.c:33, r7 a map value that may be NULL, the lookup', async () => {
    const { url, child } = await explore(BIND);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(url);
      await page.waitForSelector('[data-testid=cfg] svg g.node');
      assert.match(await page.textContent('[data-testid=diagnostic-location]') ?? '', /bind_monitor\.c:33:16: error: possible NULL dereference of r7/);
      assert.equal(await page.getAttribute('[data-verdict]', 'data-verdict'), 'fail');
      // The failing instruction is selected first, on the path to the error; the error block is in the graph.
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^32: r1 = \*\(u64 \*\)\(r7 \+ 0x0\)/);
      assert.equal(await page.locator('[data-testid=cfg] g.node.err').count(), 1);
      await screenshot(page, 'explore-bind-monitor-error');

      // Click another instruction, then the failing one: r7 is a map value pointer that may be NULL.
      await page.click('[data-testid=listing] [data-slot="16"]');
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^16: if r0 != 0x0 goto \+0xb/);
      await page.click('[data-testid=listing] [data-slot="32"]');
      const r7 = page.locator('[data-testid=registers] tr[data-reg=r7]');
      assert.match(await r7.textContent() ?? '', /map_value_or_null\(id=1,map=bind_limit,off=0\)/);
      assert.match(await r7.textContent() ?? '', /a map value pointer or NULL/);
      assert.match(await page.textContent('[data-testid=decisions]') ?? '', /16 taken/);
      // Its details: bounds and known bits.
      await r7.click();
      assert.match(await page.textContent('[data-testid=registers] .details') ?? '', /u64\[0, 0x?[0-9a-f]*\]|u64/);
      await screenshot(page, 'explore-bind-monitor-r7');

      // Follow r7 back: last changed by `r7 = r0` at 10 on this path, whose r0 came from the lookup at 9.
      await r7.locator('a').click();
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^10: r7 = r0/);
      await page.locator('[data-testid=registers] tr[data-reg=r0] a').click();
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^9: call 0x1/);

      // Click the lookup's source line: its first instruction and its state.
      await page.click('.src-line[data-line="25"]');
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^7: r1 = 0x0 ll/);
      const regs = await page.textContent('[data-testid=registers]') ?? '';
      assert.match(regs, /fp-8/);
      assert.match(regs, /map_ptr\(map=bind_limit\)/); // r1 after the lddw
      // Down to the call: what it leaves in r0.
      await page.keyboard.press('ArrowDown');
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^9: call 0x1/);
      assert.match(await page.locator('[data-testid=registers] tr[data-reg=r0]').textContent() ?? '', /map_value_or_null\(id=1,map=bind_limit,off=0\)/);
      await screenshot(page, 'explore-bind-monitor-lookup');

      // Jump to the error with the keyboard; Backspace goes back.
      await page.keyboard.press('e');
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^32:/);
      await page.keyboard.press('Backspace');
      assert.match(await page.textContent('[data-testid=state-insn]') ?? '', /^9:/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      assert.equal(await stop(child), 0);
    }
  });

  it('shows bind_monitor_fixed.o pass', async () => {
    const { url, child } = await explore(FIXED);
    const page = await browser.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('[data-testid=cfg] svg g.node');
      assert.equal(await page.getAttribute('[data-verdict]', 'data-verdict'), 'pass');
      assert.match(await page.textContent('.passed') ?? '', /bind_monitor is safe/);
      assert.equal(await page.locator('.diagnostic').count(), 0);
      // No block is marked as an error; every path's state is there to look at.
      assert.equal(await page.locator('[data-testid=cfg] g.node.err').count(), 0);
      assert.match(await page.textContent('[data-testid=path-count]') ?? '', /path 1 of 1/);
      await screenshot(page, 'explore-bind-monitor-fixed');
    } finally {
      await page.close();
      await stop(child);
    }
  });
});

describe('bpfship serve page in Chromium', () => {
  let pki: TestPki;
  let svc: TestService;
  let base: string;
  before(async () => {
    pki = await testPki('explorer-browser-');
    svc = await testService(pki, 'data', { log: false });
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await svc?.close();
    pki?.remove();
  });

  it('uploads an object through the page and shows its build, attestation and explorer', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector('[data-testid=upload]');
      await page.setInputFiles('[data-testid=upload] input[type=file]', FIXED);
      await page.fill('[data-testid=upload] input[type=text]', 'bind-monitor');
      await page.click('[data-testid=upload] button[type=submit]');
      await page.waitForSelector('[data-testid=attestation]', { timeout: 120_000 });
      assert.match(page.url(), /#\/images\/bind-monitor\/1$/);
      assert.match(await page.textContent('[data-testid=programs]') ?? '', /bind_monitor.*accepted/s);
      assert.match(await page.textContent('[data-testid=attestation]') ?? '', /bpfship-verifier/);
      assert.equal(await page.locator('[data-testid=signers] tbody tr').count(), 2);
      await screenshot(page, 'serve-build');

      await page.click('[data-testid=programs] a.btn');
      await page.waitForSelector('[data-testid=cfg] svg g.node');
      assert.equal(await page.getAttribute('[data-verdict]', 'data-verdict'), 'pass');
      await screenshot(page, 'serve-explore');

      // A refused upload: the diagnostics, then the explorer in the browser itself.
      await page.goto(`${base}/#/`);
      await page.waitForSelector('[data-testid=upload]');
      await page.setInputFiles('[data-testid=upload] input[type=file]', BIND);
      await page.fill('[data-testid=upload] input[type=text]', 'bind-monitor');
      await page.click('[data-testid=upload] button[type=submit]');
      await page.waitForSelector('[data-testid=upload-result]', { timeout: 120_000 });
      assert.match(await page.textContent('[data-testid=upload-result]') ?? '', /422 VERIFICATION_FAILED.*bind_monitor\.c:33/s);
      await screenshot(page, 'serve-refused');
      await page.click('[data-testid=upload-result] button');
      await page.waitForSelector('[data-testid=cfg] svg g.node');
      assert.match(await page.textContent('[data-testid=diagnostic-location]') ?? '', /bind_monitor\.c:33:16/);
      await screenshot(page, 'serve-refused-explore');

      // The refused build is on record, with its diagnostics.
      await page.goto(`${base}/#/images/bind-monitor/failures`);
      await page.waitForSelector('[data-testid=failures] .msg');
      assert.match(await page.textContent('[data-testid=failures]') ?? '', /VERIFICATION_FAILED.*bind_monitor\.c:33:16: error: possible NULL dereference of r7/s);
      await screenshot(page, 'serve-failures');
    } finally {
      await page.close();
    }
  });
});

describe('bpfship serve page with tokens, in Chromium', () => {
  let pki: TestPki;
  let svc: TestService;
  let base: string;
  before(async () => {
    pki = await testPki('explorer-browser-tokens-');
    svc = await testService(pki, 'data', {
      log: false,
      access: { publishTokens: [{ name: 'ci', sha256: tokenHash('publish-secret') }], readTokens: [{ name: 'viewer', sha256: tokenHash('read-secret') }] },
    });
    base = await svc.app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await svc?.close();
    pki?.remove();
  });

  it('asks for a token once, then lists, uploads and explores with it', async () => {
    const page = await browser.newPage();
    const prompts: string[] = [];
    page.on('dialog', (d) => {
      prompts.push(d.message());
      void d.accept('publish-secret');
    });
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector('[data-testid=upload]');
      await page.waitForFunction(() => document.body.textContent?.includes('No image has been published yet') === true);
      assert.equal(prompts.length, 1);
      assert.match(prompts[0] ?? '', /token/);
      await page.setInputFiles('[data-testid=upload] input[type=file]', FIXED);
      await page.fill('[data-testid=upload] input[type=text]', 'bind-monitor');
      await page.click('[data-testid=upload] button[type=submit]');
      await page.waitForSelector('[data-testid=attestation]', { timeout: 120_000 });
      await page.click('[data-testid=programs] a.btn');
      await page.waitForSelector('[data-testid=cfg] svg g.node');
      assert.equal(await page.getAttribute('[data-verdict]', 'data-verdict'), 'pass');
      assert.equal(prompts.length, 1, 'the token is asked for once');
      await screenshot(page, 'serve-tokens-explore');
    } finally {
      await page.close();
    }
  });
});
