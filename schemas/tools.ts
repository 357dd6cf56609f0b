import { z } from 'zod';
import { jsonObject } from './json-object.ts';
import { LIMITS } from './limits.ts';
import { optional, withDefault } from './optional.ts';
import { StoreName } from './store-name.ts';
import { Vector, VectorsBase64, vectorBase64 } from './vector-input.ts';

export { Vector };

/**
 * Input and output schemas of the rvf_* tools. Inputs carry messages that say
 * what to send instead, because the MCP SDK returns them to the agent as is.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const Metric = z.enum(['cosine', 'l2', 'dotproduct'], {
  error: 'metric must be "cosine", "l2" or "dotproduct"',
});

export const IndexSetting = z.enum(['auto', 'none'], { error: 'index must be "auto" or "none"' });

const ID_RULE = 'an id is an integer from 0 to 2^63-1 (above 2^53-1, a decimal string such as "9007199254740993")';
export const IdInput = z
  .union(
    [
      // One check with one message per case: zod's own int() and max() would both fire for 2^53.
      // The meta states in the JSON Schema what the check enforces (zod cannot see inside superRefine).
      z
        .number({ error: ID_RULE })
        .min(0, { error: `${ID_RULE}; this one is negative` })
        .superRefine((n, ctx) => {
          if (n > MAX_SAFE) ctx.addIssue({ code: 'custom', message: 'ids above 2^53-1 lose digits as JSON numbers; send this one as a decimal string' });
          else if (n >= 0 && !Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `${ID_RULE}; this one has a fraction` });
        })
        .meta({ type: 'integer', maximum: MAX_SAFE }),
      z.string().regex(/^(0|[1-9][0-9]{0,18})$/, { error: `${ID_RULE}; a string id is digits only, no sign or leading zeros` }),
    ],
    { error: ID_RULE },
  )
  .describe('Vector id: an integer from 0 to 2^53-1, or a decimal string of digits for ids up to 2^63-1 (e.g. "9007199254740993")');

/** Ids come back as a JSON number when <= 2^53-1, otherwise as a decimal string. */
export const IdOutput = z.union([z.number().int(), z.string()]);

export const Metadata = jsonObject('metadata must be a JSON object');

/** Metadata in results, for output schemas: an input's transform (jsonObject) has no output JSON Schema. */
export const StoredMetadata = z.record(z.string(), z.unknown());

const METADATA_HELP = `Your JSON object kept with the vector and returned with results (at most ${LIMITS.maxMetadataBytes / 1024} KiB as JSON); filters match its fields; null for none`;

const VECTOR_HELP = "The embedding as a JSON array of finite numbers, exactly as many as the store's dimension (rvf_status shows it)";
const VECTOR_B64_HELP = "The embedding as base64 of little-endian float32 (the fast path: what OpenAI's embeddings API returns with encoding_format base64), dimension x 4 bytes";

/** Exactly one of the two vector forms; `where` names the object in the message. */
function oneVector(where: string) {
  return (v: { vector?: unknown; vector_b64?: unknown }, ctx: z.RefinementCtx): void => {
    const given = Number(v.vector !== undefined) + Number(v.vector_b64 !== undefined);
    if (given !== 1) ctx.addIssue({ code: 'custom', message: `${where} needs exactly one of vector (a JSON array) or vector_b64 (base64 float32)${given === 2 ? ', not both' : ''}` });
  };
}

export const Entry = z
  .strictObject({
    id: IdInput.describe('Vector id: an integer from 0 to 2^53-1, or a decimal string of digits for ids up to 2^63-1; an id that exists is replaced'),
    vector: optional(Vector).describe(`${VECTOR_HELP}; null when vector_b64 is given`),
    vector_b64: optional(vectorBase64('vector_b64')).describe(`${VECTOR_B64_HELP}; null when vector is given`),
    metadata: optional(Metadata).describe(METADATA_HELP),
  })
  .superRefine(oneVector('each entry'));

/**
 * Any JSON object here: store/filter.ts checks the structure by hand and says
 * exactly what is wrong, where zod could only say "Invalid input".
 */
