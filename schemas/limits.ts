/**
 * Documented limits. Going past one is an error that names it, never silent
 * clamping. Shared by the library, the MCP tools and the CLI.
 */
export const LIMITS = {
  /** The native VEC layout stores the dimension as a u16. */
  maxDimensions: 65_535,
  /** Largest k for a query. */
  maxK: 10_000,
  /**
   * Live vectors from which an 'auto' store keeps an approximate index: below
   * it an exact scan answers about as fast and needs no build (BENCHMARKS.md).
   */
  indexThreshold: 20_000,
  /** Entries in one ingest call (one commit). */
  maxBatchEntries: 100_000,
  /** Ids in one delete call. */
  maxDeleteIds: 100_000,
  /** The native reader refuses segment payloads above 256 MiB. */
  maxSegmentPayloadBytes: 256 * 1024 * 1024 - 1,
  /** Serialized JSON metadata of one vector. */
  maxMetadataBytes: 64 * 1024,
  /** Ids are u64 in the file and INTEGER (signed 64-bit) in SQLite: 0..2^63-1. */
  maxId: (1n << 63n) - 1n,
  /** Nodes (operators and leaves) in one filter, and its nesting depth. */
  maxFilterNodes: 1_000,
  maxFilterDepth: 16,
  /** Values in one $in / $nin list. */
  maxFilterListValues: 10_000,
  /** One MCP request, over stdio or as an HTTP body. */
  maxRequestBytes: 64 * 1024 * 1024,
  /** A query in a query language (SQL, Cypher, SPARQL): its time, rows and JSON bytes. */
  queryTimeLimitMs: 5_000,
  /**
   * Query processes: how many run queries at once, how many of them one
   * client may hold (fewer, so another client always finds one), and how many
   * queries one client may have waiting.
   */
  queryProcesses: 3,
  queryProcessesPerClient: 2,
  maxWaitingQueriesPerClient: 64,
  /**
   * Memory of one query process (resident set, checked while a query runs),
   * and the shares of it the JavaScript heap and SQLite may take; oxigraph's
   * WebAssembly memory is bounded by the resident-set check alone.
   */
  queryProcessMemoryBytes: 768 * 1024 * 1024,
  queryHeapBytes: 384 * 1024 * 1024,
  maxQueryRows: 10_000,
  /**
   * Rows of one result in JSON bytes. A tool result carries the rows twice
   * (structured and as text, escaped), and the SDK's stdio client refuses
   * messages over 10 MiB: 2 MiB keeps the worst case near 6 MiB.
   */
  maxQueryResultBytes: 2 * 1024 * 1024,
  maxQueryTextBytes: 256 * 1024,
  /** Levels of arrays and objects in a query's params, the params themselves being level 1. */
  maxParamsDepth: 64,
  /** The recorded effects of one rvlite write (every row it touched): one segment of the log. */
  maxEffectsBytes: 64 * 1024 * 1024,
  /** Hops of a Cypher variable-length pattern (*a..b): b may be at most this, and a pattern without b walks this far. */
  maxPathLength: 10,
} as const;
