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
    throw new RequestInvalidError(`request body exceeds ${maxBytes} bytes`, 'too_large');
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

interface ReadableRequest {
  readable?: boolean;
  on?: (event: string, listener: (chunk: never) => void) => unknown;
}

function readStream(stream: Required<ReadableRequest>, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        reject(new RequestInvalidError(`request body exceeds ${maxBytes} bytes`, 'too_large'));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
  });
}

/**
 * Reads a body that is one raw string, as Keycloak posts its admin actions (`text/plain`
 * compact JWS). Works whether the platform left the stream unread (Express without a text
 * parser), parsed it as text (Fastify), or parsed it as a form (`{ "<jws>": "" }`).
 */
export async function readTextBody(request: IncomingRequest & ReadableRequest, maxBytes: number): Promise<string> {
  if ((declaredLength(request) ?? 0) > maxBytes) throw new RequestInvalidError(`request body exceeds ${maxBytes} bytes`, 'too_large');
  const body = request.body;
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else if (Buffer.isBuffer(body)) {
    text = body.toString('utf8');
  } else if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const entries = Object.entries(body);
    const only = entries[0];
    if (entries.length !== 1 || only === undefined || only[1] !== '') throw new RequestInvalidError('expected the raw JWS as the request body');
    text = only[0];
  } else if (body === undefined && request.readable === true && typeof request.on === 'function') {
    text = await readStream(request as Required<ReadableRequest>, maxBytes);
  } else {
    text = '';
  }
  if (Buffer.byteLength(text) > maxBytes) throw new RequestInvalidError(`request body exceeds ${maxBytes} bytes`, 'too_large');
  text = text.trim();
  if (text === '') throw new RequestInvalidError('request body is empty; expected a compact JWS');
  return text;
}
