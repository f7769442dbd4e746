/**
 * An account of 10,000 customers for the find_customers figures (the sandbox serves them 50 a
 * Get All Customers page), and the queries an assistant would type for them.
 */
import type { SandboxCustomer } from '../src/sandbox/customers.js';
import { seedCustomers } from '../src/sandbox/customers.js';

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
