/**
 * Vite's build of the example page: React, relative asset paths (so dist/
 * can be served from any folder), output in this folder's dist/.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true },
});
