/**
 * A runner for PREVAIL's verifier tests (`test-data/*.yaml`: a pre-state given as constraints, code in PREVAIL's
 * Linux-style assembly, the expected post-state and messages), comparing verdicts: whether an error is expected,
 * and at which instruction. The post-state is not compared (it is PREVAIL's own notation for its own domain).
 *
 * PREVAIL's assembly is translated line by line into LLVM syntax for our assembler, one instruction per line so that
 * instruction numbers stay PREVAIL's (which count `lddw` as one): `assume c` becomes a jump to the end when `c` does
 * not hold, `rX sN= rY` a sign-extending move, `lock ... fetch`/`x=`/`cx=` the atomic forms, `map_fd N` a map load.
 * Its test platform is reproduced: a 64-byte context with the packet pointers at offsets 0 and 4, one map (key 4,
 * value 4, 4 entries), every Linux helper allowed, and code that may end without `exit`.
 *
 * Author: Claude.
 *
 * @module
 */

import { parseAllDocuments } from 'yaml';
import { assemble, type Instruction } from '../asm/index.ts';
import { linuxPlatform } from './linux-platform.ts';
import type { VerifierMap } from './maps.ts';
import type { CtxAccess, Platform, ProgramTypeInfo } from './platform.ts';
import { type Reg, REG_NOT_INIT, RegType, makeReg, scalarReg } from './reg.ts';
import { type MutableScalar, S64_MAX, S64_MIN, SCALAR_UNKNOWN, SCALAR_ZERO, U64_MAX, finish, isEmpty, mutableScalar, scalarConst } from './scalar.ts';
import { type Frame, type StackSlot, SLOT_INVALID, type VerifierState, newFrame, stackSlot } from './state.ts';
import { testProgram } from './_test-program.ts';
import { verifyLinked } from './verify.ts';

/** One test case, as read. */
export interface YamlCase {
  readonly file: string;
  readonly name: string;
  readonly options: readonly string[];
  readonly pre: readonly string[];
  /** Label and block of code, in order. */
  readonly code: readonly (readonly [string, string])[];
  readonly messages: readonly string[];
  /** The case expects the test file to be rejected when read (PREVAIL's `expected-exception`). */
  readonly expectedException: string | undefined;
}

/** What PREVAIL expects of a case, as a verdict. */
export interface ExpectedVerdict {
  /** An error (not merely "code becomes unreachable") is expected. */
  readonly error: boolean;
  /** The instruction of the expected error, when it names one. */
  readonly insn: number | undefined;
}

/** The outcome of running one case. */
export interface YamlResult {
  readonly case: YamlCase;
  readonly expected: ExpectedVerdict;
  /** 'skipped' when the case cannot be run here (its pre-state or code cannot be expressed), with why. */
  readonly status: 'agree' | 'agree-verdict' | 'disagree' | 'skipped';
  readonly ours: { readonly error: boolean; readonly insn: number | undefined; readonly message: string } | undefined;
  readonly note: string;
}

/** Reads the cases of one YAML file (multi-document). */
export function parseYamlCases(text: string, file: string): YamlCase[] {
  const out: YamlCase[] = [];
  for (const doc of parseAllDocuments(text)) {
    const j = doc.toJSON() as Record<string, unknown> | null;
    if (j === null || typeof j !== 'object' || j['test-case'] === undefined) continue;
    const code = j['code'] as Record<string, unknown> | undefined;
    out.push({
      file,
      name: String(j['test-case']),
      options: ((j['options'] as unknown[] | undefined) ?? []).map(String),
      pre: ((j['pre'] as unknown[] | undefined) ?? []).map(String),
      code: code === undefined || code === null ? [] : Object.entries(code).map(([k, v]) => [k, String(v ?? '')] as const),
      messages: ((j['messages'] as unknown[] | undefined) ?? []).map(String),
      expectedException: j['expected-exception'] === undefined ? undefined : String(j['expected-exception']),
    });
  }
  return out;
}

