import type { Command } from 'commander';
import { type QueryLanguage, runQuery } from '../../rvlite-bridge/run-query.ts';
import { queryRunner } from '../../rvlite-bridge/query-runner.ts';
import { parseJsonOption, withStore } from './open-store.ts';
import { CliError, printer, table } from './output.ts';

/** rvf sql|cypher|sparql <path> "<query>" [--write] [--params JSON]. */
export function registerQueryCommands(program: Command, json: () => boolean): void {
  const languages: [QueryLanguage, string][] = [
    ['sql', 'run one SQL statement (SQLite) over the store: vectors, your tables, graph_* and rdf_quads; rvf_knn(vector_json, k) for vector search'],
    ['cypher', 'run one Cypher query over the store graph; CALL rvf.knn($vector, k) for vector search'],
    ['sparql', 'run one SPARQL 1.1 query (or update with --write) over the store triples'],
  ];
  for (const [lang, description] of languages) {
    program
      .command(`${lang} <path> <query>`)
      .description(description)
      .option('--write', 'allow the query to change the store (committed to the .rvf file)')
      .option('--params <json>', lang === 'sql' ? 'values for ? (a JSON array) or :name (a JSON object)' : 'values for $name (a JSON object)')
      .action(async (path: string, query: string, o: { write?: boolean; params?: string }) => {
        const params = parseJsonOption(o.params, '--params');
        if (params !== undefined && (typeof params !== 'object' || params === null)) throw new CliError('--params must be a JSON array or object.');
        try {
          await withStore(path, o.write ? 'write' : 'read', async (db) => {
            const r = await runQuery(db, lang, query, params as unknown[] | Record<string, unknown> | undefined, { write: o.write === true, readOnlyContext: 'cli' });
            printer(json()).result(r, () => {
              const lines = r.columns.length > 0 ? [table(r.columns, lang === 'sparql' ? r.rows.map((row) => row.map(sparqlCell)) : r.rows)] : [];
              if (r.truncated) lines.push('(truncated: the row or byte cap cut the result)');
              if (r.epoch !== undefined) lines.push(`committed at epoch ${r.epoch}${r.changes ? ` (${r.changes} rows changed)` : ''}${r.stats ? ` ${JSON.stringify(r.stats)}` : ''}`);
              else if (r.columns.length === 0 && !(r.sparql && typeof (r.sparql as { boolean?: unknown }).boolean === 'boolean')) lines.push('nothing changed');
              if (lang === 'sparql' && r.sparql && typeof (r.sparql as { boolean?: unknown }).boolean === 'boolean') lines.push(String((r.sparql as { boolean: boolean }).boolean));
              return lines.join('\n');
            });
          });
        } finally {
          // After the store closed: the children close their cache connections last, so no side files stay behind.
          await queryRunner().stop();
        }
      });
  }
}

/** A SPARQL JSON term as a person reads it: <iri>, "literal"@lang, _:blank. */
function sparqlCell(term: unknown): unknown {
  if (term === null || typeof term !== 'object') return term;
  const t = term as { type?: string; value?: string; 'xml:lang'?: string; datatype?: string };
  if (t.type === 'uri') return `<${t.value}>`;
  if (t.type === 'bnode') return `_:${t.value}`;
  if (t.type === 'literal') return t['xml:lang'] ? `"${t.value}"@${t['xml:lang']}` : t.value;
  return t.value ?? term;
}
