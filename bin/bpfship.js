#!/usr/bin/env node
// The bpfship command: the bundled command line (npm run build writes dist/bundle/, see scripts/bundle-cli.mjs),
// loaded with V8's code cache (src/cli/code-cache.ts); each command's bundle is loaded when it runs.
//
// Author: Claude.
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../dist/cli/code-cache.js';

const bundle = (name) => fileURLToPath(new URL(`../dist/bundle/${name}`, import.meta.url));
globalThis.__bpfshipLoadCommand = (name) => Promise.resolve(loadBundle(bundle(`cmd-${name}.cjs`)).exports);
const { main } = loadBundle(bundle('main.cjs')).exports;
process.exitCode = await main(process.argv);
