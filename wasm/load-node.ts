import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Node's way to the engine: read the .wasm that @ruvector/rvf-wasm ships.
 * Passing bytes avoids the module's own path lookup, which breaks wherever a
 * global __dirname exists (tsx, bundlers). Browsers fetch the file instead
 * (server/inspector/page/rvf-browser.ts), which is why this is kept apart
 * from engine.ts.
 */
export function readWasmBytes(): Buffer {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('@ruvector/rvf-wasm/wasm'));
}
