import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { StoreName } from './store-name.ts';

/**
 * Input and output schemas of the rvf_* tools. Inputs carry messages that say
 * what to send instead, because the MCP SDK returns them to the agent as is.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const Metric = z.enum(['cosine', 'l2', 'dotproduct'], {
  error: 'metric must be "cosine", "l2" or "dotproduct"',
});

const ID_RULE = 'an id is an integer from 0 to 2^63-1 (above 2^53-1, a decimal string such as "9007199254740993")';
export const IdInput = z
  .union(
    [
      // One check with one message per case: zod's own int() and max() would both fire for 2^53.
      z
        .number({ error: ID_RULE })
        .min(0, { error: `${ID_RULE}; this one is negative` })
        .superRefine((n, ctx) => {
          if (n > MAX_SAFE) ctx.addIssue({ code: 'custom', message: 'ids above 2^53-1 lose digits as JSON numbers; send this one as a decimal string' });
          else if (n >= 0 && !Number.isInteger(n)) ctx.addIssue({ code: 'custom', message: `${ID_RULE}; this one has a fraction` });
        }),
      z.string().regex(/^(0|[1-9][0-9]{0,18})$/, { error: `${ID_RULE}; a string id is digits only, no sign or leading zeros` }),
    ],
    { error: ID_RULE },
  )
  .describe('Vector id: an integer, or a decimal string for ids above 2^53-1');

/** Ids come back as a JSON number when <= 2^53-1, otherwise as a decimal string. */
export const IdOutput = z.union([z.number().int(), z.string()]);

export const Vector = z
  .array(z.number({ error: 'vector elements must be finite numbers (no NaN, Infinity, strings or nulls)' }), {
    error: 'vector must be an array of finite numbers',
  })
  .min(1, { error: 'vector must not be empty' })
  .max(LIMITS.maxDimensions, { error: `a vector has at most ${LIMITS.maxDimensions} dimensions` });

export const Metadata = z.record(z.string(), z.unknown(), { error: 'metadata must be a JSON object' });

export const Entry = z.object({
  id: IdInput,
  vector: Vector,
  metadata: Metadata.nullable().optional(),
});

/**
 * Any JSON object here: store/filter.ts checks the structure by hand and says
 * exactly what is wrong, where zod could only say "Invalid input".
 */
export const Filter = z
  .record(z.string(), z.unknown(), { error: 'filter must be a JSON object of conditions, e.g. {"topic": "rust", "year": {"$gte": 2020}}' })
  .describe(
    'Metadata filter, MongoDB style: {"topic": "rust", "year": {"$gte": 2020}}; in a field: $eq $ne $gt $gte $lt $lte $in $nin $exists; at any level: $and $or; dotted names reach nested fields, and \\. is a dot inside a key (JSON "a\\\\.b" is the key a.b)',
  );

const StoreOnly = { store: StoreName };

