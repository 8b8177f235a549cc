import { RequestInvalidError } from '../errors/request-invalid.error.js';

/** The request fields this library reads; both Express and Fastify requests have them. */
export interface IncomingRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

function declaredLength(request: IncomingRequest): number | undefined {
  const header = request.headers['content-length'];
  const value = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Reads one parameter of an `application/x-www-form-urlencoded` body that the platform's body
 * parser already decoded (Nest enables it on Express and Fastify). Extra parameters are
 * ignored (Back-Channel Logout §2.5); a repeated or nested parameter is refused.
 */
export function readFormParameter(request: IncomingRequest, name: string, maxBytes: number): string {
  if ((declaredLength(request) ?? 0) > maxBytes) {
    throw new RequestInvalidError(`request body exceeds ${maxBytes} bytes`);
  }
  const contentType = request.headers['content-type'];
  if (typeof contentType !== 'string' || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(contentType)) {
    throw new RequestInvalidError(`expected an application/x-www-form-urlencoded body with "${name}"`);
  }
  const body = request.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RequestInvalidError(`expected an application/x-www-form-urlencoded body with "${name}"`);
  }
  const value = (body as Record<string, unknown>)[name];
  if (value === undefined || value === '') throw new RequestInvalidError(`missing "${name}" parameter`);
  if (typeof value !== 'string') throw new RequestInvalidError(`"${name}" must be given exactly once, as a string`);
  if (Buffer.byteLength(value) > maxBytes) throw new RequestInvalidError(`"${name}" exceeds ${maxBytes} bytes`);
  return value;
}
