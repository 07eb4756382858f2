// The score trend as a line chart (recharts, SVG): weekly points over the last twelve weeks, the threshold as a
// dashed line. Loaded on demand (ScoreTrend) so the chart library is not in the app's first bundle.
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartPoint } from '../lib/scorecards';

interface Props {
  points: readonly ChartPoint[];
  threshold?: number;
  width?: number;
  height?: number;
}

export default function TrendChart({ points, threshold, width = 560, height = 200 }: Props) {
  return (
    <LineChart width={width} height={height} data={points} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
      <XAxis dataKey="label" tick={{ fontSize: 12 }} stroke="var(--muted)" />
      <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} tick={{ fontSize: 12 }} width={36} stroke="var(--muted)" />
      <Tooltip formatter={(v) => [String(v), 'Score']} />
      {threshold !== undefined && (
        <ReferenceLine y={threshold} stroke="var(--danger)" strokeDasharray="6 4" label={{ value: `threshold ${threshold}`, position: 'insideTopRight', fontSize: 11 }} />
      )}
      <Line type="monotone" dataKey="score" stroke="var(--accent)" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
    </LineChart>
  );
}
