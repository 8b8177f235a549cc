/** How one passport strategy run ended (passport-strategy's augmented actions). */
export type StrategyOutcome =
  | { kind: 'success'; user: unknown; info: unknown }
  | { kind: 'fail'; challenge: unknown; status: number | undefined }
  | { kind: 'redirect'; url: string; status: number | undefined }
  | { kind: 'error'; error: unknown }
  | { kind: 'pass' };

interface RunnableStrategy {
  authenticate(request: never, options: never): unknown;
}

/**
 * Runs a strategy for one request the way passport.authenticate() does (a per-request object
 * inheriting from the strategy, given success/fail/redirect/pass/error), but resolves with the
 * outcome instead of writing the response, so the Nest handler answers (redirects through the
 * HTTP adapter, errors through the exception filter) and no promise is left hanging on a
 * redirect. Neither passport.initialize() nor req.login() is involved: the login service
 * writes the session itself.
 */
export function runStrategy(strategy: RunnableStrategy, request: unknown, options: object): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: StrategyOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    const delegate = Object.create(strategy) as RunnableStrategy & Record<string, unknown>;
    delegate.success = (user: unknown, info: unknown) => settle({ kind: 'success', user, info });
    delegate.fail = (challenge: unknown, status?: number) =>
      typeof challenge === 'number'
        ? settle({ kind: 'fail', challenge: undefined, status: challenge })
        : settle({ kind: 'fail', challenge, status });
    delegate.redirect = (url: string, status?: number) => settle({ kind: 'redirect', url, status });
    delegate.pass = () => settle({ kind: 'pass' });
    delegate.error = (error: unknown) => settle({ kind: 'error', error });
    try {
      delegate.authenticate(request as never, options as never);
    } catch (error) {
      settle({ kind: 'error', error });
    }
  });
}
