/**
 * PGlite + pgvector on loopback over the wire protocol, in a process of its
 * own (bench/replicate-lag.ts runs it so Postgres's WASM work does not block
 * the writer's event loop): prints `port <n>` on stdout, serves until killed.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const db = await PGlite.create({ extensions: { vector } });
const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 4 });
await server.start();
process.stdout.write(`port ${server.getServerConn().split(':').at(-1)}\n`);
