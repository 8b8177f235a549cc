/** The sample's single page, signed in or signed out. Small and plain on purpose. */
export interface PageModel {
  appName: string;
  otherAppUrl?: string;
  user?: { name: string; username: string; sid?: string; csrfToken: string };
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f3f4f6;color:#1f2937;margin:0;padding:40px 16px;display:flex;justify-content:center}
main{background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:24px 28px;width:420px}
header{display:flex;justify-content:space-between;align-items:center;margin-bottom:16px}
h1{font-size:20px;margin:0}.app{font-size:12px;color:#6b7280;text-transform:uppercase;letter-spacing:.08em}
#status{display:inline-block;padding:3px 10px;border-radius:12px;font-size:13px;font-weight:600}
.in #status{background:#dcfce7;color:#166534}.out #status{background:#fee2e2;color:#991b1b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;font-size:14px}dt{color:#6b7280}dd{margin:0;word-break:break-all}
.actions{display:flex;gap:8px;margin-top:18px;flex-wrap:wrap}
button,a.button{padding:8px 14px;border-radius:4px;border:1px solid #0066cc;background:#0066cc;color:#fff;font-size:14px;cursor:pointer;text-decoration:none}
.secondary{background:#fff !important;color:#0066cc !important}
pre{background:#f9fafb;border:1px solid #e5e7eb;border-radius:4px;padding:8px;font-size:12px;min-height:1em;white-space:pre-wrap}
p.hint{font-size:13px;color:#6b7280}pre:empty{display:none}`;

function signedOutBody(model: PageModel): string {
  return `<p>You are not signed in to ${escape(model.appName)}.</p>
<div class="actions"><a class="button" id="sign-in" href="/auth/login?returnTo=/">Sign in</a>${otherApp(model)}</div>`;
}

function otherApp(model: PageModel): string {
  return model.otherAppUrl ? `<a class="button secondary" id="other-app" href="${escape(model.otherAppUrl)}">Open the other app</a>` : '';
}

export function renderPage(model: PageModel): string {
  const user = model.user;
  const body = user
    ? `<dl><dt>User</dt><dd id="user">${escape(user.name)} (${escape(user.username)})</dd><dt>Keycloak session</dt><dd id="sid">${escape(user.sid ?? '(no sid)')}</dd></dl>
<div class="actions">
  <form method="post" action="/auth/logout"><input type="hidden" name="csrf_token" value="${escape(user.csrfToken)}"><button id="sign-out" type="submit">Sign out</button></form>
  <button class="secondary" id="call-api" type="button">Call /api/me</button>${otherApp(model)}
</div>
<pre id="api-result"></pre>
<p class="hint">This page listens for logouts: sign out in another app and it changes by itself.</p>`
    : signedOutBody(model);
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(model.appName)}</title><style>${STYLE}</style></head>
<body><main class="${user ? 'in' : 'out'}" id="page">
<header><div><div class="app">${escape(model.appName)}</div><h1>Single logout demo</h1></div><span id="status">${user ? 'Signed in' : 'Signed out'}</span></header>
<section id="content">${body}</section></main>
${user ? script(signedOutBody(model)) : ''}
</body></html>`;
}

/**
 * Live updates: the page keeps a server-sent event stream open; the library ends it with a
 * `logout` event when this session is logged out anywhere (its reason is kept on the page, for
 * the browser test). A stream the server refuses (401) means the same.
 */
function script(signedOut: string): string {
  return `<script>
const events = new EventSource('/events');
const showSignedOut = (reason) => {
  events.close();
  const page = document.getElementById('page');
  page.className = 'out';
  page.dataset.logout = reason;
  document.getElementById('status').textContent = 'Signed out';
  document.getElementById('content').innerHTML = ${JSON.stringify(signedOut)};
};
events.addEventListener('logout', (event) => showSignedOut(JSON.parse(event.data).reason));
events.addEventListener('error', () => {
  if (events.readyState === EventSource.CLOSED) showSignedOut('refused');
});
document.getElementById('call-api').addEventListener('click', async () => {
  const out = document.getElementById('api-result');
  const token = await fetch('/session/token').then((r) => (r.ok ? r.json() : {}));
  const response = await fetch('/api/me', { headers: { authorization: 'Bearer ' + (token.access_token || '') } });
  out.textContent = response.status + ' ' + JSON.stringify(await response.json(), null, 1);
});
</script>`;
}
