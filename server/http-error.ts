import type { ServerResponse } from 'node:http';

/** A refusal of an HTTP request: its status, its one-sentence message and any headers it needs. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The JSON-RPC error code, when one fits better than the generic -32000 (-32700: the body is not JSON). */
    readonly rpcCode?: number,
  ) {
    super(message);
  }
}

/** Answers with a JSON-RPC error (id null), the shape MCP clients read on every route. */
export function replyError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, rpcCode?: number): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code: rpcCode ?? (status === 413 ? -32600 : -32000), message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}), ...headers }).end(body);
}
