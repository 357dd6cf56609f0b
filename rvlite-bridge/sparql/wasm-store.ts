import { Store } from 'oxigraph';

/**
 * oxigraph's Store lives in WASM memory that the JS garbage collector does not
 * see; free() gives it back. The method exists at runtime (wasm-bindgen) but
 * is missing from oxigraph's .d.ts, hence this one typed door to it.
 */
export function freeStore(store: Store): void {
  (store as unknown as { free(): void }).free();
}

/** Runs `fn` on a new empty store and frees it afterwards. */
export function withScratchStore<T>(fn: (store: Store) => T): T {
  const store = new Store();
  try {
    return fn(store);
  } finally {
    freeStore(store);
  }
}
