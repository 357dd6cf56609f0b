import type { WasmInput } from '../../../wasm/engine.ts';
import { loadKernel } from '../../../wasm/kernel.ts';
import { readWasmBytes } from './shims/load-wasm.ts';

/**
 * The browser entry: the .rvf store over bytes (store/bytes-store.ts) and the
 * engine loader. The same code runs in Node; only the way to the .wasm differs
 * (fetched here, read from node_modules there).
 */

export { RvfBytes, type BytesOpenOptions, type BytesQueryResult, type BytesStatus } from '../../../store/bytes-store.ts';
export { RvfError, isRvfError, type RvfErrorCode } from '../../../store/errors.ts';
export type { Entry, Id, IdInput, Metadata, Metric, SegmentInfo } from '../../../store/types.ts';

/**
 * Loads the engine (and the scan kernel on its memory) once for the page. With no argument it fetches the .wasm
 * that the build copies next to this bundle; a URL fetches that instead, and
 * bytes or a compiled WebAssembly.Module are used as they are. RvfBytes.open
 * loads it the default way when nobody did first.
 */
export async function loadEngine(wasm?: string | URL | WasmInput): Promise<void> {
  await loadKernel(() => (wasm === undefined || typeof wasm === 'string' || wasm instanceof URL ? readWasmBytes(wasm) : wasm));
}
