/** A small JSON-over-HTTP helper for the REST tests: status, parsed body, headers. */
export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A credential to send: a token, `null` for none (anonymous), `undefined` for the client's default. */
export type Credential = string | null | undefined;

/** `defaultToken` (usually the bootstrap admin key) is sent unless a call names its own credential. */
export function restClient(baseUrl: string, defaultToken?: string) {
  const request = async <T = any>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: Credential; headers?: Record<string, string> } = {},
  ): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? defaultToken : options.token;
    if (token && !headers.authorization) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && !headers["content-type"]) headers["content-type"] = "application/json";
    const response = await fetch(`${baseUrl}/api${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
  return {
    request,
    get: <T = any>(path: string, token?: Credential) => request<T>("GET", path, { token }),
    post: <T = any>(path: string, body?: unknown, token?: Credential) => request<T>("POST", path, { body, token }),
    put: <T = any>(path: string, body?: unknown, token?: Credential) => request<T>("PUT", path, { body, token }),
    delete: <T = any>(path: string, token?: Credential) => request<T>("DELETE", path, { token }),
  };
}

export type RestClient = ReturnType<typeof restClient>;
