// Author: Claude.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTraceJson, formatTracePipe, stripTraceNewline, traceLineWriter, type TraceEvent } from './trace.ts';

const event: TraceEvent = { program: 'hello', programId: 3, timeNs: 1_234_567_891_234n, cpu: 1, pid: 4242, comm: 'node', message: 'Hello World!' };

describe('trace output', () => {
  it('formats trace_pipe lines as the kernel does', () => {
    assert.equal(formatTracePipe(event), '            node-4242    [001] .....  1234.567891: bpf_trace_printk: Hello World!');
  });

  it('formats JSON lines with the time as a string', () => {
    assert.deepEqual(JSON.parse(formatTraceJson(event)), { program: 'hello', programId: 3, timeNs: '1234567891234', cpu: 1, pid: 4242, comm: 'node', message: 'Hello World!' });
  });

  it('writes one line per event', () => {
    const lines: string[] = [];
    traceLineWriter('json', (l) => lines.push(l))(event);
    traceLineWriter('trace_pipe', (l) => lines.push(l))(event);
    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1));
    assert.equal(stripTraceNewline('a\n'), 'a');
  });
});
