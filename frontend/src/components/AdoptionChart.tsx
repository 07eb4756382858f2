// The weekly-active trend as a line chart (recharts, SVG): the percentage of all developers active in each seven
// days, with the counts in the tooltip. Loaded on demand (AdoptionPage) so the chart library is not in the app's
// first bundle.
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { AdoptionPoint } from '../lib/fleet';

interface Props {
  points: readonly AdoptionPoint[];
  width?: number;
  height?: number;
}

export default function AdoptionChart({ points, width = 760, height = 240 }: Props) {
  return (
    <LineChart width={width} height={height} data={points} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
      <XAxis dataKey="label" tick={{ fontSize: 12 }} stroke="var(--muted)" minTickGap={16} />
      <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tick={{ fontSize: 12 }} width={40} stroke="var(--muted)" unit="%" />
      <Tooltip
        formatter={(v, _name, item) => {
          const p = item.payload as AdoptionPoint | undefined;
          return [p ? `${String(v)}% (${p.active} of ${p.developers})` : `${String(v)}%`, 'Weekly active'];
        }}
        labelFormatter={(label) => (typeof label === 'string' ? `Week of ${label}` : '')}
      />
      <Line type="monotone" dataKey="percent" stroke="var(--accent)" strokeWidth={2} dot={{ r: 2.5 }} isAnimationActive={false} />
    </LineChart>
  );
}
