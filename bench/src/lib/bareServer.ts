// A bare node:http server answering every request with the same bytes and headers: the ceiling
// an HTTP endpoint on this machine can reach, measured in the same run as the real one.
// Runs as its own process: `node bareServer.ts <port> <status> <headers-json> <body-file>`.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, status, headersJson, bodyFile] = process.argv.slice(2);
const body = bodyFile ? readFileSync(bodyFile) : Buffer.alloc(0);
const headers = JSON.parse(headersJson ?? "{}") as Record<string, string>;
const server = createServer((request, response) => {
  request.resume();
  response.writeHead(Number(status), headers);
  response.end(Number(status) === 304 ? undefined : body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(port), "127.0.0.1", () => process.send?.("listening"));
