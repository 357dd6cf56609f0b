import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** Serves one McpServer on stdin/stdout; `onEnd` runs when the client closes stdin. */
export async function serveStdio(server: McpServer, onEnd: () => void): Promise<void> {
  const transport = new StdioServerTransport();
  process.stdin.on('end', onEnd);
  process.stdin.on('close', onEnd);
  await server.connect(transport);
}
