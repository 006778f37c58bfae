/**
 * The verifier's state at the selected instruction, on one of the recorded paths that reached it: the decisions
 * that led there, each register (type, bounds, known bits, id, the instruction that last changed it, and what this
 * instruction changes), the stack, the references held. A register's "set at" link follows its value back.
 *
 * Author: Claude.
 *
 * @module
 */
import { useState } from 'preact/hooks';
import type { RecordedState, RecordedValue } from '../../verifier/index.ts';
import type { ExploreIndex } from '../explore-index.ts';
import type { Selection } from './explorer.tsx';

interface StatePanelProps {
  readonly ix: ExploreIndex;
  readonly sel: Selection;
  /** Go to another instruction (remembered for Backspace). */
  readonly onSelect: (sel: Selection) => void;
  /** Show another path at the same instruction. */
  readonly onPath: (sel: Selection) => void;
}

/** The CSS class for a value's type. */
function typeClass(v: RecordedValue | undefined): string {
  if (v === undefined) return '';
  if (v.maybeNull === true) return 't-null';
  if (v.type === 'scalar') return 't-scalar';
  if (v.type === 'ctx') return 't-ctx';
  if (v.type === 'fp') return 't-stack';
  return 't-pointer';
}

/** Bounds as the kernel's notation prints them: compact decimal, hexadecimal past 16 bits. */
function num(text: string): string {
  const v = BigInt(text);
  const abs = v < 0n ? -v : v;
  return abs > 0xffffn ? `${v < 0n ? '-' : ''}0x${abs.toString(16)}` : v.toString();
}

function Details({ v }: { v: RecordedValue }) {
  const s = v.value;
  const rows: [string, string][] = [
    ['u64', `[${num(s.umin)}, ${num(s.umax)}]`],
    ['s64', `[${num(s.smin)}, ${num(s.smax)}]`],
    ['u32', `[${num(s.u32min)}, ${num(s.u32max)}]`],
    ['s32', `[${num(s.s32min)}, ${num(s.s32max)}]`],
    ['tnum', `(${s.tnum.value}; ${s.tnum.mask})`],
  ];
  if (v.type !== 'scalar') rows.unshift(['offset', `${v.off ?? 0}${s.const === undefined || s.const !== '0' ? ' + var' : ''}`]);
  if (v.id !== undefined) rows.push(['id', String(v.id)]);
  if (v.refId !== undefined) rows.push(['ref', String(v.refId)]);
  if (v.map !== undefined) rows.push(['map', v.map]);
  if (v.range !== undefined) rows.push(['range', `${v.range} bytes`]);
  if (v.memSize !== undefined) rows.push(['size', String(v.memSize)]);
  if (v.readOnly === true) rows.push(['access', 'read-only']);
  if (v.tainted === true) rows.push(['note', 'derived from an address']);
  return (
    <div class="details">
      {rows.map(([k, t]) => [<span class="k" key={`k${k}`}>{k}</span>, <span key={`v${k}`}>{t}</span>])}
    </div>
  );
}

function Value({ v }: { v: RecordedValue | undefined }) {
  if (v === undefined) return <span class="count">not initialized</span>;
  return (
    <>
      <span class={typeClass(v)}>{v.text}</span>
      <span class="desc">{v.description}{v.origin !== undefined ? ` · ${v.origin.what} at ${v.origin.slot}` : ''}</span>
    </>
  );
}

