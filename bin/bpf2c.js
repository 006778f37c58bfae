#!/usr/bin/env node
// The bpf2c command: `bpf2c FILE [-o OUT.c]` is `bpfship bpf2c FILE [-o OUT.c]` (see bin/bpfship.js).
//
// Author: Claude.
import { fileURLToPath } from 'node:url';
import { loadBundle } from '../dist/cli/code-cache.js';

const bundle = (name) => fileURLToPath(new URL(`../dist/bundle/${name}`, import.meta.url));
globalThis.__bpfshipLoadCommand = (name) => Promise.resolve(loadBundle(bundle(`cmd-${name}.cjs`)).exports);
const { main } = loadBundle(bundle('main.cjs')).exports;
process.exitCode = await main([process.argv[0] ?? 'node', process.argv[1] ?? 'bpf2c', 'bpf2c', ...process.argv.slice(2)]);
