// `npm run fuzz [-- --variants N --seed S]`: the long robustness run. Every variant of every corpus object must
// give a result or a typed error within 1 s. Exits 1 on any failure or hang, printing how to reproduce it.
//
// Author: Claude.
import { parseArgs } from 'node:util';
import { corpusObjects, invalidObjects } from '../src/internal/test-files.ts';
import { fuzzObjects } from './fuzz-run.ts';

const { values } = parseArgs({ options: { variants: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' }, start: { type: 'string', default: '0' } } });
const variants = Number(values.variants);
const seed = Number(values.seed);
const start = Number(values.start);
const files = [...corpusObjects(), ...invalidObjects()];
console.log(`fuzz: ${variants} variants of ${files.length} objects, seed ${seed}`);
const r = await fuzzObjects(files, seed, start, start + variants, 1000, (done) => {
  if (done % 10000 === 0 && done > 0) console.log(`  ${done} variants...`);
});
for (const f of r.failures) console.log(`FAIL variant ${f.index} of ${f.file} (${f.description}):\n${f.error}`);
for (const h of r.hangs) console.log(`HANG variant ${h.index} of ${h.file} (${h.description}): ${h.error}`);
console.log(`fuzz: ${r.variants} variants in ${r.seconds.toFixed(1)} s: ${r.typed} typed errors, ${r.accepted} accepted, ${r.failures.length} failures, ${r.hangs.length} hangs`);
console.log(`${r.variants - r.failures.length - r.hangs.length} passed, ${r.failures.length + r.hangs.length} failed`);
process.exitCode = r.failures.length + r.hangs.length > 0 ? 1 : 0;
