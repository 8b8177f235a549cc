/** The current time as a JWT NumericDate: whole seconds since the epoch (RFC 7519 §2). */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
