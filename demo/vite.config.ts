/**
 * Vite configuration of the demo page (`npm run demo`, `npm run build:demo`, and the browser
 * test, which loads this file in-process). `gloss-ml` and `gloss-ml/plot` resolve to the
 * TypeScript sources, so the page exercises exactly the code in src/ through the package entries.
 * The base is relative: the built page works from any subpath of a static server.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    // Exact matches, so `gloss-ml/plot` is not read as `gloss-ml` + `/plot`.
    alias: [
      { find: /^gloss-ml$/, replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
      {
        find: /^gloss-ml\/plot$/,
        replacement: fileURLToPath(new URL('../src/plot/index.ts', import.meta.url)),
      },
    ],
  },
  // Listed up front so the dev server bundles them before the first page load instead of
  // discovering them during it and reloading the page.
  optimizeDeps: { include: ['d3-scale', 'd3-shape'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // gloss names losses by their class names (ALL_LOSSES, Loss.name, error messages), and the
    // minifier would rename the classes: keep the names.
    rolldownOptions: { output: { keepNames: true } },
  },
});
