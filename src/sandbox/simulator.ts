/**
 * A simulated Solar Proof: a real HTTP server on 127.0.0.1 that follows the documented contract
 * (apidata.php: updatecustomer, getcustomerByemail by email or id, the older getcustomer by id,
 * getallcustomers 50 a page, getcustomerofproject; the documented shapes and error codes).
 * Tests use it as the stand-in upstream and can tell it to misbehave; sandbox mode runs the product
 * against it so nobody needs an account to try the server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  ACTIONS,
  API_PATH,
  CUSTOMERS_PER_PAGE,
  isRecord,
  UPDATABLE_FIELDS,
  updateFieldSchemas,
} from '../solarproof/contract.js';
import { type SandboxCustomer, seedCustomers } from './customers.js';

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string exactly as received, before decoding. */
  rawQuery: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** The JSON body, or undefined when it was not JSON. */
  body: unknown;
  /** Set when the client went away before the response was complete (a cancelled call). */
  abortedByClient: boolean;
  /** Which TCP connection carried it, numbered from 1. */
  connection: number;
}

/**
 * A misbehaviour for tests: gets the request before the contract does. Return true when it has
 * answered (or deliberately never will); false to let the contract answer normally.
 */
export type Behaviour = (
  req: IncomingMessage,
  res: ServerResponse,
  recorded: RecordedRequest,
) => boolean | Promise<boolean>;

export interface SimulatorOptions {
  /** The only key accepted; when undefined every non-empty key is accepted (sandbox mode). */
  apiKey?: string | undefined;
  customers?: SandboxCustomer[];
  port?: number;
  /** Largest request body read, so a hostile client cannot fill memory. */
  maxBodyBytes?: number;
}

