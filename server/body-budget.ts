/**
 * The bytes of request bodies held in memory at once, across every request
 * (/mcp, /messages and the inspector's API). Each request has its own size
 * limit too, but many requests under it at once could still take the process
 * past any memory it has; a request whose bytes do not fit is refused (503,
 * retry) rather than queued, so that no request waits on others' uploads.
 */
export class BodyBudget {
  #held = 0;

  constructor(readonly limitBytes: number) {}

  /** Takes `bytes` if they fit in what is left; false when they do not. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.limitBytes) return false;
    this.#held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#held -= bytes;
  }
}
