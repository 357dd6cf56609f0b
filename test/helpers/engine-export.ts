import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import init from '@ruvector/rvf-wasm';

/**
 * The bytes the raw @ruvector/rvf-wasm engine's own rvf_store_export gives for
 * a store of `ids` and their vectors (`flat`, row after row), made straight on
 * a fresh engine instance: the source format `importEngineExport` and
 * `rvf migrate` read. `metricCode` is the engine's (0 l2, 1 cosine, 2 dot).
 */
export async function engineExportOf(dimensions: number, metricCode: number, flat: Float32Array, ids: BigUint64Array): Promise<Buffer> {
  const require = createRequire(import.meta.url);
  const wasm = await init(readFileSync(require.resolve('@ruvector/rvf-wasm/wasm')));
  const count = ids.length;
  const handle = wasm.rvf_store_create(dimensions, metricCode);
  const vp = wasm.rvf_alloc(flat.byteLength) >>> 0;
  const ip = wasm.rvf_alloc(count * 8) >>> 0;
  new Float32Array(wasm.memory.buffer, vp, flat.length).set(flat);
  new BigUint64Array(wasm.memory.buffer, ip, count).set(ids);
  assert.equal(wasm.rvf_store_ingest(handle, vp, ip, count), count);
  wasm.rvf_free(vp, flat.byteLength);
  wasm.rvf_free(ip, count * 8);
  const need = -wasm.rvf_store_export(handle, 0, 0);
  const out = wasm.rvf_alloc(need) >>> 0;
  const written = wasm.rvf_store_export(handle, out, need);
  const bytes = Buffer.from(new Uint8Array(wasm.memory.buffer, out, written));
  wasm.rvf_free(out, need);
  wasm.rvf_store_close(handle);
  return bytes;
}
