export { startServer, type RunningServer, type StartOptions } from "./server";
export { API_VERSION, createApp } from "./app";
export { parseServerConfig } from "./config";
