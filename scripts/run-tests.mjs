// Runs every *.test.ts under src/ and test/ with node's test runner (through tsx), so that the closing summary
// (`ℹ tests N`, `ℹ pass N`, `ℹ fail N`) is node's own. `node --test` on Node 20 neither expands globs nor finds .ts
// files in a directory, hence this list. Arguments narrow the run: `npm test -- src/asm` runs one layer.
//
// Author: Claude.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));

function collect(dir, out) {
  let st;
  try {
    st = statSync(dir);
  } catch {
    return;
  }
  if (st.isFile()) {
    if (dir.endsWith('.test.ts')) out.push(dir);
    return;
  }
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'testdata') continue;
    collect(join(dir, name), out);
  }
}

const files = [];
for (const r of roots.length > 0 ? roots : ['src', 'test']) collect(resolve(root, r), files);
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found under ' + (roots.join(', ') || 'src, test'));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...flags, ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
