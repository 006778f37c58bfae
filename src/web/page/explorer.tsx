/**
 * The explorer: one program's verdict and diagnostic, its source beside its instruction listing, the control-flow
 * graph, and the verifier's state at the selected instruction on each recorded path.
 *
 * Keyboard: ↓/j and ↑/k move through the listing, s steps along the selected path, e jumps to the error, [ and ]
 * pick the previous/next path at the instruction, Backspace goes back, ? lists the keys.
 *
 * Author: Claude.
 *
 * @module
 */
import { memo } from 'preact/compat';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ExploreObject, ExploreProgram, ListingLine } from '../explore-document.ts';
import { ExploreIndex } from '../explore-index.ts';
import { GraphPane, viz } from './graph.tsx';
import { StatePanel } from './state-panel.tsx';
import { VirtualList } from './virtual-list.tsx';

/** Where the explorer gets its programs. */
export interface ProgramSource {
  readonly object: ExploreObject;
  load(index: number): Promise<ExploreProgram>;
}

/** The current selection: an instruction and one recorded state at it (when one was kept). */
export interface Selection {
  readonly slot: number;
  readonly state: number | undefined;
}

interface ExplorerProps {
  readonly source: ProgramSource;
  readonly index: number | undefined;
  readonly slot: number | undefined;
  readonly back?: { readonly href: string; readonly label: string };
  readonly link: (index: number, slot?: number) => string;
}