/** What the messages say: an error or not, and where. */
export function expectedVerdict(c: YamlCase): ExpectedVerdict {
  let error = false;
  let insn: number | undefined;
  for (const m of c.messages) {
    if (/Code becomes unreachable/.test(m) || /observation .* failed/.test(m)) continue;
    error = true;
    const at = /^(\d+)(?::\d+)?(?: \(counter\))?:/.exec(m);
    if (at !== null && insn === undefined) insn = Number(at[1]);
  }
  return { error, insn };
}

const NEGATE: Record<string, string> = {
  '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==',
  's<': 's>=', 's<=': 's>', 's>': 's<=', 's>=': 's<',
};

/** Translates one line of PREVAIL assembly into LLVM syntax (one instruction), or throws with why not. */
export function translateLine(raw: string): string {
  let t = raw.replace(/;.*$/, '').trim();
  t = t.replace(/<([A-Za-z_][\w]*)>/g, 'L_$1');
  t = t.replace(/(-?(?:0x[0-9a-fA-F]+|\d+))ll\b/g, '$1 ll').replace(/(-?(?:0x[0-9a-fA-F]+|\d+))l\b/g, '$1 ll');
  // `if r1 &= 4 goto`: PREVAIL's JSET.
  t = t.replace(/^(if\s+[rw]\d+\s*)&=/, '$1&');
  // A 32-bit operation names its 64-bit operands by their low halves (`w1 >>= r2`, `w2 = r10`, `r1 = w1`).
  if (!t.includes('*(') && !/^(call|callx|exit|goto|assume|lock)\b/.test(t) && /\bw\d+\b/.test(t)) t = t.replace(/\br(\d+)\b/g, 'w$1');
  let m: RegExpExecArray | null;
  if ((m = /^assume\s+([rw]\d+)\s*(s?[<>]=?|==|!=)\s*([rw]?-?\w+)$/.exec(t)) !== null) {
    const neg = NEGATE[m[2] as string];
    if (neg === undefined) throw new Error(`cannot negate '${m[2]}'`);
    const w = (m[1] as string).startsWith('w') || (m[3] as string).startsWith('w');
    const reg = (x: string): string => (w ? x.replace(/^r(\d+)$/, 'w$1') : x);
    return `if ${reg(m[1] as string)} ${neg} ${reg(m[3] as string)} goto L___end`;
  }
  if ((m = /^([rw]\d+)\s*=\s*swap(16|32|64)\s+[rw](\d+)$/.exec(t)) !== null) return `${m[1]} = bswap${m[2]} ${m[1]}`;
  if ((m = /^([rw]\d+)\s*s(8|16|32)=\s*[rw](\d+)$/.exec(t)) !== null) {
    const w = (m[1] as string).startsWith('w');
    return `${m[1]} = (s${m[2]})${w ? 'w' : 'r'}${m[3]}`;
  }
  if ((m = /^lock\s+\*\((u32|u64)\s*\*\)\((r\d+)\s*([+-])\s*(\w+)\)\s*(\+|&|\||\^|x|cx)=\s*[rw](\d+)(\s+fetch)?$/.exec(t)) !== null) {
    const [, size, base, sign, off, op, src, fetch] = m as unknown as string[];
    const wide = size === 'u64';
    const reg = (n: string): string => `${wide ? 'r' : 'w'}${n}`;
    const addr = `${base} ${sign} ${off}`;
    if (op === 'x') return `${reg(src as string)} = ${wide ? 'xchg_64' : 'xchg32_32'}(${addr}, ${reg(src as string)})`;
    if (op === 'cx') return `${reg('0')} = ${wide ? 'cmpxchg_64' : 'cmpxchg32_32'}(${addr}, ${reg('0')}, ${reg(src as string)})`;
    if (fetch !== undefined) {
      const name = { '+': 'add', '&': 'and', '|': 'or', '^': 'xor' }[op as '+'];
      return `${reg(src as string)} = atomic_fetch_${name}((${size} *)(${addr}), ${reg(src as string)})`;
    }
    return `lock *(${size} *)(${addr}) ${op}= ${reg(src as string)}`;
  }
  // Every map descriptor of PREVAIL's test platform is its one test map.
  if ((m = /^([rw]\d+)\s*=\s*map_fd\s+(\d+)$/.exec(t)) !== null) return `ld_pseudo ${m[1]}, 5, 0`;
  if ((m = /^([rw]\d+)\s*=\s*mva\(map_by_idx\((\d+)\)\)\s*\+\s*(\d+)$/.exec(t)) !== null) {
    return `ld_pseudo ${m[1]}, 6, ${(BigInt(m[3] as string) << 32n) | BigInt(m[2] as string)}`;
  }
  if ((m = /^([rw]\d+)\s*=\s*map_by_idx\((\d+)\)$/.exec(t)) !== null) return `ld_pseudo ${m[1]}, 5, ${m[2]}`;
  if ((m = /^([rw]\d+)\s*=\s*map_val\((\d+)\)\s*\+\s*(\d+)$/.exec(t)) !== null) {
    return `ld_pseudo ${m[1]}, 6, ${BigInt(m[3] as string) << 32n}`;
  }
  if ((m = /^call\s+(-?\d+)$/.exec(t)) !== null) return `call ${m[1]}`;
  return t;
}

