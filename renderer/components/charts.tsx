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

/**
 * A "nice" axis top for values up to `max`: a round multiple of a power of ten, so axis labels
 * read cleanly.
 */
export function niceMax(max: number): number {
  if (!(max > 0)) return 0;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

export function LineChart({
  points,
  height = 120,
  label,
  formatY,
  color = 'var(--accent)',
  idleText = 'Nothing moving',
}: {
  points: ReadonlyArray<{ x: number; y: number }>;
  height?: number;
  label: string;
  formatY: (v: number) => string;
  color?: string;
  /** Shown over a flat zero line when every sample is 0. */
  idleText?: string;
}) {
  const [ref, W] = useWidth<HTMLDivElement>();
  const H = height,
    padL = 64,
    padB = 18,
    padT = 8;
  if (points.length < 2)
    return (
      <div ref={ref} className="chart-empty muted" style={{ height }} data-chart-state="empty">
        Not enough data yet
      </div>
    );
  const xs = points.map((p) => p.x),
    ys = points.map((p) => p.y);
  const x0 = Math.min(...xs),
    x1 = Math.max(...xs);
  const top = niceMax(Math.max(...ys));
  const idle = top === 0;
  const yMax = idle ? 1 : top * 1.08;
  const sx = (x: number) => padL + ((x - x0) / Math.max(1, x1 - x0)) * (W - padL - 4);
  const sy = (y: number) => padT + (1 - y / yMax) * (H - padT - padB);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
  const area = `${d}L${sx(x1).toFixed(1)},${sy(0)}L${sx(x0).toFixed(1)},${sy(0)}Z`;
  // Ticks: 0 always; half and full of the nice top only when there is a non-zero scale.
  // Labels that format the same (tiny scales) are drawn once.
  const ticks = (idle ? [0] : [0, top / 2, top]).filter((v, i, all) => all.findIndex((w) => formatY(w) === formatY(v)) === i);
  return (
    <div ref={ref}>
      <svg
        className="chart"
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="img"
        aria-label={idle ? `${label}: ${idleText}` : label}
        data-chart-state={idle ? 'idle' : 'data'}
      >
        {ticks.map((v) => (
          <g key={v}>
            <line x1={padL} x2={W - 4} y1={sy(v)} y2={sy(v)} className="chart-grid" />
            <text x={padL - 6} y={sy(v) + 4} textAnchor="end" className="chart-tick" data-tick>
              {formatY(v)}
            </text>
          </g>
        ))}
        {idle ? (
          <text x={(padL + W) / 2} y={(padT + H - padB) / 2 + 4} textAnchor="middle" className="chart-idle">
            {idleText}
          </text>
        ) : (
          <path d={area} fill={color} opacity={0.12} />
        )}
        <path d={d} fill="none" stroke={color} strokeWidth={2} />
      </svg>
    </div>
  );
}

export function BarChart({
  bars,
  height = 140,
  label,
  formatY,
  refLine,
}: {
  bars: ReadonlyArray<{ label: string; value: number; tone?: string }>;
  height?: number;
  label: string;
  formatY: (v: number) => string;
  refLine?: { value: number; label: string };
}) {
  const [ref, W] = useWidth<HTMLDivElement>();
  const H = height,
    padL = 56,
    padB = 20,
    padT = 8;
  const max = Math.max(1, refLine?.value ?? 0, ...bars.map((b) => b.value)) * 1.1;
  const bw = (W - padL) / Math.max(1, bars.length);
  const sy = (v: number) => padT + (1 - v / max) * (H - padT - padB);
  return (
    <div ref={ref}>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label}>
        <text x={padL - 6} y={sy(max / 1.1) + 4} textAnchor="end" className="chart-tick">
          {formatY(max / 1.1)}
        </text>
        <line x1={padL} x2={W} y1={sy(0)} y2={sy(0)} className="chart-grid" />
        {bars.map((b, i) => (
          <g key={b.label}>
            <rect x={padL + i * bw + bw * 0.15} width={bw * 0.7} y={sy(b.value)} height={Math.max(0, sy(0) - sy(b.value))} className={`bar ${b.tone ?? ''}`}>
              <title>{`${b.label}: ${formatY(b.value)}`}</title>
            </rect>
            {bars.length <= 16 || i % 2 === 0 ? (
              <text x={padL + i * bw + bw / 2} y={H - 5} textAnchor="middle" className="chart-tick">
                {b.label}
              </text>
            ) : null}
          </g>
        ))}
        {refLine ? (
          <g>
            <line x1={padL} x2={W} y1={sy(refLine.value)} y2={sy(refLine.value)} className="chart-ref" />
            <text x={W - 4} y={sy(refLine.value) - 4} textAnchor="end" className="chart-tick">
              {refLine.label}
            </text>
          </g>
        ) : null}
      </svg>
    </div>
  );
}

