import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import helmet from "helmet";

/**
 * Security headers for everything the server sends (helmet): a content security policy that
 * admits only our own scripts, no framing, no MIME sniffing, no referrer leaks.
 * Mantine sets inline styles, hence 'unsafe-inline' for styles only; plain-HTTP installs on a LAN
 * are common at the edge, so subresources are not force-upgraded to HTTPS.
 */
const helmetMiddleware = helmet({
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      "default-src": ["'self'"],
      "script-src": ["'self'"],
      "style-src": ["'self'", "'unsafe-inline'"],
      "img-src": ["'self'", "data:"],
      "font-src": ["'self'", "data:"],
      "connect-src": ["'self'"],
      "frame-ancestors": ["'none'"],
      "form-action": ["'self'"],
      "upgrade-insecure-requests": null,
    },
  },
  frameguard: { action: "deny" },
  referrerPolicy: { policy: "no-referrer" },
});

/**
 * The headers helmet sets, read once: none depends on the request (no nonces), so every answer —
 * Express's and the fast paths', which answer before Express — gets exactly this list, from one
 * place. Reading them by running helmet keeps its defaults and ours in one configuration.
 */
function readHeaders(): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: unknown) => void headers.set(name, String(value)),
    removeHeader: (name: string) => void headers.delete(name),
    getHeader: (name: string) => headers.get(name),
  };
  let done = false;
  helmetMiddleware({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, () => (done = true));
  if (!done) throw new Error("helmet did not finish synchronously; its headers cannot be precomputed");
  return [...headers];
}

const SECURITY_HEADERS = readHeaders();

/** Sets the security headers on a response that has not started. */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
}

/** The same headers for every Express answer. */
export const securityHeaders = (): RequestHandler => (_req, res, next) => {
  setSecurityHeaders(res);
  next();
};
