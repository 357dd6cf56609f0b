import type Database from 'better-sqlite3';
import { registerComparator } from './compare.ts';
import { registerDeleted } from './deleted.ts';
import { registerFunctionLibrary } from './functions.ts';
import { registerTemporal } from './temporal/sql.ts';

/**
 * Every SQL function the compiled Cypher may call, on one connection: the
 * comparator, sort keys and NaN-safe arithmetic (compare.ts) and the function
 * library (functions.ts: regexes, range, percentiles...) and temporal values
 * (temporal/sql.ts: date, datetime, duration...) and what a write deleted
 * (deleted.ts). Each part registers
 * once per connection, so calling this before every query is cheap.
 */
export function registerCypherFunctions(db: Database.Database): void {
  registerComparator(db);
  registerFunctionLibrary(db);
  registerTemporal(db);
  registerDeleted(db);
}
