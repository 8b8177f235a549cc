import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** What a subscription received: its `next` payloads, its error, and whether it completed. */
export interface SubscriptionLog {
  results: Array<{ data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  error: unknown;
  completed: boolean;
  /** Ends the subscription from the client's side. */
  stop(): void;
}

/**
 * A real graphql-ws client (protocol `graphql-transport-ws`) on Node's `ws`; `headers` go on the
 * WebSocket upgrade request (a browser would send its cookies there).
 */
export function graphqlWsClient(url: string, connectionParams: Record<string, unknown>, headers?: Record<string, string>): Client {
  const webSocketImpl =
    headers === undefined
      ? WebSocket
      : class extends WebSocket {
          constructor(address: string, protocols?: string | string[]) {
            super(address, protocols, { headers });
          }
        };
  return createClient({ url, webSocketImpl, connectionParams, retryAttempts: 0, lazy: true });
}

/** Subscribes and records everything the server sends for this operation. */
export function recordSubscription(client: Client, query: string): SubscriptionLog {
  const log: SubscriptionLog = { results: [], error: undefined, completed: false, stop: () => undefined };
  log.stop = client.subscribe(
    { query },
    {
      next: (result) => void log.results.push(result as SubscriptionLog['results'][number]),
      error: (error) => {
        log.error = error;
      },
      complete: () => {
        log.completed = true;
      },
    },
  );
  return log;
}

/** The GraphQL error codes a subscription was told, from `next` payloads or a terminal error. */
export function errorCodes(log: SubscriptionLog): unknown[] {
  const fromResults = log.results.flatMap((result) => (result.errors ?? []).map((error) => error.extensions?.code));
  const fromError = Array.isArray(log.error) ? (log.error as Array<{ extensions?: Record<string, unknown> }>).map((error) => error.extensions?.code) : [];
  return [...fromResults, ...fromError];
}
