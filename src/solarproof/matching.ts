/**
 * How find_customers decides that a customer matches a query, and in what order matches come.
 * Pure functions: no I/O, so every rule is unit-tested on its own (test/solarproof/matching.test.ts).
 *
 * Text is folded before it is compared: case, accents, apostrophes and spacing do not matter
 * ("jose" finds "José", "o'brien" finds "O’Brien"). Phones compare by digits with the Australian
 * forms made one ("+61 412 345 678" is "0412 345 678").
 */
import type { Customer } from './customer.js';

/** What a search needs of a customer, and what it shows: a small part of the whole record. */
export type CustomerSummary = Pick<
  Customer,
  | 'pkcustomerid'
  | 'firstname'
  | 'surname'
  | 'email'
  | 'phone1'
  | 'phone2'
  | 'companyname'
  | 'companyphone'
  | 'type'
  | 'gststatus'
  | 'status'
  | 'creationDate'
>;

export const SUMMARY_FIELDS = [
  'pkcustomerid',
  'firstname',
  'surname',
  'email',
  'phone1',
  'phone2',
  'companyname',
  'companyphone',
  'type',
  'gststatus',
  'status',
  'creationDate',
] as const satisfies readonly (keyof CustomerSummary)[];

export function summarise(customer: CustomerSummary): CustomerSummary {
  return {
    pkcustomerid: customer.pkcustomerid,
    firstname: customer.firstname,
    surname: customer.surname,
    email: customer.email,
    phone1: customer.phone1,
    phone2: customer.phone2,
    companyname: customer.companyname,
    companyphone: customer.companyphone,
    type: customer.type,
    gststatus: customer.gststatus,
    status: customer.status,
    creationDate: customer.creationDate,
  };
}

export const MATCH_FIELDS = [
  'pkcustomerid',
  'firstname',
  'surname',
  'companyname',
  'email',
  'phone1',
  'phone2',
  'companyphone',
] as const;
export type MatchField = (typeof MATCH_FIELDS)[number];

