export { startServer, type RunningServer, type StartOptions } from "./server";
export { createApp } from "./app";
export { parseServerConfig } from "./config";
