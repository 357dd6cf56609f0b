import { type Engine, loadEngine, type WasmLoader } from './engine.ts';
import { SCAN_KERNEL_BASE64 } from './scan-kernel-bytes.ts';

/**
 * The scan kernel (wasm/scan-kernel.wat) instantiated on the engine's memory:
 * one per process, like the engine. It is tiny and ships as bytes inside the
 * JavaScript, so Node, the CLI and the page load it the same way, with no
 * file to find and no second .wasm in the page bundle.
 */

export interface KernelExports {
  scan_range(metric: number, q: number, qnorm: number, rows: number, count: number, n4: number, out: number): void;
  scan_list(metric: number, q: number, qnorm: number, ptrs: number, count: number, n4: number, out: number): void;
  max_norm2(rows: number, count: number, n4: number): number;
  sum_bytes(ptr: number, bytes: number): number;
  not_above(d: number, count: number, limit: number, out: number): number;
}

/** The one WebAssembly call used here, typed locally: Node's type library has no WebAssembly values without the DOM lib. */
interface WasmApi {
  instantiate(bytes: Uint8Array, imports: Record<string, Record<string, unknown>>): Promise<{ instance: { exports: unknown } }>;
}

export interface Kernel {
  engine: Engine;
  exports: KernelExports;
}

let loading: Promise<Kernel> | undefined;

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The engine and the kernel bound to its memory, loaded on first use (the loader as for loadEngine). */
export function loadKernel(loader?: WasmLoader): Promise<Kernel> {
  loading ??= (async () => {
    const engine = await loadEngine(loader);
    const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const { instance } = await api.instantiate(decodeBase64(SCAN_KERNEL_BASE64), { env: { memory: engine.wasm.memory } });
    return { engine, exports: instance.exports as KernelExports };
  })().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
