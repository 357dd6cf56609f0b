import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

/**
 * A real PostgreSQL with pgvector for the replication tests: PGlite (Postgres
 * compiled to WASM) with the pgvector extension, served on loopback over the
 * wire protocol by pglite-socket, so the replicator's `pg` client connects to
 * it as to any server. The socket server can be stopped and started again on
 * the same port while the database stays.
 *
 * PGlite runs one backend: pglite-socket queues other connections' queries
 * while one connection is inside a transaction, and rolls that transaction
 * back when its connection drops, as a server does for a killed client.
 */
export interface TestPostgres {
  readonly port: number;
  /** A URL with a password, which PGlite ignores: so tests can check it is never printed. */
  readonly url: string;
  query<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
  /** A connected client, for polling without a connection per query; the caller ends it. */
  connect(): Promise<pg.Client>;
  stopSocket(): Promise<void>;
  startSocket(): Promise<void>;
  close(): Promise<void>;
}

export const TEST_PASSWORD = 's3cret-pw';

export async function startPostgres(): Promise<TestPostgres> {
  const db = await PGlite.create({ extensions: { vector } });
  let server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  const port = Number(server.getServerConn().split(':').at(-1));
  const url = `postgres://postgres:${TEST_PASSWORD}@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    port,
    url,
    async query<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query<R>(text, params)).rows;
      } finally {
        await client.end();
      }
    },
    async connect() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async stopSocket() {
      if (!running) return;
      await server.stop();
      running = false;
    },
    async startSocket() {
      if (running) return;
      server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 8 });
      await server.start();
      running = true;
    },
    async close() {
      if (running) await server.stop();
      running = false;
      await db.close();
    },
  };
}