/** The explorer page for the programs of one object. */
export function Explorer({ source, index, slot, back, link }: ExplorerProps) {
  const programs = source.object.programs;
  const chosen = index ?? (programs.find((p) => p.verdict === 'fail') ?? programs[0])?.index ?? 0;
  const [doc, setDoc] = useState<ExploreProgram | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    // Graphviz (a WebAssembly build) loads and compiles while the document is fetched and parsed.
    void viz();
    setDoc(undefined);
    setError(undefined);
    source.load(chosen).then((d) => {
      performance.mark('explorer:program-loaded');
      if (live) setDoc(d);
    }, (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [source, chosen]);
  return (
    <>
      <header class="top">
        <div class="brand">bpfship <span>explorer</span></div>
        {back !== undefined && <nav><a href={back.href}>← {back.label}</a></nav>}
        <div class="file" title={source.object.file}>{source.object.file}</div>
        <select aria-label="program" value={String(chosen)} onChange={(e) => (location.hash = link(Number((e.target as HTMLSelectElement).value)))}>
          {programs.map((p) => (
            <option value={String(p.index)} key={p.index}>
              {p.name} ({p.section}){p.verdict !== undefined ? ` — ${p.verdict}` : ''}
            </option>
          ))}
        </select>
        {doc !== undefined ? <span class={`badge ${doc.report.verdict}`} data-verdict={doc.report.verdict}>{doc.report.verdict === 'pass' ? 'PASS' : 'FAIL'}</span> : <span class="badge pending">…</span>}
        {doc !== undefined && (
          <span class="stats">
            {doc.report.type} · {doc.report.insnsProcessed.toLocaleString('en-US')} insns processed · {doc.report.statesStored.toLocaleString('en-US')} states · {doc.report.timeMs.toFixed(0)} ms
          </span>
        )}
        <span class="spacer" />
        <span class="help"><kbd>↑</kbd><kbd>↓</kbd> move · <kbd>e</kbd> error · <kbd>?</kbd> keys</span>
      </header>
      {error !== undefined && <div class="loading">Could not verify this program: {error}</div>}
      {doc === undefined && error === undefined && <div class="loading">Verifying {programs[chosen]?.name ?? ''}…</div>}
      {doc !== undefined && <ProgramView doc={doc} initialSlot={slot} link={(s) => link(chosen, s)} />}
    </>
  );
}

function initialSelection(ix: ExploreIndex, slot: number | undefined): Selection {
  const at = (s: number): Selection => ({ slot: s, state: ix.statesAt(s)[0] });
  if (slot !== undefined && ix.lineIndexOf(slot) >= 0) return at(slot);
  if (ix.errorSlot !== undefined) return at(ix.errorSlot);
  return at(ix.doc.listing[0]?.slot ?? 0);
}

function ProgramView({ doc, initialSlot, link }: { doc: ExploreProgram; initialSlot: number | undefined; link: (slot?: number) => string }) {
  const ix = useMemo(() => new ExploreIndex(doc), [doc]);
  const [sel, setSel] = useState<Selection>(() => initialSelection(ix, initialSlot));
  const [help, setHelp] = useState(false);
  const trail = useRef<Selection[]>([]);
  useEffect(() => {
    setSel(initialSelection(ix, initialSlot));
    trail.current = [];
    // Only a new document resets the selection; the hash follows the selection below.
  }, [ix]);

  const select = useCallback((next: Selection, remember = true) => {
    setSel((cur) => {
      if (remember && (cur.slot !== next.slot || cur.state !== next.state)) trail.current.push(cur);
      return next;
    });
  }, []);
  const selectSlot = useCallback((slot: number, state?: number) => {
    select({ slot, state: state ?? ix.statesAt(slot)[0] });
  }, [ix, select]);

  useEffect(() => {
    const url = link(sel.slot);
    if (location.hash !== url) history.replaceState(null, '', url);
  }, [sel.slot]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const line = ix.lineIndexOf(sel.slot);
      const states = ix.statesAt(sel.slot);
      const k = states.indexOf(sel.state ?? -1);
      let handled = true;
      switch (e.key) {
        case 'ArrowDown':
        case 'j': {
          const next = doc.listing[line + 1];
          if (next !== undefined) selectSlot(next.slot);
          break;
        }
        case 'ArrowUp':
        case 'k': {
          const prev = doc.listing[line - 1];
          if (prev !== undefined) selectSlot(prev.slot);
          break;
        }
        case 'e':
          if (ix.errorSlot !== undefined) selectSlot(ix.errorSlot);
          break;
        case ']':
          if (states.length > 0) select({ slot: sel.slot, state: states[(k + 1) % states.length] }, false);
          break;
        case '[':
          if (states.length > 0) select({ slot: sel.slot, state: states[(k - 1 + states.length) % states.length] }, false);
          break;
        case 's': {
          const next = sel.state !== undefined ? ix.state(sel.state)?.next : undefined;
          const ns = next !== undefined ? ix.state(next) : undefined;
          if (ns !== undefined && next !== undefined) select({ slot: ns.slot, state: next });
          break;
        }
        case 'Backspace': {
          const prev = trail.current.pop();
          if (prev !== undefined) select(prev, false);
          break;
        }
        case '?':
          setHelp((h) => !h);
          break;
        case 'Escape':
          setHelp(false);
          break;
        default:
          handled = false;
      }
      if (handled) e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [ix, sel, select, selectSlot, doc]);

  useEffect(() => {
    performance.mark('explorer:program-shown');
  }, [doc]);
  const diag = doc.report.diagnostics[0];
  return (
    <>
      {doc.report.verdict === 'fail' && diag !== undefined ? (
        <Diagnostic doc={doc} onClick={() => ix.errorSlot !== undefined && selectSlot(ix.errorSlot)} />
      ) : (
        <div class="passed">
          <b>{doc.name}</b> is safe: every path ends at an exit ({doc.report.insnsProcessed.toLocaleString('en-US')} instructions processed, {doc.report.statesPruned.toLocaleString('en-US')} paths pruned as already proven, stack {doc.report.stackDepth} bytes).
        </div>
      )}
      <div class={`panes ${doc.sources.length === 0 ? 'nosource' : ''}`}>
        {doc.sources.length > 0 && <SourcePane ix={ix} slot={sel.slot} onSelect={selectSlot} />}
        <ListingPane ix={ix} slot={sel.slot} onSelect={selectSlot} />
        <div class="right">
          <GraphPane ix={ix} slot={sel.slot} onSelect={selectSlot} />
          <StatePanel ix={ix} sel={sel} onSelect={(s) => select(s)} onPath={(s) => select(s, false)} />
        </div>
      </div>
      {help && <KeysHelp onClose={() => setHelp(false)} />}
    </>
  );
}

function Diagnostic({ doc, onClick }: { doc: ExploreProgram; onClick: () => void }) {
  const d = doc.report.diagnostics[0];
  if (d === undefined) return null;
  const where = d.source !== undefined ? `${d.source.file.replace(/^\.\//, '')}:${d.source.line}:${d.source.column}` : `${doc.name}+${d.slot}`;
  const caret = d.source !== undefined && d.source.column > 0 ? ' '.repeat(d.source.column - 1) + '^' : undefined;
  return (
    <div class="diagnostic" onClick={onClick} title="Show the failing instruction (e)">
      <div class="loc" data-testid="diagnostic-location">{where}: <b>error:</b> {d.message}</div>
      {d.source !== undefined && (
        <pre>
          {String(d.source.line).padStart(5)} | {d.source.text}
          {caret !== undefined && '\n      | '}
          {caret !== undefined && <span class="caret">{caret}</span>}
        </pre>
      )}
      <div class="meta">
        at instruction {d.slot} in {d.function}: <code>{d.instruction}</code>
        {d.path.length > 0 && ` · after ${d.path.length} decision${d.path.length > 1 ? 's' : ''} on the path`} · [{d.code}]
      </div>
    </div>
  );
}

interface PaneProps {
  readonly ix: ExploreIndex;
  readonly slot: number;
  readonly onSelect: (slot: number) => void;
}

/** Keeps one element per key and toggles classes on the selected ones without re-rendering every row. */
function useMarks(container: { current: HTMLElement | null }, attr: string, keys: readonly string[], cls: string, scroll: boolean): void {
  const marked = useRef<HTMLElement[]>([]);
  useLayoutEffect(() => {
    for (const el of marked.current) el.classList.remove(cls);
    marked.current = [];
    const root = container.current;
    if (root === null) return;
    for (const k of keys) {
      const el = root.querySelector<HTMLElement>(`[${attr}="${k}"]`);
      if (el === null) continue;
      el.classList.add(cls);
      marked.current.push(el);
    }
    const first = marked.current[0];
    if (scroll && first !== undefined) {
      const body = root;
      const top = first.offsetTop - body.offsetTop;
      if (top < body.scrollTop + 20 || top > body.scrollTop + body.clientHeight - 40) body.scrollTop = Math.max(0, top - body.clientHeight / 3);
    }
  }, [keys.join(',')]);
}

function SourcePane({ ix, slot, onSelect }: PaneProps) {
  const body = useRef<HTMLDivElement>(null);
  const at = ix.sourceLineOf(slot);
  const file = at?.file ?? 0;
  useMarks(body, 'data-line', at !== undefined ? [String(at.line)] : [], 'sel', true);
  const src = ix.doc.sources[file];
  return (
    <section class="pane">
      <h2>Source <span class="sub">{src?.name.replace(/^\.\//, '') ?? 'no BTF line info'}</span></h2>
      <div class="body" ref={body}>
        <SourceLines ix={ix} file={file} onSelect={onSelect} />
      </div>
    </section>
  );
}

const SourceLines = memo(function SourceLines({ ix, file, onSelect }: { ix: ExploreIndex; file: number; onSelect: (slot: number) => void }) {
  const src = ix.doc.sources[file];
  if (src === undefined) return <div class="empty">The object has no BTF line info (compile with clang -g): the listing alone is shown.</div>;
  const errLine = ix.errorSlot !== undefined ? ix.sourceLineOf(ix.errorSlot) : undefined;
  const pathLines = new Set<number>();
  for (const s of ix.errorSlots) {
    const l = ix.sourceLineOf(s);
    if (l !== undefined && l.file === file) pathLines.add(l.line);
  }
  const code = new Map<number, number>();
  const reached = new Set<number>();
  for (const l of ix.doc.listing) {
    const p = l.position !== undefined ? ix.doc.positions[l.position] : undefined;
    if (p === undefined || p.file !== file) continue;
    if (!code.has(p.line)) code.set(p.line, l.slot);
    if (ix.reached(l.slot)) reached.add(p.line);
  }
  const lines: { n: number; text: string }[] = [];
  if (src.text !== undefined) src.text.forEach((t, i) => lines.push({ n: i + 1, text: t }));
  else for (const [n, t] of Object.entries(src.btfLines).sort((a, b) => Number(a[0]) - Number(b[0]))) lines.push({ n: Number(n), text: t });
  return (
    <>
      {src.text === undefined && <div class="src-note">The source file was not found: these are the lines BTF recorded.</div>}
      {lines.map(({ n, text }, i) => {
        const first = code.get(n);
        const gap = i > 0 && n > (lines[i - 1]?.n ?? 0) + 1 ? <div class="src-gap" key={`g${n}`}>⋯</div> : null;
        const cls = ['src-line', first !== undefined ? 'code' : '', first !== undefined && !reached.has(n) ? 'unreached' : '', errLine?.file === file && errLine.line === n ? 'err' : '', pathLines.has(n) ? 'onpath' : ''].filter(Boolean).join(' ');
        return [
          gap,
          <div class={cls} data-line={n} key={n} onClick={first !== undefined ? () => onSelect(first) : undefined}>
            <span class="no">{n}</span>
            <span class="txt">{text || ' '}</span>
          </div>,
        ];
      })}
    </>
  );
});

/** One row of the listing: a function's name, a source line (as `disasm -S` prints it), or an instruction. */
type ListingRow = { readonly kind: 'function'; readonly text: string } | { readonly kind: 'source'; readonly slot: number; readonly text: string } | { readonly kind: 'insn'; readonly line: number };

function listingRows(ix: ExploreIndex): { rows: ListingRow[]; rowOfSlot: Map<number, number> } {
  const rows: ListingRow[] = [];
  const rowOfSlot = new Map<number, number>();
  let lastPos = -2;
  let lastFn = -1;
  ix.doc.listing.forEach((l, i) => {
    if (l.function !== lastFn) {
      lastFn = l.function;
      rows.push({ kind: 'function', text: `${ix.doc.functions[l.function]?.name ?? '?'}:` });
    }
    const pos = l.position !== undefined ? ix.doc.positions[l.position] : undefined;
    if (pos !== undefined && l.position !== lastPos) {
      const prev = lastPos >= 0 ? ix.doc.positions[lastPos] : undefined;
      if (prev === undefined || prev.line !== pos.line || prev.file !== pos.file) {
        rows.push({ kind: 'source', slot: l.slot, text: `; ${(ix.doc.sources[pos.file]?.btfLines[pos.line] ?? '').trim()}` });
      }
      lastPos = l.position ?? -2;
    }
    rowOfSlot.set(l.slot, rows.length);
    rows.push({ kind: 'insn', line: i });
  });
  return { rows, rowOfSlot };
}

const ROW_HEIGHT = 19;

function ListingPane({ ix, slot, onSelect }: PaneProps) {
  const { rows, rowOfSlot } = useMemo(() => listingRows(ix), [ix]);
  const at = ix.sourceLineOf(slot);
  const sameLine = useMemo(() => new Set(at !== undefined ? ix.slotsOfLine(at.file, at.line) : []), [ix, at?.file, at?.line]);
  const rec = ix.doc.report.recording;
  const fn = ix.doc.functions[ix.lineAt(slot)?.function ?? 0];
  const renderRow = (r: number): preact.JSX.Element => {
    const row = rows[r] as ListingRow;
    if (row.kind === 'function') return <div class="asm-fn" key={r}>{row.text}</div>;
    if (row.kind === 'source') {
      const s = row.slot;
      return <div class="asm-src" key={r} onClick={() => onSelect(s)}>{row.text}</div>;
    }
    const l = ix.doc.listing[row.line] as ListingLine;
    const err = ix.errorSlot === l.slot;
    const cls = ['asm', ix.reached(l.slot) ? '' : 'unreached', ix.errorSlots.has(l.slot) && !err ? 'onpath' : '', err ? 'err' : '', l.slot === slot ? 'sel' : sameLine.has(l.slot) ? 'origin' : ''].filter(Boolean).join(' ');
    const pruned = rec?.pruned[l.slot] ?? 0;
    return (
      <div class={cls} data-slot={l.slot} key={r} onClick={() => onSelect(l.slot)}>
        <span class="slot">{l.slot}:</span>
        <span class="txt">{l.text}</span>
        {l.reloc !== undefined && <span class="reloc">{l.reloc}</span>}
        <span class="mark">{err ? 'error' : pruned > 0 ? `${pruned} pruned` : ''}</span>
      </div>
    );
  };
  return (
    <section class="pane">
      <h2>Instructions <span class="sub">{fn?.name} · llvm-objdump syntax</span></h2>
      <VirtualList rowCount={rows.length} rowHeight={ROW_HEIGHT} renderRow={renderRow} selected={rowOfSlot.get(slot)} testId="listing" />
    </section>
  );
}

function KeysHelp({ onClose }: { onClose: () => void }) {
  const keys: [string, string][] = [
    ['↓ / j', 'next instruction'],
    ['↑ / k', 'previous instruction'],
    ['s', 'step along the selected path'],
    ['e', 'jump to the error'],
    ['] / [', 'next / previous path at this instruction'],
    ['Backspace', 'back to the previous selection'],
    ['?', 'this list'],
  ];
  return (
    <div class="overlay" onClick={onClose}>
      <div class="box">
        <h3 style="margin-top:0">Keyboard</h3>
        <table>
          {keys.map(([k, v]) => (
            <tr key={k}><td><kbd>{k}</kbd></td><td>{v}</td></tr>
          ))}
        </table>
      </div>
    </div>
  );
}
