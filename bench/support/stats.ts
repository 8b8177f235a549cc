export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** "median (first quartile to third quartile)": a run's typical value with the middle half of its spread. */
function medianWithMiddleHalf(values: number[], digits = 0): string {
  return `${num(median(values), digits)} (${num(percentile(values, 25), digits)} to ${num(percentile(values, 75), digits)})`;
}

/**
 * What `values` add over `base`, measured side by side in each round: the median of the per-round
 * differences, with their middle half (medianWithMiddleHalf), which shows how far noise moves it.
 */
export function addedPerRound(values: number[], base: number[], digits = 0): string {
  return medianWithMiddleHalf(values.map((value, i) => value - base[i]!), digits);
}

export function min(values: number[]): number {
  return Math.min(...values);
}

export function max(values: number[]): number {
  return Math.max(...values);
}

/** 12345.6 → "12,346"; small values keep `digits` decimals. */
export function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * 0.9712 → "0.97×". With a `goal`, three decimals where two would round the value onto the other
 * side of it (0.946 against 0.95 reads "0.946×", not "0.95×" beside "missed").
 */
export function ratio(value: number, goal?: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const hidesSide = goal !== undefined && (value < goal) !== (Number(value.toFixed(2)) < goal);
  return `${value.toFixed(hidesSide ? 3 : 2)}×`;
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 1024 * 1024 * 1024) return `${(value / 1024 / 1024 / 1024).toFixed(2)} GiB`;
  if (Math.abs(value) >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (Math.abs(value) >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value.toFixed(0)} B`;
}

/** The order of `items` for round `round`: rotated and, every other round, reversed, so no target always goes first. */
export function roundOrder<T>(items: T[], round: number): T[] {
  const rotated = items.map((_, i) => items[(i + round) % items.length]!);
  return round % 2 === 1 ? rotated.reverse() : rotated;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
