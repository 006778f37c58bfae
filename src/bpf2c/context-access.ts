/**
 * Context accesses native code must rewrite: the packet pointers of `struct xdp_md` and `struct __sk_buff`.
 *
 * Those fields are `__u32` in Linux's UAPI: a program reads `ctx->data` with a 32-bit load and uses the result as a
 * pointer, because the kernel rewrites the load into one of the real 64-bit pointer (its verifier's
 * convert_ctx_access). A 32-bit field cannot hold a native address, so bpf2c does the same rewrite: such a load
 * reads `run_ctx->data` (or `data_end`, `data_meta`), which the runtime core keeps up to date, bpf_xdp_adjust_head
 * included. Other fields are read from the context struct as they are.
 *
 * Which loads read the context is a property of the pointer in the base register, which only a dataflow analysis
 * knows. This one tracks, per register and per 8-byte stack slot, whether the value is the context pointer
 * (unmodified, as the verifier requires of every context access), a pointer into the frame, or anything else,
 * across branches, spills and BPF-to-BPF calls. A verified program never uses a register as the context on one
 * path and as another pointer on another (Linux refuses "same insn cannot be used with different pointers"), so
 * the answer is exact for verified programs; where paths disagree the translation fails rather than guess.
 *
 * Author: Claude.
 *
 * @module
 */
import { AluOp, InstructionClass, JumpOp, Mode, Opcode, Size, Source, type Instruction, callTarget, jumpTarget, sizeInBytes } from '../asm/index.ts';
import type { CodeFunction, CodeProgram } from './code-program.ts';
import { Bpf2cError } from './errors.ts';

/** A packet pointer field of the context, by the run-context field that holds its native value. */
export type PacketField = 'data' | 'data_end' | 'data_meta';

/**
 * What a load of a packet pointer field becomes: a read of the field's native value, or `refused-ldsx` for a
 * sign-extending load (BPF_MEMSX) of one, which Linux refuses ("invalid bpf_context access"): it cannot run in a
 * verified program, so native code traps there (like a write to r10), and the other programs of the object, which
 * bpf2c translates together, still translate.
 */
export type PacketFieldLoad = PacketField | 'refused-ldsx';

const XDP_FIELDS: ReadonlyMap<number, PacketField> = new Map([[0, 'data'], [4, 'data_end'], [8, 'data_meta']]);
const SKB_FIELDS: ReadonlyMap<number, PacketField> = new Map([[76, 'data'], [80, 'data_end'], [140, 'data_meta']]);

// Program types whose context is struct __sk_buff (Linux's bpf_prog_types with __sk_buff as user context).
const SKB_TYPES = new Set(['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sk_skb', 'lwt_seg6local', 'flow_dissector']);

/**
 * The context's 32-bit packet pointer fields by byte offset, for a program type (`xdp`, `sched_cls`...); undefined
 * for types whose context holds no such field (their pointers, if any, are 64-bit `__bpf_md_ptr` fields).
 */
export function packetPointerFields(programType: string): ReadonlyMap<number, PacketField> | undefined {
  if (programType === 'xdp') return XDP_FIELDS;
  if (SKB_TYPES.has(programType)) return SKB_FIELDS;
  return undefined;
}

// Abstract values: unreached, the context, a pointer into the own frame (offset from r10, or unknown), anything
// else, and "differs between paths".
const BOT = 0, CTX = 1, STACK = 2, OTHER = 3, TOP = 4;
type Kind = typeof BOT | typeof CTX | typeof STACK | typeof OTHER | typeof TOP;
interface Value {
  readonly k: Kind;
  /** STACK only: the offset from r10, when known. */
  readonly off?: number;
}
const V_BOT: Value = { k: BOT };
const V_CTX: Value = { k: CTX };
const V_OTHER: Value = { k: OTHER };
const V_TOP: Value = { k: TOP };
const V_STACK_ANY: Value = { k: STACK };

