// Worker threads do not inherit tsx's loader; register it, then load the TypeScript worker.
//
// Author: Claude.
import { register } from 'tsx/esm/api';

register();
await import('./fuzz-worker.ts');
