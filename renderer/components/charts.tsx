/** Dependency-free SVG charts sized by their container's width via viewBox. */
import { useLayoutEffect, useRef, useState, type ReactNode, type RefObject } from 'react';

/** The element's current width in CSS pixels, so SVG text keeps its size (no stretching). */
function useWidth<T extends Element>(fallback = 600): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [w, setW] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(Math.max(120, Math.round(el.getBoundingClientRect().width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

export function LineChart({ points, height = 120, label, formatY, color = 'var(--accent)' }: {
  points: ReadonlyArray<{ x: number; y: number }>; height?: number; label: string; formatY: (v: number) => string; color?: string;
}) {
  const [ref, W] = useWidth<HTMLDivElement>();
  const H = height, padL = 64, padB = 18, padT = 8;
  if (points.length < 2) return <div ref={ref} className="chart-empty muted" style={{ height }}>Not enough data yet</div>;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const yMax = Math.max(1, ...ys) * 1.1;
  const sx = (x: number) => padL + ((x - x0) / Math.max(1, x1 - x0)) * (W - padL - 4);
  const sy = (y: number) => padT + (1 - y / yMax) * (H - padT - padB);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  const area = `${d}L${sx(x1).toFixed(1)},${sy(0)}L${sx(x0).toFixed(1)},${sy(0)}Z`;
  return (
    <div ref={ref}><svg className="chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={padL} x2={W - 4} y1={sy(yMax * f / 1.1)} y2={sy(yMax * f / 1.1)} className="chart-grid" />
          <text x={padL - 6} y={sy(yMax * f / 1.1) + 4} textAnchor="end" className="chart-tick">{formatY(yMax * f / 1.1)}</text>
        </g>
      ))}
      <path d={area} fill={color} opacity={0.12} />
      <path d={d} fill="none" stroke={color} strokeWidth={2} />
    </svg></div>
  );
}

export function BarChart({ bars, height = 140, label, formatY, refLine }: {
  bars: ReadonlyArray<{ label: string; value: number; tone?: string }>; height?: number; label: string; formatY: (v: number) => string;
  refLine?: { value: number; label: string };
}) {
  const [ref, W] = useWidth<HTMLDivElement>();
  const H = height, padL = 56, padB = 20, padT = 8;
  const max = Math.max(1, refLine?.value ?? 0, ...bars.map((b) => b.value)) * 1.1;
  const bw = (W - padL) / Math.max(1, bars.length);
  const sy = (v: number) => padT + (1 - v / max) * (H - padT - padB);
  return (
    <div ref={ref}><svg className="chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
      <text x={padL - 6} y={sy(max / 1.1) + 4} textAnchor="end" className="chart-tick">{formatY(max / 1.1)}</text>
      <line x1={padL} x2={W} y1={sy(0)} y2={sy(0)} className="chart-grid" />
      {bars.map((b, i) => (
        <g key={b.label}>
          <rect x={padL + i * bw + bw * 0.15} width={bw * 0.7} y={sy(b.value)} height={Math.max(0, sy(0) - sy(b.value))} className={`bar ${b.tone ?? ''}`}>
            <title>{`${b.label}: ${formatY(b.value)}`}</title>
          </rect>
          {bars.length <= 16 || i % 2 === 0 ? <text x={padL + i * bw + bw / 2} y={H - 5} textAnchor="middle" className="chart-tick">{b.label}</text> : null}
        </g>
      ))}
      {refLine ? (
        <g>
          <line x1={padL} x2={W} y1={sy(refLine.value)} y2={sy(refLine.value)} className="chart-ref" />
          <text x={W - 4} y={sy(refLine.value) - 4} textAnchor="end" className="chart-tick">{refLine.label}</text>
        </g>
      ) : null}
    </svg></div>
  );
}

export function HBars({ items, format, label }: { items: ReadonlyArray<{ name: string; amount: number }>; format: (v: number) => string; label: string }): ReactNode {
  const max = Math.max(1e-9, ...items.map((i) => i.amount));
  return (
    <ul className="hbars" aria-label={label}>
      {items.map((i) => (
        <li key={i.name}>
          <span className="hbars-name">{i.name}</span>
          <span className="hbars-track"><span className="hbars-fill" style={{ width: `${(i.amount / max) * 100}%` }} /></span>
          <span className="hbars-value">{format(i.amount)}</span>
        </li>
      ))}
    </ul>
  );
}
