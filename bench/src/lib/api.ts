/** Operator calls the benchmark makes (with the admin key), timed where a figure needs it. */
export function operatorApi(url: string, token: string) {
  const call = async <T = any>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; ms: number }> => {
    const started = performance.now();
    const response = await fetch(`${url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const ms = performance.now() - started;
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, ms };
  };
  const expectStatus = async <T = any>(expected: number, method: string, path: string, body?: unknown) => {
    const result = await call<T>(method, path, body);
    if (result.status !== expected)
      throw new Error(
        `${method} ${path}: expected ${expected}, got ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`,
      );
    return result;
  };
  return { url, call, expectStatus };
}