export const inputs = {
  createStore: {
    store: StoreName,
    dimensions: z
      .number({ error: `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}` })
      .int({ error: `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}` })
      .min(1, { error: `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}` })
      .max(LIMITS.maxDimensions, { error: `dimensions must be an integer from 1 to ${LIMITS.maxDimensions}` })
      .describe('Vector length, e.g. 384 for all-MiniLM-L6-v2'),
    metric: Metric.default('cosine').describe('cosine (default), l2 (squared euclidean) or dotproduct (negative dot product)'),
  },
  store: StoreOnly,
  ingest: {
    store: StoreName,
    entries: z
      .array(Entry, { error: 'entries must be an array of {id, vector, metadata?}' })
      .min(1, { error: 'entries must hold at least one entry' })
      .max(LIMITS.maxBatchEntries, { error: `one call ingests at most ${LIMITS.maxBatchEntries} entries; split the batch` }),
  },
  query: {
    store: StoreName,
    vector: Vector,
    k: z
      .number({ error: `k must be an integer from 1 to ${LIMITS.maxK}` })
      .int({ error: `k must be an integer from 1 to ${LIMITS.maxK}` })
      .min(1, { error: `k must be an integer from 1 to ${LIMITS.maxK}` })
      .max(LIMITS.maxK, { error: `k is at most ${LIMITS.maxK} (the limit); ask for fewer results` })
      .default(10)
      .describe(`How many nearest vectors to return (1 to ${LIMITS.maxK}, default 10)`),
    filter: Filter.optional(),
  },
  delete: {
    store: StoreName,
    ids: z
      .array(IdInput, { error: 'ids must be an array of ids' })
      .min(1, { error: 'ids must hold at least one id' })
      .max(LIMITS.maxDeleteIds, { error: `one call deletes at most ${LIMITS.maxDeleteIds} ids; split it` }),
  },
  deleteFilter: { store: StoreName, filter: Filter },
  derive: { store: StoreName, child: StoreName.describe('Name of the new child store') },
  sql: queryInput('SQL', 'One SQL statement (SQLite dialect)', 'Values for ? (an array) or :name (an object); arrays and objects inside bind as JSON text, e.g. a query vector for rvf_knn'),
  cypher: queryInput('Cypher', 'One Cypher query', 'Values for $name parameters (an object)'),
  sparql: queryInput('SPARQL', 'One SPARQL 1.1 query, or an update under --write', 'Not used by SPARQL: write values into the query'),
  export: { store: StoreName, target: StoreName.describe('Name of the standalone copy to write under the root') },
};

function queryInput(language: string, what: string, paramsHelp: string) {
  return {
    store: StoreName,
    query: z
      .string({ error: `query must be a ${language} string` })
      .min(1, { error: 'query must not be empty' })
      .max(LIMITS.maxQueryTextBytes, { error: `the query text is at most ${LIMITS.maxQueryTextBytes} characters; pass large values as params` })
      .describe(what),
    params: z
      .union([z.array(z.unknown()), z.record(z.string(), z.unknown())], { error: 'params must be an array (for ?) or an object (for :name or $name)' })
      .optional()
      .describe(paramsHelp),
  };
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
  lineage: Lineage.nullable(),
  embedder: z.object({ name: z.string(), dimensions: z.number() }).nullable().describe('The embedder of a text-memory store (rvf_remember / rvf_recall)'),
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
  status: StoreStatus.shape,
  close: { store: z.string(), closed: z.boolean().describe('false when the store was not open') },
  list: { root: z.string(), stores: z.array(StoreSummary) },
  ingest: { store: z.string(), accepted: z.number(), replaced: z.number(), epoch: z.number() },
  query: {
    store: z.string(),
    results: z.array(z.object({ id: IdOutput, distance: z.number(), metadata: Metadata.nullable() })),
  },
  delete: { store: z.string(), deleted: z.number(), epoch: z.number() },
  segments: {
    store: z.string(),
    segments: z.array(z.object({ id: z.number(), type: z.string(), offset: z.number(), payloadLength: z.number(), epoch: z.number() })),
  },
  derive: { store: z.string(), child: z.string(), totalVectors: z.number(), epoch: z.number(), lineage: Lineage },
  compact: { store: z.string(), segmentsCompacted: z.number(), bytesReclaimed: z.number(), epoch: z.number() },
  rebuild: {
    store: z.string(),
    epoch: z.number(),
    vectors: z.number(),
    withMetadata: z.number(),
    tables: z.number().describe('User SQL tables'),
    tableRows: z.number(),
    nodes: z.number(),
    relationships: z.number(),
    quads: z.number(),
  },
  export: { store: z.string(), target: z.string(), totalVectors: z.number(), fileSizeBytes: z.number() },
  rows: {
    store: z.string(),
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())),
    truncated: z.boolean().describe('true when the row cap or the byte cap cut the result'),
    epoch: z.number().optional().describe('The epoch a write committed at (absent for reads and for writes that changed nothing)'),
    changes: z.number().optional().describe('Rows a SQL write changed'),
    stats: z.record(z.string(), z.number()).optional().describe('What a Cypher write did'),
    sparql: z.unknown().optional().describe('The result in the SPARQL 1.1 Query Results JSON shape'),
  },
};
