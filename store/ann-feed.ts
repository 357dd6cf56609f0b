import type { Step } from './ann-protocol.ts';

/**
 * What goes to the index worker, and when (store/ann-index.ts owns the
 * order and the numbering; this owns the sending).
 *
 * Changed rows wait here as ids and are read when the worker has room for
 * them, into memory it gave back: copying each batch into new memory when it
 * was committed cost the commit about 2 ms of its 16 (page faults, beside a
 * build that fills the caches), and a worker that fell behind held a copy of
 * every batch it had not added yet (1.5 GB by the end of a 1M ingest). Rows
 * are read only between commits (`settled`), so what is sent before a commit
 * point is never newer than a durable commit. Every other step goes as soon
 * as the steps before it have gone.
 */

/** A step as queued: changed rows travel as ids until they are sent. */
export type Outgoing = Step | { seq: number; kind: 'rows'; ids: BigUint64Array };

export interface FeedSource {
  /** The rows of those ids that are live, in order (into the start of `into` when it has room). */
  readRows(ids: BigUint64Array, into?: Float32Array): { ids: BigUint64Array; vectors: Float32Array };
  /** False while an ingest's rows are in memory but not yet durable. */
  settled(): boolean;
}

/**
 * Row bytes sent to the worker and not yet applied, at most: enough that it
 * always has rows to add while the main thread is busy.
 */
const MAX_BYTES_IN_FLIGHT = 8 * 1024 * 1024;
/** Buffers the worker gave back, kept for the next rows sent, at most this many bytes of them. */
const SPARE_BYTES = 8 * 1024 * 1024;

export class WorkerFeed {
  readonly #outbox: Outgoing[] = [];
  /** Steps with rows sent and not yet applied, in order, and their bytes. */
  readonly #inFlight: { seq: number; bytes: number }[] = [];
  #bytesInFlight = 0;
  readonly #spare: ArrayBuffer[] = [];
  readonly #rowBytes: number;

  constructor(
    dimensions: number,
    private readonly source: FeedSource,
    private readonly send: (step: Step, transfer: ArrayBuffer[]) => void,
  ) {
    this.#rowBytes = dimensions * 4;
  }

  queue(step: Outgoing): void {
    this.#outbox.push(step);
    this.pump();
  }

  /**
   * Sends what may go now, in order. At close (`closingBudget`, in rows) it
   * sends what the worker could still add before it stops, and no more.
   */
  pump(closingBudget?: number): void {
    let sent = 0;
    for (; sent < this.#outbox.length; sent++) {
      const next = this.#outbox[sent] as Outgoing;
      if (next.kind !== 'rows') {
        this.send(next, []);
        continue;
      }
      const wait = closingBudget === undefined
        ? this.#bytesInFlight >= MAX_BYTES_IN_FLIGHT || !this.source.settled()
        : this.#bytesInFlight / this.#rowBytes + next.ids.length > closingBudget;
      if (wait) break;
      const bytes = next.ids.length * this.#rowBytes;
      const rows = this.source.readRows(next.ids, this.#spareFor(bytes));
      this.send({ seq: next.seq, kind: 'upsert', ids: rows.ids, vectors: rows.vectors }, [rows.ids.buffer as ArrayBuffer, rows.vectors.buffer as ArrayBuffer]);
      this.#inFlight.push({ seq: next.seq, bytes });
      this.#bytesInFlight += bytes;
    }
    this.#outbox.splice(0, sent);
  }

  /** The worker applied every step up to `seq`; `spare` is the buffer of rows it gave back. */
  applied(seq: number, spare?: ArrayBuffer): void {
    if (spare) this.#keepSpare(spare);
    while (this.#inFlight.length > 0 && (this.#inFlight[0] as { seq: number }).seq <= seq) {
      this.#bytesInFlight -= (this.#inFlight.shift() as { bytes: number }).bytes;
    }
    this.pump();
  }

  /** Nothing more goes (the worker failed). */
  clear(): void {
    this.#outbox.length = 0;
  }

  /** A buffer the worker gave back with room for `bytes`, if one is kept. */
  #spareFor(bytes: number): Float32Array | undefined {
    const at = this.#spare.findIndex((b) => b.byteLength >= bytes);
    if (at === -1) return undefined;
    const [buffer] = this.#spare.splice(at, 1);
    return new Float32Array(buffer as ArrayBuffer);
  }

  #keepSpare(buffer: ArrayBuffer): void {
    this.#spare.push(buffer);
    // the largest are kept: a build's chunks and a commit's batch both fit in one
    this.#spare.sort((a, b) => b.byteLength - a.byteLength);
    let kept = 0;
    const keep = this.#spare.findIndex((b) => (kept += b.byteLength) > SPARE_BYTES);
    if (keep !== -1) this.#spare.length = keep;
  }
}
