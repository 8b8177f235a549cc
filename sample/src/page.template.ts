/** The sample's single page, signed in or signed out. Small and plain on purpose. */
export interface PageModel {
  appName: string;
  otherAppUrl?: string;
  /** `session`: the fingerprint of the Keycloak session id (see session-fingerprint.ts). */
  user?: { name: string; username: string; session?: string; csrfToken: string };
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#1f2937;margin:0;padding:20px 12px;display:flex;justify-content:center}
main{background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:18px 22px;width:460px}
header{display:flex;justify-content:space-between;align-items:center;margin-bottom:12px}
h1{font-size:20px;margin:0}h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:#6b7280;margin:16px 0 6px}
.app{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.08em}
#status{display:inline-block;padding:3px 10px;border-radius:12px;font-size:13px;font-weight:600}
.in #status{background:#dcfce7;color:#166534}.out #status{background:#fee2e2;color:#991b1b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;font-size:14px;margin:0}dt{color:#6b7280}dd{margin:0;word-break:break-word}
.fp{font-family:ui-monospace,monospace;background:#eef2ff;color:#3730a3;padding:1px 6px;border-radius:4px}
.actions{display:flex;gap:8px;margin-top:14px;flex-wrap:wrap}
button,a.button{padding:7px 12px;border-radius:4px;border:1px solid #0066cc;background:#0066cc;color:#fff;font-size:14px;cursor:pointer;text-decoration:none}
.secondary{background:#fff !important;color:#0066cc !important}
pre{background:#f9fafb;border:1px solid #e5e7eb;border-radius:4px;padding:6px 8px;font-size:12px;white-space:pre-wrap;margin:10px 0 0}
pre:empty{display:none}#api-reason{font-size:13px;color:#991b1b;margin:4px 0 0}#api-reason:empty{display:none}
p.hint{font-size:13px;color:#6b7280;margin:10px 0 0}
#why{border:1px solid #fecaca;background:#fef2f2;border-radius:6px;padding:8px 12px;margin-top:12px}#why h2{margin-top:0;color:#991b1b}
#why[hidden]{display:none}
#timeline ol{list-style:none;margin:0;padding:0;font-size:12.5px;max-height:190px;overflow:auto}
#timeline li{display:grid;grid-template-columns:88px 58px 1fr;gap:6px;padding:3px 0;border-top:1px solid #f3f4f6}
#timeline time{font-family:ui-monospace,monospace;color:#6b7280}
.kind{font-weight:600;text-align:center;border-radius:3px;font-size:11px;padding:1px 0}
.kind-login{background:#dcfce7;color:#166534}.kind-logout{background:#fee2e2;color:#991b1b}.kind-refusal{background:#fef3c7;color:#92400e}
#timeline .empty{color:#9ca3af;display:block}`;

function otherApp(model: PageModel): string {
  return model.otherAppUrl ? `<a class="button secondary" id="other-app" href="${escape(model.otherAppUrl)}">Open the other app</a>` : '';
}

function signedOutBody(model: PageModel, withApiButton: boolean): string {
  const api = withApiButton ? `<button class="secondary" id="call-api" type="button">Call /api/me</button>` : '';
  return `<p>You are not signed in to ${escape(model.appName)}.</p>
<div class="actions"><a class="button" id="sign-in" href="/auth/login?returnTo=/">Sign in</a>${api}${otherApp(model)}</div>`;
}

function signedInBody(model: PageModel, user: NonNullable<PageModel['user']>): string {
  const session = user.session
    ? `<span class="fp" id="sid" data-fingerprint="${escape(user.session)}">${escape(user.session)}</span> <small>(fingerprint of its sid)</small>`
    : '<span id="sid">(no sid)</span>';
  return `<dl><dt>User</dt><dd id="user">${escape(user.name)} (${escape(user.username)})</dd><dt>Keycloak session</dt><dd>${session}</dd></dl>
<div class="actions">
  <form method="post" action="/auth/logout"><input type="hidden" name="csrf_token" value="${escape(user.csrfToken)}"><button id="sign-out" type="submit">Sign out</button></form>
  <button class="secondary" id="call-api" type="button">Call /api/me</button>${otherApp(model)}
</div>
<p class="hint">This page listens for logouts: sign out in another app and it changes by itself.</p>`;
}

export function renderPage(model: PageModel): string {
  const user = model.user;
  const body = user ? signedInBody(model, user) : signedOutBody(model, false);
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(model.appName)}</title><style>${STYLE}</style></head>
<body><main class="${user ? 'in' : 'out'}" id="page">
<header><div><div class="app">${escape(model.appName)}</div><h1>Single logout demo</h1></div><span id="status">${user ? 'Signed in' : 'Signed out'}</span></header>
<section id="content">${body}</section>
<pre id="api-result"></pre><p id="api-reason"></p>
<section id="why" hidden><h2>Why this page signed out</h2><dl>
<dt>Delivered by</dt><dd id="why-path"></dd><dt>Started by</dt><dd id="why-origin"></dd><dt>When</dt><dd id="why-when"></dd></dl></section>
<section id="timeline"><h2>${escape(model.appName)} timeline</h2><ol id="timeline-entries"></ol></section>
</main>
${script(signedOutBody(model, true), user !== undefined)}
</body></html>`;
}

/**
 * The page's behaviour. Signed in, it keeps a server-sent event stream open: timeline entries
 * arrive on it; at logout (any path, any instance) the library ends it with a `logout` event,
 * which the app precedes with `why` (path, origin, delay). A stream the server refuses (401)
 * means logged out too. The access token is fetched once, so "Call /api/me" can still show how
 * the API refuses it after the logout. Everything from the server is inserted as text.
 */
function script(signedOut: string, signedIn: boolean): string {
  return `<script>
const $ = (id) => document.getElementById(id);
const mySession = $('sid') ? $('sid').dataset.fingerprint : undefined;
const clock = (ms) => new Date(ms).toISOString().slice(11, 23) + ' UTC';
const origin = (by) => by === null ? 'unknown: the identity provider did not say' : by === 'identity provider' ? 'a logout at the identity provider' : by + "'s logout";
let entries = [];
let token = null;

function describe(entry) {
  if (entry.kind === 'login') return 'signed in' + (entry.session ? ', session ' + entry.session : '');
  if (entry.kind === 'refusal') return 'refused ' + entry.channel + ': ' + entry.reason + ' (' + entry.status + ')';
  const delay = entry.afterMs === null ? '' : ', +' + entry.afterMs + ' ms';
  return entry.pathLabel + ' from ' + origin(entry.initiatedBy) + delay + (entry.session ? ', session ' + entry.session : '');
}
function renderTimeline() {
  const list = $('timeline-entries');
  list.replaceChildren();
  if (entries.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'Nothing yet: sign in, sign out, call the API.';
    list.append(empty);
  }
  for (const entry of [...entries].reverse()) {
    const item = document.createElement('li');
    item.dataset.kind = entry.kind;
    const time = document.createElement('time');
    time.textContent = clock(entry.at).slice(0, 12);
    const kind = document.createElement('span');
    kind.className = 'kind kind-' + entry.kind;
    kind.textContent = entry.kind === 'refusal' ? 'refused' : entry.kind;
    const text = document.createElement('span');
    text.textContent = describe(entry);
    item.append(time, kind, text);
    list.append(item);
  }
}
async function refreshTimeline() {
  // The server may be gone (demo stopped): keep what the page has.
  const response = await fetch('/timeline').catch(() => undefined);
  if (!response || !response.ok) return;
  // Fetched lines, plus any pushed one the answer was too early to hold.
  const fetched = (await response.json()).entries;
  const last = fetched.length > 0 ? fetched[fetched.length - 1].seq : 0;
  entries = fetched.concat(entries.filter((e) => e.seq > last));
  renderTimeline();
}
function explain(why) {
  const panel = $('why');
  panel.hidden = false;
  panel.dataset.path = why.path;
  panel.dataset.initiatedBy = why.initiatedBy === null ? '' : why.initiatedBy;
  panel.dataset.afterMs = why.afterMs === null ? '' : String(why.afterMs);
  $('why-path').textContent = why.pathLabel + ' (' + why.path + ')';
  $('why-origin').textContent = origin(why.initiatedBy);
  $('why-when').textContent = why.afterMs === null ? 'at ' + clock(why.at) : why.afterMs + ' ms after that logout, at ' + clock(why.at);
}
async function callApi() {
  if (token === null) {
    const response = await fetch('/session/token');
    if (response.ok) token = (await response.json()).access_token;
  }
  const response = await fetch('/api/me', { headers: { authorization: 'Bearer ' + (token || '') } });
  $('api-result').textContent = response.status + ' ' + JSON.stringify(await response.json(), null, 1);
  await refreshTimeline();
  const refusal = response.ok ? undefined : entries.filter((e) => e.kind === 'refusal' && e.channel === 'bearer-guard').at(-1);
  $('api-reason').textContent = refusal ? 'reason code: ' + refusal.reason : '';
}
function wireApiButton() {
  const button = $('call-api');
  if (button) button.addEventListener('click', () => void callApi());
}
wireApiButton();
void refreshTimeline();
${signedIn ? signedInScript(signedOut) : `setInterval(() => void refreshTimeline(), 2000);`}
</script>`;
}

function signedInScript(signedOut: string): string {
  return `fetch('/session/token').then((r) => (r.ok ? r.json() : {})).then((t) => { token = t.access_token || null; });
const events = new EventSource('/events');
let why;
const showSignedOut = async (reason) => {
  events.close();
  const page = $('page');
  page.className = 'out';
  page.dataset.logout = reason;
  $('status').textContent = 'Signed out';
  $('content').innerHTML = ${JSON.stringify(signedOut)};
  wireApiButton();
  await refreshTimeline();
  // Told on the stream; or, if the stream was refused instead, the timeline's entry for this session.
  const explanation = why || entries.filter((e) => e.kind === 'logout' && e.session === mySession).at(-1);
  if (explanation) explain(explanation);
  setInterval(() => void refreshTimeline(), 2000);
};
events.addEventListener('timeline', (event) => {
  const entry = JSON.parse(event.data);
  if (!entries.some((e) => e.seq === entry.seq)) entries.push(entry);
  renderTimeline();
});
events.addEventListener('why', (event) => { why = JSON.parse(event.data); });
events.addEventListener('logout', (event) => void showSignedOut(JSON.parse(event.data).reason));
events.addEventListener('error', () => {
  if (events.readyState === EventSource.CLOSED) void showSignedOut('refused');
});`;
}