function join(a: Value, b: Value): Value {
  if (a.k === BOT) return b;
  if (b.k === BOT) return a;
  if (a.k === TOP || b.k === TOP) return V_TOP;
  if (a.k !== b.k) return V_TOP;
  if (a.k === STACK) return a.off === b.off ? a : V_STACK_ANY;
  return a;
}
function same(a: Value, b: Value): boolean {
  return a.k === b.k && a.off === b.off;
}

const SLOTS = 64; // 512-byte frame, 8-byte slots
interface State {
  readonly regs: Value[];
  readonly stack: Value[];
}
function emptyState(): State {
  return { regs: Array.from({ length: 11 }, () => V_BOT), stack: Array.from({ length: SLOTS }, () => V_BOT) };
}
function copyState(s: State): State {
  return { regs: [...s.regs], stack: [...s.stack] };
}
/** Joins `from` into `into`; true when `into` changed. */
function joinInto(into: State, from: State): boolean {
  let changed = false;
  for (let i = 0; i < into.regs.length; i++) {
    const j = join(into.regs[i] as Value, from.regs[i] as Value);
    if (!same(j, into.regs[i] as Value)) {
      into.regs[i] = j;
      changed = true;
    }
  }
  for (let i = 0; i < SLOTS; i++) {
    const j = join(into.stack[i] as Value, from.stack[i] as Value);
    if (!same(j, into.stack[i] as Value)) {
      into.stack[i] = j;
      changed = true;
    }
  }
  return changed;
}
function slotOf(off: number): number | undefined {
  if (off < -512 || off > -8 || off % 8 !== 0) return undefined;
  return (off + 512) / 8;
}

/**
 * For each load in `code` that reads a packet pointer field of the context, the field, by instruction slot
 * (`refused-ldsx` for a sign-extending load, which Linux refuses).
 *
 * @throws {Bpf2cError} when a load of a packet pointer field is narrower than 32 bits, when a store writes one, or
 *   when a load at a packet field's offset uses a register that is the context on some paths and not on others.
 */
export function findPacketFieldLoads(code: CodeProgram, fields: ReadonlyMap<number, PacketField>, where: { file?: string; section?: string } = {}): Map<number, PacketFieldLoad> {
  const result = new Map<number, PacketFieldLoad>();
  const entries = new Map<number, State>(); // function start -> entry state
  const byStart = new Map(code.functions.map((f) => [f.start, f]));
  const bySlot = new Map(code.instructions.map((ins) => [ins.slot, ins]));

  const entry = emptyState();
  entry.regs[1] = V_CTX;
  for (let r = 2; r <= 5; r++) entry.regs[r] = V_OTHER;
  entries.set(0, entry);
  // Callbacks (functions whose address is taken) receive no context.
  for (const ins of code.instructions) {
    if (ins.opcode === Opcode.LDDW && ins.src === 4) {
      const s = emptyState();
      for (let r = 1; r <= 5; r++) s.regs[r] = V_OTHER;
      const target = ins.slot + 1 + ins.imm;
      const prev = entries.get(target);
      if (prev === undefined) entries.set(target, s);
      else joinInto(prev, s);
    }
  }

  // Analyse functions until no entry state changes (calls feed their callees' entries).
  let pending = new Set(entries.keys());
  let rounds = 0;
  while (pending.size > 0) {
    if (++rounds > 1000) throw new Bpf2cError('the context analysis did not converge', where);
    const next = new Set<number>();
    for (const start of pending) {
      const f = byStart.get(start);
      if (f === undefined) continue;
      analyseFunction(f, entries.get(start) as State, bySlot, (callee, args) => {
        let s = entries.get(callee);
        if (s === undefined) {
          s = emptyState();
          entries.set(callee, s);
          for (let r = 1; r <= 5; r++) s.regs[r] = args[r - 1] as Value;
          next.add(callee);
        } else {
          const incoming = emptyState();
          for (let r = 1; r <= 5; r++) incoming.regs[r] = args[r - 1] as Value;
          if (joinInto(s, incoming)) next.add(callee);
        }
      }, (ins, base) => {
        const isLoad = (ins.opcode & 0x07) === InstructionClass.LDX;
        const isStore = (ins.opcode & 0x07) === InstructionClass.ST || (ins.opcode & 0x07) === InstructionClass.STX;
        const field = fields.get(ins.offset);
        if (field === undefined || (!isLoad && !isStore)) return;
        if (base.k === CTX) {
          if (isStore) throw new Bpf2cError(`instruction ${ins.slot} writes the context's packet pointer '${field}', which programs may only read`, { ...where, insn: ins.slot });
          if (isLoad && (ins.opcode & 0xe0) === Mode.MEMSX) {
            result.set(ins.slot, 'refused-ldsx');
            return;
          }
          if ((ins.opcode & 0xe0) !== Mode.MEM || (ins.opcode & 0x18) !== Size.W) throw new Bpf2cError(`instruction ${ins.slot} reads the context's packet pointer '${field}' with a ${sizeInBytes(ins.opcode & 0x18) * 8}-bit load; only a full 32-bit load can be translated`, { ...where, insn: ins.slot });
          result.set(ins.slot, field);
        } else if (base.k === TOP && isLoad) {
          throw new Bpf2cError(`instruction ${ins.slot} reads offset ${ins.offset} through r${ins.src}, which holds the context on some paths and another value on others; cannot tell whether it reads the packet pointer '${field}'`, { ...where, insn: ins.slot });
        }
      });
    }
    pending = next;
  }
  return result;
}

