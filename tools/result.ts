import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { cacheTroubleMessage, isCacheTrouble } from '../store/cache-files.ts';
import { errorCode, isRvfError } from '../store/errors.ts';
import type { ToolContext } from './context.ts';

/**
 * Tool results: structured content plus the same JSON as a text block; every
 * failure an isError result whose one sentence starts with its code and says
 * what to do next, naming no absolute path (stores open under a display name;
 * the registry's withoutRoot catches what comes from below, such as Node's
 * file errors). A tool never throws: the server never dies from a request.
 */

type RunContext = Pick<ToolContext, 'log' | 'registry'>;

export function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
}

export function failure(err: unknown, { log, registry }: RunContext): CallToolResult {
  if (isRvfError(err)) return { isError: true, content: [{ type: 'text', text: `${err.code}: ${registry.withoutRoot(err.message)}` }] };
  const message = registry.withoutRoot(err instanceof Error ? err.message : String(err));
  if (isCacheTrouble(err)) {
    log.warn(`cache trouble: ${message}`);
    return {
      isError: true,
      content: [{ type: 'text', text: `EIO: ${registry.withoutRoot(cacheTroubleMessage(err))}` }],
    };
  }
  if (isDiskFull(err)) {
    // not an internal error: retrying cannot help until space is freed, and the store refuses its part of such a write
    log.warn(`disk full: ${message}`);
    return { isError: true, content: [{ type: 'text', text: `ENOSPC: the disk holding the stores is full (${message}); free space on it, then retry.` }] };
  }
  log.error(`internal error: ${message}`, err instanceof Error ? err.stack : undefined);
  return {
    isError: true,
    content: [{ type: 'text', text: `EINTERNAL: ${message}; nothing is known to have changed and the server is still running, so retry once and report it if it repeats.` }],
  };
}

/** Runs a tool body and turns its value or its error into a result. */
export async function run(ctx: RunContext, body: () => Promise<Record<string, unknown>>): Promise<CallToolResult> {
  try {
    return ok(await body());
  } catch (err) {
    return failure(err, ctx);
  }
}

/** Node's ENOSPC or EDQUOT, or SQLite's SQLITE_FULL, from wherever below it came. */
function isDiskFull(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}
