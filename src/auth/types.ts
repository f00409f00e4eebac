// What the credential code needs to know of a provider, kept below both: where a static key
// goes, and the shape of an authorizer that signs (SigV4) or mints tokens (OAuth2).

/** Where and how an injected credential goes (seed 001's authHeaderOverride replaces it). */
export interface AuthPlacement {
  headerName: string;
  prefix: string;
  /** Extra fixed headers a provider needs beside the key (anthropic-version…). */
  extraHeaders?: Record<string, string>;
}

/** Signs or authorises the final upstream request (SigV4, OAuth2); async by nature. */
export interface RequestAuthorizer {
  authorize(req: {
    method: string;
    authority: string;
    path: string;
    headers: Record<string, string>;
    body: Buffer | undefined;
  }): Promise<Record<string, string>>;
}
