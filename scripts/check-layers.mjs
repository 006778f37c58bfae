// Checks the layering rules of ARCHITECTURE.md: the parsing and analysis layers import no node:* module (they run
// in a browser too), and no layer imports a layer above it. Exits 1 naming each offending import.
//
// Author: Claude.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(import.meta.dirname, '..', 'src');
// Lower index = lower layer. A layer may import itself, `internal`, and any layer listed before it.
// `web` (the explorer's document and page: pure, it runs in a browser) sits above the analysis layers it shows and
// below the service and the CLI that serve it.
const order = ['internal', 'abi', 'elf', 'btf', 'asm', 'spec', 'packet', 'verifier', 'interp', 'jit', 'bpf2c', 'web', 'native', 'core', 'sign', 'policy', 'runtime', 'deploy', 'store', 'service', 'cli'];
const pure = new Set(['internal', 'abi', 'elf', 'btf', 'asm', 'spec', 'packet', 'verifier', 'interp', 'jit', 'bpf2c', 'web']);

const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    // Tests, and the test-support module only tests import, may use node:*.
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('/internal/test-files.ts')) check(p);
  }
}
function layerOf(file) {
  const rel = relative(root, file).split('/');
  return rel.length > 1 ? rel[0] : '(root)';
}
function check(file) {
  const layer = layerOf(file);
  const text = readFileSync(file, 'utf8');
  const re = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? m[3];
    const line = text.slice(0, m.index).split('\n').length;
    const at = `${relative(resolve(root, '..'), file)}:${line}`;
    if (spec.startsWith('node:')) {
      if (pure.has(layer)) problems.push(`${at}: layer '${layer}' must not import ${spec} (it runs in a browser too)`);
      continue;
    }
    if (!spec.startsWith('.')) continue;
    const target = layerOf(resolve(dirname(file), spec));
    if (layer === '(root)' || target === layer) continue;
    const li = order.indexOf(layer);
    const ti = order.indexOf(target);
    if (li < 0) problems.push(`${at}: layer '${layer}' is not in scripts/check-layers.mjs's order: place it there`);
    else if (ti >= 0 && ti > li) problems.push(`${at}: layer '${layer}' must not import the higher layer '${target}'`);
  }
}
walk(root);
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log('check-layers: ok');
