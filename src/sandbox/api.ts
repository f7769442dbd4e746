/**
 * The sandbox's Solar Proof API as documented (apidata.php: updatecustomer, getcustomerByemail by
 * email or id, the older getcustomer by id, getallcustomers 50 a page, getcustomerofproject; the
 * documented shapes and error codes) over its own customers, with the faults the user switched on.
 * No I/O: a request in, a reply out (src/sandbox/sandbox.ts serves it over HTTP).
 */
import {
  ACTIONS,
  API_PATH,
  CUSTOMERS_PER_PAGE,
  isRecord,
  UPDATABLE_FIELDS,
  type UpdatableField,
  updateFieldSchemas,
} from '../solarproof/contract.js';
import { type SandboxCustomer, seedCustomers } from './customers.js';
import { type SandboxFault, SLOW_UPDATE_DELAY_MS } from './faults.js';

/** A request as the API reads it. */
export interface SandboxRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  rawBody: string;
  /** The JSON body, or undefined when it was not JSON. */
  body: unknown;
  /** Set when the body was larger than the sandbox reads; it is answered 413 unread. */
  bodyTooLarge: boolean;
}

export interface SandboxReply {
  status: number;
  body: unknown;
  /** How long to wait before answering (the user's latency and slow-updates faults). */
  delayMs: number;
}

export interface SandboxApiOptions {
  /** The only key accepted; when undefined every non-empty key is accepted (sandbox mode). */
  apiKey?: string | undefined;
  customers?: SandboxCustomer[];
  faults?: readonly SandboxFault[];
}

export interface SandboxApi {
  /** The customers as stored now, by id: updates change them. */
  readonly customers: Map<number, SandboxCustomer>;
  answer(request: SandboxRequest): SandboxReply;
}

export const SUCCESS_MESSAGE = 'Customer updated successfully!';

export function createSandboxApi(options: SandboxApiOptions = {}): SandboxApi {
  const customers = new Map(
    (options.customers ?? seedCustomers()).map((c) => [c.pkcustomerid, structuredClone(c)]),
  );
  const faults = options.faults ?? [];
  const has = (kind: SandboxFault['kind']) => faults.some((fault) => fault.kind === kind);
  const latencyMs = faults.reduce((ms, fault) => (fault.kind === 'latency' ? ms + fault.ms : ms), 0);
  const ignoredFields = new Set<UpdatableField>(
    faults.flatMap((fault) => (fault.kind === 'ignore-fields' ? fault.fields : [])),
  );
  const refuseIdLookups = has('refuse-id-lookups');
  const slowUpdates = has('slow-updates');

  function answer(request: SandboxRequest): SandboxReply {
    const { status, body } = request.bodyTooLarge
      ? fail(413, 'INVALID_PARAMETERS', 'Request body too large')
      : contract(request);
    const slow = slowUpdates && request.query.action === ACTIONS.updateCustomer;
    return { status, body, delayMs: latencyMs + (slow ? SLOW_UPDATE_DELAY_MS : 0) };
  }

  function contract(request: SandboxRequest): Reply {
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

  function updateCustomer(request: SandboxRequest): Reply {
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
      if (!ignoredFields.has(field)) Object.assign(changes, { [field]: checked.data });
    }
    Object.assign(customer, changes);
    return { status: 200, body: { Message: SUCCESS_MESSAGE, CustomerId: String(id) } };
  }

  function read(request: SandboxRequest, answer: () => Reply): Reply {
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
    const customer = refuseIdLookups ? undefined : customers.get(Number(id));
    if (!customer) return fail(404, 'CUSTOMER_NOT_FOUND', `No customer exists with ID: ${id}`);
    return { status: 200, body: toGetCustomerShape(customer) };
  }

  /** In id order, 50 a page from page 1; past the end, an empty array. */
  function getAllCustomers(raw: string | undefined): Reply {
    const page = raw === undefined ? 1 : Number(raw);
    if (!Number.isInteger(page) || page < 1) {
      return fail(400, 'INVALID_PARAMETERS', 'Parameter page must be a whole number from 1');
    }
    const start = (page - 1) * CUSTOMERS_PER_PAGE;
    const list = inIdOrder([...customers.values()]);
    return { status: 200, body: list.slice(start, start + CUSTOMERS_PER_PAGE).map(toGetCustomerShape) };
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

  function getCustomerByEmail(request: SandboxRequest): Reply {
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

  return { customers, answer };
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
function toCustomerOfProjectShape(
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

/** Sorted only when not already: a scan of 10,000 customers asks 200 pages, each sorting them anew. */
function inIdOrder(list: SandboxCustomer[]): SandboxCustomer[] {
  const sorted = list.every(
    (c, i) => i === 0 || (list[i - 1] as SandboxCustomer).pkcustomerid < c.pkcustomerid,
  );
  return sorted ? list : list.sort((a, b) => a.pkcustomerid - b.pkcustomerid);
}

interface Reply {
  status: number;
  body: unknown;
}

function fail(status: number, code: string, message: string): Reply {
  return { status, body: { code, message } };
}
