/** An SVG line chart of Marketo calls per second over time, with the budget as a dashed line. */
export function callsPerSecondSvg(
  series: { t: number; callsPerSecond: number }[],
  budgetPerSecond: number,
  title: string,
): string {
  const width = 800;
  const height = 360;
  const pad = { left: 60, right: 20, top: 40, bottom: 50 };
  const maxT = Math.max(1, ...series.map((p) => p.t));
  const maxY = Math.max(budgetPerSecond * 1.3, ...series.map((p) => p.callsPerSecond)) || 1;
  const x = (t: number) => pad.left + (t / maxT) * (width - pad.left - pad.right);
  const y = (v: number) => height - pad.bottom - (v / maxY) * (height - pad.top - pad.bottom);
  const path = series
    .map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.callsPerSecond).toFixed(1)}`)
    .join(' ');
  const ticksY = Array.from({ length: 5 }, (_, i) => (maxY * i) / 4);
  const ticksX = Array.from({ length: 6 }, (_, i) => (maxT * i) / 5);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${title}</text>
${ticksY.map((v) => `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${pad.left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`).join('\n')}
${ticksX.map((t) => `<text x="${x(t)}" y="${height - pad.bottom + 18}" text-anchor="middle">${t.toFixed(0)}</text>`).join('\n')}
<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(budgetPerSecond)}" y2="${y(budgetPerSecond)}" stroke="#d33" stroke-dasharray="6 4"/>
<text x="${width - pad.right}" y="${y(budgetPerSecond) - 6}" text-anchor="end" fill="#d33">budget ${budgetPerSecond}/s</text>
<path d="${path}" fill="none" stroke="#2563eb" stroke-width="2"/>
<text x="${width / 2}" y="${height - 12}" text-anchor="middle">seconds</text>
<text x="16" y="${height / 2}" text-anchor="middle" transform="rotate(-90 16 ${height / 2})">Marketo calls per second</text>
</svg>
`;
}
