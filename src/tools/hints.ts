/**
 * Advice shared by the tools that only read. The catalogue's default hints speak of updates; a read
 * changes nothing, so for these codes it is always safe to say so, and to say what to do instead.
 */
import type { Hints } from './define.js';

export const READ_HINTS: Hints = {
  PERMISSION_DENIED:
    'The Solar Proof user behind this API key may not see this customer. Tell the user; an account administrator must grant access.',
  UPDATE_FAILED:
    'Solar Proof reported a server error for the lookup. A lookup changes nothing, so calling again once later is safe; tell the user if it persists.',
  TIMEOUT:
    'Solar Proof did not answer in time. A lookup changes nothing, so calling again is safe; if it keeps timing out, tell the user Solar Proof seems slow or down.',
  CANCELLED:
    'The lookup was cancelled before Solar Proof answered. It changes nothing; repeat it if still wanted.',
  NETWORK:
    'Solar Proof could not be reached. A lookup changes nothing, so calling again later is safe; check the network or SOLARPROOF_BASE_URL if it persists.',
  UPSTREAM_UNAVAILABLE:
    'Solar Proof is temporarily unavailable. A lookup changes nothing: try again in a minute, and tell the user if it persists.',
  UPSTREAM_SERVER_ERROR:
    'Solar Proof had a server error. A lookup changes nothing, so calling again once later is safe; tell the user if it persists.',
  UNEXPECTED_RESPONSE:
    'Solar Proof answered the lookup in a shape this server does not recognise. Nothing was changed; tell the user, and do not update this customer on the strength of a guess.',
  RESPONSE_TOO_LARGE:
    'Solar Proof’s answer to the lookup was larger than this server accepts and was cut off. Nothing was changed; tell the user.',
};
