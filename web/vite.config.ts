// The playground's build: web/ → dist/web/ (index.html and content-hashed files under assets/),
// served by retouch at / (src/api/routes/playground.ts). Run by `npm run build:web`, so by `npm install`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  // Nothing to copy verbatim: every file the page uses is imported, so it gets a hashed name.
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // The page's CSP allows scripts from 'self' only: no inline polyfill, no inlined assets as data: URIs.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
  },
  // `npm run dev:web`: the page with live reload, the API from a retouch started with `npm start`.
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: Object.fromEntries(['/v1', '/files', '/docs', '/openapi.json'].map((p) => [p, 'http://127.0.0.1:8000'])),
  },
  logLevel: 'warn',
});
