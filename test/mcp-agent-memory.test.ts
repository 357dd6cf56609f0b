/**
 * A knowledge-graph memory session as an agent runs it (issue 12), through
 * the real server (`npx rvf-mcp-server --write` over stdio, the SDK Client),
 * each query written the way people write them:
 *
 * batch upserts of entities with observation lists (twice: the second batch
 * appends), timestamps, relations by name, pruning one observation, search
 * over names and observations, a neighbourhood, a shortest path, UNION,
 * EXISTS { }, recent-first by time, vector search joined with the graph, and
 * DETACH DELETE; then the server is restarted and a read-only server sees
 * the same graph and refuses every write.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { callErr, callOk, startServer } from './helpers/mcp.ts';
import { tempDir } from './helpers/temp.ts';

interface Rows {
  columns: string[];
  rows: unknown[][];
  stats?: Record<string, number>;
}

const cypher = (client: Client, query: string, params: Record<string, unknown> = {}): Promise<Rows> => callOk<Rows>(client, 'rvlite_cypher', { store: 'memory', query, params });

const sorted = (rows: unknown[][]): unknown[][] => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const UPSERT = `UNWIND $entities AS e
MERGE (n:Entity {name: e.name})
ON CREATE SET n.createdAt = datetime()
SET n.type = e.type, n.obs = coalesce(n.obs, []) + e.obs, n.updatedAt = datetime()`;

const RELATE = `UNWIND $relations AS r
MATCH (a:Entity {name: r.from}), (b:Entity {name: r.to})
MERGE (a)-[rel:RELATES {kind: r.kind}]->(b)
RETURN count(rel) AS n`;

async function graphShape(client: Client): Promise<unknown[][]> {
  return (await cypher(client, 'MATCH (n:Entity) OPTIONAL MATCH (n)-[r]->(m) RETURN n.name, n.type, n.obs, type(r), r.kind, m.name ORDER BY n.name, m.name')).rows;
}

test('an agent-memory session over MCP: upserts, relations, search, paths, UNION, EXISTS, time, vectors, delete, restart, read-only', { timeout: 180_000 }, async () => {
  const root = tempDir('rvf-agent-memory-');
  let server = await startServer(root, { write: true });
  const c = server.client;
  await callOk(c, 'rvf_create_store', { store: 'memory', dimensions: 4, metric: 'cosine' });

  // batch upserts, twice: the second appends observations and adds one entity
  const first = await cypher(c, UPSERT, {
    entities: [
      { name: 'Ada', type: 'person', obs: ['wrote the first program', 'studied mathematics'] },
      { name: 'Babbage', type: 'person', obs: ['designed the analytical engine'] },
      { name: 'Royal Society', type: 'org', obs: ['founded 1660'] },
      { name: 'Grace', type: 'person', obs: ['wrote a compiler'] },
    ],
  });
  assert.equal(first.stats?.['nodesCreated'], 4);
  const second = await cypher(c, UPSERT, {
    entities: [
      { name: 'Ada', type: 'person', obs: ['corresponded with Babbage'] },
      { name: 'Navy', type: 'org', obs: ['employed Grace'] },
    ],
  });
  assert.equal(second.stats?.['nodesCreated'], 1, 'Ada is matched, Navy created');
  assert.deepEqual((await cypher(c, "MATCH (n:Entity {name: 'Ada'}) RETURN n.obs, size(n.obs), n.createdAt <= n.updatedAt")).rows, [
    [['wrote the first program', 'studied mathematics', 'corresponded with Babbage'], 3, true],
  ]);

  // relations by name, idempotent
  const relations = [
    { from: 'Ada', to: 'Babbage', kind: 'collaborated' },
    { from: 'Babbage', to: 'Royal Society', kind: 'member' },
    { from: 'Grace', to: 'Navy', kind: 'served' },
    { from: 'Navy', to: 'Royal Society', kind: 'liaison' },
  ];
  assert.deepEqual((await cypher(c, RELATE, { relations })).rows, [[4]]);
  const again = await cypher(c, RELATE, { relations });
  assert.equal(again.stats?.['relationshipsCreated'] ?? 0, 0, 'the same relations again create nothing');

  // pruning one observation with a list comprehension
  await cypher(c, "MATCH (n:Entity {name: 'Ada'}) SET n.obs = [o IN n.obs WHERE o <> $drop]", { drop: 'studied mathematics' });
  assert.deepEqual((await cypher(c, "MATCH (n:Entity {name: 'Ada'}) RETURN n.obs")).rows, [[['wrote the first program', 'corresponded with Babbage']]]);

  // search over names and observations
  const found = await cypher(c, "MATCH (n:Entity) WHERE toLower(n.name) CONTAINS $q OR any(o IN n.obs WHERE toLower(o) CONTAINS $q) RETURN n.name ORDER BY n.name", { q: 'grace' });
  assert.deepEqual(found.rows, [['Grace'], ['Navy']]);
  const regex = await cypher(c, "MATCH (n:Entity) WHERE n.name =~ '(?i)b.*' RETURN n.name");
  assert.deepEqual(regex.rows, [['Babbage']]);

  // neighbourhood, with a map projection
  const around = await cypher(c, "MATCH (n:Entity {name: 'Babbage'})-[r]-(m) RETURN m {.name, .type} AS entity, type(r) AS rel, r.kind AS kind ORDER BY m.name");
  assert.deepEqual(around.rows, [
    [{ name: 'Ada', type: 'person' }, 'RELATES', 'collaborated'],
    [{ name: 'Royal Society', type: 'org' }, 'RELATES', 'member'],
  ]);

  // shortest path, undirected
  const path = await cypher(c, "MATCH p = shortestPath((a:Entity {name: 'Ada'})-[*..6]-(b:Entity {name: 'Grace'})) RETURN [x IN nodes(p) | x.name] AS names, length(p) AS hops");
  assert.deepEqual(path.rows, [[['Ada', 'Babbage', 'Royal Society', 'Navy', 'Grace'], 4]]);

  // UNION and EXISTS { }
  const union = await cypher(c, "MATCH (n:Entity {type: 'org'}) RETURN n.name AS name UNION MATCH (n:Entity)-[:RELATES]->(:Entity {type: 'org'}) RETURN n.name AS name");
  assert.deepEqual(sorted(union.rows), [['Babbage'], ['Grace'], ['Navy'], ['Royal Society']]);
  const members = await cypher(c, "MATCH (n:Entity {type: 'person'}) WHERE EXISTS { (n)-[:RELATES]->(:Entity {type: 'org'}) } RETURN n.name ORDER BY n.name");
  assert.deepEqual(members.rows, [['Babbage'], ['Grace']]);
  const counted = await cypher(c, 'MATCH (n:Entity) RETURN n.name, COUNT { (n)--() } AS degree ORDER BY degree DESC, n.name LIMIT 2');
  assert.deepEqual(counted.rows, [['Babbage', 2], ['Navy', 2]]);

  // recent first, by time
  await cypher(c, "MATCH (n:Entity {name: 'Babbage'}) SET n.updatedAt = datetime() + duration('PT1M')");
  const recent = await cypher(c, "MATCH (n:Entity) WHERE n.updatedAt > datetime() - duration('P7D') RETURN n.name ORDER BY n.updatedAt DESC LIMIT 1");
  assert.deepEqual(recent.rows, [['Babbage']]);

  // vector search joined with the graph
  await callOk(c, 'rvf_ingest', {
    store: 'memory',
    entries: [
      { id: 1, vector: [1, 0, 0, 0], metadata: { topic: 'programs' } },
      { id: 2, vector: [0, 1, 0, 0], metadata: { topic: 'engines' } },
      { id: 3, vector: [0.9, 0.1, 0, 0], metadata: { topic: 'compilers' } },
    ],
  });
  await cypher(c, "UNWIND $docs AS d MATCH (e:Entity {name: d.about}) CREATE (e)-[:DESCRIBED_BY]->(:Doc {title: d.title, vector_id: d.id})", {
    docs: [
      { id: 1, title: 'Notes on the first program', about: 'Ada' },
      { id: 2, title: 'The analytical engine', about: 'Babbage' },
      { id: 3, title: 'A-0 compiler', about: 'Grace' },
    ],
  });
  const nearest = await cypher(c, 'CALL rvf.knn($v, 2) YIELD id, distance MATCH (e:Entity)-[:DESCRIBED_BY]->(d:Doc {vector_id: id}) RETURN e.name, d.title ORDER BY distance', { v: [1, 0, 0, 0] });
  assert.deepEqual(nearest.rows, [['Ada', 'Notes on the first program'], ['Grace', 'A-0 compiler']]);

  // DETACH DELETE
  const gone = await cypher(c, "MATCH (n:Entity {name: 'Navy'}) DETACH DELETE n");
  assert.equal(gone.stats?.['nodesDeleted'], 1);
  assert.equal(gone.stats?.['relationshipsDeleted'], 2);
  const shape = await graphShape(c);
  assert.equal(shape.length, 6, JSON.stringify(shape));
  await server.close();

  // the log holds it all: a restarted server, then a read-only one, see the same graph
  server = await startServer(root, { write: true });
  assert.deepEqual(await graphShape(server.client), shape);
  await server.close();
  const readOnly = await startServer(root);
  assert.deepEqual(await graphShape(readOnly.client), shape);
  for (const write of [UPSERT, "MATCH (n:Entity) FOREACH (o IN n.obs | SET n.seen = true)", "MATCH (n:Entity {name: 'Ada'}) DETACH DELETE n"]) {
    assert.match(await callErr(readOnly.client, 'rvlite_cypher', { store: 'memory', query: write, params: { entities: [] } }), /read-only|EREADONLY/i, write);
  }
  // an agent new to the graph learns it the Neo4j way, read-only; schema commands it brings along are refused by name
  assert.deepEqual((await cypher(readOnly.client, 'CALL db.labels()')).rows, [['Doc'], ['Entity']]);
  assert.deepEqual((await cypher(readOnly.client, 'CALL db.relationshipTypes() YIELD relationshipType AS t RETURN collect(t) AS ts')).rows, [[['DESCRIBED_BY', 'RELATES']]]);
  assert.match(
    await callErr(readOnly.client, 'rvlite_cypher', { store: 'memory', query: 'SHOW CONSTRAINTS' }),
    /schema and administration commands .* are not supported/,
  );
  assert.deepEqual(await graphShape(readOnly.client), shape);
  await readOnly.close();
});
