// Which features drive adoption, as a bar chart (recharts, SVG): the share of the week's active developers who used
// each feature. Loaded on demand with AdoptionChart.
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';

export interface FeatureBar {
  label: string;
  percent: number;
  active: number;
}

export default function FeatureChart({ bars, width = 520, height = 220 }: { bars: readonly FeatureBar[]; width?: number; height?: number }) {
  return (
    <BarChart width={width} height={height} data={bars} layout="vertical" margin={{ top: 4, right: 24, bottom: 4, left: 8 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" horizontal={false} />
      <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" tick={{ fontSize: 12 }} stroke="var(--muted)" />
      <YAxis type="category" dataKey="label" width={100} tick={{ fontSize: 12 }} stroke="var(--muted)" />
      <Tooltip
        formatter={(v, _name, item) => {
          const b = item.payload as FeatureBar | undefined;
          return [b ? `${String(v)}% (${b.active} developers)` : `${String(v)}%`, 'Of the active'];
        }}
      />
      <Bar dataKey="percent" fill="var(--accent)" isAnimationActive={false} />
    </BarChart>
  );
}
