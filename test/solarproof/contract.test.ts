import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/errors.js';
import {
  ACTIONS,
  API_PATH,
  COMPANY_MAX,
  CUSTOMER_TYPES,
  customerIdSchema,
  EMAIL_MAX,
  fieldsIn,
  NAME_MAX,
  PHONE_MAX,
  parseUpdateCustomerSuccess,
  UPDATABLE_FIELDS,
  updateCustomerBody,
  updateFieldSchemas,
  upstreamError,
} from '../../src/solarproof/contract.js';
import { UPSTREAM_ERROR_CODES } from '../../src/solarproof/errors.js';

/** Runs fn and returns what it threw, failing the test when it does not throw. */
function thrown(fn: () => unknown): ToolError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ToolError);
    return error as ToolError;
  }
  throw new Error('expected a throw');
}

describe('constants', () => {
  it('match the documented endpoint, actions and field list', () => {
    expect(API_PATH).toBe('apidata.php');
    expect(ACTIONS.updateCustomer).toBe('updatecustomer');
    expect(CUSTOMER_TYPES).toEqual(['RESIDENTIAL', 'COMMERCIAL', 'LARGE-SCALE']);
    expect(UPDATABLE_FIELDS).toEqual([
      'firstname',
      'surname',
      'email',
      'phone1',
      'phone2',
      'type',
      'companyname',
      'companyphone',
      'gststatus',
    ]);
  });
});

describe('updateCustomerBody', () => {
  it('builds the documented single-field body exactly', () => {
    expect(updateCustomerBody('YOUR_API_KEY', 79461, { phone1: '0400999888' })).toEqual({
      data: { apikey: 'YOUR_API_KEY', action: 'updatecustomer', pkcustomerid: 79461, phone1: '0400999888' },
    });
  });

  it('serialises to the documented partial-update JSON byte for byte', () => {
    const body = updateCustomerBody('YOUR_API_KEY', 79461, {
      phone1: '0400111222',
      email: 'newemail@example.com',
    });
    expect(JSON.stringify(body)).toBe(
      '{"data":{"apikey":"YOUR_API_KEY","action":"updatecustomer","pkcustomerid":79461,"email":"newemail@example.com","phone1":"0400111222"}}',
    );
  });

  it('puts apikey, action, pkcustomerid first, then the given fields in the documented order', () => {
    const body = updateCustomerBody('k', 1, {
      gststatus: 1,
      type: 'COMMERCIAL',
      companyphone: '1300123456',
      surname: 'Smith',
      email: 'john.smith@example.com',
      firstname: 'John',
      companyname: 'Smith Solar Solutions',
      phone2: '0298765432',
      phone1: '0412345678',
    });
    expect(Object.keys(body)).toEqual(['data']);
    expect(Object.keys(body.data)).toEqual(['apikey', 'action', 'pkcustomerid', ...UPDATABLE_FIELDS]);
  });

  it('sends only the fields given; undefined ones are left out', () => {
    const body = updateCustomerBody('k', 5, { firstname: 'Jo', surname: undefined, email: undefined });
    expect(body.data).toEqual({ apikey: 'k', action: 'updatecustomer', pkcustomerid: 5, firstname: 'Jo' });
    expect('surname' in body.data).toBe(false);
    expect(updateCustomerBody('k', 5, {}).data).toEqual({
      apikey: 'k',
      action: 'updatecustomer',
      pkcustomerid: 5,
    });
  });

  it('keeps falsy but meaningful values: gststatus 0 and empty strings that clear a field', () => {
    const body = updateCustomerBody('k', 5, { gststatus: 0, phone2: '', companyname: '', companyphone: '' });
    expect(body.data).toEqual({
      apikey: 'k',
      action: 'updatecustomer',
      pkcustomerid: 5,
      phone2: '',
      companyname: '',
      companyphone: '',
      gststatus: 0,
    });
  });

  it('keeps pkcustomerid a number and the key exactly as given', () => {
    const key = 'spk_a&b+c=d/ e"f';
    const body = updateCustomerBody(key, 79461, { gststatus: 1 });
    expect(body.data.pkcustomerid).toBe(79461);
    expect(typeof body.data.pkcustomerid).toBe('number');
    expect(body.data.apikey).toBe(key);
    expect(JSON.parse(JSON.stringify(body)).data.apikey).toBe(key);
  });

  it('passes values through untouched: accents, apostrophes, CJK, ampersands, surrounding spaces', () => {
    const update = {
      firstname: 'Zoë-Renée',
      surname: "O'Brien",
      companyname: 'Smith & Sons Pty Ltd — 太阳能 “Solar”',
      email: "zoë.o'brien@exämple.com.au",
      phone1: ' +61 (02) 9876-5432 ',
    };
    const body = updateCustomerBody('k', 9, update);
    expect(body.data).toMatchObject(update);
    expect(JSON.parse(JSON.stringify(body)).data).toMatchObject(update);
    expect(body.data.surname).toBe("O'Brien");
    expect(body.data.phone1).toBe(' +61 (02) 9876-5432 ');
  });

  it('does not modify the update it was given', () => {
    const update = { firstname: 'John', gststatus: 1 as const };
    const copy = structuredClone(update);
    updateCustomerBody('k', 1, update);
    expect(update).toEqual(copy);
  });
});

