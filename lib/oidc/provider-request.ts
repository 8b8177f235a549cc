import { ClientAuthenticationError } from '../errors/client-authentication.error.js';
import type { KeycloakLogoutError } from '../errors/keycloak-logout.error.js';
import type { ProviderAnswer } from '../errors/provider-answer.js';
import { ProviderRejectedError } from '../errors/provider-rejected.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { TokenRejectedError } from '../errors/token-rejected.error.js';
import type { ProviderFetch } from '../telemetry/provider-request-telemetry.js';
import { isPlainObject } from '../utils/is-plain-object.js';
import { printable } from '../utils/printable.js';

/** Largest OP answer read; a token response is a few kilobytes. */
const MAX_RESPONSE_BYTES = 1_048_576;

export interface ProviderPost {
  /** Short endpoint name for messages: `token`, `logout`, `revocation`. */
  endpoint: string;
  url: string;
  form: Record<string, string>;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** What a 400 `invalid_grant` refuses, for the error message ("authorization code"). */
  grant: string;
  /** How to send it; the module passes a measured fetch (KeycloakLogoutTelemetry). Default: global fetch. */
  fetch?: ProviderFetch;
}

export interface ProviderResponse {
  status: number;
  /** The parsed JSON body, when the OP sent one. */
  json: Record<string, unknown> | undefined;
}

/** The OP's error text, bounded and stripped of control characters before it reaches a message or log. */
function cleanText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? printable(value) : undefined;
}

/**
 * POSTs a form to an OP endpoint and returns a 2xx answer; any other answer becomes a typed
 * error: 5xx, timeouts and network failures ProviderUnavailableError, refused client
 * credentials ClientAuthenticationError, `invalid_grant` TokenRejectedError, anything else
 * ProviderRejectedError. Request and response bodies (tokens) are never put in a message.
 */
export async function postToProvider(request: ProviderPost): Promise<ProviderResponse> {
  let response: Response;
  try {
    response = await (request.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...request.headers },
      body: new URLSearchParams(request.form).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (cause) {
    throw new ProviderUnavailableError(`the OP's ${request.endpoint} endpoint could not be reached`, { cause });
  }
  const text = await readBounded(response, request.endpoint);
  let json: Record<string, unknown> | undefined;
  if (text.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isPlainObject(parsed)) json = parsed;
    } catch {
      json = undefined;
    }
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, json };
  throw providerError(
    {
      endpoint: request.endpoint,
      status: response.status,
      ...(cleanText(json?.error) !== undefined ? { error: cleanText(json?.error) } : {}),
      ...(cleanText(json?.error_description) !== undefined ? { description: cleanText(json?.error_description) } : {}),
    },
    request.grant,
  );
}

/** Maps a refusal of the OP to the library's error types (docs/keycloak-protocol.md §4.2-4.3). */
export function providerError(answer: ProviderAnswer, grant: string): KeycloakLogoutError {
  if (answer.status >= 500) {
    return new ProviderUnavailableError(`the OP's ${answer.endpoint} endpoint answered ${answer.status}${answer.error ? ` ${answer.error}` : ''}`);
  }
  if (answer.status === 401 || answer.error === 'unauthorized_client' || answer.error === 'invalid_client') {
    return new ClientAuthenticationError(answer);
  }
  if (answer.error === 'invalid_grant' || answer.error === 'invalid_token') return new TokenRejectedError(grant, answer);
  return new ProviderRejectedError(answer);
}

async function readBounded(response: Response, endpoint: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new ProviderUnavailableError(`the OP's ${endpoint} endpoint answered more than ${MAX_RESPONSE_BYTES} bytes`);
  }
  try {
    const text = await response.text();
    if (text.length > MAX_RESPONSE_BYTES) throw new Error('too large');
    return text;
  } catch (cause) {
    throw new ProviderUnavailableError(`the OP's ${endpoint} endpoint answer could not be read`, { cause });
  }
}