export const Filter = jsonObject('filter must be a JSON object of conditions, e.g. {"topic": "rust", "year": {"$gte": 2020}}');

export const FILTER_HELP =
  'Metadata filter, MongoDB style: {"topic": "rust", "year": {"$gte": 2020}}; in a field: $eq $ne $gt $gte $lt $lte $in $nin $exists; at any level: $and $or; dotted names reach nested fields, and \\. is a dot inside a key (JSON "a\\\\.b" is the key a.b)';

const StoreOnly = z.strictObject({ store: StoreName });

const K_RULE = `k must be an integer from 1 to ${LIMITS.maxK}`;
export const K = z
  .number({ error: K_RULE })
  .int({ error: K_RULE })
  .min(1, { error: K_RULE })
  .max(LIMITS.maxK, { error: `k is at most ${LIMITS.maxK} (the limit); ask for fewer results` });

const DIMENSIONS_RULE = `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}`;

export const inputs = {
  createStore: z.strictObject({
    store: StoreName,
    dimensions: z
      .number({ error: DIMENSIONS_RULE })
      .int({ error: DIMENSIONS_RULE })
      .min(1, { error: DIMENSIONS_RULE })
      .max(LIMITS.maxDimensions, { error: DIMENSIONS_RULE })
      .describe(`Vector length, an integer from 1 to ${LIMITS.maxDimensions}: your embedding model's output size (384 for all-MiniLM-L6-v2, 1536 for text-embedding-3-small)`),
    metric: withDefault(Metric, 'cosine').describe(
      'Distance: "cosine" for most text embeddings, "dotproduct" for models that say so, "l2" (squared euclidean) for raw geometric data; null means cosine. Fixed for the life of the store',
    ),
    index: withDefault(IndexSetting, 'auto').describe(
      `"auto" (null means auto): keep an approximate index (HNSW) once the store holds ${LIMITS.indexThreshold} vectors, for ~1 ms queries at any size; "none": every query scans exactly`,
    ),
  }),
  store: StoreOnly,
  none: z.strictObject({}),
  ingest: z
    .strictObject({
      store: StoreName,
      entries: optional(
        z
          .array(Entry, { error: 'entries must be an array of {id, vector or vector_b64, metadata}' })
          .min(1, { error: 'entries must hold at least one entry' })
          .max(LIMITS.maxBatchEntries, { error: `one call ingests at most ${LIMITS.maxBatchEntries} entries; split the batch` }),
      ).describe(`The vectors to add or replace, 1 to ${LIMITS.maxBatchEntries} per call, committed together (all or none); null when ids and vectors_b64 are given`),
      ids: optional(
        z
          .array(IdInput, { error: 'ids must be an array of ids' })
          .min(1, { error: 'ids must hold at least one id' })
          .max(LIMITS.maxBatchEntries, { error: `one call ingests at most ${LIMITS.maxBatchEntries} entries; split the batch` }),
      ).describe(`The fast path, with vectors_b64: the ids of the vectors, in order, 1 to ${LIMITS.maxBatchEntries}; null when entries are given`),
      vectors_b64: optional(VectorsBase64).describe(
        "The fast path, with ids: every vector back to back as base64 of little-endian float32, ids.length x the store's dimension values; null when entries are given",
      ),
      metadata: optional(z.array(optional(Metadata), { error: 'metadata must be an array of objects or nulls, one per id' })).describe(
        'With ids: one metadata object (or null) per id, in the same order; null for none',
      ),
    })
    .superRefine((v, ctx) => {
      const flat = v.ids !== undefined || v.vectors_b64 !== undefined;
      if (v.entries !== undefined && flat) ctx.addIssue({ code: 'custom', message: 'send either entries, or ids with vectors_b64, not both' });
      else if (v.entries === undefined && (v.ids === undefined || v.vectors_b64 === undefined)) ctx.addIssue({ code: 'custom', message: 'send entries, or ids together with vectors_b64' });
      if (v.metadata !== undefined && v.ids === undefined) ctx.addIssue({ code: 'custom', message: 'metadata as an array goes with ids and vectors_b64; with entries, put metadata in each entry' });
      else if (v.metadata !== undefined && v.ids !== undefined && v.metadata.length !== v.ids.length) ctx.addIssue({ code: 'custom', message: `metadata has ${v.metadata.length} items for ${v.ids.length} ids; send one per id (null for none)` });
    }),
  query: z
    .strictObject({
      store: StoreName,
      vector: optional(Vector).describe(`The query embedding: ${VECTOR_HELP.replace('The embedding as ', '')}; null when vector_b64 is given`),
      vector_b64: optional(vectorBase64('vector_b64')).describe(`The query embedding ${VECTOR_B64_HELP.replace('The embedding ', '')}; null when vector is given`),
      k: withDefault(K, 10).describe(`How many nearest vectors to return, an integer from 1 to ${LIMITS.maxK}; null means 10`),
      filter: optional(Filter).describe(`${FILTER_HELP}; null for none`),
      exact: withDefault(z.boolean({ error: 'exact must be true or false' }), false).describe(
        'true: scan every vector exactly, even when the store has an approximate index; null or false: use the index when the store has one',
      ),
    })
    .superRefine(oneVector('the query')),
  delete: z.strictObject({
    store: StoreName,
    ids: z
      .array(IdInput, { error: 'ids must be an array of ids' })
      .min(1, { error: 'ids must hold at least one id' })
      .max(LIMITS.maxDeleteIds, { error: `one call deletes at most ${LIMITS.maxDeleteIds} ids; split it` })
      .describe(`Ids to delete, 1 to ${LIMITS.maxDeleteIds}: integers from 0 to 2^53-1, or decimal strings for ids up to 2^63-1; ids that do not exist are skipped`),
  }),
  deleteFilter: z.strictObject({ store: StoreName, filter: Filter.describe(`${FILTER_HELP}; needs at least one condition`) }),
  derive: z.strictObject({ store: StoreName, child: StoreName.describe('Name of the new child store, under the same rules as store names; it must not exist yet') }),
  sql: z.strictObject({
    store: StoreName,
    query: queryText('One SQL statement (SQLite dialect)'),
    params: optional(
      z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())], { error: 'params must be an array (for ?) or an object (for :name)' }),
    ).describe(
      'Values for ? placeholders (an array, in order) or :name placeholders (an object); arrays and objects inside bind as JSON text, e.g. the query vector of rvf_knn; a whole number binds as an INTEGER, others as REAL; integers beyond 2^53 go as strings (CAST(? AS INTEGER)); null for none',
    ),
  }),
  cypher: z.strictObject({
    store: StoreName,
    query: queryText('One Cypher query'),
    params: optional(z.record(z.string(), z.unknown(), { error: 'params must be an object of $name parameters, e.g. {"name": "ada"}' })).describe(
      'Values for $name parameters, as an object such as {"name": "ada", "vector": [0.1, 0.2]}; a whole number is an integer; integers beyond 2^53 go as strings (toInteger($id)); null for none',
    ),
  }),
  sparql: z.strictObject({
    store: StoreName,
    query: queryText('One SPARQL 1.1 query, or one SPARQL 1.1 update on a server started with --write; SPARQL takes no parameters, so write values into the query'),
  }),
  export: z.strictObject({ store: StoreName, target: StoreName.describe('Name of the standalone copy to write under the root, under the same rules as store names; it must not exist yet') }),
};