describe('fieldsIn', () => {
  it('lists the given fields in the documented order, counting 0 and empty strings', () => {
    expect(fieldsIn({ gststatus: 0, phone2: '', firstname: 'A', email: undefined })).toEqual([
      'firstname',
      'phone2',
      'gststatus',
    ]);
    expect(fieldsIn({})).toEqual([]);
  });
});

describe('upstreamError', () => {
  it.each([undefined, null, 'CUSTOMER_NOT_FOUND', 42, ['code'], [{ code: 'X' }]])(
    'returns undefined for the non-object body %j',
    (body) => {
      expect(upstreamError(400, body)).toBeUndefined();
    },
  );

  it('returns undefined for a success body or one with neither code nor success:false', () => {
    expect(
      upstreamError(200, { Message: 'Customer updated successfully!', CustomerId: '79461' }),
    ).toBeUndefined();
    expect(upstreamError(400, { error: 'something' })).toBeUndefined();
    expect(upstreamError(200, { success: true })).toBeUndefined();
  });

  it.each(UPSTREAM_ERROR_CODES)('maps the documented code %s to the same code', (code) => {
    const error = upstreamError(404, { code, message: `Upstream says ${code}` });
    expect(error).toBeInstanceOf(ToolError);
    expect(error?.code).toBe(code);
    expect(error?.message).toBe(`Upstream says ${code}`);
    expect(error?.details.httpStatus).toBe(404);
    expect(error?.details.upstreamCode).toBeUndefined();
  });

  it('treats a documented code under HTTP 200 as the error it names', () => {
    const error = upstreamError(200, {
      code: 'CUSTOMER_NOT_FOUND',
      message: 'No customer exists with ID: 79461',
    });
    expect(error?.code).toBe('CUSTOMER_NOT_FOUND');
    expect(error?.details.httpStatus).toBe(200);
    expect(error?.retryable).toBe(false);
    expect(error?.message).toBe('No customer exists with ID: 79461');
  });

  it('reports an unknown code as UPSTREAM_ERROR, keeping the code as upstreamCode', () => {
    const error = upstreamError(400, { code: 'QUOTA_EXCEEDED', message: 'Too many' });
    expect(error?.code).toBe('UPSTREAM_ERROR');
    expect(error?.details.upstreamCode).toBe('QUOTA_EXCEEDED');
    expect(error?.message).toBe('Too many');
    expect(error?.details.httpStatus).toBe(400);
  });

  it('does not let upstream claim one of this server’s own codes', () => {
    for (const code of ['TIMEOUT', 'CONFIGURATION', 'INTERNAL', 'INVALID_ARGUMENTS']) {
      const error = upstreamError(500, { code, message: 'x' });
      expect(error?.code).toBe('UPSTREAM_ERROR');
      expect(error?.details.upstreamCode).toBe(code);
    }
  });

  it('accepts error_code and errorCode as the code', () => {
    expect(upstreamError(400, { error_code: 'PERMISSION_DENIED', message: 'no' })?.code).toBe(
      'PERMISSION_DENIED',
    );
    expect(upstreamError(400, { errorCode: 'UPDATE_FAILED', message: 'no' })?.code).toBe('UPDATE_FAILED');
  });

  it('treats success:false and status:"error" without a code as UPSTREAM_ERROR with no upstreamCode', () => {
    const a = upstreamError(200, { success: false, message: 'Could not save' });
    expect(a?.code).toBe('UPSTREAM_ERROR');
    expect(a?.details.upstreamCode).toBeUndefined();
    expect(a?.message).toBe('Could not save');
    const b = upstreamError(200, { status: 'error', error: 'Broken' });
    expect(b?.code).toBe('UPSTREAM_ERROR');
    expect(b?.message).toBe('Broken');
  });

  it('writes its own message when upstream sends none or a non-text one', () => {
    expect(upstreamError(404, { code: 'CUSTOMER_NOT_FOUND' })?.message).toBe(
      'Solar Proof reported CUSTOMER_NOT_FOUND (HTTP 404).',
    );
    expect(upstreamError(400, { code: 'X', message: { nested: true } })?.message).toBe(
      'Solar Proof reported X (HTTP 400).',
    );
    expect(upstreamError(200, { success: false, message: null })?.message).toBe(
      'Solar Proof reported an error (HTTP 200).',
    );
  });

  it('takes Message (capitalised) as the message too', () => {
    expect(upstreamError(400, { code: 'INVALID_PARAMETERS', Message: 'Bad id' })?.message).toBe('Bad id');
  });

  it('cuts a long message to 500 characters ending with an ellipsis', () => {
    const error = upstreamError(500, { code: 'UPDATE_FAILED', message: 'a'.repeat(5000) });
    expect(error?.message).toHaveLength(500);
    expect(error?.message.endsWith('…')).toBe(true);
    expect(error?.message.startsWith('a'.repeat(499))).toBe(true);
    const exact = upstreamError(500, { code: 'UPDATE_FAILED', message: 'b'.repeat(500) });
    expect(exact?.message).toBe('b'.repeat(500));
  });

  it('flattens control characters and whitespace runs into single spaces and trims', () => {
    const error = upstreamError(400, {
      code: 'INVALID_PARAMETERS',
      message: '  line one\r\nline two\t\u0000\u001b[31mred\u007f\u0085end  ',
    });
    expect(error?.message).toBe('line one line two [31mred end');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking none survive.
    expect(error?.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('cleans and bounds the upstream code too, and ignores a non-string code', () => {
    const spaced = upstreamError(400, { code: '  CUSTOMER_NOT_FOUND\n', message: 'm' });
    expect(spaced?.code).toBe('CUSTOMER_NOT_FOUND');
    const long = upstreamError(400, { code: `X${'Y'.repeat(200)}`, message: 'm' });
    expect(long?.code).toBe('UPSTREAM_ERROR');
    expect(long?.details.upstreamCode?.length).toBe(64);
    const numeric = upstreamError(400, { code: 42, message: 'm' });
    expect(numeric?.code).toBe('UPSTREAM_ERROR');
    expect(numeric?.details.upstreamCode).toBeUndefined();
  });
});

describe('parseUpdateCustomerSuccess', () => {
  it('reads the documented success body, turning the string id into a number', () => {
    expect(
      parseUpdateCustomerSuccess(200, { Message: 'Customer updated successfully!', CustomerId: '79461' }),
    ).toEqual({ customerId: 79461, message: 'Customer updated successfully!' });
  });

  it('accepts the older `id` variant, a numeric id and lower-case names', () => {
    expect(parseUpdateCustomerSuccess(200, { Message: 'ok', id: '80125' })).toEqual({
      customerId: 80125,
      message: 'ok',
    });
    expect(parseUpdateCustomerSuccess(200, { Message: 'ok', CustomerId: 81307 }).customerId).toBe(81307);
    expect(parseUpdateCustomerSuccess(200, { message: 'ok', customerId: '82550' })).toEqual({
      customerId: 82550,
      message: 'ok',
    });
  });

  it('keeps an id that is not a plain safe integer as a string', () => {
    expect(parseUpdateCustomerSuccess(200, { Message: 'ok', CustomerId: 'C-79461' }).customerId).toBe(
      'C-79461',
    );
    expect(parseUpdateCustomerSuccess(200, { Message: 'ok', CustomerId: '079461' }).customerId).toBe(
      '079461',
    );
    expect(
      parseUpdateCustomerSuccess(200, { Message: 'ok', CustomerId: '99999999999999999' }).customerId,
    ).toBe('99999999999999999');
    // Not trimmed: a padded id is not the documented form (issue 7).
    expect(parseUpdateCustomerSuccess(200, { Message: 'ok', CustomerId: ' 82550 ' }).customerId).toBe(
      ' 82550 ',
    );
  });

  it('cleans the upstream message', () => {
    expect(parseUpdateCustomerSuccess(200, { Message: ' Updated!\n\n', CustomerId: '1' }).message).toBe(
      'Updated!',
    );
  });

  it.each([
    ['no id', { Message: 'Customer updated successfully!' }],
    ['no message', { CustomerId: '79461' }],
    ['id of the wrong type', { Message: 'ok', CustomerId: { value: 1 } }],
    ['message of the wrong type', { Message: 42, CustomerId: '79461' }],
    ['an empty object', {}],
    ['an array', [{ Message: 'ok', CustomerId: '1' }]],
    ['a string', 'Customer updated successfully!'],
    ['null', null],
    ['undefined', undefined],
  ])('refuses %s as UNEXPECTED_RESPONSE', (_label, body) => {
    const error = thrown(() => parseUpdateCustomerSuccess(200, body));
    expect(error.code).toBe('UNEXPECTED_RESPONSE');
    expect(error.details.httpStatus).toBe(200);
    expect(error.retryable).toBe(false);
  });

  it('raises the upstream error when a 200 body carries one, even beside success fields', () => {
    const error = thrown(() =>
      parseUpdateCustomerSuccess(200, { code: 'UPDATE_FAILED', message: 'DB down', CustomerId: '79461' }),
    );
    expect(error.code).toBe('UPDATE_FAILED');
    expect(error.message).toBe('DB down');
    expect(
      thrown(() => parseUpdateCustomerSuccess(200, { success: false, Message: 'x', CustomerId: '1' })).code,
    ).toBe('UPSTREAM_ERROR');
  });
});

describe('field schemas', () => {
  const ok = (field: keyof typeof updateFieldSchemas, value: unknown) =>
    expect(
      updateFieldSchemas[field].safeParse(value).success,
      `${field} should accept ${JSON.stringify(value)}`,
    ).toBe(true);
  const bad = (field: keyof typeof updateFieldSchemas, value: unknown) =>
    expect(
      updateFieldSchemas[field].safeParse(value).success,
      `${field} should refuse ${JSON.stringify(value)}`,
    ).toBe(false);

  it('email: accepts ordinary addresses up to the limit', () => {
    for (const value of ['john.smith@example.com', 'a+tag@sub.example.com.au', "o'brien@example.co"])
      ok('email', value);
    const local = 'a'.repeat(64);
    const domain = `${'b'.repeat(EMAIL_MAX - 64 - 1 - 4)}.com`;
    expect(`${local}@${domain}`).toHaveLength(EMAIL_MAX);
    ok('email', `${local}@${domain}`);
    bad('email', `${local}@b${domain}`);
  });

  it('email: refuses malformed addresses', () => {
    for (const value of [
      '',
      'john',
      'john@',
      '@example.com',
      'john@example',
      'john@@example.com',
      'a@b@example.com',
      'john smith@example.com',
      'john@example..com',
      'john@.example.com',
      'john@example.com.',
      ' john@example.com',
      'john@example.com\n',
      42,
    ]) {
      bad('email', value);
    }
  });

  it('phone1: accepts Australian formats up to 30 characters', () => {
    for (const value of [
      '0412345678',
      '+61 412 345 678',
      '(02) 9876 5432',
      '02-9876.5432',
      '7',
      '1'.repeat(PHONE_MAX),
    ]) {
      ok('phone1', value);
    }
  });

  it('phone1: refuses empty, letters, no digit, control characters and over-long values', () => {
    for (const value of [
      '',
      ' ',
      '+',
      '()- .',
      '0412 345 67x',
      'call me',
      '++61 412',
      '0412\n345678',
      '1'.repeat(PHONE_MAX + 1),
      412345678,
    ]) {
      bad('phone1', value);
    }
  });

  it('phone2 and companyphone: also accept an empty string (clear the field) but not junk', () => {
    for (const field of ['phone2', 'companyphone'] as const) {
      ok(field, '');
      ok(field, '1300 123 456');
      bad(field, ' ');
      bad(field, 'n/a');
      bad(field, '1'.repeat(PHONE_MAX + 1));
    }
  });

  it('names: accept real names up to 100 characters, sent as given', () => {
    for (const field of ['firstname', 'surname'] as const) {
      for (const value of [
        'John',
        "O'Brien",
        'Zoë',
        '李小龙',
        'Smith-Jones',
        ' padded ',
        'x'.repeat(NAME_MAX),
      ]) {
        ok(field, value);
      }
      expect(updateFieldSchemas[field].parse(' padded ')).toBe(' padded ');
    }
  });

  it('names: refuse empty, blank, control characters and over-long values', () => {
    for (const field of ['firstname', 'surname'] as const) {
      for (const value of [
        '',
        ' ',
        '   \u00a0',
        'Jo\nhn',
        'Jo\thn',
        'John\u0000',
        'x'.repeat(NAME_MAX + 1),
        null,
      ]) {
        bad(field, value);
      }
    }
  });

  it('companyname: allows empty (clear) up to 150 characters, no control characters', () => {
    ok('companyname', '');
    ok('companyname', 'Smith & Sons Pty Ltd');
    ok('companyname', 'c'.repeat(COMPANY_MAX));
    bad('companyname', 'c'.repeat(COMPANY_MAX + 1));
    bad('companyname', 'Smith\r\nSons');
  });

  it('gststatus: only the integers 0 and 1', () => {
    ok('gststatus', 0);
    ok('gststatus', 1);
    for (const value of [2, -1, 0.5, '1', '0', true, false, null, Number.NaN]) bad('gststatus', value);
  });

  it('type: only the three documented upper-case values', () => {
    for (const value of CUSTOMER_TYPES) ok('type', value);
    for (const value of ['residential', 'Residential', 'LARGE_SCALE', 'LARGE SCALE', 'OTHER', '', 1]) {
      bad('type', value);
    }
  });

  it('customerIdSchema: a positive integer, not a numeric string', () => {
    expect(customerIdSchema.safeParse(79461).success).toBe(true);
    expect(customerIdSchema.safeParse(1).success).toBe(true);
    for (const value of [0, -5, 1.5, '79461', Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(customerIdSchema.safeParse(value).success).toBe(false);
    }
  });
});
