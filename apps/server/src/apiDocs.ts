import { createRequire } from "node:module";
import path from "node:path";
import express, { type Router } from "express";

const require = createRequire(import.meta.url);

/** An interactive API reference (Swagger UI, served locally: no CDN needed) for /api/openapi.json. */
export function apiDocsRouter(openApiUrl: string): Router {
  const assets = path.dirname(require.resolve("swagger-ui-dist/package.json"));
  const router = express.Router();
  router.get("/", (req, res) => {
    // Relative asset URLs need the trailing slash.
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) return res.redirect(301, `${req.baseUrl}/`);
    res.type("html").send(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>SignalBeam Edge API reference</title>
  <link rel="stylesheet" href="assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="assets/swagger-ui-bundle.js"></script>
  <script src="init.js"></script>
</body>
</html>`);
  });
  router.get("/init.js", (_req, res) => {
    res
      .type("js")
      .send(`window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openApiUrl)}, dom_id: "#swagger-ui", deepLinking: true });`);
  });
  router.use("/assets", express.static(assets, { index: false, maxAge: "1d" }));
  return router;
}
