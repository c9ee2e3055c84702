import { defineConfig } from 'vite';

/** The console is served under `/console/` of the API's own origin (ADR 0019); built to `console/dist/`. */
export default defineConfig({
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  logLevel: 'warn',
});
