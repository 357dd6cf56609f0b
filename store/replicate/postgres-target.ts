import pg from 'pg';

/**
 * Where a store replicates to: a postgres:// URL, checked before anything
 * connects, shown everywhere without its password, and connected to with the
 * standard driver (`pg`). Failures to reach or log in become one sentence
 * (ReplicationError) naming the target without credentials, never a stack.
 */

export class ReplicationError extends Error {
  override readonly name = 'ReplicationError';
}

export interface PostgresTarget {
  /** The URL as given, credentials included: only ever handed to the driver. */
  readonly url: string;
  /** The URL without its password (nor a password query parameter): safe to print and to store. */
  readonly shown: string;
}

export function parseTarget(url: unknown): PostgresTarget {
  if (typeof url !== 'string' || url.trim() === '') throw new ReplicationError('the target must be a postgres:// URL, e.g. postgres://user@host:5432/db.');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The text may hold a password: never echo it.
    throw new ReplicationError('the target is not a valid URL; give a postgres:// URL, e.g. postgres://user@host:5432/db.');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ReplicationError(`the target must be a postgres:// or postgresql:// URL, not a ${parsed.protocol.replace(/:$/, '')}:// one.`);
  }
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw new ReplicationError('the target URL names no host; e.g. postgres://user@host:5432/db.');
  return { url, shown: withoutPassword(parsed) };
}

function withoutPassword(url: URL): string {
  const copy = new URL(url.href);
  copy.password = '';
  for (const key of [...copy.searchParams.keys()]) if (/^(password|sslpassword|sslkey)$/i.test(key)) copy.searchParams.delete(key);
  return copy.href;
}

const CONNECT_TIMEOUT_MS = 15_000;

/** A connected client; the caller ends it. */
export async function connect(target: PostgresTarget): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client whose server goes away emits 'error'; unheard, that would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw explain(err, target);
  }
  return client;
}

/** One sentence for a failure talking to `target`: what happened, naming the target without credentials. */
export function explain(err: unknown, target: PostgresTarget): ReplicationError {
  if (err instanceof ReplicationError) return err;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = (typeof e.message === 'string' ? e.message : String(err)).split('\n')[0] ?? '';
  const at = `Postgres at ${target.shown}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new ReplicationError(`cannot reach ${at}: the connection was refused; is the server running and listening there?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ReplicationError(`cannot reach ${at}: the host name does not resolve.`);
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EPIPE':
      return new ReplicationError(`lost the connection to ${at} (${code}); it is retried from the epoch Postgres has.`);
    case '28P01':
    case '28000':
      return new ReplicationError(`${at} refused the credentials: ${message}.`);
    case '3D000':
      return new ReplicationError(`${at}: ${message}; create the database first.`);
    case '0A000':
    case '58P01':
      if (/vector/.test(message)) return new ReplicationError(`${at} has no pgvector extension (${message}); install pgvector there.`);
      break;
    case '22P05':
      // jsonb has no NUL character; the store's metadata and graph properties may hold one.
      return new ReplicationError(`${at} cannot store a metadata or property value of the store: ${message} (jsonb holds no \\u0000); nothing of that commit was shipped.`);
    case '42501':
      return new ReplicationError(`${at} denied a privilege the replicator needs (${message}); it creates schema rvf and its tables.`);
  }
  if (/timeout/i.test(message)) return new ReplicationError(`cannot reach ${at}: the connection timed out.`);
  return new ReplicationError(`${at}: ${message}${code ? ` (${code})` : ''}.`);
}
