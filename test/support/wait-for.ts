/**
 * Polls `condition` until it holds, failing with `what` after `timeoutMs`. For effects that
 * happen asynchronously after the request that caused them (fan-out, event listeners).
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** waitFor, resolving the ms the condition took to hold: for tests that bound how soon an effect arrives. */
export async function waitForElapsed(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
  intervalMs = 10,
): Promise<number> {
  const started = Date.now();
  await waitFor(condition, what, timeoutMs, intervalMs);
  return Date.now() - started;
}