/** A numeric interval, inclusive. */
type Interval = readonly [bigint, bigint];

function parseValue(v: string): Interval | 'relation' | undefined {
  const s = v.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(-?\d+)$/.exec(s)) !== null) return [BigInt(m[1] as string), BigInt(m[1] as string)];
  if ((m = /^\[\s*(-?\d+|-oo)\s*,\s*(-?\d+|\+?oo)\s*\]$/.exec(s)) !== null) {
    const lo = m[1] === '-oo' ? S64_MIN : BigInt(m[1] as string);
    const hi = m[2] === 'oo' || m[2] === '+oo' ? U64_MAX : BigInt(m[2] as string);
    return [lo, hi];
  }
  if (/^[a-z_]/.test(s)) return 'relation';
  return undefined;
}

interface RegFacts {
  types: string[];
  fields: Map<string, string>;
}

/** The test platform's program type: PREVAIL's `{size 64, data 0, end 4, meta -1}` context. */
const testType: ProgramTypeInfo = {
  name: 'prevail-test',
  ctxSize: 64,
  ctxAccess(off, size, write): CtxAccess {
    if (off < 0 || off + size > 64) return { ok: false, reason: `offset ${off} is outside the 64-byte test context` };
    if (off % size !== 0) return { ok: false, reason: 'misaligned' };
    if (off < 8 && write) return { ok: false, reason: 'the packet pointer fields are read-only' };
    if (off < 8 && size !== 4) return { ok: false, reason: 'the packet pointer fields are read as 4 bytes' };
    if (!write && off === 0 && size === 4) return { ok: true, kind: 'packet' };
    if (!write && off === 4 && size === 4) return { ok: true, kind: 'packet_end' };
    return { ok: true, kind: 'scalar' };
  },
  helperAllowed: () => true,
  packetWrite: true,
  legacyPacketLoads: true,
  retRange: undefined,
};

/** The platform of PREVAIL's YAML tests. */
export const prevailTestPlatform: Platform = {
  helper: (id) => linuxPlatform.helper(id),
  programType: () => testType,
  // PREVAIL's test map has no type, and its test platform does not match helpers to map types.
  mapCompatible: () => true,
};

/** PREVAIL's one test map, then one per register whose pre-state is a shared region (added as needed). */
function testMaps(): VerifierMap[] {
  return [{ name: 'test_map', type: 0, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, readOnly: false, frozen: undefined, inner: undefined, isData: false }];
}

