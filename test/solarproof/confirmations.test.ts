/**
 * Issue 7, item 2: a confirmation is "done" only when it names exactly the customer asked for, read
 * the documented way ("79461" or 79461). Before, only plain numeric ids were compared, so
 * "080125", "C-80125", "" and 80125.5 for an update of 79461 were reported ok. The same class of
 * defect in the lookup: the answer's email must be the one asked for, so an answer with no email,
 * or one that only matches under Unicode case folding, is refused too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors.js';
import { SolarProofClient } from '../../src/solarproof/client.js';
import { isSameEmail, readCustomerId } from '../../src/solarproof/contract.js';
import { expectNoKey, SENTINEL_KEY, startStandIn } from '../helpers/harness.js';
import { type StandIn, send } from '../helpers/stand-in.js';

const ASKED = 79461;

let standIn: StandIn;
let client: SolarProofClient;
beforeAll(async () => {
  standIn = await startStandIn();
  client = new SolarProofClient({
    apiKey: SENTINEL_KEY,
    baseUrl: new URL(standIn.url),
    httpMethod: 'POST',
    timeoutMs: 3_000,
    maxResponseBytes: 1024 * 1024,
    userAgent: 'issue7-test',
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
  });
});
afterAll(async () => {
  await client.close();
  await standIn.close();
});
beforeEach(() => standIn.reset());

/** Answers the next request with this body; a RawJson is sent as the very text given. */
function answerOnce(body: unknown): void {
  standIn.once((_req, res) => {
    if (body instanceof RawJson) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body.text);
    } else send(res, 200, body);
    return true;
  });
}

class RawJson {
  constructor(readonly text: string) {}
}

