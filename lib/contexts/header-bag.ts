/** Request headers as Node, Express and Fastify give them (lower-case names). */
export type HeaderBag = Record<string, string | string[] | undefined>;

/**
 * One header's value from a plain header object, a `Map`-like (`get(name)`, such as NATS
 * headers) or a case-sensitive record of a transport's metadata. Only single string values
 * count: a repeated header is ambiguous and is not read.
 */
export function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const lower = name.toLowerCase();
  const getter = (headers as { get?: unknown }).get;
  if (typeof getter === 'function') {
    for (const key of [name, lower, `${lower.charAt(0).toUpperCase()}${lower.slice(1)}`]) {
      const value: unknown = (getter as (key: string) => unknown).call(headers, key);
      if (typeof value === 'string' && value !== '') return value;
    }
    return undefined;
  }
  const record = headers as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() === lower && typeof value === 'string') return value;
  }
  return undefined;
}
