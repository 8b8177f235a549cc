/** What an OP endpoint answered when it refused a request (RFC 6749 §5.2 body). */
export interface ProviderAnswer {
  /** The endpoint that answered, e.g. `token`, `logout`, `revocation`. */
  endpoint: string;
  /** HTTP status the OP answered with. */
  status: number;
  /** The OP's `error` code, when its body had one. */
  error?: string;
  /** The OP's `error_description`, when its body had one. */
  description?: string;
}

/** "the logout endpoint answered 401 unauthorized_client: Invalid client credentials" */
export function describeAnswer(answer: ProviderAnswer): string {
  const code = answer.error !== undefined ? ` ${answer.error}` : '';
  const text = answer.description !== undefined ? `: ${answer.description}` : '';
  return `the ${answer.endpoint} endpoint answered ${answer.status}${code}${text}`;
}
