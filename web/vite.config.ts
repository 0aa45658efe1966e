import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv } from 'vite';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig(({ mode }) => {
  // `npm run dev:web` talks to a gateway started beside it (`npm start`); both can be moved by environment.
  const env = loadEnv(mode, root, 'RAMPART_');
  const gatewayUrl = env.RAMPART_DEV_GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const publicUrl = env.RAMPART_PUBLIC_URL ?? gatewayUrl;
  return {
    root,
    plugins: [react()],
    build: {
      outDir: '../dist/web',
      emptyOutDir: true,
      // The gateway's CSP allows scripts from our origin only: no inline modulepreload polyfill, no eval.
      modulePreload: { polyfill: false },
      // Every asset is a file of our own origin, never an inlined data: URL.
      assetsInlineLimit: 0,
      sourcemap: false,
    },
    server: {
      port: 5173,
      strictPort: true,
      proxy: {
        // The gateway refuses state-changing requests whose Origin is not its public URL (CSRF):
        // in development only, the dev server presents that origin for the page it serves.
        '/api': { target: gatewayUrl, headers: { origin: publicUrl } },
      },
    },
  };
});