/** See the module comment. */
export function StatePanel({ ix, sel, onSelect, onPath }: StatePanelProps) {
  const [open, setOpen] = useState<Set<number>>(new Set());
  const line = ix.lineAt(sel.slot);
  const rec = ix.doc.report.recording;
  const states = ix.statesAt(sel.slot);
  const state = sel.state !== undefined ? ix.state(sel.state) : undefined;
  const k = sel.state !== undefined ? states.indexOf(sel.state) : -1;
  const pos = ix.sourceLineOf(sel.slot);
  const src = pos !== undefined ? ix.doc.sources[pos.file] : undefined;
  const visits = rec?.visits[sel.slot] ?? 0;
  const pruned = rec?.pruned[sel.slot] ?? 0;
  const diag = ix.doc.report.diagnostics[0];
  const involved = new Set(ix.errorSlot === sel.slot && state?.errorPath === true ? (diag?.registers ?? []).map((r) => Number(r.register.slice(1))) : []);
  const onError = sel.state !== undefined && ix.errorStates.has(sel.state);
  return (
    <section class="pane" data-testid="state-panel">
      <h2>Verifier state <span class="sub">before the instruction, on one path</span></h2>
      <div class="state-head">
        <div class="insn" data-testid="state-insn"><b>{sel.slot}:</b> {line?.text ?? ''} {line?.reloc !== undefined && <span class="count">({line.reloc})</span>}</div>
        {pos !== undefined && <div class="where">{src?.name.replace(/^\.\//, '')}:{pos.line} · <code>{(src?.btfLines[pos.line] ?? '').trim()}</code></div>}
        <div class="paths">
          <button disabled={states.length < 2} onClick={() => onPath({ slot: sel.slot, state: states[(k - 1 + states.length) % states.length] })} title="previous path ([)">◀</button>
          <span data-testid="path-count">{states.length === 0 ? 'no state kept' : `path ${k + 1} of ${states.length}`}</span>
          <button disabled={states.length < 2} onClick={() => onPath({ slot: sel.slot, state: states[(k + 1) % states.length] })} title="next path (])">▶</button>
          {onError && <span class="chip errpath">path to the error</span>}
          <span class="count">reached {visits}×{pruned > 0 ? `, pruned ${pruned}×` : ''}{visits > states.length && states.length > 0 ? `, ${visits - states.length} states not kept` : ''}{state !== undefined && state.visits > 1 ? `, this state ${state.visits}×` : ''}</span>
        </div>
        {state !== undefined && <Decisions ix={ix} state={sel.state as number} onSelect={onSelect} />}
      </div>
      <div class="body">
        {state === undefined ? (
          <div class="empty">
            {visits === 0
              ? 'No path reaches this instruction: the verifier never checked it (its branch is never taken).'
              : `This instruction was reached ${visits} time${visits > 1 ? 's' : ''}, but no state was kept here (the recording keeps ${rec?.limits.maxStatesPerInsn ?? 0} per instruction${rec?.truncated === true ? ' and its budget ran out' : ''}).`}
          </div>
        ) : (
          <StateView ix={ix} sel={sel} state={state} open={open} setOpen={setOpen} involved={involved} onSelect={onSelect} />
        )}
      </div>
    </section>
  );
}

function Decisions({ ix, state, onSelect }: { ix: ExploreIndex; state: number; onSelect: (sel: Selection) => void }) {
  const s = ix.state(state) as RecordedState;
  const ds = ix.decisions(s.path);
  if (ds.length === 0) return <div class="count">No decision on the way: straight from the program's start.</div>;
  return (
    <div class="decisions" data-testid="decisions">
      {ds.map((d, i) => {
        const label = d.kind === 'branch' ? `${d.slot} ${d.taken === true ? 'taken' : 'not taken'}` : `${d.kind} ${d.slot}`;
        const line = ix.sourceLineOf(d.slot);
        const title = `${ix.lineAt(d.slot)?.text ?? ''}${line !== undefined ? ` — line ${line.line}` : ''}`;
        return (
          <span class={`chip ${d.kind === 'branch' ? (d.taken === true ? 'taken' : 'nottaken') : ''}`} key={i} title={title}
            onClick={() => onSelect({ slot: d.slot, state: ix.stateOnPathAt(state, d.slot) ?? ix.statesAt(d.slot)[0] })}>
            {label}
          </span>
        );
      })}
    </div>
  );
}

interface StateViewProps {
  readonly ix: ExploreIndex;
  readonly sel: Selection;
  readonly state: RecordedState;
  readonly open: Set<number>;
  readonly setOpen: (s: Set<number>) => void;
  readonly involved: Set<number>;
  readonly onSelect: (sel: Selection) => void;
}

function StateView({ ix, sel, state, open, setOpen, involved, onSelect }: StateViewProps) {
  const frame = state.frames.length - 1;
  const f = state.frames[frame];
  const next = state.next !== undefined ? ix.state(state.next) : undefined;
  const nf = next !== undefined && next.frames.length === state.frames.length ? next.frames[frame] : undefined;
  const values = ix.doc.report.recording?.values ?? [];
  const stackSlots = ix.doc.report.recording?.stackSlots ?? [];
  if (f === undefined) return null;
  const toggle = (r: number): void => {
    const n = new Set(open);
    if (n.has(r)) n.delete(r);
    else n.add(r);
    setOpen(n);
  };
  const follow = (slot: number): void => onSelect({ slot, state: ix.stateOnPathAt(sel.state as number, slot) ?? ix.statesAt(slot)[0] });
  return (
    <>
      {state.frames.length > 1 && <div class="section-title">Frame {frame} · {ix.doc.functions.find((fn) => fn.start === f.funcStart)?.name ?? ''} (called at {f.callsite})</div>}
      <table class="regs" data-testid="registers">
        <thead>
          <tr><th>reg</th><th>value</th><th>after this instruction</th><th>set at</th></tr>
        </thead>
        <tbody>
          {f.regs.map((vi, r) => {
            const v = vi >= 0 ? values[vi] : undefined;
            const after = nf !== undefined ? nf.regs[r] : undefined;
            const changed = after !== undefined && after !== vi;
            if (v === undefined && !changed) return null;
            const av = after !== undefined && after >= 0 ? values[after] : undefined;
            const w = f.written[r] ?? -1;
            return [
              <tr class={`row ${changed ? 'changed' : ''} ${involved.has(r) ? 'involved' : ''}`} key={r} data-reg={`r${r}`} onClick={() => toggle(r)}>
                <td class="reg">r{r}</td>
                <td class="val"><Value v={v} /></td>
                <td class="after">{changed ? (av !== undefined ? <span class={typeClass(av)}>{av.text}</span> : 'clobbered') : ''}</td>
                <td class="w">
                  {w >= 0 ? <a onClick={(e) => { e.stopPropagation(); follow(w); }} title="follow the value back to this instruction">insn {w}</a> : <span class="count">{v !== undefined ? 'at entry' : ''}</span>}
                </td>
              </tr>,
              open.has(r) && v !== undefined ? (
                <tr key={`d${r}`}><td /><td colSpan={3}><Details v={v} /></td></tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
      <div class="section-title">Stack</div>
      {f.stack.length === 0 ? <div class="empty">Nothing written to the stack yet.</div> : (
        <div class="stack" data-testid="stack">
          {f.stack.map((i) => {
            const slot = stackSlots[i];
            if (slot === undefined) return null;
            const v = slot.value !== undefined ? values[slot.value] : undefined;
            return [
              <span class="off" key={`o${i}`}>fp{slot.offset}</span>,
              <span class="bytes" key={`b${i}`}>{slot.bytes}</span>,
              <span key={`v${i}`} class={typeClass(v)}>{v !== undefined ? v.text : ''}</span>,
            ];
          })}
        </div>
      )}
      <div class="section-title">References held</div>
      {state.refs.length === 0 && state.lock === undefined ? <div class="empty">None.</div> : (
        <div class="refs">
          {state.refs.map((r) => <div key={r.id}>ref {r.id}: {r.what}, acquired at <a onClick={() => follow(r.slot)}>insn {r.slot}</a></div>)}
          {state.lock !== undefined && <div>spin lock {state.lock.id}, taken at <a onClick={() => follow(state.lock?.slot ?? 0)}>insn {state.lock.slot}</a></div>}
        </div>
      )}
    </>
  );
}
