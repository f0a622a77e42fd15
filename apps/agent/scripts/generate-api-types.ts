// Regenerates src/api/schema.ts from the server's OpenAPI document (the contract agents use).
//   npm run generate:api -w @signalbeam/agent
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument } from "@signalbeam/api";
import { API_VERSION } from "@signalbeam/server";
import { renderApiTypes } from "../src/api/renderApiTypes";

const target = fileURLToPath(new URL("../src/api/schema.ts", import.meta.url));
writeFileSync(target, await renderApiTypes(buildOpenApiDocument({ baseUrl: "/api", version: API_VERSION })));
process.stdout.write(`wrote ${target}\n`);
