import { Store } from 'oxigraph';
import { isStackOverflow } from '../stack-overflow.ts';
import { SparqlError, TRAP_MESSAGE } from './errors.ts';

/**
 * oxigraph's Store lives in WASM memory that the JS garbage collector does not
 * see; free() gives it back. The method exists at runtime (wasm-bindgen) but
 * is missing from oxigraph's .d.ts, hence this one typed door to it.
 */
export function freeStore(store: Store): void {
  (store as unknown as { free(): void }).free();
}

/**
 * Whether oxigraph's WebAssembly has trapped in this process. A trap (its
 * parser or evaluator recursing past its stack: a thousand chained patterns,
 * or a hundred OPTIONALs over data) leaves the one WebAssembly instance that
 * holds every store broken: every later call, even `new Store()`, fails with
 * "memory access out of bounds". The process must be replaced; the query
 * child asks for that in its answer (rvlite-bridge/query-child.ts).
 */
let trapped = false;

/** WebAssembly's trap error; this project's TypeScript libs type the WebAssembly namespace only, not its values. */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;

export function oxigraphTrapped(): boolean {
  return trapped;
}

/**
 * Notes `err` if it is a WebAssembly trap, or the JavaScript stack running out
 * inside oxigraph's code (which leaves its WebAssembly stack pointer where the
 * unwound call left it: broken the same way); true when it is either.
 */
function noteTrap(err: unknown): boolean {
  if (!(err instanceof RuntimeError) && !isStackOverflow(err)) return false;
  trapped = true;
  return true;
}

/** For a catch around a call into oxigraph: a trap becomes the one ELIMIT error that says what to do; anything else is left to the caller. */
export function rethrowTrap(err: unknown): void {
  if (noteTrap(err)) throw new SparqlError('ELIMIT', TRAP_MESSAGE);
}

/** Runs `fn` on a new empty store and frees it afterwards. */
export function withScratchStore<T>(fn: (store: Store) => T): T {
  let store: Store | undefined;
  try {
    store = new Store();
    return fn(store);
  } catch (err) {
    rethrowTrap(err);
    throw err;
  } finally {
    try {
      if (store) freeStore(store);
    } catch (err) {
      // after a trap, wasm-bindgen may refuse the free too ("... while it was borrowed"): the instance is gone anyway
      if (!noteTrap(err) && !trapped) throw err;
    }
  }
}
