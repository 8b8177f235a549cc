/** The cookie-jar HTTP client that drives browser-like flows (see sample/idp/http-client.ts). */
export * from '../../sample/idp/http-client.js';
