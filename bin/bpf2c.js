#!/usr/bin/env node
// The bpf2c command: `bpf2c FILE [-o OUT.c]` is `bpfship bpf2c FILE [-o OUT.c]`.
import { main } from '../dist/bundle/bpfship.js';

process.exitCode = await main([process.argv[0] ?? 'node', process.argv[1] ?? 'bpf2c', 'bpf2c', ...process.argv.slice(2)]);