/** Builds the entry state from PREVAIL constraints; one state per combination of `type in {...}` choices. */
export function preStates(pre: readonly string[], maps: VerifierMap[]): VerifierState[] | string {
  const regs = new Map<number, RegFacts>();
  const stackCells: { lo: number; hi: number; fields: Map<string, string> }[] = [];
  const globals = new Map<string, string>();
  for (const c of pre) {
    let m: RegExpExecArray | null;
    if ((m = /^r(\d+)\.type\s*=\s*(\w+)$/.exec(c)) !== null) {
      facts(regs, Number(m[1])).types = [m[2] as string];
    } else if ((m = /^r(\d+)\.type in \{([^}]*)\}$/.exec(c)) !== null) {
      facts(regs, Number(m[1])).types = (m[2] as string).split(',').map((x) => x.trim());
    } else if ((m = /^r(\d+)\.(\w+)\s*=\s*(.+)$/.exec(c)) !== null) {
      facts(regs, Number(m[1])).fields.set(m[2] as string, (m[3] as string).trim());
    } else if ((m = /^s\[(\d+)(?:\.\.\.(\d+))?\]\.(\w+)\s*=\s*(.+)$/.exec(c)) !== null) {
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      let cell = stackCells.find((x) => x.lo === lo && x.hi === hi);
      if (cell === undefined) stackCells.push((cell = { lo, hi, fields: new Map() }));
      cell.fields.set(m[3] as string, (m[4] as string).trim());
    } else if ((m = /^(\w+)\s*=\s*(.+)$/.exec(c)) !== null) {
      globals.set(m[1] as string, (m[2] as string).trim());
    } else {
      return `unsupported constraint '${c}'`;
    }
  }
  // The combinations of register types.
  let combos: Map<number, string>[] = [new Map()];
  for (const [r, f] of regs) {
    if (f.types.length === 0) continue;
    const next: Map<number, string>[] = [];
    for (const combo of combos) for (const t of f.types) next.push(new Map([...combo, [r, t]]));
    combos = next;
    if (combos.length > 16) return 'too many type combinations';
  }
  // Offsets are relative to the frame pointer's, when r10 is given; otherwise to the top of the 512-byte block the
  // offsets mentioned fall in.
  const r10 = regs.get(10)?.fields.get('stack_offset');
  let fp = DEFAULT_FP;
  if (r10 !== undefined && /^\d+$/.test(r10)) fp = Number(r10);
  else {
    let top = 0;
    for (const f of regs.values()) {
      const v = parseValue(f.fields.get('stack_offset') ?? '');
      if (v !== undefined && v !== 'relation') top = Math.max(top, Number(v[1]));
    }
    for (const c of stackCells) top = Math.max(top, c.hi);
    if (top > 0) fp = Math.min(DEFAULT_FP, (Math.floor(top / 512) + 1) * 512);
  }
  const states: VerifierState[] = [];
  for (const combo of combos) {
    const frame: Frame = newFrame(-1, 0, 0);
    for (const [r, f] of regs) {
      const type = combo.get(r);
      if (type === undefined) continue;
      const reg = buildReg(type, f.fields, globals, maps, fp);
      if (typeof reg === 'string') return reg;
      if (reg === undefined) {
        frame.regs[r] = REG_NOT_INIT;
        continue;
      }
      frame.regs[r] = reg;
    }
    for (const cell of stackCells) {
      const e = writeCell(frame, cell.lo, cell.hi, cell.fields, fp);
      if (e !== undefined) return e;
    }
    states.push({ frames: [frame], refs: [], lockId: 0, lockSlot: -1, mayGotoDepth: 0 });
  }
  return states;
}

function facts(regs: Map<number, RegFacts>, r: number): RegFacts {
  let f = regs.get(r);
  if (f === undefined) regs.set(r, (f = { types: [], fields: new Map() }));
  return f;
}

/** PREVAIL's stack offsets count from the bottom of an 8 x 512-byte block; the frame pointer is at 4096. */
const DEFAULT_FP = 4096;

function buildScalar(fields: Map<string, string>): MutableScalar | string {
  const m = mutableScalar(SCALAR_UNKNOWN);
  for (const [key, v] of fields) {
    if (key !== 'svalue' && key !== 'uvalue') continue;
    if (v === 'r0.svalue' || /^r\d+\.(s|u)value$/.test(v)) {
      // `rN.uvalue=rN.svalue`: the same integer both ways, so non-negative.
      const same = v.split('.')[1] !== key;
      if (same) {
        if (m.smin < 0n) m.smin = 0n;
      }
      continue;
    }
    const iv = parseValue(v);
    if (iv === 'relation') continue;
    if (iv === undefined) return `unsupported value '${v}'`;
    if (key === 'svalue') {
      m.smin = iv[0] > m.smin ? iv[0] : m.smin;
      m.smax = iv[1] < m.smax ? (iv[1] > S64_MAX ? S64_MAX : iv[1]) : m.smax;
    } else {
      const lo = iv[0] < 0n ? 0n : iv[0];
      m.umin = lo > m.umin ? lo : m.umin;
      m.umax = iv[1] < m.umax ? iv[1] : m.umax;
    }
  }
  return m;
}

