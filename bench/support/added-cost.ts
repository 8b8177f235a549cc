import { num } from './stats.js';

/** What a guard added to an operation in one benchmark run, and what the goal allowed it (CPU µs per operation). */
export interface AddedCost {
  label: string;
  /** Unguarded ÷ guarded CPU per operation, the goal's figure. */
  ratio: number;
  goal: number;
  /** Unguarded CPU µs per operation. */
  open: number;
  /** Guarded minus unguarded, per round: median and the middle half. */
  added: { median: number; q1: number; q3: number };
  /** What the allow-all guard added (Nest's guard pipeline alone), median. */
  floor: number;
  /** The guard's own work, timed in process on a context like the operation's. */
  ownWork: number;
}

/**
 * One sentence per operation that says why the goal was met or missed in this run, from the
 * run's own figures: when the rounds disagree by much more than the goal allows, that the run
 * cannot decide, and what the in-process timing says instead; otherwise where the added time goes.
 */
export function addedCostVerdict(cost: AddedCost): string {
  const allowance = cost.open / cost.goal - cost.open;
  const width = cost.added.q3 - cost.added.q1;
  const verdict = `${cost.label}: ${cost.ratio >= cost.goal ? 'met' : 'missed'} at ${cost.ratio.toFixed(3)}×; the bearer guard added ${num(cost.added.median, 1)} µs (middle half of the rounds ${num(cost.added.q1, 1)} to ${num(cost.added.q3, 1)}), the goal allows ${num(allowance, 1)} µs.`;
  const own = `its own work, timed in process, is ${num(cost.ownWork, 2)} µs${cost.ownWork <= allowance ? ', within the allowance' : ', more than the allowance by itself'}`;
  const breakdown = `Of it, the allow-all guard (Nest's guard pipeline) ${num(cost.floor, 1)} µs; ${own}; the rest (the same work with colder caches, and noise) ${num(cost.added.median - cost.floor - cost.ownWork, 1)} µs.`;
  if (cost.added.q1 > allowance) return `${verdict} Three rounds in four added more than that. ${breakdown}`;
  if (cost.added.q3 < allowance) return `${verdict} Three rounds in four added less than that. ${breakdown}`;
  if (width > 2 * allowance) {
    return `${verdict} The rounds disagree by ${num(width, 1)} µs, ${num(width / allowance, 1)} times the allowance, so this run cannot tell whether the guard fits; ${own}.`;
  }
  return `${verdict} ${breakdown}`;
}
