import helmet from "helmet";

/**
 * Security headers for everything the server sends (helmet): a content security policy that
 * admits only our own scripts, no framing, no MIME sniffing, no referrer leaks.
 * Mantine sets inline styles, hence 'unsafe-inline' for styles only; plain-HTTP installs on a LAN
 * are common at the edge, so subresources are not force-upgraded to HTTPS.
 */
export const securityHeaders = () =>
  helmet({
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
