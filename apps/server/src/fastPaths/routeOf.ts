import { openApiPathOf } from "@signalbeam/api";

/**
 * A REST path with one `{parameter}`, taken from a procedure's meta, as a matcher for request
 * URLs. The fast paths use it so their routes can never drift from the OpenAPI document. A URL
 * with a query string, an empty or multi-segment parameter, or bad %-encoding does not match:
 * Express and the REST bridge answer those.
 */
export interface Route {
  match(url: string | undefined): string | undefined;
}

export function routeOf(procedurePath: string, apiBase: string): Route {
  const template = openApiPathOf(procedurePath);
  const parts = template && (apiBase + template).split(/\{[^}]+\}/);
  if (!parts || parts.length !== 2) throw new Error(`${procedurePath} has no REST path with exactly one parameter`);
  const [before, after] = parts as [string, string];
  return {
    match(url = "") {
      if (!url.startsWith(before) || !url.endsWith(after)) return undefined;
      const encoded = url.slice(before.length, url.length - after.length);
      if (encoded.length === 0 || encoded.includes("/") || encoded.includes("?")) return undefined;
      try {
        return decodeURIComponent(encoded);
      } catch {
        return undefined;
      }
    },
  };
}
