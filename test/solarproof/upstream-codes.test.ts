/** Older pages' names for documented error codes, classified like the documented ones. */
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG } from '../../src/errors.js';
import { upstreamError } from '../../src/solarproof/contract.js';

describe('older error-code names', () => {
  it.each([
    ['API_KEY_INVALID', 'INVALID_API_KEY'],
    ['UNAUTHORISED', 'PERMISSION_DENIED'],
    ['UNAUTHORIZED', 'PERMISSION_DENIED'],
  ])('%s is %s, with its hint, and keeps the name sent', (sent, code) => {
    const error = upstreamError(401, { code: sent, message: 'No' });
    expect(error).toMatchObject({ code, details: { upstreamCode: sent, httpStatus: 401 }, message: 'No' });
    // No advice of its own: the result gets the catalogue's hint for the code, as the documented name does.
    expect(error?.details.hint).toBeUndefined();
    expect(ERROR_CATALOG[code as keyof typeof ERROR_CATALOG].hint).toBeTruthy();
  });

  it.each(['NOT_FOUND', 'UNKNOWN', 'CAMPAIGN_NOT_FOUND', 'constructor', '__proto__', 'toString'])(
    '%s stays UPSTREAM_ERROR with the code kept',
    (sent) => {
      expect(upstreamError(400, { code: sent, message: 'x' })).toMatchObject({
        code: 'UPSTREAM_ERROR',
        details: { upstreamCode: sent },
      });
    },
  );
});
