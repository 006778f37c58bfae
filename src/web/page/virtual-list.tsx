/**
 * A list of fixed-height rows that renders only the rows in view (plus a margin), so that a listing of a million
 * instructions costs what forty rows cost. Keeps a selected row in view when it changes.
 *
 * Author: Claude.
 *
 * @module
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

interface VirtualListProps {
  readonly rowCount: number;
  /** Pixels; every row has this height. */
  readonly rowHeight: number;
  readonly renderRow: (index: number) => preact.JSX.Element;
  /** The row to keep in view (scrolled to a third of the height when it is outside). */
  readonly selected: number | undefined;
  readonly testId?: string;
}

const MARGIN = 30;

/** See the module comment. */
export function VirtualList({ rowCount, rowHeight, renderRow, selected, testId }: VirtualListProps) {
  const box = useRef<HTMLDivElement>(null);
  const [range, setRange] = useState<[number, number]>([0, 80]);
  const update = (): void => {
    const el = box.current;
    if (el === null) return;
    const first = Math.max(0, Math.floor(el.scrollTop / rowHeight) - MARGIN);
    const last = Math.min(rowCount, Math.ceil((el.scrollTop + el.clientHeight) / rowHeight) + MARGIN);
    setRange((r) => (r[0] === first && r[1] === last ? r : [first, last]));
  };
  useLayoutEffect(() => {
    const el = box.current;
    if (el !== null && selected !== undefined && selected >= 0) {
      const top = selected * rowHeight;
      if (top < el.scrollTop + rowHeight || top > el.scrollTop + el.clientHeight - 2 * rowHeight) el.scrollTop = Math.max(0, top - el.clientHeight / 3);
    }
    update();
  }, [selected, rowCount]);
  const rows: preact.JSX.Element[] = [];
  for (let i = range[0]; i < Math.min(range[1], rowCount); i++) rows.push(renderRow(i));
  return (
    <div class="body" ref={box} onScroll={update} data-testid={testId}>
      <div style={{ height: `${rowCount * rowHeight}px`, position: 'relative' }}>
        <div style={{ position: 'absolute', top: `${range[0] * rowHeight}px`, left: 0, right: 0 }}>{rows}</div>
      </div>
    </div>
  );
}
