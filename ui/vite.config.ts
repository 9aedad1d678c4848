/// <reference types="vitest/config" />
import { fileURLToPath, URL } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Served by the API at /ui/ (hashed assets are immutable there); `npm run dev`
// proxies the API routes to a local `sluice dev` (WF_API_URL to change it).
const api = process.env.WF_API_URL ?? "http://127.0.0.1:8000";
const apiPrefixes = ["/workflow-definitions", "/workflow-runs", "/workflow", "/auth", "/human-tasks", "/dead-letters", "/tickets"];

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  resolve: {
    alias: {
      "@": fileURLToPath(new URL("./src", import.meta.url)),
      // Only @rjsf/core's test registry imports it; ajv's eval breaks under the CSP.
      "@rjsf/validator-ajv8": fileURLToPath(new URL("./src/lib/noAjv.ts", import.meta.url)),
    },
  },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: Object.fromEntries(apiPrefixes.map((p) => [p, api])) },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
  },
});
