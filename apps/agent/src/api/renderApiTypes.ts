import openapiTS, { astToString } from "openapi-typescript";

const banner = `// Generated from the server's /api/openapi.json by \`npm run generate:api -w @signalbeam/agent\`.
// Do not edit: a test fails when this file and the live document disagree.
`;

/** TypeScript types for an OpenAPI document, as committed in src/api/schema.ts. */
export async function renderApiTypes(document: object): Promise<string> {
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0]);
  return banner + astToString(ast);
}
