/**
 * An account of 10,000 customers for the find_customers figures, and a stand-in behaviour that serves
 * Get All Customers (`action=getallcustomers&page=N`, 50 a page, an empty page past the end) with a
 * fixed delay per page. Every other action is left to the simulator's contract.
 */
import type { SandboxCustomer } from '../src/sandbox/customers.js';
import { seedCustomers } from '../src/sandbox/customers.js';
import { type Behaviour, send, toGetCustomerShape } from '../src/sandbox/simulator.js';

export const PAGE_SIZE = 50;

const FIRST = ['James', 'Olivia', 'Jack', 'Charlotte', 'William', 'Amelia', 'Noah', 'Isla', 'Thomas', 'Mia'];
const MORE_FIRST = [
  'Chloé',
  'José',
  'Siobhan',
  'Lachlan',
  'Priya',
  'Mei',
  'Aroha',
  'Dimitri',
  'Fatima',
  'Liam',
];
const SURNAMES = [
  'Smith',
  'Nguyen',
  'O’Brien',
  'Williams',
  'Brown',
  'Kelly',
  'Singh',
  'Papadopoulos',
  'Chen',
];
const MORE_SURNAMES = [
  'Taylor',
  'Wilson',
  'Martin',
  'Anderson',
  'Thompson',
  'White',
  'Walker',
  'Ryan',
  'Lee',
];

/** `count` customers shaped like the seeded ones (owner, notes, projects), each with its own name and phones. */
export function manyCustomers(count: number): SandboxCustomer[] {
  const templates = seedCustomers().filter((c) => !c.locked);
  const firsts = [...FIRST, ...MORE_FIRST];
  const surnames = [...SURNAMES, ...MORE_SURNAMES];
  return Array.from({ length: count }, (_, i) => {
    const template = templates[i % templates.length]!;
    const firstname = firsts[i % firsts.length]!;
    const surname = `${surnames[Math.floor(i / firsts.length) % surnames.length]!}${i % 7 === 0 ? '-Jones' : ''}`;
    const ascii = (s: string) =>
      s
        .normalize('NFD')
        .replace(/[^A-Za-z]/g, '')
        .toLowerCase();
    return {
      ...structuredClone(template),
      pkcustomerid: 100_000 + i,
      firstname,
      surname,
      email: `${ascii(firstname)}.${ascii(surname)}.${i}@example.com.au`,
      phone1:
        i % 3 === 0
          ? `04${String(10_000_000 + i).slice(-8)}`
          : `+61 4${String(i).padStart(2, '0').slice(-2)} ${String(100 + (i % 900))} ${String(1000 + i).slice(-3)}`,
      phone2: i % 5 === 0 ? `(02) 9${String(100 + (i % 900))} ${String(1000 + (i % 9000))}` : '',
      companyname: i % 4 === 0 ? `${surname} ${['Solar', 'Electrical', 'Roofing'][i % 3]} Pty Ltd` : '',
      creationDate: `20${String(18 + (i % 8))}-0${1 + (i % 9)}-1${i % 10} 09:${String(i % 60).padStart(2, '0')}:00`,
    };
  });
}

/** Queries an assistant would type for these customers: whole names, a surname, a phone, a company, an email part. */
export function queriesFor(customers: readonly SandboxCustomer[], count: number): string[] {
  return Array.from({ length: count }, (_, n) => {
    const c = customers[(n * 7919) % customers.length]!;
    switch (n % 5) {
      case 0:
        return `${c.firstname} ${c.surname}`;
      case 1:
        return c.surname;
      case 2:
        return c.phone1;
      case 3:
        return c.companyname || `${c.surname} ${c.firstname}`;
      default:
        return c.email.split('@')[0]!;
    }
  });
}

/** Serves Get All Customers from `customers`, each page after `delayMs`; counts the pages served. */
export function pagesBehaviour(
  customers: readonly SandboxCustomer[],
  delayMs: number,
): { behaviour: Behaviour; pagesServed(): number } {
  let served = 0;
  const behaviour: Behaviour = (_req, res, recorded) => {
    if (recorded.query.action !== 'getallcustomers') return false;
    const page = Math.max(1, Number(recorded.query.page ?? '1') || 1);
    const body = customers.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map(toGetCustomerShape);
    setTimeout(() => {
      served++;
      send(res, 200, body);
    }, delayMs);
    return true;
  };
  return { behaviour, pagesServed: () => served };
}
