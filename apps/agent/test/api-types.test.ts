import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderApiTypes } from "../src/api/renderApiTypes";
import { startTestServer, type TestServer } from "./support/server";

/** The agent's REST types are generated from the server's document: they must not drift apart. */
describe("generated agent API types", () => {
  let test: TestServer;
  beforeAll(async () => {
    test = await startTestServer();
  }, 60_000);
  afterAll(() => test?.server.close());

  it("match the live /api/openapi.json (run `npm run generate:api -w @signalbeam/agent` after changing the API)", async () => {
    const document = (await (await fetch(`${test.server.url}/api/openapi.json`)).json()) as object;
    const committed = readFileSync(fileURLToPath(new URL("../src/api/schema.ts", import.meta.url)), "utf8");
    expect(committed).toBe(await renderApiTypes(document));
  });
});