/** Lengths are checked by refinements, not .min/.max: minLength and maxLength are outside what strict function calling takes, so the description states them. */
function queryText(what: string) {
  return z
    .string({ error: 'query must be a string' })
    .refine((s) => s.length > 0, { error: 'query must not be empty' })
    .refine((s) => s.length <= LIMITS.maxQueryTextBytes, { error: `the query text is at most ${LIMITS.maxQueryTextBytes} characters; pass large values as params` })
    .describe(`${what}; not empty, at most ${LIMITS.maxQueryTextBytes / 1024} KiB`);
}

const Lineage = z.object({
  parentPath: z.string(),
  parentFileId: z.string(),
  parentEpoch: z.number(),
  parentHash: z.string(),
  depth: z.number(),
});

export const StoreStatus = z.object({
  store: z.string(),
  file: z.string().describe('File name under the root'),
  totalVectors: z.number(),
  dimensions: z.number(),
  metric: Metric,
  epoch: z.number(),
  fileSizeBytes: z.number(),
  totalSegments: z.number(),
  deadSpaceRatio: z.number(),
  fileId: z.string(),
  readOnly: z.boolean(),
  writesRefused: z
    .string()
    .optional()
    .describe('On a --write server, why this store is open read-only for now (another writer holds it, or the disk is full); it is asked again on each use'),
  lineage: Lineage.nullable(),
  embedder: z.object({ name: z.string(), dimensions: z.number() }).nullable().describe('The embedder of a text-memory store (rvf_remember / rvf_recall)'),
  index: z
    .object({
      setting: IndexSetting,
      kind: z.enum(['none', 'hnsw']).describe('"none" until the store has an index'),
      indexed: z.number().describe('Live vectors the index covers'),
      pending: z.number().describe('Live vectors it does not cover yet; queries scan those exactly meanwhile'),
    })
    .describe('The approximate index'),
  replication: z
    .object({
      target: z.string().describe('The PostgreSQL URL, without credentials'),
      name: z.string().describe("The store's name in Postgres (rvf.stores.store): its file name, after the server's --replicate-prefix"),
      epoch: z.number().nullable().describe('The epoch Postgres has; null until the first replication reached it'),
      lag: z.number().nullable().describe('Commits the store has that Postgres has not yet'),
      lastError: z.string().nullable().describe('The last failure, null once a replication succeeded'),
    })
    .optional()
    .describe('Only on a server started with --replicate-to'),
});