/** Exact (whole name, email, phone or id), then prefix (words start so), then fragment (anywhere). */
export const MATCH_KINDS = ['exact', 'prefix', 'fragment'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

/** A phone query with fewer digits than this could be the end of too many numbers. */
export const MIN_PARTIAL_PHONE_DIGITS = 6;
/** A stored number this long may be matched as the end of the query (stored without area code). */
const MIN_STORED_SUFFIX_DIGITS = 8;

/** Letters NFKD does not decompose, written the way an English keyboard would. */
const LIGATURES: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};
const LIGATURE = /[ßæœøłđðþı]/g;
/** Straight and curly apostrophes, primes and backticks: "O'Brien", "O’Brien" and "OBrien" are one. */
const APOSTROPHES = /['‘’ʼ`´′]/g;
const MARKS = /\p{M}+/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: every ASCII character is meant.
const ASCII = /^[\u0000-\u007f]*$/;
const ASCII_APOSTROPHES = /['`]/g;

/** Lower case, no accents, no apostrophes: the form text is compared in (punctuation kept). */
export function fold(text: string): string {
  // ASCII has nothing to decompose, no marks and no ligatures: the same result, several passes fewer.
  if (ASCII.test(text)) return text.toLowerCase().replace(ASCII_APOSTROPHES, '');
  return text
    .normalize('NFKD')
    .replace(MARKS, '')
    .toLowerCase()
    .replace(LIGATURE, (c) => LIGATURES[c] ?? c)
    .replace(APOSTROPHES, '');
}

/** Folded words of a name: any run of letters and digits; punctuation and spacing separate. */
export function foldWords(text: string): string[] {
  return fold(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** The digits of a phone number, with the Australian international forms made the national one. */
export function canonicalPhone(text: string): string {
  let digits = text.normalize('NFKC').replace(/\D+/g, '');
  if (digits.startsWith('0011')) digits = digits.slice(4);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  // "+61 (0)4 1234 5678" keeps the trunk 0 after the country code.
  if (digits.startsWith('610') && digits.length === 12) return `0${digits.slice(3)}`;
  if (digits.startsWith('61') && digits.length === 11) return `0${digits.slice(2)}`;
  return digits;
}

/** Precomputed folded forms of one customer, so a search over 10,000 folds nothing but the query. */
export interface SearchKeys {
  /** Per name field: its words, and all of it without spaces. */
  names: Array<{ field: 'firstname' | 'surname' | 'companyname'; words: string[]; compact: string }>;
  fullName: string;
  reversedName: string;
  email: string | null;
  phones: Array<{ field: 'phone1' | 'phone2' | 'companyphone'; digits: string }>;
  id: number | null;
  /**
   * For the first pass (firstPass): every name's compact form, each followed by SEPARATOR, then
   * the email, names ending at `namesEnd`; and every phone's digits, each between separators.
   */
  text: string;
  namesEnd: number;
  phoneText: string;
}

/** Never in a folded word (letters and digits only) nor in digits, so no match spans two values. */
const SEPARATOR = '|';

export function searchKeys(customer: CustomerSummary): SearchKeys {
  const names: SearchKeys['names'] = [];
  for (const field of ['firstname', 'surname', 'companyname'] as const) {
    const words = foldWords(customer[field] ?? '');
    if (words.length > 0) names.push({ field, words, compact: words.join('') });
  }
  const compactOf = (field: 'firstname' | 'surname') =>
    names.find((name) => name.field === field)?.compact ?? '';
  const first = compactOf('firstname');
  const last = compactOf('surname');
  const phones: SearchKeys['phones'] = [];
  for (const field of ['phone1', 'phone2', 'companyphone'] as const) {
    const digits = canonicalPhone(customer[field] ?? '');
    if (digits) phones.push({ field, digits });
  }
  const email = customer.email?.trim() ? fold(customer.email.trim()) : null;
  const nameText = names.map((name) => name.compact + SEPARATOR).join('');
  return {
    names,
    fullName: first + last,
    reversedName: last + first,
    email,
    phones,
    id: customer.pkcustomerid,
    // join() makes flat strings: a concatenation can leave a rope that each search walks anew.
    text: [nameText, email ?? ''].join(''),
    namesEnd: nameText.length,
    phoneText: ['', ...phones.map((phone) => phone.digits), ''].join(SEPARATOR),
  };
}

export type Query =
  | { kind: 'email'; email: string }
  | { kind: 'phone'; digits: string; id: number | null }
  | { kind: 'text'; words: string[]; compact: string; email: string; id: number | null };

const PHONE_QUERY = /^[+\d\s().-]+$/;

/** Reads a query once: an email (has "@"), a phone (phone characters, 6 digits or more), or text. */
export function parseQuery(raw: string): Query {
  const trimmed = raw.normalize('NFKC').trim();
  const id = /^\d{1,15}$/.test(trimmed) ? Number(trimmed) : null;
  if (trimmed.includes('@')) return { kind: 'email', email: fold(trimmed) };
  const digits = canonicalPhone(trimmed);
  if (PHONE_QUERY.test(trimmed) && trimmed.replace(/\D+/g, '').length >= MIN_PARTIAL_PHONE_DIGITS) {
    return { kind: 'phone', digits, id };
  }
  const words = foldWords(trimmed);
  return { kind: 'text', words, compact: words.join(''), email: fold(trimmed), id };
}

export interface Match {
  kind: MatchKind;
  /** The fields the query was found in, in MATCH_FIELDS order. */
  matched: MatchField[];
}

const RANK: Record<MatchKind, number> = { exact: 0, prefix: 1, fragment: 2 };
const better = (a: MatchKind, b: MatchKind): MatchKind => (RANK[a] <= RANK[b] ? a : b);
const worse = (a: MatchKind, b: MatchKind): MatchKind => (RANK[a] >= RANK[b] ? a : b);

/** Whether and how one customer matches; undefined when it does not. */
export function matchCustomer(query: Query, keys: SearchKeys): Match | undefined {
  return firstPass(query)(keys) ? matchFully(query, keys) : undefined;
}

/**
 * A test that allocates nothing per customer and is false only where matchFully finds nothing,
 * so a search of 10,000 customers looks closely at a few. Every match needs a substring:
 *  - an email query, in the email;
 *  - a phone query, a stored number that ends with its last MIN_PARTIAL_PHONE_DIGITS digits (an
 *    exact number, one that ends with the query, or one the query ends with and at least that
 *    long), or, for a shorter query, the same number;
 *  - a text query, its first word in the names or the email: each word is part of both the compact
 *    query and the folded query the email is matched against. Then every word in the names (the
 *    first occurrence is in the names if any is, as they come first; a compact query found in a
 *    name has every word in it too), or the folded query in the email.
 */
export function firstPass(query: Query): (keys: SearchKeys) => boolean {
  if (query.kind === 'email') {
    const { email } = query;
    return (keys) => keys.email?.includes(email) === true;
  }
  const { id } = query;
  if (query.kind === 'phone') {
    const needle = phoneNeedle(query.digits);
    return (keys) => (id !== null && id === keys.id) || keys.phoneText.includes(needle);
  }
  const { words, email } = query;
  const first = words[0];
  if (first === undefined) return (keys) => id !== null && id === keys.id;
  return (keys) => {
    if (id !== null && id === keys.id) return true;
    const { text, namesEnd } = keys;
    if (!text.includes(first)) return false;
    const inNames = (part: string) => {
      const at = text.indexOf(part);
      return at >= 0 && at < namesEnd;
    };
    if (words.every(inNames)) return true;
    return keys.email !== null && email !== '' && text.includes(email, namesEnd);
  };
}

function phoneNeedle(digits: string): string {
  return digits.length >= MIN_PARTIAL_PHONE_DIGITS
    ? `${digits.slice(-MIN_PARTIAL_PHONE_DIGITS)}${SEPARATOR}`
    : `${SEPARATOR}${digits}${SEPARATOR}`;
}

/** matchCustomer without the first pass (exported so tests can hold the two to each other). */
export function matchFully(query: Query, keys: SearchKeys): Match | undefined {
  const found = new Map<MatchField, MatchKind>();
  const note = (field: MatchField, kind: MatchKind) => {
    const before = found.get(field);
    found.set(field, before ? better(before, kind) : kind);
  };

  if (query.kind !== 'email' && query.id !== null && query.id === keys.id) note('pkcustomerid', 'exact');

  if (query.kind === 'email') {
    const kind = compareWhole(query.email, keys.email);
    if (kind) note('email', kind);
  } else if (query.kind === 'phone') {
    for (const phone of keys.phones) {
      if (phone.digits === query.digits) note(phone.field, 'exact');
      else if (phone.digits.endsWith(query.digits) && query.digits.length >= MIN_PARTIAL_PHONE_DIGITS) {
        note(phone.field, 'fragment');
      } else if (phone.digits.length >= MIN_STORED_SUFFIX_DIGITS && query.digits.endsWith(phone.digits)) {
        note(phone.field, 'fragment');
      }
    }
  } else if (query.words.length > 0) {
    matchText(query, keys, note);
  }

  if (found.size === 0) return undefined;
  const matched = MATCH_FIELDS.filter((field) => found.has(field));
  const kind = matched.map((field) => found.get(field) as MatchKind).reduce(better);
  return { kind, matched };
}

function matchText(
  query: Extract<Query, { kind: 'text' }>,
  keys: SearchKeys,
  note: (field: MatchField, kind: MatchKind) => void,
): void {
  // Every word must be found somewhere in the names or company; the match is as good as its worst word.
  const perWord: Array<Map<MatchField, MatchKind>> = query.words.map((word) => {
    const where = new Map<MatchField, MatchKind>();
    for (const name of keys.names) {
      const kind = name.words.includes(word)
        ? 'exact'
        : name.words.some((w) => w.startsWith(word)) || name.compact.startsWith(word)
          ? 'prefix'
          : name.compact.includes(word)
            ? 'fragment'
            : undefined;
      if (kind) where.set(name.field, kind);
    }
    return where;
  });
  if (perWord.every((where) => where.size > 0)) {
    const wordKinds = perWord.map((where) => [...where.values()].reduce(better));
    let kind: MatchKind = wordKinds.reduce(worse);
    // Whole words everywhere are a prefix-class match; exact needs the whole name or a whole field.
    if (kind === 'exact') kind = 'prefix';
    const whole =
      query.compact === keys.fullName ||
      query.compact === keys.reversedName ||
      keys.names.some((name) => name.compact === query.compact);
    if (whole) kind = 'exact';
    for (const where of perWord) for (const field of where.keys()) note(field, kind);
  } else {
    // Spacing-insensitive: "smithsolar" is in "Smith Solar Solutions", "mc donald" is "McDonald".
    for (const name of keys.names) {
      const kind = compareWhole(query.compact, name.compact);
      if (kind) note(name.field, kind);
    }
  }
  const email = compareWhole(query.email, keys.email);
  if (email) note('email', email);
}

function compareWhole(query: string, value: string | null): MatchKind | undefined {
  if (!value || !query) return undefined;
  if (value === query) return 'exact';
  if (value.startsWith(query)) return 'prefix';
  if (value.includes(query)) return 'fragment';
  return undefined;
}

export interface Ranked<T> {
  item: T;
  match: Match;
}

/**
 * Every match, best first: exact, then prefix, then fragment; ties by most recent creation date
 * (Solar Proof sends "YYYY-MM-DD HH:MM:SS", which sorts as text), then by id.
 */
export function rankMatches<T extends { summary: CustomerSummary; keys: SearchKeys }>(
  query: Query,
  customers: Iterable<T>,
): Array<Ranked<T>> {
  const matches: Array<Ranked<T>> = [];
  const mayMatch = firstPass(query);
  for (const item of customers) {
    const match = mayMatch(item.keys) ? matchFully(query, item.keys) : undefined;
    if (match) matches.push({ item, match });
  }
  return matches.sort((a, b) => {
    const byKind = RANK[a.match.kind] - RANK[b.match.kind];
    if (byKind !== 0) return byKind;
    const da = a.item.summary.creationDate ?? '';
    const db = b.item.summary.creationDate ?? '';
    if (da !== db) return da < db ? 1 : -1;
    return (
      (a.item.summary.pkcustomerid ?? Number.MAX_SAFE_INTEGER) -
      (b.item.summary.pkcustomerid ?? Number.MAX_SAFE_INTEGER)
    );
  });
}

/**
 * One customer list laid out for search: every customer's `text` end to end in one string, and
 * every `phoneText` in another. A search then looks for its needle (the substring firstPass needs)
 * in two long strings, which is fast and cache-friendly, instead of in 10,000 records scattered
 * over the heap, and looks closely only at the customers where the needle is, and at any with the
 * id asked for. A customer changed or added later (`set`) is kept aside and looked at on every
 * search, in its place in the list, so a change costs nothing like laying the list out again.
 */
export class SearchIndex<T extends { keys: SearchKeys }> {
  readonly #items: T[];
  readonly #ids: Float64Array;
  readonly #text: Laid;
  readonly #phones: Laid;
  /** Customers changed since the list was laid out, by their place in it. */
  readonly #changed = new Map<number, T>();
  /** Customers added since, in the order they came, and the place of each id among them. */
  readonly #added: T[] = [];
  readonly #addedAt = new Map<number, number>();

  constructor(items: Iterable<T>) {
    this.#items = [...items];
    this.#ids = Float64Array.from(this.#items, (item) => item.keys.id ?? Number.NaN);
    this.#text = lay(this.#items.map((item) => item.keys.text));
    this.#phones = lay(this.#items.map((item) => item.keys.phoneText));
  }

  /**
   * The customer with this id is now `item`, as Map.set has it: in its place if the list held it,
   * at the end if not.
   */
  set(id: number, item: T): void {
    const added = this.#addedAt.get(id);
    if (added !== undefined) {
      this.#added[added] = item;
      return;
    }
    const at = this.#ids.indexOf(id);
    if (at >= 0) this.#changed.set(at, item);
    else {
      this.#addedAt.set(id, this.#added.length);
      this.#added.push(item);
    }
  }

  /** The customers that may match `query`, in list order; no other customer matches it. */
  candidates(query: Query): T[] {
    const found: number[] = [];
    if (query.kind !== 'email' && query.id !== null) {
      for (let i = 0; i < this.#ids.length; i++) if (this.#ids[i] === query.id) found.push(i);
    }
    if (query.kind === 'email') occurrences(this.#text, query.email, found);
    else if (query.kind === 'phone') occurrences(this.#phones, phoneNeedle(query.digits), found);
    else if (query.words[0] !== undefined) occurrences(this.#text, query.words[0], found);
    // A changed customer is looked at as it is now, wherever its old text did or did not match.
    for (const at of this.#changed.keys()) found.push(at);
    const mayMatch = firstPass(query);
    const picked: T[] = [];
    let last = -1;
    for (const i of found.sort((a, b) => a - b)) {
      if (i === last) continue;
      last = i;
      const item = this.#changed.get(i) ?? (this.#items[i] as T);
      if (mayMatch(item.keys)) picked.push(item);
    }
    for (const item of this.#added) if (mayMatch(item.keys)) picked.push(item);
    return picked;
  }
}

/** Strings end to end, and where each starts (one more entry: where the last ends). */
interface Laid {
  all: string;
  starts: Int32Array;
}

function lay(parts: string[]): Laid {
  const starts = new Int32Array(parts.length + 1);
  let at = 0;
  parts.forEach((part, i) => {
    starts[i] = at;
    at += part.length;
  });
  starts[parts.length] = at;
  return { all: parts.join(''), starts };
}

/**
 * Adds the index of every part that holds `needle`, in order. After a hit it goes on from the next
 * part, so a part is found once; a hit that runs past the end of its part is kept too (firstPass
 * then rules it out), so no real one is skipped.
 */
function occurrences({ all, starts }: Laid, needle: string, found: number[]): void {
  if (needle === '') return;
  const parts = starts.length - 1;
  for (let at = all.indexOf(needle); at >= 0; ) {
    // The last part starting at or before `at`.
    let low = 0;
    let high = parts - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= at) low = mid;
      else high = mid - 1;
    }
    found.push(low);
    if (low + 1 >= parts) break;
    at = all.indexOf(needle, starts[low + 1]);
  }
}
