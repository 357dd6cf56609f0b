import type { McpServer, RegisteredTool, ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type ListToolsResult, type ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { portableJsonSchema } from './portable-json-schema.ts';

/**
 * Every tool is registered through here, so that tools/list can advertise
 * input schemas that every major model provider accepts. The SDK lists tools
 * with zod's toJSONSchema, which writes `$schema` (Gemini refuses it in
 * function parameters) and offers no hook to leave it out, so this module
 * answers tools/list itself: the same zod schemas, the same converter, then
 * tools/portable-json-schema.ts. Calls still go through the SDK, which checks
 * arguments and structured output against the same zod schemas.
 */

export interface ToolConfig<I extends z.ZodObject, O extends z.ZodObject> {
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
}

const catalogs = new WeakMap<McpServer, Map<string, RegisteredTool>>();

export function registerTool<I extends z.ZodObject, O extends z.ZodObject>(server: McpServer, name: string, config: ToolConfig<I, O>, handler: ToolCallback<I>): void {
  let catalog = catalogs.get(server);
  if (!catalog) {
    catalog = new Map();
    catalogs.set(server, catalog);
  }
  catalog.set(name, server.registerTool(name, config, handler));
}

/** Replaces the SDK's tools/list handler; call it once, after every tool is registered. */
export function listToolsPortably(server: McpServer): void {
  const catalog = catalogs.get(server) ?? new Map<string, RegisteredTool>();
  server.server.setRequestHandler(ListToolsRequestSchema, (): ListToolsResult => ({
    tools: [...catalog]
      .filter(([, tool]) => tool.enabled)
      .map(([name, tool]) => ({
        name,
        ...(tool.title === undefined ? {} : { title: tool.title }),
        ...(tool.description === undefined ? {} : { description: tool.description }),
        inputSchema: portableJsonSchema(asZod(name, tool.inputSchema), 'input') as ListToolsResult['tools'][number]['inputSchema'],
        ...(tool.outputSchema === undefined
          ? {}
          : { outputSchema: portableJsonSchema(asZod(name, tool.outputSchema), 'output') as NonNullable<ListToolsResult['tools'][number]['outputSchema']> }),
        ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
      })),
  }));
}

function asZod(name: string, schema: RegisteredTool['inputSchema']): z.ZodType {
  if (schema instanceof z.ZodType) return schema;
  throw new Error(`tool ${name} has no zod 4 schema; register it through tools/register-tool.ts`);
}