function analyseFunction(
  f: CodeFunction,
  entry: State,
  bySlot: ReadonlyMap<number, Instruction>,
  onCall: (callee: number, args: readonly Value[]) => void,
  onAccess: (ins: Instruction, base: Value) => void,
): void {
  const end = f.start + f.slotCount;
  // States are kept at join points only (the function's start and every jump target): between them control flows
  // straight on, so the state of an instruction there is its predecessor's result, carried in place. (Keeping one
  // per instruction cost two copies of 75 values per instruction visited: most of bpf2c's time on large objects.)
  const joins = new Set<number>([f.start]);
  for (let slot = f.start; slot < end; slot++) {
    const ins = bySlot.get(slot);
    if (ins === undefined) continue;
    const cls = ins.opcode & 0x07;
    if (cls !== InstructionClass.JMP && cls !== InstructionClass.JMP32) continue;
    const target = jumpTarget(ins, ins.slot);
    if (target !== undefined) joins.add(target);
  }
  const states = new Map<number, State>();
  states.set(f.start, copyState(entry));
  const work: number[] = [f.start];
  const flow = (slot: number, s: State): void => {
    if (slot < f.start || slot >= end) return; // a jump out of the function; the translator reports it
    const prev = states.get(slot);
    if (prev === undefined) {
      states.set(slot, copyState(s));
      work.push(slot);
    } else if (joinInto(prev, s)) {
      work.push(slot);
    }
  };
  while (work.length > 0) {
    let slot = work.pop() as number;
    const s = copyState(states.get(slot) as State);
    for (;;) {
      const ins = bySlot.get(slot);
      if (ins === undefined) break;
      const next = step(ins, s, slot);
      if (next === undefined) break;
      if (joins.has(next)) {
        flow(next, s);
        break;
      }
      if (next < f.start || next >= end) break;
      slot = next;
    }
  }

  /** Applies `ins` to `s` (in place), flowing into jump targets; the slot control falls through to, if any. */
  function step(ins: Instruction, s: State, slot: number): number | undefined {
    const cls = ins.opcode & 0x07;
    const op = ins.opcode & 0xf0;
    const reg = (r: number): Value => (r === 10 ? { k: STACK, off: 0 } : (s.regs[r] ?? V_OTHER));
    let fallthrough = true;
    switch (cls) {
      case InstructionClass.ALU64:
      case InstructionClass.ALU: {
        const dst = s.regs[ins.dst] ?? V_OTHER;
        let out: Value = V_OTHER;
        if (cls === InstructionClass.ALU64) {
          const x = (ins.opcode & 0x08) === Source.X;
          if (op === AluOp.MOV && ins.offset === 0) out = x ? reg(ins.src) : V_OTHER;
          else if ((op === AluOp.ADD || op === AluOp.SUB) && dst.k === STACK) {
            out = !x && dst.off !== undefined ? { k: STACK, off: dst.off + (op === AluOp.ADD ? ins.imm : -ins.imm) } : V_STACK_ANY;
          } else if (dst.k === CTX || dst.k === TOP) out = V_TOP; // a modified context pointer
        }
        if (ins.dst <= 9) s.regs[ins.dst] = out;
        break;
      }
      case InstructionClass.LDX: {
        const base = reg(ins.src);
        onAccess(ins, base);
        let out: Value = V_OTHER;
        if (base.k === STACK && (ins.opcode & 0x18) === Size.DW && (ins.opcode & 0xe0) === Mode.MEM) {
          if (base.off !== undefined) {
            const i = slotOf(base.off + ins.offset);
            if (i !== undefined) out = s.stack[i] ?? V_OTHER;
          } else {
            out = s.stack.reduce((a, b) => join(a, b), V_BOT);
            if (out.k === BOT) out = V_OTHER;
          }
        }
        if (ins.dst <= 9) s.regs[ins.dst] = out.k === BOT ? V_OTHER : out;
        break;
      }
      case InstructionClass.ST:
      case InstructionClass.STX: {
        const base = reg(ins.dst);
        onAccess(ins, base);
        const atomic = cls === InstructionClass.STX && (ins.opcode & 0xe0) === Mode.ATOMIC;
        const value: Value = cls === InstructionClass.STX && !atomic && (ins.opcode & 0x18) === Size.DW ? reg(ins.src) : V_OTHER;
        if (base.k === STACK) {
          const i = base.off !== undefined ? slotOf(base.off + ins.offset) : undefined;
          if (i !== undefined && (ins.opcode & 0x18) === Size.DW) s.stack[i] = value;
          else if (base.off !== undefined) {
            // A narrow store: the 8-byte slot it falls in no longer holds a pointer.
            const j = slotOf(Math.floor((base.off + ins.offset) / 8) * 8);
            if (j !== undefined) s.stack[j] = V_OTHER;
          } else {
            for (let k = 0; k < SLOTS; k++) s.stack[k] = join(s.stack[k] as Value, value);
          }
        } else if (base.k === TOP) {
          for (let k = 0; k < SLOTS; k++) s.stack[k] = join(s.stack[k] as Value, value);
        }
        if (atomic && (ins.imm & 0x01) !== 0) {
          if (ins.imm === 0xf1) s.regs[0] = V_OTHER;
          else if (ins.src <= 9) s.regs[ins.src] = V_OTHER;
        }
        break;
      }
      case InstructionClass.LD:
        if (ins.dst <= 9) s.regs[ins.dst] = V_OTHER;
        if ((ins.opcode & 0xe0) !== Mode.IMM) s.regs[0] = V_OTHER; // legacy packet loads
        break;
      case InstructionClass.JMP:
      case InstructionClass.JMP32: {
        if (ins.opcode === Opcode.EXIT) {
          fallthrough = false;
          break;
        }
        if (op === JumpOp.CALL) {
          const target = callTarget(ins, ins.slot);
          if (target !== undefined) onCall(target, [1, 2, 3, 4, 5].map((r) => {
            const v = reg(r);
            // The callee's r10 is its own frame: a pointer into ours is just a pointer there.
            return v.k === STACK ? V_OTHER : v.k === BOT ? V_OTHER : v;
          }));
          s.regs[0] = V_OTHER;
          for (let r = 1; r <= 5; r++) s.regs[r] = V_OTHER;
          break;
        }
        const target = jumpTarget(ins, ins.slot);
        if (target !== undefined) {
          flow(target, s);
          if (ins.opcode === Opcode.JA || ins.opcode === Opcode.JA32) fallthrough = false;
        }
        break;
      }
    }
    return fallthrough ? slot + ins.size : undefined;
  }
}
