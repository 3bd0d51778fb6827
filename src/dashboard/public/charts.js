// Time-series charts with uPlot (served from the project's node_modules by the dashboard, no CDN).
// uPlot sets sizes through the CSSOM (element.style), which the page's Content-Security-Policy allows.

const COLORS = {
  processed: '#1f9d6b',
  quarantined: '#d98a00',
  gone: '#7a8499',
  visible: '#3867d6',
  inFlight: '#8e44ad',
  deadLetter: '#d64545',
};

const series = (label, color, fill) => ({
  label,
  stroke: color,
  width: 2,
  ...(fill ? { fill: `${color}22` } : {}),
  points: { show: false },
  value: (_u, v) => (v === null || v === undefined ? '–' : Number(v).toFixed(v % 1 === 0 ? 0 : 2)),
});

const makeChart = (container, legendSeries) => {
  const width = Math.max(240, container.clientWidth);
  const opts = {
    width,
    height: 220,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max ?? 1, min ?? 0)] } },
    axes: [{}, { size: 44 }],
    series: [{}, ...legendSeries],
  };
  const empty = [[], ...legendSeries.map(() => [])];
  const plot = new window.uPlot(opts, empty, container);
  const observer = new ResizeObserver(() => {
    plot.setSize({ width: Math.max(240, container.clientWidth), height: 220 });
  });
  observer.observe(container);
  return plot;
};

/** Create the throughput and queue-depth charts; returns an `update(snapshot)` function. */
export const createCharts = (throughputBox, depthBox) => {
  if (typeof window.uPlot !== 'function') {
    throughputBox.textContent = 'Chart library not loaded.';
    depthBox.textContent = 'Chart library not loaded.';
    return () => undefined;
  }
  const throughput = makeChart(throughputBox, [
    series('processed', COLORS.processed, true),
    series('quarantined', COLORS.quarantined, true),
    series('gone', COLORS.gone, false),
  ]);
  const depth = makeChart(depthBox, [
    series('in the queue', COLORS.visible, true),
    series('in flight', COLORS.inFlight, false),
    series('in the DLQ', COLORS.deadLetter, false),
  ]);
  return (snapshot) => {
    const t = snapshot.throughput;
    throughput.setData([t.t, t.processed, t.quarantined, t.gone]);
    const d = snapshot.depth;
    depth.setData([d.t, d.visible, d.inFlight, d.deadLetter]);
  };
};
