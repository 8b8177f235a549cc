/**
 * A minimal browser stand-in for end-to-end tests: a cookie jar per origin (path-aware, as
 * oidc-provider scopes its interaction cookies to the interaction's path) and manual redirects,
 * so a test can watch every hop of an OpenID Connect flow.
 */

export interface HttpRequestInit {
  method?: string;
  /** Sent as application/x-www-form-urlencoded (the method defaults to POST then). */
  form?: Record<string, string>;
  /** A raw body; set the content-type in `headers`. Ignored when `form` is given. */
  body?: string;
  headers?: Record<string, string>;
  /** Follow redirects like a browser (default false: return the 3xx response). */
  follow?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The URL that produced this response (the last hop when following redirects). */
  url: string;
  /** The Location header resolved against `url`, when there is one. */
  location?: string;
}

export interface HttpAgent {
  request(url: string, init?: HttpRequestInit): Promise<HttpResponse>;
  /** The live cookies the jar would consider for `origin`, by name (the longest path wins). */
  cookies(origin: string): Map<string, string>;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch ms; undefined for a session cookie. */
  expires?: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

export function createHttpAgent(): HttpAgent {
  // origin -> "name\0path" -> cookie; one entry per name and path, as browsers keep them.
  const jar = new Map<string, Map<string, StoredCookie>>();

  function live(origin: string): StoredCookie[] {
    const cookies = jar.get(origin);
    if (!cookies) return [];
    const now = Date.now();
    for (const [key, cookie] of cookies) {
      if (cookie.expires !== undefined && cookie.expires <= now) cookies.delete(key);
    }
    return [...cookies.values()];
  }

  function cookieHeader(url: URL): string | undefined {
    const matching = live(url.origin)
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      // RFC 6265 §5.4: longer paths first.
      .sort((a, b) => b.path.length - a.path.length);
    if (matching.length === 0) return undefined;
    return matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  function store(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const cookie = parseSetCookie(line, url);
      if (!cookie) continue;
      let cookies = jar.get(url.origin);
      if (!cookies) {
        cookies = new Map();
        jar.set(url.origin, cookies);
      }
      const key = `${cookie.name}\0${cookie.path}`;
      // An expiry in the past is how servers delete a cookie.
      if (cookie.expires !== undefined && cookie.expires <= Date.now()) cookies.delete(key);
      else cookies.set(key, cookie);
    }
  }

  async function once(url: URL, init: HttpRequestInit): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...init.headers };
    let body: string | undefined = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const cookie = cookieHeader(url);
    if (cookie) headers.cookie = cookie;

    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    });
    store(url, response.headers);
    const location = response.headers.get('location');
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      url: url.href,
      ...(location ? { location: new URL(location, url).href } : {}),
    };
  }

  return {
    async request(url, init = {}) {
      let target = new URL(url);
      let response = await once(target, init);
      let current = init;
      for (let hops = 0; init.follow && response.location && REDIRECT_STATUSES.has(response.status); hops += 1) {
        if (hops >= MAX_REDIRECTS) throw new Error(`too many redirects, last at ${response.url}`);
        // 307/308 repeat the request; the others turn into a GET without a body (as browsers do).
        if (response.status !== 307 && response.status !== 308) {
          current = { headers: init.headers ?? {} };
        }
        target = new URL(response.location);
        response = await once(target, current);
      }
      return response;
    },
    cookies(origin) {
      const byName = new Map<string, string>();
      const ordered = live(new URL(origin).origin).sort((a, b) => a.path.length - b.path.length);
      for (const cookie of ordered) byName.set(cookie.name, cookie.value);
      return byName;
    },
  };
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/** RFC 6265 §5.1.4 default-path: the request path up to (not including) its last slash. */
function defaultPath(url: URL): string {
  const { pathname } = url;
  const last = pathname.lastIndexOf('/');
  return last <= 0 ? '/' : pathname.slice(0, last);
}

function parseSetCookie(line: string, url: URL): StoredCookie | undefined {
  const [pair = '', ...attributes] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const cookie: StoredCookie = {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    path: defaultPath(url),
  };
  let maxAge: number | undefined;
  for (const attribute of attributes) {
    const [rawName = '', ...rest] = attribute.split('=');
    const name = rawName.trim().toLowerCase();
    const value = rest.join('=').trim();
    if (name === 'path' && value.startsWith('/')) cookie.path = value;
    else if (name === 'expires') {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) cookie.expires = time;
    } else if (name === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value);
  }
  // Max-Age wins over Expires (RFC 6265 §5.3 step 3).
  if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
  return cookie;
}