export interface Simulator {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly customers: Map<number, SandboxCustomer>;
  /** TCP connections accepted so far. */
  connectionCount(): number;
  /** Every request goes through this behaviour until it is replaced or cleared. */
  setBehaviour(behaviour: Behaviour | undefined): void;
  /** The next request (or the next n) goes through this behaviour, then the previous rules apply. */
  once(behaviour: Behaviour, times?: number): void;
  /** Resolves when `count` requests have been received. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export const SUCCESS_MESSAGE = 'Customer updated successfully!';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const maxBodyBytes = options.maxBodyBytes ?? 256 * 1024;
  const seed = () =>
    new Map((options.customers ?? seedCustomers()).map((c) => [c.pkcustomerid, structuredClone(c)]));
  let customers = seed();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const queue: Behaviour[] = [];
  let behaviour: Behaviour | undefined;
  let connections = 0;
  const connectionIds = new WeakMap<Socket, number>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rawBody = await readBody(req, maxBodyBytes);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      rawQuery: url.search.slice(1),
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      rawBody: rawBody ?? '',
      body: parseJson(rawBody),
      abortedByClient: false,
      connection: connectionIds.get(req.socket) ?? 0,
    };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) recorded.abortedByClient = true;
    });
    for (const wake of waiters) wake();

    try {
      const override = queue.shift() ?? behaviour;
      if (override && (await override(req, res, recorded))) return;
      const reply =
        rawBody === undefined ? fail(413, 'INVALID_PARAMETERS', 'Request body too large') : answer(recorded);
      send(res, reply.status, reply.body);
    } catch (error) {
      if (!res.headersSent)
        send(res, 500, { code: 'UPDATE_FAILED', message: `Simulator error: ${String(error)}` });
    }
  });
  server.on('connection', (socket) => {
    connections++;
    connectionIds.set(socket, connections);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  function answer(request: RecordedRequest): Reply {
    if (request.path !== `/${API_PATH}`) return fail(404, 'NOT_FOUND', `No such endpoint: ${request.path}`);
    if (!keyAccepted(request.query.api_key)) {
      return fail(401, 'INVALID_API_KEY', 'The provided API key is invalid or missing');
    }
    switch (request.query.action) {
      case ACTIONS.updateCustomer:
        return updateCustomer(request);
      case ACTIONS.getCustomerByEmail:
      case 'getcustomerid':
        return getCustomerByEmail(request);
      case ACTIONS.getCustomer:
        return read(request, () => getCustomerById(request.query.customer_id, 'customer_id'));
      case ACTIONS.getAllCustomers:
        return read(request, () => getAllCustomers(request.query.page));
      case ACTIONS.getCustomerOfProject:
        return read(request, () => getCustomerOfProject(request.query.project_id));
      default:
        return fail(400, 'INVALID_PARAMETERS', `Unknown action: ${request.query.action ?? ''}`);
    }
  }

  function keyAccepted(key: string | undefined): boolean {
    if (!key) return false;
    return options.apiKey === undefined || key === options.apiKey;
  }

  function updateCustomer(request: RecordedRequest): Reply {
    if (request.method !== 'POST' && request.method !== 'PUT') {
      return fail(405, 'INVALID_PARAMETERS', `Method ${request.method} not allowed`);
    }
    const data = isRecord(request.body) && isRecord(request.body.data) ? request.body.data : undefined;
    if (!data) return fail(400, 'INVALID_PARAMETERS', 'Request body must be {"data": {...}}');
    if (
      !keyAccepted(typeof data.apikey === 'string' ? data.apikey : undefined) ||
      data.apikey !== request.query.api_key
    ) {
      return fail(401, 'INVALID_API_KEY', 'The provided API key is invalid or missing');
    }
    if (data.action !== ACTIONS.updateCustomer) {
      return fail(400, 'INVALID_PARAMETERS', 'data.action must be "updatecustomer"');
    }
    const id = data.pkcustomerid;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
      return fail(400, 'INVALID_PARAMETERS', 'Required parameter pkcustomerid is missing or invalid');
    }
    const customer = customers.get(id);
    if (!customer) return fail(404, 'CUSTOMER_NOT_FOUND', `No customer exists with ID: ${id}`);
    if (customer.locked) {
      return fail(403, 'PERMISSION_DENIED', "You don't have permission to update this customer");
    }
    const changes: Partial<SandboxCustomer> = {};
    for (const field of UPDATABLE_FIELDS) {
      if (!(field in data)) continue;
      const checked = updateFieldSchemas[field].safeParse(data[field]);
      if (!checked.success) {
        return fail(400, 'INVALID_PARAMETERS', `Invalid value for ${field}`);
      }
      Object.assign(changes, { [field]: checked.data });
    }
    Object.assign(customer, changes);
    return { status: 200, body: { Message: SUCCESS_MESSAGE, CustomerId: String(id) } };
  }

  function read(request: RecordedRequest, answer: () => Reply): Reply {
    if (request.method !== 'GET') {
      return fail(405, 'INVALID_PARAMETERS', `Method ${request.method} not allowed`);
    }
    return answer();
  }

  function getCustomerById(raw: string | undefined, parameter: string): Reply {
    const id = raw?.trim();
    if (!id || !/^[1-9][0-9]{0,15}$/.test(id)) {
      return fail(400, 'INVALID_PARAMETERS', `Required parameter ${parameter} is missing or invalid`);
    }
    const customer = customers.get(Number(id));
    if (!customer) return fail(404, 'CUSTOMER_NOT_FOUND', `No customer exists with ID: ${id}`);
    return { status: 200, body: toGetCustomerShape(customer) };
  }

  /** In id order, 50 a page from page 1; past the end, an empty array. */
  function getAllCustomers(raw: string | undefined): Reply {
    const page = raw === undefined ? 1 : Number(raw);
    if (!Number.isInteger(page) || page < 1) {
      return fail(400, 'INVALID_PARAMETERS', 'Parameter page must be a whole number from 1');
    }
    const sorted = [...customers.values()].sort((a, b) => a.pkcustomerid - b.pkcustomerid);
    const start = (page - 1) * CUSTOMERS_PER_PAGE;
    return { status: 200, body: sorted.slice(start, start + CUSTOMERS_PER_PAGE).map(toGetCustomerShape) };
  }

