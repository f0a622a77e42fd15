/** A small JSON-over-HTTP helper for the REST tests: status, parsed body, headers. */
export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function restClient(baseUrl: string) {
  const request = async <T = any>(
    method: string,
    path: string,
    options: { body?: unknown; rawBody?: string; token?: string; headers?: Record<string, string> } = {},
  ): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
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
    get: <T = any>(path: string, token?: string) => request<T>("GET", path, { token }),
    post: <T = any>(path: string, body?: unknown, token?: string) => request<T>("POST", path, { body, token }),
    put: <T = any>(path: string, body?: unknown, token?: string) => request<T>("PUT", path, { body, token }),
  };
}

export type RestClient = ReturnType<typeof restClient>;
