import { SpanKind, SpanStatusCode, type Attributes, type Meter, type Tracer } from '@opentelemetry/api';
import { logoutFailureOf } from './logout-failure.js';
import { measuredOperation, type MeasuredOperation } from './measured-operation.js';
import { ATTRIBUTE, METRIC, SPAN_PREFIX, attributeCode, type LogoutOutcome, type LogoutPath } from './telemetry-names.js';

/** Buckets (s) for handling a logout: milliseconds normally, seconds when the OP or Redis is slow. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the code handling a logout can tell its measurement once it knows more than at the start. */
export interface LogoutHandling {
  /** The path, once the request says it (a `k_logout` without sessions is a client not-before). */
  setPath(path: LogoutPath): void;
  /** Accepted without effect, and why (`unknown_sid`, `not_signed_in`, `nothing_named`). */
  ignore(reason: string): void;
}

/**
 * Logouts received: one span, one count and one duration per logout, by path and outcome. A
 * logout that throws is counted as `refused` or `error` with its reason code, and rethrown.
 */
export class LogoutTelemetry {
  private readonly logouts: MeasuredOperation;

  constructor(meter: Meter, private readonly tracer: Tracer) {
    this.logouts = measuredOperation(meter, {
      count: { name: METRIC.logouts, description: 'Logouts received, by path (how they arrived) and outcome', unit: '{logout}' },
      duration: { name: METRIC.logoutDuration, description: 'Time to handle a logout, by path and outcome', buckets: DURATION_BUCKETS },
    });
  }

  handle<T>(path: LogoutPath, run: (handling: LogoutHandling) => Promise<T>, operation?: string): Promise<T> {
    const started = performance.now();
    const attributes: Attributes = { [ATTRIBUTE.path]: path, ...(operation !== undefined ? { [ATTRIBUTE.operation]: operation } : {}) };
    return this.tracer.startActiveSpan(SPAN_PREFIX.logout + path, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      let outcome: LogoutOutcome = 'success';
      let reason: string | undefined;
      const handling: LogoutHandling = {
        setPath: (next) => {
          attributes[ATTRIBUTE.path] = next;
          span.updateName(SPAN_PREFIX.logout + next);
        },
        ignore: (why) => {
          outcome = 'ignored';
          reason = attributeCode(why);
        },
      };
      try {
        return await run(handling);
      } catch (error) {
        ({ outcome, reason } = logoutFailureOf(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
        span.setAttribute(ATTRIBUTE.errorType, reason);
        throw error;
      } finally {
        const measured: Attributes = { ...attributes, [ATTRIBUTE.outcome]: outcome, ...(reason !== undefined ? { [ATTRIBUTE.reason]: reason } : {}) };
        span.setAttributes(measured);
        span.end();
        // The operation stays on the span only: the metric's series are path × outcome × reason.
        delete measured[ATTRIBUTE.operation];
        this.logouts.count.add(1, measured);
        this.logouts.duration.record((performance.now() - started) / 1000, measured);
      }
    });
  }
}
