import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The built app is embedded into the berth binary (crates/berth/build.rs); in development,
// `npm run dev` proxies the API to a berth running on :8080.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
      "/health": "http://127.0.0.1:8080",
    },
  },
});
