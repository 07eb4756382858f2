import { writeFileSync } from 'node:fs';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// dist/.gitkeep is committed so that the Go packages embedding dist compile before the UI is built (see
// frontend/embed.go). The build empties dist: put the placeholder back, so that git sees no change.
const keepDistPlaceholder: Plugin = {
  name: 'keep-dist-placeholder',
  apply: 'build',
  writeBundle() {
    writeFileSync(new URL('./dist/.gitkeep', import.meta.url), '');
  },
};

const atriumUrl = process.env.ATRIUM_URL ? new URL(process.env.ATRIUM_URL) : undefined;
const atrium = atriumUrl && {
  target: atriumUrl.origin,
  changeOrigin: true, // atrium web accepts only its own Host
  headers: { Authorization: `Bearer ${atriumUrl.searchParams.get('token') ?? ''}` },
};

// The UI is served from the root of the local API (Wails asset server or `atrium web`), so assets live at
// absolute /assets/... paths. Routing is on the hash, so the server never needs to know the app's routes.
export default defineConfig({
  plugins: [react(), keepDistPlaceholder],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev` against a running `atrium web`: ATRIUM_URL='<the URL it printed, with ?token=>' npm run dev
    proxy: atrium ? { '/api': atrium, '/healthz': atrium } : undefined,
    // The unit tests read one fixture the Go tests share: internal/store/testdata/search-cases.json.
    fs: { allow: ['.', '../internal/store/testdata'] },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // The longest form tests type, wait for debounces and round trips through the fake portal: on a loaded 2-core
    // machine they took over vitest's 5 s default. A test that hangs still fails, after 15 s.
    testTimeout: 15_000,
  },
});