export function HBars({
  items,
  format,
  label,
}: {
  items: ReadonlyArray<{ name: string; amount: number }>;
  format: (v: number) => string;
  label: string;
}): ReactNode {
  const max = Math.max(1e-9, ...items.map((i) => i.amount));
  return (
    <ul className="hbars" aria-label={label}>
      {items.map((i) => (
        <li key={i.name}>
          <span className="hbars-name">{i.name}</span>
          <span className="hbars-track">
            <span className="hbars-fill" style={{ width: `${(i.amount / max) * 100}%` }} />
          </span>
          <span className="hbars-value">{format(i.amount)}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Month-to-date (solid) and forecast (hatched, continuing it) on one bar against the budget limit,
 * with ticks at the budget's thresholds (percent of the limit).
 */
export function ForecastBar({
  monthToDate,
  forecast,
  limit,
  thresholds,
  format,
  tone = 'ok',
}: {
  monthToDate: number;
  forecast: number;
  limit: number | null;
  thresholds: ReadonlyArray<{ percent: number; crossed: boolean }>;
  format: (v: number) => string;
  tone?: 'ok' | 'warn' | 'bad';
}) {
  const [ref, W] = useWidth<HTMLDivElement>();
  const H = 74,
    padX = 8,
    barY = 22,
    barH = 20;
  const scale = Math.max(1e-9, monthToDate, forecast, limit ?? 0) * 1.06;
  const x = (v: number) => padX + (Math.max(0, v) / scale) * (W - 2 * padX);
  const over = limit !== null && forecast > limit;
  const label = `Spent ${format(monthToDate)}, forecast ${format(forecast)}${limit !== null ? `, budget ${format(limit)}` : ', no monthly limit set'}`;
  return (
    <div ref={ref} className="forecast-bar">
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={label} data-testid="forecast-bar">
        <defs>
          <pattern id="fc-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" className={`fc-hatch-bg ${over ? 'over' : ''}`} />
            <line x1="0" y1="0" x2="0" y2="6" className={`fc-hatch-line ${over ? 'over' : ''}`} strokeWidth="3" />
          </pattern>
        </defs>
        <rect x={padX} y={barY} width={W - 2 * padX} height={barH} rx={4} className="fc-track" />
        <rect x={padX} y={barY} width={Math.max(0, x(forecast) - padX)} height={barH} rx={4} fill="url(#fc-hatch)" data-part="forecast" />
        <rect x={padX} y={barY} width={Math.max(0, x(monthToDate) - padX)} height={barH} rx={4} className={`fc-spent fc-${tone}`} data-part="spent" />
        <text x={padX} y={14} className="chart-tick">
          Spent {format(monthToDate)}
        </text>
        <text x={Math.min(W - padX, Math.max(x(forecast), padX + 150))} y={14} textAnchor="end" className={`chart-tick ${over ? 'fc-over-text' : ''}`}>
          Forecast {format(forecast)}
        </text>
        {limit !== null
          ? thresholds.map((t) => {
              const tx = x((limit * t.percent) / 100);
              return (
                <g key={t.percent} data-threshold={t.percent} className={t.crossed ? 'fc-tick crossed' : 'fc-tick'}>
                  <line x1={tx} x2={tx} y1={barY - 4} y2={barY + barH + 4} strokeWidth={t.percent === 100 ? 2 : 1} />
                  <text x={tx} y={barY + barH + 17} textAnchor="middle" className="chart-tick">
                    {t.percent === 100 ? `${format(limit)} budget` : `${t.percent}%`}
                  </text>
                </g>
              );
            })
          : null}
      </svg>
    </div>
  );
}
