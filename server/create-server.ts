import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from '../tools/context.ts';
import { registerMaintenanceTools } from '../tools/maintenance-tools.ts';
import { registerMemoryTools } from '../tools/memory-tools.ts';
import { listToolsPortably } from '../tools/register-tool.ts';
import { registerRvliteTools } from '../tools/rvlite-tools.ts';
import { registerStoreTools } from '../tools/store-tools.ts';
import { registerVectorTools } from '../tools/vector-tools.ts';
import { registerPrompts } from './prompts.ts';
import { registerResources } from './resources.ts';
import { VERSION } from './version.ts';

/**
 * One McpServer with every tool, resource and prompt. Stdio makes one; HTTP
 * makes one per session, all sharing one store registry (so one process holds
 * a store's writer lease once, whatever the number of sessions).
 */
export function createServer(ctx: ToolContext): McpServer {
  const server = new McpServer(
    { name: 'rvf-mcp-server', title: 'RVF vector memory', version: VERSION },
    {
      capabilities: { logging: {}, tools: {}, resources: {}, prompts: {} },
      instructions: ctx.registry.write
        ? 'Durable vector memory. Create a store (rvf_create_store) with the dimension and metric of your embedding model, ingest entries {id, vector, metadata}, then rvf_query with a vector, k and an optional metadata filter. Every write is one atomic, crash-safe commit.'
        : 'Durable vector memory, read-only: list stores (rvf_list_stores), then rvf_query with a vector, k and an optional metadata filter. Answers always come from the newest committed data.',
    },
  );
  registerStoreTools(server, ctx);
  registerVectorTools(server, ctx);
  registerMemoryTools(server, ctx);
  registerMaintenanceTools(server, ctx);
  registerRvliteTools(server, ctx);
  registerResources(server, ctx);
  registerPrompts(server);
  listToolsPortably(server);
  return server;
}
