#!/usr/bin/env node
// The bpfship command: runs the compiled CLI (npm run build writes dist/).
import { main } from '../dist/bundle/bpfship.js';

process.exitCode = await main(process.argv);
