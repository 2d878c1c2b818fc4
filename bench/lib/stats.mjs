// Small statistics helpers: every reported figure is the median of its runs with min-max.

export function summarize(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}

export function fmtNum(x, digits = 0) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 1e6) return (x / 1e6).toFixed(2) + ' M';
  if (Math.abs(x) >= 1e4) return (x / 1e3).toFixed(1) + ' k';
  return x.toFixed(digits);
}
