/** Raw JSON-RPC lines, for what the SDK Client hides or never does (requests before initialize, closing stdin mid-call). */
export const initialize = (id: number | string = 0) =>
  `${JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-test', version: '1' },
    },
  })}\n`;

export const initialized = `${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`;

export const request = (id: number | string, method: string, params?: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;

export const updateCall = (id: number | string, args: Record<string, unknown>) =>
  request(id, 'tools/call', { name: 'update_customer', arguments: args });
