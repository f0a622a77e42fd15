import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// `npm run dev -w @signalbeam/web` proxies the API to a server on 5002 (`npm start`).
const api = process.env.SIGNALBEAM_API_URL ?? "http://localhost:5002";

export default defineConfig({
  plugins: [react()],
  server: { proxy: { "/api": api, "/trpc": api } },
  // One chunk is fine for now: the dashboard is served from the same origin, gzipped ~190 kB.
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
});
