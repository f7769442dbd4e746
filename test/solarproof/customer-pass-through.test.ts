import { describe, expect, it } from 'vitest';
import { parseGetCustomer } from '../../src/solarproof/customer.js';

describe('unmapped pass-through', () => {
  it('carries only JSON: a number too large for a double arrives as null, not Infinity', () => {
    const customer = parseGetCustomer(
      200,
      JSON.parse('{"customer_id":"79461","odd":1e400,"deep":{"x":[-1e400]}}'),
    );
    expect(customer.unmapped).toEqual({ odd: null, deep: { x: [null] } });
  });
});
