/** The library API: `import { RvfDatabase } from 'rvf-mcp-server'`. */
export { RvfDatabase, idToJson, type RebuildResult, type ReadSnapshot, type WriteSession } from './database.ts';
export { indexWorkersEnded } from './ann-index.ts';
export { type Effects, type TableEffects, type SqlValue } from './effects.ts';
export { RvfError, isRvfError, type RvfErrorCode } from './errors.ts';
export { LIMITS } from '../schemas/limits.ts';
export type { Filter } from '../schemas/filter.ts';
export type * from './types.ts';
export { createEmbedder, type Embedder } from './embedders/index.ts';
export { createMemoryStore, recall, remember } from './text-memory.ts';
