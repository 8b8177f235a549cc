import { SpanKind, SpanStatusCode, type Attributes, type Meter, type Tracer } from '@opentelemetry/api';
import { measuredOperation, type MeasuredOperation } from './measured-operation.js';
import { ATTRIBUTE, METRIC, SPAN_PREFIX, type OpEndpoint } from './telemetry-names.js';

/** Buckets (s) for requests to the OP: a few ms on a LAN up to the default 5 s timeout. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The fetch signature the library calls the OP with (discovery, jose's JWKS fetch, form POSTs). */
export type ProviderFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** The URL without credentials or query (OpenTelemetry's `url.full` must carry neither). */
function safeUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.search = '';
  copy.hash = '';
  return copy.href;
}

/** `error.type` of a request that got no answer: the error's name (`TimeoutError`, `TypeError` for a network failure). */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

/**
 * Requests to the OP: a CLIENT span per request (HTTP client semantic conventions), a count and
 * a duration by endpoint; `error.type` is the HTTP status (>= 400) or the error's name when no
 * answer came. Only the URL, method and status are recorded: never a request or response body.
 */
export class ProviderRequestTelemetry {
  private readonly requests: MeasuredOperation;

  constructor(meter: Meter, private readonly tracer: Tracer) {
    this.requests = measuredOperation(meter, {
      count: {
        name: METRIC.opRequests,
        description: 'Requests to the OpenID Provider (discovery, JWKS, token, logout, revocation endpoints), failures with error.type',
        unit: '{request}',
      },
      duration: { name: METRIC.opRequestDuration, description: 'Duration of requests to the OpenID Provider, until the answer\'s headers', buckets: DURATION_BUCKETS },
    });
  }

  /** A fetch for `endpoint` that measures each request; give it wherever the library calls the OP. */
  fetchFor(endpoint: OpEndpoint): ProviderFetch {
    return (url, init) => {
      const target = new URL(url);
      const method = (init?.method ?? 'GET').toUpperCase();
      const spanAttributes: Attributes = {
        [ATTRIBUTE.opEndpoint]: endpoint,
        [ATTRIBUTE.httpMethod]: method,
        [ATTRIBUTE.urlFull]: safeUrl(target),
        [ATTRIBUTE.serverAddress]: target.hostname,
        [ATTRIBUTE.serverPort]: Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
      };
      return this.tracer.startActiveSpan(SPAN_PREFIX.op + endpoint, { kind: SpanKind.CLIENT, attributes: spanAttributes }, async (span) => {
        const started = performance.now();
        const measured: Attributes = { [ATTRIBUTE.opEndpoint]: endpoint };
        try {
          const response = await fetch(url, init);
          measured[ATTRIBUTE.httpStatus] = response.status;
          if (response.status >= 400) measured[ATTRIBUTE.errorType] = String(response.status);
          return response;
        } catch (error) {
          measured[ATTRIBUTE.errorType] = errorName(error);
          throw error;
        } finally {
          span.setAttributes(measured);
          if (measured[ATTRIBUTE.errorType] !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: String(measured[ATTRIBUTE.errorType]) });
          span.end();
          this.requests.count.add(1, measured);
          this.requests.duration.record((performance.now() - started) / 1000, measured);
        }
      });
    };
  }
}
