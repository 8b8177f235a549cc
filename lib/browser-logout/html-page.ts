/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A minimal HTML document; `body` must already be escaped. */
export function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

export interface LogoutConfirmation {
  action: string;
  csrfToken: string;
  returnTo: string;
  postLogoutRedirectUri?: string;
}

/** The page `GET {prefix}/logout` answers: a cross-site link can show it, only the user's click logs out. */
export function logoutConfirmationPage(form: LogoutConfirmation): string {
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return htmlPage(
    'Sign out',
    `<form id="logout" method="post" action="${escapeHtml(form.action)}">`
      + '<p>Do you want to sign out?</p>'
      + hidden('csrf_token', form.csrfToken)
      + hidden('returnTo', form.returnTo)
      + (form.postLogoutRedirectUri !== undefined ? hidden('post_logout_redirect_uri', form.postLogoutRedirectUri) : '')
      + '<button type="submit">Sign out</button></form>',
  );
}