function offsetOf(fields: Map<string, string>, key: string, base = 0): { off: number; var: bigint } | string | undefined {
  const v = fields.get(key);
  if (v === undefined) return undefined;
  const iv = parseValue(v);
  if (iv === undefined || iv === 'relation') return `unsupported ${key} '${v}'`;
  return { off: Number(iv[0]) - base, var: iv[1] - iv[0] };
}

function varScalar(width: bigint): MutableScalar {
  const m = mutableScalar(SCALAR_UNKNOWN);
  m.umin = 0n;
  m.umax = width;
  return m;
}

function buildReg(type: string, fields: Map<string, string>, globals: Map<string, string>, maps: VerifierMap[], fp: number): Reg | string | undefined {
  switch (type) {
    case 'number': {
      const m = buildScalar(fields);
      if (typeof m === 'string') return m;
      const s = finish(m);
      if (isEmpty(s)) return 'empty number range';
      return scalarReg(s);
    }
    case 'ctx': {
      const o = offsetOf(fields, 'ctx_offset');
      if (typeof o === 'string') return o;
      return makeReg({ type: RegType.CTX, off: o?.off ?? 0, value: o !== undefined && o.var > 0n ? finish(varScalar(o.var)) : SCALAR_ZERO });
    }
    case 'stack': {
      const o = offsetOf(fields, 'stack_offset', fp);
      if (typeof o === 'string') return o;
      if (o === undefined) return 'a stack pointer without stack_offset';
      return makeReg({ type: RegType.STACK, off: o.off, value: o.var > 0n ? finish(varScalar(o.var)) : SCALAR_ZERO });
    }
    case 'packet': {
      const ps = globals.get('packet_size');
      const size = ps === undefined ? undefined : parseValue(ps);
      const range = size !== undefined && size !== 'relation' ? Number(size[0]) : 0;
      if (fields.get('packet_offset') === 'packet_size') return makeReg({ type: RegType.PACKET_END, value: SCALAR_ZERO });
      const o = offsetOf(fields, 'packet_offset');
      if (typeof o === 'string') return o;
      return makeReg({ type: RegType.PACKET, off: o?.off ?? 0, range, value: o !== undefined && o.var > 0n ? finish(varScalar(o.var)) : SCALAR_ZERO });
    }
    case 'shared': {
      const size = fields.get('shared_region_size');
      const iv = size === undefined ? undefined : parseValue(size);
      if (iv === undefined || iv === 'relation') return 'a shared region without a constant size';
      const o = offsetOf(fields, 'shared_offset');
      if (typeof o === 'string') return o;
      maps.push({ name: `shared${maps.length}`, type: 2, keySize: 4, valueSize: Number(iv[0]), maxEntries: 1, flags: 0, readOnly: false, frozen: undefined, inner: undefined, isData: false });
      // A pointer whose value may be 0 is a pointer that may be NULL.
      const sv = parseValue(fields.get('svalue') ?? '1');
      const maybeNull = sv !== undefined && sv !== 'relation' && sv[0] <= 0n;
      return makeReg({ type: RegType.MAP_VALUE, map: maps.length - 1, maybeNull, id: maybeNull ? 1000 + maps.length : 0, off: o?.off ?? 0, value: o !== undefined && o.var > 0n ? finish(varScalar(o.var)) : SCALAR_ZERO });
    }
    case 'map_fd':
      return makeReg({ type: RegType.CONST_MAP, map: 0, value: SCALAR_ZERO });
    case 'map_fd_programs':
      maps.push({ name: `progs${maps.length}`, type: 3, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, readOnly: false, frozen: undefined, inner: undefined, isData: false });
      return makeReg({ type: RegType.CONST_MAP, map: maps.length - 1, value: SCALAR_ZERO });
    case 'uninit':
      return undefined;
    default:
      return `unsupported register type '${type}'`;
  }
}

