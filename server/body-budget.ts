/**
 * The bytes of request bodies held in memory at once, across every request
 * (/mcp, /messages and the inspector's API). Each request has its own size
 * limit too, but many requests under it at once could still take the process
 * past any memory it has; a request whose bytes do not fit is refused (503,
 * retry) rather than queued, so that no request waits on others' uploads.
 *
 * A small body (a ping, an initialize, a query) may also draw on a reserve of
 * its own: two clients that declared 64 MiB bodies and then sent a byte every
 * few seconds held the whole budget, and every other POST of every client
 * got 503 for five minutes. (server/read-json-body.ts also drops a body that
 * arrives too slowly for its size.)
 */
export const SMALL_BODY_BYTES = 256 * 1024;
const SMALL_RESERVE_BYTES = 16 * 1024 * 1024;

/** Which pool a body's bytes came from, to give them back to. */
export type BudgetPool = 'main' | 'reserve';

export class BodyBudget {
  #held = 0;
  #reserveHeld = 0;

  constructor(readonly limitBytes: number) {}

  /**
   * Takes `bytes` if they fit in what is left, from the reserve when the main
   * budget is full and the whole body (`bodyBytes`, when known) is small;
   * undefined when they fit nowhere.
   */
  take(bytes: number, bodyBytes?: number): BudgetPool | undefined {
    if (this.#held + bytes <= this.limitBytes) {
      this.#held += bytes;
      return 'main';
    }
    if (bodyBytes !== undefined && bodyBytes <= SMALL_BODY_BYTES && this.#reserveHeld + bytes <= SMALL_RESERVE_BYTES) {
      this.#reserveHeld += bytes;
      return 'reserve';
    }
    return undefined;
  }

  give(bytes: number, pool: BudgetPool): void {
    if (pool === 'main') this.#held -= bytes;
    else this.#reserveHeld -= bytes;
  }
}
