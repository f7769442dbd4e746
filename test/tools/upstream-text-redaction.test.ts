/**
 * Issue 7, items 2 and 3 through the built server and the SDK Client: upstream text placed so that
 * a cut to length would split the key, on every path from an answer into a result (a redirect's
 * Location, an error message, a non-JSON body), and a confirmation for another customer id (each
 * the answer to the update itself; the reads before and after it are answered normally). The
 * harness checks every result and the server's stderr for the key when the file ends.
 */
import { describe, expect, it } from 'vitest';
import {
  answer,
  expectNoKey,
  onUpdates,
  SENTINEL_KEY,
  type ServerProcess,
  structured,
  textData,
  useStandInAndInProcessServer,
} from '../helpers/harness.js';
import type { StandIn } from '../helpers/stand-in.js';

let standIn: StandIn;
let server: ServerProcess;
useStandInAndInProcessServer({ SOLARPROOF_TIMEOUT_MS: '3000' }, (s, p) => {
  standIn = s;
  server = p;
});

const update = () => server.call({ pkcustomerid: 79461, phone1: '0400999888' });
const firstLine = (result: Awaited<ReturnType<typeof update>>) =>
  result.content[0]?.type === 'text' ? (result.content[0].text.split('\n')[0] ?? '') : '';

describe('a key in a redirect', () => {
  it('Location …?return=<850 characters>&src=<key>: neither the text block nor the result carries any of it', async () => {
    const location = `http://127.0.0.3/login?return=${'r'.repeat(850)}&src=${encodeURIComponent(SENTINEL_KEY)}`;
    standIn.setBehaviour(onUpdates(answer(302, { moved: true }, { location }), 1));
    const result = await update();
    expect(result.isError).toBe(true);
    expect(structured(result)).toMatchObject({ code: 'REDIRECT_REFUSED', httpStatus: 302 });
    // Scheme, host and path only: no query, whatever its parameters are called.
    expect(structured(result).message).toBe(
      'Solar Proof answered HTTP 302 with a redirect to http://127.0.0.3/login (query not shown); redirects are not followed.',
    );
    expectNoKey(firstLine(result));
    expect(firstLine(result)).not.toContain('return=');
    expectNoKey(JSON.stringify(result));
    expect(textData(result)).toEqual(structured(result));
  });

  it.each([
    ['in the path, percent-encoded', `/k/${encodeURIComponent(SENTINEL_KEY)}/x`],
    ['in the path, as a URL path writes it', `/k/${SENTINEL_KEY.replace(' ', '%20')}/x`],
    ['in the fragment', `/login#${encodeURIComponent(SENTINEL_KEY)}`],
    ['as the user info', `//u:${encodeURIComponent(SENTINEL_KEY)}@127.0.0.3/login`],
  ])('a key %s is not shown', async (_label, where) => {
    const location = where.startsWith('//') ? `http:${where}` : `http://127.0.0.3${where}`;
    standIn.setBehaviour(onUpdates(answer(307, {}, { location }), 1));
    const result = await update();
    expect(structured(result).code).toBe('REDIRECT_REFUSED');
    expectNoKey(JSON.stringify(result));
    expect(String(structured(result).message)).toMatch(/redirect to http:\/\/127\.0\.0\.3\//);
  });
});

describe('a key where a cut to length falls inside it', () => {
  it('an error message whose key has a newline for its space, across the 500-character cut', async () => {
    // Cleaning the message turns the newline into a space, which rebuilds the raw key; the cut
    // at 500 then used to keep its first 19 characters.
    const message = `${'m'.repeat(480)}${SENTINEL_KEY.replace(' ', '\n')}`;
    standIn.setBehaviour(onUpdates(answer(400, { code: 'INVALID_PARAMETERS', message }), 1));
    const result = await update();
    expect(structured(result).code).toBe('INVALID_PARAMETERS');
    expectNoKey(JSON.stringify(result));
    expect(String(structured(result).message)).toContain('[REDACTED]');
  });

  it('an HTML error page whose key is split by a tag, across the 120-character excerpt', async () => {
    const [head, tail] = SENTINEL_KEY.split(' ') as [string, string];
    const page = `<html><body><p>${'e'.repeat(105)}</p>${head}<br>${tail}</body></html>`;
    standIn.setBehaviour(
      onUpdates((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(page);
        return true;
      }, 1),
    );
    const result = await update();
    expect(structured(result).code).toBe('UPSTREAM_SERVER_ERROR');
    expectNoKey(JSON.stringify(result));
  });
});

describe('a confirmation for another customer id, through the tool', () => {
  it.each(['080125', 'C-80125', '', 80125.5, ' 79461 ', '79461.0'])(
    'CustomerId %j for an update of 79461 is UNEXPECTED_RESPONSE, not ok',
    async (id) => {
      standIn.setBehaviour(
        onUpdates(answer(200, { Message: 'Customer updated successfully!', CustomerId: id }), 1),
      );
      const result = await update();
      expect(result.isError).toBe(true);
      expect(structured(result)).toMatchObject({ ok: false, code: 'UNEXPECTED_RESPONSE', retryable: false });
      expect(structured(result)).not.toHaveProperty('customerId');
    },
  );

  it('"79461" is done, and the result names the customer asked for', async () => {
    standIn.setBehaviour(
      onUpdates(answer(200, { Message: 'Customer updated successfully!', CustomerId: '79461' }), 1),
    );
    const result = await update();
    expect(structured(result)).toMatchObject({ ok: true, customerId: 79461 });
  });
});