  function getCustomerOfProject(raw: string | undefined): Reply {
    const id = raw?.trim();
    if (!id || !/^[1-9][0-9]{0,15}$/.test(id)) {
      return fail(400, 'INVALID_PARAMETERS', 'Required parameter project_id is missing or invalid');
    }
    for (const customer of customers.values()) {
      const project = customer.projects.find((p) => p.project_id === id);
      if (project) {
        return {
          status: 200,
          body: {
            Message: 'Customer details retrieved successfully!',
            Customer: toCustomerOfProjectShape(customer, project),
          },
        };
      }
    }
    // The code one read page lists for this endpoint (a copy-paste slip that may be what is sent).
    return fail(404, 'CAMPAIGN_NOT_FOUND', `No project exists with ID: ${id}`);
  }

  function getCustomerByEmail(request: RecordedRequest): Reply {
    if (request.method !== 'GET') {
      return fail(405, 'INVALID_PARAMETERS', `Method ${request.method} not allowed`);
    }
    // "It accepts both": an id in customer_email reads that customer.
    const raw = request.query.customer_email?.trim() ?? '';
    if (/^[0-9]+$/.test(raw)) return getCustomerById(raw, 'customer_email');
    const email = raw.toLowerCase();
    if (!email) return fail(400, 'INVALID_PARAMETERS', 'Required parameter customer_email is missing');
    const customer = [...customers.values()].find((c) => c.email.toLowerCase() === email);
    if (!customer) {
      return fail(404, 'CUSTOMER_NOT_FOUND', `No customer exists with email: ${email}`);
    }
    return { status: 200, body: toGetCustomerShape(customer) };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get customers() {
      return customers;
    },
    connectionCount: () => connections,
    setBehaviour(next) {
      behaviour = next;
    },
    once(next, times = 1) {
      for (let i = 0; i < times; i++) queue.push(next);
    },
    waitForRequests(count, timeoutMs = 5_000) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} requests, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    reset() {
      customers = seed();
      requests.length = 0;
      queue.length = 0;
      behaviour = undefined;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** The documented Get Customer shape: every id and number a string, labels instead of codes. */
export function toGetCustomerShape(customer: SandboxCustomer): Record<string, unknown> {
  const typeLabel = {
    RESIDENTIAL: 'Residential',
    COMMERCIAL: 'Commercial',
    'LARGE-SCALE': 'Large-Scale',
  } as const;
  return {
    customer_id: String(customer.pkcustomerid),
    customer_first_name: customer.firstname,
    customer_last_name: customer.surname,
    customer_email: customer.email,
    customer_phone_1: customer.phone1,
    customer_phone_2: customer.phone2,
    customer_type: typeLabel[customer.type],
    company_name: customer.companyname,
    company_phone: customer.companyphone,
    gst_status: customer.gststatus === 1 ? 'GST Registered' : 'Not GST Registered',
    customer_status: customer.status,
    creation_date: customer.creationDate,
    owner_user_info: customer.owner,
    customer_notes: customer.notes,
    projects: customer.projects,
  };
}

/** Get Customer of Project's own field names: customerID a number, gstRegistered 0/1, one-line site address. */
export function toCustomerOfProjectShape(
  customer: SandboxCustomer,
  project: SandboxCustomer['projects'][number],
): Record<string, unknown> {
  const a = project.site_address;
  return {
    customerID: customer.pkcustomerid,
    uid: Number(customer.owner.user_id),
    gstRegistered: customer.gststatus,
    firstName: customer.firstname,
    surname: customer.surname,
    phone1: customer.phone1,
    phone2: customer.phone2,
    email: customer.email,
    companyName: customer.companyname,
    companyPhone: customer.companyphone,
    customerabn: customer.abn ?? '',
    siteAddress: `${a.streetnum} ${a.street}, ${a.suburb} ${a.state} ${a.postcode}`,
    note: customer.notes.at(-1)?.note ?? '',
    contactTime: customer.contactTime ?? '',
  };
}

interface Reply {
  status: number;
  body: unknown;
}

function fail(status: number, code: string, message: string): Reply {
  return { status, body: { code, message } };
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
