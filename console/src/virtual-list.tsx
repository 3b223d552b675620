/**
 * A virtualised list: only the rows in view (plus a few) are in the DOM, so 100,000 rows scroll
 * as lightly as 100. Fixed row height. Keyboard: ↑ ↓ PageUp PageDown Home End move the
 * selection (aria-activedescendant), Enter opens it.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  readonly id: string;
  readonly label: string;
  readonly count: number;
  readonly rowHeight: number;
  readonly selected: number | undefined;
  readonly onSelect: (index: number) => void;
  readonly onOpen?: (index: number) => void;
  readonly renderRow: (index: number) => ComponentChildren;
  /** Called when the last rows come into view (load the next page). */
  readonly onEnd?: () => void;
  readonly empty?: ComponentChildren;
}

const OVERSCAN = 8;

export function VirtualList(props: VirtualListProps): ComponentChildren {
  const { count, rowHeight, selected } = props;
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(400);

  useLayoutEffect(() => {
    const el = box.current;
    if (el === null) return undefined;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => {
      setHeight(el.clientHeight);
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
    };
  }, []);

  // Keep the selected row in view.
  useEffect(() => {
    const el = box.current;
    if (el === null || selected === undefined) return;
    const y = selected * rowHeight;
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowHeight > el.scrollTop + el.clientHeight)
      el.scrollTop = y + rowHeight - el.clientHeight;
  }, [selected, rowHeight]);

  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(count, Math.ceil((top + height) / rowHeight) + OVERSCAN);
  const { onEnd } = props;
  useEffect(() => {
    if (onEnd !== undefined && count > 0 && last >= count) onEnd();
  }, [last, count, onEnd]);

  const move = (to: number): void => {
    if (count === 0) return;
    props.onSelect(Math.max(0, Math.min(count - 1, to)));
  };
  const onKey = (e: KeyboardEvent): void => {
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const cur = selected ?? -1;
    const keys: Record<string, () => void> = {
      ArrowDown: () => {
        move(cur + 1);
      },
      ArrowUp: () => {
        move(cur - 1);
      },
      PageDown: () => {
        move(cur + page);
      },
      PageUp: () => {
        move(cur - page);
      },
      Home: () => {
        move(0);
      },
      End: () => {
        move(count - 1);
      },
      Enter: () => {
        if (selected !== undefined) props.onOpen?.(selected);
      },
    };
    const action = keys[e.key];
    if (action !== undefined) {
      e.preventDefault();
      action();
    }
  };

  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={i}
        id={`${props.id}-row-${i}`}
        role="option"
        aria-selected={i === selected}
        class={i === selected ? 'vrow selected' : 'vrow'}
        style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}
        onClick={() => {
          props.onSelect(i);
          props.onOpen?.(i);
        }}
      >
        {props.renderRow(i)}
      </div>,
    );
  }
  return (
    <div
      ref={box}
      id={props.id}
      class="vlist"
      role="listbox"
      tabIndex={0}
      aria-label={props.label}
      aria-activedescendant={selected !== undefined ? `${props.id}-row-${selected}` : undefined}
      onScroll={(e) => {
        setTop(e.currentTarget.scrollTop);
      }}
      onKeyDown={onKey}
    >
      {count === 0 ? (
        <div class="empty">{props.empty ?? 'Nothing yet.'}</div>
      ) : (
        <div class="vspace" style={{ height: `${count * rowHeight}px` }}>
          {rows}
        </div>
      )}
    </div>
  );
}
