/**
 * The control-flow graph of the selected instruction's function: basic blocks laid out by Graphviz's `dot`
 * (`@viz-js/viz`, loaded when first needed), drawn here as SVG so that blocks and edges can show what the verifier
 * did: blocks no path reached are dashed, edges no path took are dashed, loops (back edges) are violet, and the path
 * to the error is red from the entry to the failing block.
 *
 * A function of more than {@link WHOLE_GRAPH_BLOCKS} blocks is laid out by region: the blocks around the selection
 * (up to {@link REGION_BLOCKS}), with the edges that leave the region shown as links to their targets; moving the
 * selection out of the region lays out the next one. Layouts are cached.
 *
 * Author: Claude.
 *
 * @module
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { CfgEdge } from '../explore-document.ts';
import type { ExploreIndex } from '../explore-index.ts';

/** Functions with at most this many blocks are laid out whole. */
export const WHOLE_GRAPH_BLOCKS = 160;
/** Blocks in a region of a larger function. */
export const REGION_BLOCKS = 60;

const NODE_W = 176;
const NODE_H = 38;
const MAX_TEXT = 25;

interface Point { readonly x: number; readonly y: number }

interface LaidNode {
  readonly block: number;
  /** A stub for an edge leaving (or entering) the region: the block it leads to. */
  readonly stub: boolean;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface LaidEdge {
  readonly edge: CfgEdge;
  readonly points: readonly Point[];
  readonly end: Point | undefined;
}

interface Layout {
  readonly blocks: ReadonlySet<number>;
  readonly nodes: readonly LaidNode[];
  readonly edges: readonly LaidEdge[];
  readonly width: number;
  readonly height: number;
  readonly whole: boolean;
  readonly fnBlocks: number;
}

type VizModule = typeof import('@viz-js/viz');
let vizInstance: Promise<Awaited<ReturnType<VizModule['instance']>>> | undefined;
/** Graphviz, loaded once (the page starts loading it while the program's document is fetched). */
export function viz(): Promise<Awaited<ReturnType<VizModule['instance']>>> {
  vizInstance ??= import('@viz-js/viz').then((m) => m.instance());
  return vizInstance;
}

/** The blocks to lay out for a selection: the whole function, or a region around the selected block. */
function regionFor(ix: ExploreIndex, block: number): { blocks: Set<number>; whole: boolean; fnBlocks: number } {
  const fn = ix.block(block)?.function ?? 0;
  const all: number[] = [];
  ix.doc.cfg.blocks.forEach((b, i) => b.function === fn && all.push(i));
  if (all.length <= WHOLE_GRAPH_BLOCKS) return { blocks: new Set(all), whole: true, fnBlocks: all.length };
  // Breadth first over both directions, the error path's blocks preferred so that it reads as a line.
  const succ = new Map<number, number[]>();
  const pred = new Map<number, number[]>();
  for (const e of ix.doc.cfg.edges) {
    (succ.get(e.from) ?? succ.set(e.from, []).get(e.from))?.push(e.to);
    (pred.get(e.to) ?? pred.set(e.to, []).get(e.to))?.push(e.from);
  }
  const region = new Set<number>([block]);
  let frontier = [block];
  while (frontier.length > 0 && region.size < REGION_BLOCKS) {
    const next: number[] = [];
    for (const b of frontier) {
      const around = [...(succ.get(b) ?? []), ...(pred.get(b) ?? [])].sort((x, y) => Number(ix.errorBlocks.has(y)) - Number(ix.errorBlocks.has(x)));
      for (const n of around) {
        if (region.size >= REGION_BLOCKS) break;
        if (region.has(n)) continue;
        region.add(n);
        next.push(n);
      }
    }
    frontier = next;
  }
  return { blocks: region, whole: false, fnBlocks: all.length };
}

function quote(s: string): string {
  return JSON.stringify(s);
}

async function layOut(ix: ExploreIndex, region: { blocks: Set<number>; whole: boolean; fnBlocks: number }): Promise<Layout> {
  const v = await viz();
  const lines: string[] = [
    'digraph cfg {',
    `graph [rankdir=TB, nodesep=0.25, ranksep=0.32, mclimit=0.3, nslimit=3, nslimit1=3, searchsize=20];`,
    `node [shape=box, fixedsize=true, width=${NODE_W / 72}, height=${NODE_H / 72}, label=""];`,
    'edge [arrowsize=0.6];',
  ];
  const stubs = new Map<string, { block: number }>();
  for (const b of region.blocks) lines.push(`b${b};`);
  const drawn: CfgEdge[] = [];
  for (const e of ix.doc.cfg.edges) {
    const inFrom = region.blocks.has(e.from);
    const inTo = region.blocks.has(e.to);
    if (inFrom && inTo) {
      drawn.push(e);
      // Back edges do not constrain the ranks: loops read top to bottom.
      lines.push(`b${e.from} -> b${e.to}${e.back ? ' [constraint=false]' : ''};`);
    } else if (inFrom && !inTo) {
      const id = `out${e.to}`;
      if (!stubs.has(id)) {
        stubs.set(id, { block: e.to });
        lines.push(`${id} [width=0.9, height=0.3];`);
      }
      drawn.push(e);
      lines.push(`b${e.from} -> ${id};`);
    } else if (!inFrom && inTo) {
      const id = `in${e.from}`;
      if (!stubs.has(id)) {
        stubs.set(id, { block: e.from });
        lines.push(`${id} [width=0.9, height=0.3];`);
      }
      drawn.push(e);
      lines.push(`${id} -> b${e.to};`);
    }
  }
  lines.push('}');
  const out = JSON.parse(v.renderString(lines.join('\n'), { format: 'json0', yInvert: true })) as {
    bb: string;
    objects?: { _gvid: number; name: string; pos: string; width: string; height: string }[];
    edges?: { tail: number; head: number; pos: string }[];
  };
  // bb is "llx,lly,urx,ury"; with yInvert the y corners come swapped.
  const [bx0, by0, bx1, by1] = out.bb.split(',').map(Number) as [number, number, number, number];
  const bw = Math.abs(bx1 - bx0);
  const bh = Math.abs(by1 - by0);
  const nodes: LaidNode[] = [];
  const byGvid = new Map<number, string>();
  for (const o of out.objects ?? []) {
    byGvid.set(o._gvid, o.name);
    const [x, y] = o.pos.split(',').map(Number) as [number, number];
    const w = Number(o.width) * 72;
    const h = Number(o.height) * 72;
    if (o.name.startsWith('b')) nodes.push({ block: Number(o.name.slice(1)), stub: false, x, y, w, h });
    else nodes.push({ block: stubs.get(o.name)?.block ?? -1, stub: true, x, y, w, h });
  }
  const edges: LaidEdge[] = [];
  (out.edges ?? []).forEach((e, i) => {
    const edge = drawn[i];
    if (edge === undefined) return;
    const { points, end } = parseSpline(e.pos);
    edges.push({ edge, points, end });
  });
  return { blocks: region.blocks, nodes, edges, width: bw, height: bh, whole: region.whole, fnBlocks: region.fnBlocks };
}

/** Graphviz's edge `pos`: `e,x,y` (the arrow tip) then the B-spline's control points. */
function parseSpline(pos: string): { points: Point[]; end: Point | undefined } {
  let end: Point | undefined;
  const points: Point[] = [];
  for (const part of pos.trim().split(/\s+/)) {
    const f = part.split(',');
    if (f[0] === 'e') end = { x: Number(f[1]), y: Number(f[2]) };
    else if (f[0] === 's') continue;
    else points.push({ x: Number(f[0]), y: Number(f[1]) });
  }
  return { points, end };
}

function pathD(points: readonly Point[]): string {
  if (points.length === 0) return '';
  const [p0, ...rest] = points as [Point, ...Point[]];
  let d = `M${p0.x.toFixed(1)},${p0.y.toFixed(1)}`;
  for (let i = 0; i + 2 < rest.length; i += 3) {
    const a = rest[i] as Point;
    const b = rest[i + 1] as Point;
    const c = rest[i + 2] as Point;
    d += ` C${a.x.toFixed(1)},${a.y.toFixed(1)} ${b.x.toFixed(1)},${b.y.toFixed(1)} ${c.x.toFixed(1)},${c.y.toFixed(1)}`;
  }
  return d;
}

function arrow(from: Point, tip: Point): string {
  const dx = tip.x - from.x;
  const dy = tip.y - from.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len;
  const uy = dy / len;
  const s = 7;
  const bx = tip.x - ux * s;
  const by = tip.y - uy * s;
  return `${tip.x.toFixed(1)},${tip.y.toFixed(1)} ${(bx - uy * s * 0.45).toFixed(1)},${(by + ux * s * 0.45).toFixed(1)} ${(bx + uy * s * 0.45).toFixed(1)},${(by - ux * s * 0.45).toFixed(1)}`;
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT - 1) + '…' : text;
}

