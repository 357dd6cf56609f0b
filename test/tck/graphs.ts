/**
 * The TCK's named graphs (tck/graphs/<name>/<name>.json lists Cypher
 * scripts that build the graph; tck/graphs/named-graphs.adoc).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The statements that build a named graph, in order. */
export function namedGraphStatements(graphsDir: string, name: string): string[] {
  const meta = join(graphsDir, name, `${name}.json`);
  if (!existsSync(meta)) throw new Error(`no named graph ${JSON.stringify(name)} under ${graphsDir}`);
  const { scripts } = JSON.parse(readFileSync(meta, 'utf8')) as { scripts: string[] };
  return scripts.flatMap((script) =>
    readFileSync(join(graphsDir, name, `${script}.cypher`), 'utf8')
      .split(/;\s*$/m)
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}
