/**
 * `bpf_printk` output as structured events, and the two text forms users read them in: the kernel's trace_pipe
 * line format (`/sys/kernel/tracing/trace_pipe`) and JSON lines.
 *
 * A trace_pipe line of Linux 6.x, for comparison:
 *
 * ```
 *             node-4242    [001] d..21  1234.567890: bpf_trace_printk: Hello World!
 *   <comm>-<pid right padded to 7> [<cpu, 3 digits>] <flags> <seconds>.<microseconds>: bpf_trace_printk: <msg>
 * ```
 *
 * The flags column (irqs-off, need-resched, hard/softirq, preempt depth, migrate-disable) has no meaning outside the
 * kernel; it is printed as `.....`.
 *
 * Author: Claude.
 *
 * @module
 */

/** One message a program printed. */
export interface TraceEvent {
  /** The program's name. */
  readonly program: string;
  /** The executor's program id. */
  readonly programId: number;
  /** Nanoseconds on the runtime's monotonic clock (the clock bpf_ktime_get_ns reads). */
  readonly timeNs: bigint;
  /** The CPU the run was on. */
  readonly cpu: number;
  /** The task the run is attributed to (bpf_get_current_pid_tgid's view). */
  readonly pid: number;
  readonly comm: string;
  /** The formatted message, without the trailing newline bpf_printk adds. */
  readonly message: string;
}

/** Where trace events go: a callback, or one of the text forms written by a line sink. */
export type TraceFormat = 'trace_pipe' | 'json';

/** The event as a trace_pipe line (no newline). */
export function formatTracePipe(e: TraceEvent): string {
  const micros = e.timeNs / 1000n;
  const seconds = micros / 1_000_000n;
  const frac = (micros % 1_000_000n).toString().padStart(6, '0');
  const task = `${e.comm.slice(0, 16).padStart(16)}-${String(e.pid).padEnd(7)}`;
  return `${task} [${String(e.cpu).padStart(3, '0')}] ..... ${String(seconds).padStart(5)}.${frac}: bpf_trace_printk: ${e.message}`;
}

/** The event as one JSON object on one line (time as a decimal string: nanoseconds exceed 2^53). */
export function formatTraceJson(e: TraceEvent): string {
  return JSON.stringify({ program: e.program, programId: e.programId, timeNs: e.timeNs.toString(), cpu: e.cpu, pid: e.pid, comm: e.comm, message: e.message });
}

/** A listener that writes each event as a line in `format` to `write`. */
export function traceLineWriter(format: TraceFormat, write: (line: string) => void): (e: TraceEvent) => void {
  return format === 'json' ? (e) => write(formatTraceJson(e) + '\n') : (e) => write(formatTracePipe(e) + '\n');
}

/** bpf_printk's message without the newline the kernel's trace_pipe would end it with (the line adds its own). */
export function stripTraceNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
