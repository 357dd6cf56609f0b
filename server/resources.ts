import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from '../tools/context.ts';
import { statusOf } from '../tools/store-tools.ts';

/** Read-only views of the stores as resources: the list, and each store's status and segments. */
export function registerResources(server: McpServer, { registry, replication }: ToolContext): void {
  const json = (uri: URL, data: unknown) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(data, null, 2) }] });
  const storeName = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
  const each = (suffix: string) => async () => ({
    resources: registry.names().map((name) => ({ uri: `rvf://stores/${name}/${suffix}`, name: `${name} ${suffix}`, mimeType: 'application/json' })),
  });

  server.registerResource(
    'stores',
    'rvf://stores',
    { title: 'Stores', description: 'Every store under the root with dimension, metric, count and epoch.', mimeType: 'application/json' },
    async (uri) => json(uri, { root: registry.root, stores: await registry.list() }),
  );

  server.registerResource(
    'store-status',
    new ResourceTemplate('rvf://stores/{store}/status', { list: each('status') }),
    { title: 'Store status', description: "One store's status.", mimeType: 'application/json' },
    async (uri, variables) => {
      const store = storeName(variables['store']);
      return json(uri, await statusOf(store, await registry.get(store), replication));
    },
  );

  server.registerResource(
    'store-segments',
    new ResourceTemplate('rvf://stores/{store}/segments', { list: each('segments') }),
    { title: 'Store segments', description: "One store's committed segments.", mimeType: 'application/json' },
    async (uri, variables) => {
      const store = storeName(variables['store']);
      return json(uri, { store, segments: await (await registry.get(store)).segments() });
    },
  );
}
