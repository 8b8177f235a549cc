/** What a browser-flow route answers; the controller writes it through the HTTP adapter. */
export type BrowserAnswer =
  | { kind: 'redirect'; url: string; status: 302 | 303 }
  | {
      kind: 'page';
      status: number;
      html: string;
      /** CSP `frame-ancestors` sources: `'none'` for pages that must not be framed, the OP's origin for front-channel. */
      frameAncestors: string;
    };