/** A status as the tools return it (clients and tests type their results with it). */
export type StoreStatusOutput = z.infer<typeof StoreStatus>;

export const StoreSummary = z.object({
  store: z.string(),
  open: z.boolean(),
  dimensions: z.number(),
  metric: Metric,
  totalVectors: z.number(),
  epoch: z.number(),
  fileSizeBytes: z.number(),
});

export const outputs = {
  status: StoreStatus,
  close: z.object({ store: z.string(), closed: z.boolean().describe('false when the store was not open') }),
  list: z.object({ root: z.string(), stores: z.array(StoreSummary) }),
  ingest: z.object({ store: z.string(), accepted: z.number(), replaced: z.number(), epoch: z.number() }),
  query: z.object({
    store: z.string(),
    results: z.array(z.object({ id: IdOutput, distance: z.number(), metadata: StoredMetadata.nullable() })),
  }),
  delete: z.object({ store: z.string(), deleted: z.number(), epoch: z.number() }),
  segments: z.object({
    store: z.string(),
    segments: z.array(z.object({ id: z.number(), type: z.string(), offset: z.number(), payloadLength: z.number(), epoch: z.number() })),
  }),
  derive: z.object({ store: z.string(), child: z.string(), totalVectors: z.number(), epoch: z.number(), lineage: Lineage }),
  compact: z.object({ store: z.string(), segmentsCompacted: z.number(), bytesReclaimed: z.number(), epoch: z.number() }),
  rebuild: z.object({
    store: z.string(),
    index: z.object({ setting: IndexSetting, kind: z.enum(['none', 'hnsw']), indexed: z.number(), pending: z.number() }).describe('The approximate index after its rebuild'),
    epoch: z.number(),
    vectors: z.number(),
    withMetadata: z.number(),
    tables: z.number().describe('User SQL tables'),
    tableRows: z.number(),
    nodes: z.number(),
    relationships: z.number(),
    quads: z.number(),
  }),
  export: z.object({ store: z.string(), target: z.string(), totalVectors: z.number(), fileSizeBytes: z.number() }),
  rows: z.object({
    store: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())),
    truncated: z.boolean().describe('true when the row cap or the byte cap cut the result'),
    epoch: z.number().optional().describe('The epoch a write committed at (absent for reads and for writes that changed nothing)'),
    changes: z.number().optional().describe('Rows a SQL write changed'),
    stats: z.record(z.string(), z.number()).optional().describe('What a Cypher write did'),
    sparql: z.unknown().optional().describe('The result in the SPARQL 1.1 Query Results JSON shape'),
  }),
};
