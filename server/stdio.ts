import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LIMITS } from '../schemas/limits.ts';
import type { Logger } from '../tools/context.ts';
import { LineSplitter } from './line-splitter.ts';
import { LineTransport } from './stdio-transport.ts';

/**
 * Serves one session on stdin/stdout: `connectSession` makes its McpServer and
 * connects it. `onEnd` runs when the client closes stdin or the transport
 * closes for any reason, so leases are always released.
 */
export async function serveStdio(connectSession: (transport: Transport) => Promise<void>, log: Logger, onEnd: (why: string) => void): Promise<void> {
  let transport: LineTransport | undefined;
  const lines = new LineSplitter(LIMITS.maxRequestBytes, (bytes, id) => {
    log.warn(`refused a ${bytes}-byte request over the ${LIMITS.maxRequestBytes}-byte limit`);
    if (id === null) return; // no id to answer: a notification, or too mangled to tell
    transport
      ?.send({
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: `the request is ${bytes} bytes, over the ${LIMITS.maxRequestBytes}-byte limit; send fewer entries per call` },
      })
      .catch(() => undefined);
  });
  process.stdin.pipe(lines);
  // The transport waits for 'drain' once per reply written while stdout is full, so a
  // burst of concurrent calls legitimately holds many listeners at once.
  process.stdout.setMaxListeners(10_000);
  transport = new LineTransport(lines, process.stdout, (why) => log.warn(`stdio: refused a line: ${why}`));
  transport.onerror = (err) => log.error(`stdio: ${err.message}`);
  transport.onclose = () => onEnd('transport closed');
  process.stdin.on('end', () => onEnd('stdin closed'));
  await connectSession(transport);
}