function writeCell(frame: Frame, lo: number, hi: number, fields: Map<string, string>, fp: number): string | undefined {
  const type = fields.get('type');
  if (type !== undefined && type !== 'number') return `unsupported stack cell type '${type}'`;
  const from = lo - fp;
  const to = hi - fp;
  if (from < -512 || to >= 0) return `stack cell s[${lo}...${hi}] is outside the frame`;
  const v = fields.get('svalue') ?? fields.get('uvalue');
  const iv = v === undefined ? undefined : parseValue(v);
  for (let off = from; off <= to; off++) {
    const k = (-off - 1) >> 3;
    const p = off + 8 * (k + 1);
    while (frame.stack.length <= k) frame.stack.push(SLOT_INVALID);
    const slot = frame.stack[k] as StackSlot;
    frame.stack[k] = stackSlot(slot.bytes.slice(0, p) + 'm' + slot.bytes.slice(p + 1), undefined);
  }
  // A whole aligned slot with a known value: a spilled constant.
  if (iv !== undefined && iv !== 'relation' && iv[0] === iv[1] && to - from === 7 && from % 8 === 0) {
    const k = (-from - 1) >> 3;
    frame.stack[k] = stackSlot('rrrrrrrr', scalarReg(scalarConst(iv[0])));
  }
  return undefined;
}

/** Runs one case and compares verdicts. */
export function runYamlCase(c: YamlCase): YamlResult {
  const expected = expectedVerdict(c);
  const skip = (note: string): YamlResult => ({ case: c, expected, status: 'skipped', ours: undefined, note });
  if (c.expectedException !== undefined) return skip('expects the test file itself to be rejected');
  // 1. Code: one instruction per PREVAIL instruction, then a final exit for code that falls off the end.
  const lines: string[] = [];
  let count = 0;
  for (const [label, block] of c.code) {
    lines.push(`${label.replace(/^<(.*)>$/, 'L_$1')}:`);
    for (const raw of block.split('\n')) {
      if (raw.replace(/;.*$/, '').trim() === '') continue;
      try {
        lines.push(translateLine(raw));
      } catch (e) {
        return skip(`cannot translate '${raw.trim()}': ${(e as Error).message}`);
      }
      count++;
    }
  }
  // Code may end without exit (PREVAIL allows it) and `assume` jumps to the end: give it a final exit if needed.
  const needsEnd = lines.some((l) => l.includes('L___end')) || !/^(exit|goto\b)/.test(lines[lines.length - 1] ?? '');
  if (needsEnd) lines.push('L___end:', 'exit');
  let instructions: Instruction[];
  try {
    instructions = assemble(lines.join('\n'));
  } catch (e) {
    return skip(`cannot assemble: ${(e as Error).message}`);
  }
  if (instructions.length !== count + (needsEnd ? 1 : 0)) return skip(`translation gave ${instructions.length} instructions for ${count}`);
  const indexOf = new Map<number, number>();
  instructions.forEach((ins, i) => indexOf.set(ins.slot, i));
  // Functions start where local calls land.
  const starts = new Set<number>([0]);
  for (const ins of instructions) if (ins.opcode === 0x85 && ins.src === 1) starts.add(ins.slot + 1 + ins.imm);
  // 2. Pre-state and run.
  const maps = testMaps();
  const states = preStates(c.pre, maps);
  if (typeof states === 'string') return skip(`pre-state: ${states}`);
  let ours: { error: boolean; insn: number | undefined; message: string } = { error: false, insn: undefined, message: '' };
  for (const state of states) {
    const linked = testProgram(instructions, { section: 'prevail-test', functions: [...starts] });
    const lenientExits = new Set<number>(needsEnd ? [(instructions[instructions.length - 1] as Instruction).slot] : []);
    const r = verifyLinked(linked, maps, { programType: 'prevail-test', gpl: true, leakOnlyReturn: true, lenientExits, initialState: state }, { platform: prevailTestPlatform, maxInsns: 200_000 });
    const d = r.diagnostics[0];
    if (r.verdict === 'fail' && d !== undefined) {
      ours = { error: true, insn: indexOf.get(d.slot) ?? count, message: `${d.code}: ${d.message}` };
      break;
    }
  }
  let status: YamlResult['status'];
  if (ours.error !== expected.error) status = 'disagree';
  else if (!ours.error || expected.insn === undefined || ours.insn === expected.insn) status = 'agree';
  else status = 'agree-verdict';
  return { case: c, expected, status, ours, note: '' };
}