interface GraphPaneProps {
  readonly ix: ExploreIndex;
  readonly slot: number;
  readonly onSelect: (slot: number) => void;
}

interface View { x: number; y: number; k: number }

/** See the module comment. */
export function GraphPane({ ix, slot, onSelect }: GraphPaneProps) {
  const block = ix.blockOf(slot);
  const [layout, setLayout] = useState<Layout | undefined>();
  const [error, setError] = useState<string | undefined>();
  const cache = useMemo(() => new Map<string, Promise<Layout>>(), [ix]);
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ x: 0, y: 0, k: 1 });
  const fitted = useRef<Layout | undefined>(undefined);

  // A new layout when the selection leaves the one shown.
  useEffect(() => {
    if (block < 0) return;
    if (layout !== undefined && layout.blocks.has(block) && ix.block(block)?.function === ix.block([...layout.blocks][0] ?? 0)?.function) return;
    const region = regionFor(ix, block);
    const key = [...region.blocks].sort((a, b) => a - b).join(',');
    let p = cache.get(key);
    if (p === undefined) {
      p = layOut(ix, region);
      cache.set(key, p);
    }
    let live = true;
    p.then((l) => {
      performance.mark('explorer:graph-laid-out');
      if (live) setLayout(l);
    }, (e: Error) => live && setError(e.message));
    return () => {
      live = false;
    };
  }, [ix, block]);

  // Fit a new layout, or bring the selected block into view.
  useLayoutEffect(() => {
    const el = box.current;
    if (layout === undefined || el === null) return;
    const W = el.clientWidth;
    const H = el.clientHeight;
    const node = layout.nodes.find((n) => !n.stub && n.block === block);
    if (fitted.current !== layout) {
      fitted.current = layout;
      const k = Math.min(1.1, (W - 16) / layout.width, (H - 16) / layout.height);
      if (k >= 0.55) {
        setView({ k, x: (W - layout.width * k) / 2, y: (H - layout.height * k) / 2 });
        return;
      }
      const kk = 0.8;
      setView({ k: kk, x: W / 2 - (node?.x ?? layout.width / 2) * kk, y: H / 3 - (node?.y ?? 0) * kk });
      return;
    }
    if (node === undefined) return;
    const sx = node.x * view.k + view.x;
    const sy = node.y * view.k + view.y;
    // Only a block out of view (its centre) moves the view: a fitted graph stays as it is.
    if (sx < 10 || sx > W - 10 || sy < 10 || sy > H - 10) setView({ ...view, x: W / 2 - node.x * view.k, y: H / 2.5 - node.y * view.k });
  }, [layout, block]);

  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | undefined>(undefined);
  const onWheel = (e: WheelEvent): void => {
    e.preventDefault();
    const el = box.current;
    if (el === null) return;
    const r = el.getBoundingClientRect();
    const mx = e.clientX - r.left;
    const my = e.clientY - r.top;
    const k = Math.min(3, Math.max(0.08, view.k * Math.exp(-e.deltaY * 0.0015)));
    setView({ k, x: mx - ((mx - view.x) * k) / view.k, y: my - ((my - view.y) * k) / view.k });
  };
  const zoom = (f: number): void => {
    const el = box.current;
    const W = el?.clientWidth ?? 0;
    const H = el?.clientHeight ?? 0;
    const k = Math.min(3, Math.max(0.08, view.k * f));
    setView({ k, x: W / 2 - ((W / 2 - view.x) * k) / view.k, y: H / 2 - ((H / 2 - view.y) * k) / view.k });
  };
  const fit = (): void => {
    fitted.current = undefined;
    if (layout !== undefined) setLayout({ ...layout });
  };

  const rec = ix.doc.report.recording;
  const errBlock = ix.errorSlot !== undefined ? ix.blockOf(ix.errorSlot) : -1;
  return (
    <section class="pane">
      <h2>
        Control flow
        <span class="sub">{layout === undefined ? '' : layout.whole ? `${ix.doc.functions[ix.block(block)?.function ?? 0]?.name ?? ''} · ${layout.fnBlocks} blocks` : `region: ${layout.blocks.size} of ${layout.fnBlocks} blocks`}</span>
        <span class="legend">
          <span><i style="border-color:#3f8f5a" />jump</span>
          <span><i style="border-color:#7b8fa8" />fall-through</span>
          <span><i style="border-color:#7c3aed" />loop</span>
          {ix.errorSlot !== undefined && <span><i style="border-color:#c62828" />to the error</span>}
        </span>
      </h2>
      <div class={`graph ${drag.current !== undefined ? 'dragging' : ''}`} ref={box} data-testid="cfg"
        onWheel={onWheel}
        onMouseDown={(e) => {
          drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false };
        }}
        onMouseMove={(e) => {
          const d = drag.current;
          if (d === undefined) return;
          if (Math.abs(e.clientX - d.x) + Math.abs(e.clientY - d.y) > 3) d.moved = true;
          if (d.moved) setView({ ...view, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y });
        }}
        onMouseUp={() => setTimeout(() => (drag.current = undefined), 0)}
        onMouseLeave={() => (drag.current = undefined)}>
        {error !== undefined && <div class="empty">The graph could not be laid out: {error}</div>}
        {layout === undefined && error === undefined && <div class="empty">Laying out the graph…</div>}
        {layout !== undefined && (
          <svg data-blocks={layout.nodes.filter((n) => !n.stub).length}>
            <g transform={`translate(${view.x.toFixed(1)},${view.y.toFixed(1)}) scale(${view.k.toFixed(4)})`}>
              {layout.edges.map((le, i) => {
                const e = le.edge;
                const count = ix.edgeCount(e.from, e.to, e.kind);
                const onPath = ix.errorEdges.has(`${e.from}:${e.to}`);
                const cls = ['edge', e.back ? 'back' : e.kind, count === 0 ? 'never' : '', onPath ? 'onpath' : ''].filter(Boolean).join(' ');
                const last = le.points[le.points.length - 1];
                return (
                  <g class={cls} key={i}>
                    <title>{`${e.kind === 'jump' ? 'jump taken' : e.kind === 'goto' ? 'goto' : 'fall through'}${e.back ? ' (loop)' : ''}: ${count === undefined ? '' : count === 0 ? 'no path went this way' : `${count} path${count > 1 ? 's' : ''}`}`}</title>
                    <path d={pathD(le.points)} />
                    {le.end !== undefined && last !== undefined && <polygon points={arrow(last, le.end)} />}
                  </g>
                );
              })}
              {layout.nodes.map((n) => {
                const b = ix.block(n.block);
                if (b === undefined) return null;
                if (n.stub) {
                  return (
                    <g class="stub" key={`s${n.block}-${n.x}`} onClick={() => !drag.current?.moved && onSelect(b.start)}>
                      <text x={n.x} y={n.y + 4} text-anchor="middle">{`⋯ ${b.start}`}</text>
                    </g>
                  );
                }
                const lastLine = ix.lineAt(b.end - 1);
                const reached = (rec?.visits[b.start] ?? 1) > 0;
                const cls = ['node', reached ? '' : 'unreached', ix.errorBlocks.has(n.block) ? 'onpath' : '', n.block === errBlock ? 'err' : '', n.block === block ? 'sel' : ''].filter(Boolean).join(' ');
                const line = ix.sourceLineOf(b.start);
                const x0 = n.x - n.w / 2;
                const y0 = n.y - n.h / 2;
                return (
                  <g class={cls} key={`b${n.block}`} data-block={n.block} data-start={b.start} onClick={() => !drag.current?.moved && onSelect(b.start)}>
                    <title>{`instructions ${b.start}–${b.end - 1}${line !== undefined ? `, line ${line.line}` : ''}${reached ? '' : ' (never reached)'}`}</title>
                    <rect x={x0} y={y0} width={n.w} height={n.h} rx={5} />
                    <text class="head" x={x0 + 7} y={y0 + 15}>{`${b.start}${b.end - 1 > b.start ? `–${b.end - 1}` : ''}`}{line !== undefined ? `  ·  line ${line.line}` : ''}</text>
                    <text x={x0 + 7} y={y0 + 30}>{clip(lastLine?.text ?? '')}</text>
                  </g>
                );
              })}
            </g>
          </svg>
        )}
        <div class="graph-tools">
          <button onClick={() => zoom(1.25)} title="zoom in">+</button>
          <button onClick={() => zoom(0.8)} title="zoom out">−</button>
          <button onClick={fit} title="fit">fit</button>
        </div>
        {layout !== undefined && !layout.whole && <div class="graph-note">Large function: the blocks around the selection; ⋯ N leads on to instruction N.</div>}
      </div>
    </section>
  );
}
