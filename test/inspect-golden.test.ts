// Golden files for `bpfship inspect` over the example and benchmark programs: a change in what the spec reads
// shows up as a diff of test/golden/inspect/*.txt (regenerate with UPDATE_GOLDEN=1 npm test -- test/inspect-golden.test.ts).
//
// Author: Claude.
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertGolden, filesBelow, PROGRAMS_OBJ } from '../src/internal/test-files.ts';
import { readObject } from '../src/spec/index.ts';
import { formatInspect } from '../src/cli/commands/inspect.ts';

describe('inspect golden files', () => {
  for (const f of filesBelow(PROGRAMS_OBJ).filter((p) => p.endsWith('.o'))) {
    it(basename(f), () => {
      const spec = readObject(new Uint8Array(readFileSync(f)), { name: basename(f) });
      assertGolden(join(import.meta.dirname, 'golden', 'inspect', basename(f, '.o') + '.txt'), formatInspect(spec));
    });
  }
});
