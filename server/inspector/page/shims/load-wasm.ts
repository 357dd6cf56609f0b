/**
 * Stands in for wasm/load-node.ts in the browser bundle: engine.ts's default
 * loader fetches the .wasm that build.ts copies next to the bundle, instead of
 * reading it from node_modules.
 */
export const WASM_FILE = 'rvf_wasm_bg.wasm';

export async function readWasmBytes(url: string | URL = new URL(`./${WASM_FILE}`, import.meta.url)): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not fetch the rvf engine from ${String(url)} (HTTP ${response.status}).`);
  return response.arrayBuffer();
}
