/**
 * Replaces the node:fs/promises, node:url and node:path imports that the
 * @ruvector/rvf-wasm glue makes only when it is given no bytes in Node. We
 * always pass the bytes or a compiled module, so this is never loaded; if it
 * is, it says why instead of shipping Node modules to the browser.
 */
throw new Error('rvf-wasm tried to find its .wasm by itself; pass loadEngine the .wasm URL or bytes.');
