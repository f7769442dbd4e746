/** The pure decisions of an update: what differs, what was expected, what took, how it reads. */
import { describe, expect, it } from 'vitest';
import {
  appliedFrom,
  changesFromCopy,
  customerLabel,
  describeChanges,
  diffUpdate,
  expectationMismatches,
  fieldsNotTaken,
  sameAsExpected,
  type UpdatableValues,
  updateOf,
} from '../../src/solarproof/changes.js';

const JOHN: UpdatableValues = {
  firstname: 'John',
  surname: 'Smith',
  email: 'john.smith@example.com',
  phone1: '0412345678',
  phone2: '0298765432',
  type: 'RESIDENTIAL',
  companyname: 'Smith Solar Solutions',
  companyphone: '1300123456',
  gststatus: 1,
};

describe('diffUpdate', () => {
  it('keeps only the fields whose value differs, exactly, with the value before', () => {
    expect(diffUpdate(JOHN, { phone1: '0400 999 888', surname: 'Smith', gststatus: 1, phone2: '' })).toEqual({
      changes: [
        { field: 'phone1', from: '0412345678', to: '0400 999 888' },
        { field: 'phone2', from: '0298765432', to: '' },
      ],
      unchanged: ['surname', 'gststatus'],
    });
  });

  it('a phone with the same digits spaced differently is a change: the stored text changes', () => {
    expect(diffUpdate(JOHN, { phone1: '0412 345 678' }).changes).toEqual([
      { field: 'phone1', from: '0412345678', to: '0412 345 678' },
    ]);
  });

  it('case and surrounding spaces are changes too, and an unknown value differs from everything', () => {
    expect(diffUpdate(JOHN, { email: 'John.Smith@example.com' }).changes).toHaveLength(1);
    expect(diffUpdate({ ...JOHN, type: null }, { type: 'RESIDENTIAL' }).changes).toEqual([
      { field: 'type', from: null, to: 'RESIDENTIAL' },
    ]);
    expect(diffUpdate(JOHN, { gststatus: 0 }).changes).toEqual([{ field: 'gststatus', from: 1, to: 0 }]);
  });

  it('nothing differs: no changes, every field unchanged', () => {
    expect(diffUpdate(JOHN, { firstname: 'John', type: 'RESIDENTIAL' })).toEqual({
      changes: [],
      unchanged: ['firstname', 'type'],
    });
  });
});

describe('changesFromCopy', () => {
  it('every requested field, from the copy or null', () => {
    expect(changesFromCopy(JOHN, { phone1: '0412345678', surname: 'Smyth' })).toEqual([
      { field: 'surname', from: 'Smith', to: 'Smyth' },
      { field: 'phone1', from: '0412345678', to: '0412345678' },
    ]);
    expect(changesFromCopy(undefined, { surname: 'Smyth' })).toEqual([
      { field: 'surname', from: null, to: 'Smyth' },
    ]);
    expect(updateOf(changesFromCopy(undefined, { surname: 'Smyth', gststatus: 0 }))).toEqual({
      surname: 'Smyth',
      gststatus: 0,
    });
  });
});

describe('sameAsExpected: as a person would compare', () => {
  it.each([
    ['email', 'JOHN.Smith@Example.com', 'john.smith@example.com', true],
    ['email', '  john.smith@example.com ', 'john.smith@example.com', true],
    ['email', 'john.smith@example.com', ' john.smith@example.com ', true],
    ['email', 'jon.smith@example.com', 'john.smith@example.com', false],
    // No Unicode case folding: the Kelvin sign is not k.
    ['email', 'john.smith@example.\u212Aom', 'john.smith@example.kom', false],
    ['phone1', '+61 412 345 678', '0412345678', true],
    ['phone1', '0412 345 678', '61412345678', true],
    ['phone1', '0412 345 679', '0412345678', false],
    ['companyphone', '(02) 9876 5432', '0298765432', true],
    ['firstname', 'john', 'John', false],
    ['firstname', 'John', 'John', true],
    ['gststatus', 1, 1, true],
    ['gststatus', 0, 1, false],
    ['type', 'RESIDENTIAL', 'RESIDENTIAL', true],
  ] as const)('%s: %j against %j → %s', (field, expected, actual, same) => {
    expect(sameAsExpected(field, expected, actual)).toBe(same);
  });

  it('an unknown value never matches', () => {
    expect(sameAsExpected('email', 'john.smith@example.com', null)).toBe(false);
  });

  it('expectationMismatches names the fields that differ, in field order', () => {
    expect(
      expectationMismatches(JOHN, {
        email: 'JOHN.SMITH@example.com',
        surname: 'Smyth',
        phone1: '+61412345678',
      }),
    ).toEqual(['surname']);
    expect(expectationMismatches(JOHN, {})).toEqual([]);
  });
});

describe('after the update', () => {
  it('fieldsNotTaken: the sent fields a read-back shows otherwise, exactly', () => {
    expect(fieldsNotTaken(JOHN, { phone1: '0412345678', surname: 'Smyth' })).toEqual(['surname']);
    expect(fieldsNotTaken(JOHN, { phone1: '0412 345 678' })).toEqual(['phone1']);
  });

  it('appliedFrom: true when all took, false when none did, unknown otherwise', () => {
    expect(appliedFrom(JOHN, { phone1: '0412345678', gststatus: 1 })).toBe(true);
    expect(appliedFrom(JOHN, { phone1: '0400999888', gststatus: 0 })).toBe(false);
    expect(appliedFrom(JOHN, { phone1: '0412345678', gststatus: 0 })).toBe('unknown');
    // A field read back as unknown cannot say "not applied".
    expect(appliedFrom({ ...JOHN, type: null }, { type: 'COMMERCIAL' })).toBe('unknown');
  });
});

describe('how an update reads', () => {
  it('customerLabel names the customer, or falls back to the id', () => {
    expect(customerLabel(79461, JOHN)).toBe('John Smith (79461)');
    expect(customerLabel(79461, { firstname: null, surname: null })).toBe('customer 79461');
    expect(customerLabel(79461, { firstname: 'Evil\nName', surname: null })).toBe('Evil Name (79461)');
  });

  it('describeChanges: from → to, empty shown as "", unknown as unknown', () => {
    expect(
      describeChanges([
        { field: 'phone1', from: '0412345678', to: '0400 999 888' },
        { field: 'phone2', from: '0298765432', to: '' },
        { field: 'type', from: null, to: 'COMMERCIAL' },
        { field: 'gststatus', from: 0, to: 1 },
      ]),
    ).toBe(
      'phone1 0412345678 → 0400 999 888; phone2 0298765432 → ""; type unknown → COMMERCIAL; gststatus 0 → 1',
    );
  });
});
