// The explorer page's benchmark: how long headless Chromium (Debian's, as the tests use it) takes from navigation
// to showing the largest corpus program (cilium bpf_lxc.o's tail_handle_ipv4, 3,666 instructions, 132,482
// processed) with its control-flow graph and the first instruction's state; the goal is 2 s. The explore document
// is computed first (the verification with its states recorded, timed separately: `bpfship explore` does it
// before it prints the URL), then served by the same server `bpfship explore` runs. Each figure is the median of
// several page loads in one browser, after one warm-up load; the small bind_monitor.o is measured beside it.
//
//   npm run bench:explorer [-- --runs N]
//
// Author: Claude.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readObject } from '../src/spec/index.ts';
import { createLocalExplorer } from '../src/service/local-explorer.ts';
import { exploreObject, exploreProgram } from '../src/web/index.ts';
import { startBrowser } from '../test/browser.ts';
// @ts-expect-error: a JavaScript module without types
import { buildPage } from './build-web.mjs';

const root = resolve(import.meta.dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;

interface Case { readonly label: string; readonly file: string; readonly program: string; readonly type?: string }
const cases: Case[] = [
  { label: 'cilium bpf_lxc.o tail_handle_ipv4', file: join(root, '..', 'shared', 'corpus', 'ebpf-samples', 'cilium', 'bpf_lxc.o'), program: 'tail_handle_ipv4', type: 'sched_cls' },
  { label: 'bind_monitor.o', file: join(root, '..', 'shared', 'programs', 'obj', 'bind_monitor.o'), program: 'bind_monitor' },
];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

await buildPage();
const browser = await startBrowser();
try {
  for (const c of cases) {
    const spec = readObject(new Uint8Array(readFileSync(c.file)), { name: c.file });
    const prog = spec.programs.find((p) => p.name === c.program);
    if (prog === undefined) throw new Error(`${c.file} has no program ${c.program}`);
    const t0 = performance.now();
    const doc = exploreProgram(spec, prog, { index: 0, ...(c.type !== undefined ? { programType: c.type } : {}) });
    const json = JSON.stringify(doc);
    const verifyMs = performance.now() - t0;
    const object = { ...exploreObject(spec, { programs: [prog] }), programs: [{ index: 0, name: prog.name, section: prog.sectionName, type: doc.report.type, slots: prog.slotCount, verdict: doc.report.verdict }] };
    const app = await createLocalExplorer({ object, documents: new Map([[0, json]]) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
    const totals: number[] = [];
    const loaded: number[] = [];
    const graphs: number[] = [];
    const shown: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const page = await browser.newPage();
      const start = performance.now();
      await page.goto(url);
      // Shown: the graph's blocks drawn and the first state's registers listed.
      await page.waitForSelector('[data-testid=cfg] svg g.node', { timeout: 60_000 });
      await page.waitForSelector('[data-testid=registers] tr.row', { timeout: 60_000 });
      const total = performance.now() - start;
      const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime])));
      await page.close();
      if (i === 0) continue; // warm-up: the browser's first page
      totals.push(total);
      loaded.push(marks['explorer:program-loaded'] ?? NaN);
      graphs.push(marks['explorer:graph-laid-out'] ?? NaN);
      shown.push(marks['explorer:program-shown'] ?? NaN);
    }
    await app.close();
    console.log(`${c.label}: ${doc.listing.length} instructions, ${doc.cfg.blocks.length} blocks, ${doc.report.recording?.states.length ?? 0} states recorded, document ${(json.length / 1e6).toFixed(1)} MB (verified and recorded in ${verifyMs.toFixed(0)} ms)`);
    console.log(`  page shown (graph + first state): median ${median(totals).toFixed(0)} ms over ${runs} loads [${totals.map((t) => t.toFixed(0)).join(', ')}]; goal 2000 ms`);
    console.log(`    after navigation: document loaded at ${median(loaded).toFixed(0)} ms, source and listing shown at ${median(shown).toFixed(0)} ms, graph laid out at ${median(graphs).toFixed(0)} ms`);
  }
} finally {
  await browser.close();
}