async function refusal(call: Promise<unknown>): Promise<ToolError> {
  const error = await call.then(
    (value) => {
      throw new Error(`expected a refusal, got ${JSON.stringify(value)}`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ToolError);
  expectNoKey((error as Error).message);
  return error as ToolError;
}

describe('updateCustomer: only the id asked for is a confirmation', () => {
  it.each([
    ['"79461"', '"79461"'],
    ['79461', '79461'],
    ['79461.0, a JSON number (the number 79461)', '79461.0'],
    ['7.9461e4, a JSON number (the number 79461)', '7.9461e4'],
  ])('%s confirms an update of 79461', async (_label, id) => {
    answerOnce(new RawJson(`{"Message":"Customer updated successfully!","CustomerId":${id}}`));
    const outcome = await client.updateCustomer(ASKED, { phone1: '0400999888' });
    expect(outcome.value).toEqual({ customerId: ASKED, message: 'Customer updated successfully!' });
  });

  it.each([
    ['"080125" (a leading zero)', '080125'],
    ['"079461" (a leading zero, same digits)', '079461'],
    ['"C-80125"', 'C-80125'],
    ['"C-79461"', 'C-79461'],
    ['"" (empty)', ''],
    ['80125.5', 80125.5],
    ['79461.5', 79461.5],
    ['"79461.0" (a string with a decimal point)', '79461.0'],
    ['" 79461 " (padded)', ' 79461 '],
    ['"79461\\n"', '79461\n'],
    ['"+79461"', '+79461'],
    ['"7.9461e4"', '7.9461e4'],
    ['-79461', -79461],
    ['0', 0],
    ['"80125"', '80125'],
    ['80125', 80125],
    ['a huge number', 1e300],
    ['a 10,000-character id', '7'.repeat(10_000)],
  ])('%s for an update of 79461 is UNEXPECTED_RESPONSE, never done', async (_label, id) => {
    answerOnce({ Message: 'Customer updated successfully!', CustomerId: id });
    const error = await refusal(client.updateCustomer(ASKED, { phone1: '0400999888' }));
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/but customer 79461 was asked for/);
    expect(error.message.length).toBeLessThan(200);
    expect(error.details.hint).toMatch(/different customer/);
  });

  it('the older `id` and lower-case `customerId` names follow the same rule', async () => {
    answerOnce({ message: 'ok', customerId: '080125' });
    expect((await refusal(client.updateCustomer(ASKED, { surname: 'Smith' }))).code).toBe(
      'UNEXPECTED_RESPONSE',
    );
    answerOnce({ Message: 'ok', id: 'C-80125' });
    expect((await refusal(client.updateCustomer(ASKED, { surname: 'Smith' }))).code).toBe(
      'UNEXPECTED_RESPONSE',
    );
    answerOnce({ Message: 'ok', id: '79461' });
    expect((await client.updateCustomer(ASKED, { surname: 'Smith' })).value.customerId).toBe(ASKED);
  });
});

describe('readCustomerId', () => {
  it('reads a JSON number or the decimal digits of a positive integer, and nothing else', () => {
    expect(readCustomerId('79461')).toBe(79461);
    expect(readCustomerId(79461)).toBe(79461);
    expect(readCustomerId('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    for (const raw of [
      '080125',
      ' 79461',
      '79461 ',
      '79461.0',
      '+1',
      '-1',
      '0',
      '',
      '1e3',
      '0x10',
      '9007199254740993',
    ]) {
      expect(readCustomerId(raw), JSON.stringify(raw)).toBeUndefined();
    }
    for (const raw of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(readCustomerId(raw), String(raw)).toBeUndefined();
    }
  });
});

describe('getCustomerByEmail: only the email asked for is an answer', () => {
  const customer = (email: unknown) => ({
    customer_id: '79461',
    customer_first_name: 'John',
    customer_last_name: 'Smith',
    ...(email === undefined ? {} : { customer_email: email }),
  });

  it.each([
    ['the same address', 'john.smith@example.com'],
    ['ASCII case differences', 'John.Smith@EXAMPLE.com'],
    ['ASCII spaces around it', ' john.smith@example.com\n'],
  ])('%s is the customer asked for', async (_label, email) => {
    answerOnce(customer(email));
    const outcome = await client.getCustomerByEmail('john.smith@example.com');
    expect(outcome.value.pkcustomerid).toBe(79461);
  });

  it.each([
    ['another address', 'mei.chen@example.net'],
    ['a prefix of it', 'john.smith@example.co'],
    ['the address with a trailing NUL', 'john.smith@example.com\u0000'],
    ['the address as a number-like value', 79461],
    ['the address in a list', ['john.smith@example.com']],
    ['null', null],
    ['no email at all', undefined],
  ])('%s is UNEXPECTED_RESPONSE, not the customer', async (_label, email) => {
    answerOnce(customer(email));
    const error = await refusal(client.getCustomerByEmail('john.smith@example.com'));
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(error.details.hint).toMatch(/not used/);
  });
  it('an address that equals it only under Unicode case folding (KELVIN SIGN for "k") is refused', async () => {
    answerOnce({ ...customer('\u212aate@example.com'), customer_id: '80125' });
    const error = await refusal(client.getCustomerByEmail('kate@example.com'));
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
  });
});

describe('isSameEmail', () => {
  it('ignores ASCII case and surrounding ASCII spaces of the answer, nothing else', () => {
    expect(isSameEmail('a.b@example.com', 'A.B@Example.COM')).toBe(true);
    expect(isSameEmail('a.b@example.com', '\t a.b@example.com \r\n')).toBe(true);
    expect(isSameEmail('zoë@example.com', 'zoë@example.com')).toBe(true);
    expect(isSameEmail('zoë@example.com', 'ZOË@example.com')).toBe(false);
    expect(isSameEmail('kate@example.com', '\u212aate@example.com')).toBe(false);
    expect(isSameEmail('a.b@example.com', '\u00a0a.b@example.com')).toBe(false);
    expect(isSameEmail('a.b@example.com', 'a.b@example.com.')).toBe(false);
  });

  it('is linear in a long answer (a trailing-space pattern would not be)', () => {
    const long = `a${' '.repeat(200_000)}b`;
    const started = performance.now();
    expect(isSameEmail('a@b.c', long)).toBe(false);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
