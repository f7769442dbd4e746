/**
 * The sandbox's customers, stored in Update Customer's vocabulary, plus what only Get
 * Customer shows. Seeded with realistic Australian records, including the source document's own
 * example customer (John Smith, 79461), so every example in the document works against the sandbox,
 * and enough more (well over 100: accents, apostrophes, shared surnames, companies, phones written
 * every way Australians write them) that a search crosses several Get All Customers pages.
 */
import type { CustomerType } from '../solarproof/contract.js';

export interface SandboxProject {
  project_id: string;
  project_title: string;
  site_address: {
    streetnum: string;
    street: string;
    suburb: string;
    state: string;
    postcode: string;
    country: string;
  };
  solar_panel_quantity: string;
  solar_panel_type: string;
  inverter_type: string;
  inverter_quantity: string;
  system_size: string;
  proposal_link: string;
}

export interface SandboxCustomer {
  pkcustomerid: number;
  firstname: string;
  surname: string;
  email: string;
  phone1: string;
  phone2: string;
  type: CustomerType;
  companyname: string;
  companyphone: string;
  gststatus: 0 | 1;
  status: string;
  creationDate: string;
  owner: {
    user_id: string;
    first_name: string;
    last_name: string;
    phone_number: string;
    email: string;
    work_title: string;
    username: string;
  };
  notes: Array<{ datetime: string; note: string }>;
  projects: SandboxProject[];
  /** Only Get Customer of Project shows these. */
  abn?: string;
  contactTime?: string;
  /** A record the API user may not touch (PERMISSION_DENIED). */
  locked?: boolean;
}

const OWNER = {
  user_id: '1042',
  first_name: 'Priya',
  last_name: 'Nair',
  phone_number: '0400123456',
  email: 'priya.nair@sunbright.example.com.au',
  work_title: 'Solar Consultant',
  username: 'pnair',
};

function project(
  id: string,
  title: string,
  address: [string, string, string, string, string],
  panels: [string, string],
  inverter: [string, string],
  size: string,
): SandboxProject {
  const [streetnum, street, suburb, state, postcode] = address;
  return {
    project_id: id,
    project_title: title,
    site_address: { streetnum, street, suburb, state, postcode, country: 'Australia' },
    solar_panel_quantity: panels[0],
    solar_panel_type: panels[1],
    inverter_type: inverter[0],
    inverter_quantity: inverter[1],
    system_size: size,
    proposal_link: `https://solarproof.com.au/proposal/${id}`,
  };
}

export function seedCustomers(): SandboxCustomer[] {
  return [...documentCustomers(), ...searchCustomers(), ...generatedCustomers()];
}

function documentCustomers(): SandboxCustomer[] {
  return [
    {
      pkcustomerid: 79461,
      firstname: 'John',
      surname: 'Smith',
      email: 'john.smith@example.com',
      phone1: '0412345678',
      phone2: '0298765432',
      type: 'RESIDENTIAL',
      companyname: 'Smith Solar Solutions',
      companyphone: '1300123456',
      gststatus: 1,
      status: 'Signed',
      creationDate: '2025-03-14 09:26:53',
      owner: OWNER,
      notes: [{ datetime: '2025-03-14 09:30:00', note: 'Wants a battery quote next year.' }],
      projects: [
        project(
          '50211',
          '6.6kW residential system',
          ['12', 'Wattle Street', 'Parramatta', 'NSW', '2150'],
          ['15', 'Jinko Tiger Neo 440W'],
          ['Fronius Primo 5.0', '1'],
          '6.6',
        ),
      ],
    },
    {
      pkcustomerid: 80125,
      firstname: 'Mei',
      surname: 'Chen',
      email: 'mei.chen@example.net',
      phone1: '0433 221 908',
      phone2: '',
      type: 'RESIDENTIAL',
      companyname: '',
      companyphone: '',
      gststatus: 0,
      status: 'No Status Set',
      creationDate: '2025-07-02 14:05:11',
      owner: OWNER,
      notes: [],
      projects: [],
    },
    {
      pkcustomerid: 81307,
      firstname: 'Siobhan',
      surname: 'O’Connor',
      email: 'accounts@greenleafbrewing.example.com.au',
      phone1: '(03) 9421 7788',
      phone2: '0421 555 010',
      type: 'COMMERCIAL',
      companyname: 'Greenleaf Brewing Co. Pty Ltd',
      companyphone: '03 9421 7700',
      gststatus: 1,
      status: 'New Contacts',
      creationDate: '2025-09-19 08:41:37',
      owner: OWNER,
      notes: [
        { datetime: '2025-09-19 08:45:00', note: 'Roof is Kliplok; site visit booked.' },
        { datetime: '2025-10-02 16:10:00', note: 'Asked for a 3-phase option.' },
      ],
      projects: [
        project(
          '51877',
          '99.8kW commercial rooftop',
          ['4', 'Industrial Drive', 'Braybrook', 'VIC', '3019'],
          ['227', 'Trina Vertex S+ 440W'],
          ['SMA Sunny Tripower CORE2 50', '2'],
          '99.88',
        ),
      ],
    },
    {
      pkcustomerid: 82550,
      firstname: 'Tom',
      surname: 'Nguyen',
      email: 'tom.nguyen@outbackgrid.example.com.au',
      phone1: '+61 8 8123 4567',
      phone2: '',
      type: 'LARGE-SCALE',
      companyname: 'Outback Grid Energy',
      companyphone: '08 8123 4500',
      gststatus: 1,
      status: 'Signed',
      creationDate: '2024-11-28 11:02:09',
      owner: OWNER,
      notes: [{ datetime: '2024-12-01 10:00:00', note: 'Grid connection study under way.' }],
      projects: [
        project(
          '49002',
          '4.95MW solar farm',
          ['1', 'Stuart Highway', 'Port Augusta', 'SA', '5700'],
          ['9000', 'LONGi Hi-MO 7 550W'],
          ['SMA Sunny Central 4400 UP', '1'],
          '4950',
        ),
      ],
    },
    {
      pkcustomerid: 83019,
      firstname: 'Aroha',
      surname: 'Williams',
      email: 'aroha.w@example.org',
      phone1: '07 3344 5566',
      phone2: '',
      type: 'COMMERCIAL',
      companyname: 'Williams & Daughters Dairy',
      companyphone: '07 3344 5500',
      gststatus: 0,
      status: 'No Status Set',
      creationDate: '2026-02-10 13:27:45',
      owner: OWNER,
      notes: [],
      projects: [],
      locked: true,
    },
  ];
}

const OWNER_2 = {
  user_id: '1057',
  first_name: 'Daniel',
  last_name: 'Costa',
  phone_number: '0400765432',
  email: 'daniel.costa@sunbright.example.com.au',
  work_title: 'Sales Manager',
  username: 'dcosta',
};

interface Person {
  id: number;
  firstname: string;
  surname: string;
  email: string;
  phone1: string;
  phone2?: string;
  type?: SandboxCustomer['type'];
  companyname?: string;
  companyphone?: string;
  gststatus?: 0 | 1;
  status?: string;
  creationDate: string;
  projects?: SandboxProject[];
  abn?: string;
  contactTime?: string;
}

function person(p: Person): SandboxCustomer {
  return {
    pkcustomerid: p.id,
    firstname: p.firstname,
    surname: p.surname,
    email: p.email,
    phone1: p.phone1,
    phone2: p.phone2 ?? '',
    type: p.type ?? 'RESIDENTIAL',
    companyname: p.companyname ?? '',
    companyphone: p.companyphone ?? '',
    gststatus: p.gststatus ?? (p.companyname ? 1 : 0),
    status: p.status ?? 'No Status Set',
    creationDate: p.creationDate,
    owner: p.id % 2 === 0 ? OWNER : OWNER_2,
    notes: [],
    projects: p.projects ?? [],
    ...(p.abn === undefined ? {} : { abn: p.abn }),
    ...(p.contactTime === undefined ? {} : { contactTime: p.contactTime }),
  };
}

/** Hand-picked records that the search rules (and their tests) are about. */
function searchCustomers(): SandboxCustomer[] {
  return [
    person({
      id: 84101,
      firstname: 'José',
      surname: 'Álvarez',
      email: 'jose.alvarez@example.com',
      phone1: '+61 412 555 019',
      creationDate: '2025-05-21 10:14:02',
    }),
    person({
      id: 84102,
      firstname: 'Liam',
      surname: 'O’Brien',
      email: 'liam.obrien@example.com.au',
      phone1: '0413 222 901',
      status: 'New Contacts',
      creationDate: '2025-08-03 16:40:55',
    }),
    person({
      id: 84103,
      firstname: 'Sarah',
      surname: 'Smith',
      email: 'sarah.smith@example.net',
      phone1: '61412987654',
      creationDate: '2026-01-12 09:05:31',
    }),
    person({
      id: 84104,
      firstname: 'Mark',
      surname: 'Smithers',
      email: 'mark.smithers@example.org',
      phone1: '0422 118 305',
      creationDate: '2024-06-30 13:22:10',
    }),
    person({
      id: 84105,
      firstname: 'Grace',
      surname: 'Goldsmith',
      email: 'grace.goldsmith@example.com',
      phone1: '0401 777 212',
      creationDate: '2025-02-17 11:48:00',
    }),
    person({
      id: 84106,
      firstname: 'Peter',
      surname: 'Smith',
      email: 'peter@smithandsons.example.com.au',
      phone1: '0419 640 733',
      type: 'COMMERCIAL',
      companyname: 'Smith & Sons Plumbing',
      companyphone: '(02) 4627 9100',
      status: 'Signed',
      creationDate: '2023-11-08 08:15:44',
      abn: '51 824 753 556',
    }),
    person({
      id: 84107,
      firstname: 'Zoë',
      surname: 'Nguyễn',
      email: 'zoe.nguyen@example.com.au',
      phone1: '0455 010 384',
      creationDate: '2025-10-29 15:02:19',
    }),
    person({
      id: 84108,
      firstname: 'Renée',
      surname: "D'Souza",
      email: 'renee.dsouza@example.net',
      phone1: '(08) 9325 4410',
      phone2: '0438 602 117',
      creationDate: '2024-09-14 10:31:27',
    }),
    person({
      id: 84109,
      firstname: 'Hamish',
      surname: 'McDonald',
      email: 'hamish.mcdonald@example.com',
      phone1: '0429 331 870',
      creationDate: '2024-03-02 12:00:00',
    }),
    person({
      id: 84110,
      firstname: 'Chloé',
      surname: 'Martin',
      email: 'hello@cafelumiere.example.com.au',
      phone1: '0411 908 266',
      type: 'COMMERCIAL',
      companyname: 'Café Lumière Pty Ltd',
      companyphone: '+61 3 9690 1122',
      status: 'Signed',
      creationDate: '2025-12-01 09:40:12',
      abn: '33 615 207 982',
      contactTime: 'Mornings',
      projects: [
        project(
          '52110',
          '13.2kW café rooftop',
          ['88', 'Brunswick Street', 'Fitzroy', 'VIC', '3065'],
          ['30', 'REC Alpha Pure-R 440W'],
          ['Fronius Symo 12.5', '1'],
          '13.2',
        ),
      ],
    }),
    person({
      id: 84111,
      firstname: 'Johnny',
      surname: 'Tran',
      email: 'johnny.tran@example.org',
      phone1: '0432 876 150',
      creationDate: '2025-04-09 14:26:38',
    }),
    person({
      id: 84112,
      firstname: 'Siobhán',
      surname: 'Kelly',
      email: 'siobhan.kelly@example.com',
      phone1: '02 9876 1234',
      creationDate: '2023-07-19 17:55:03',
    }),
  ];
}

const FIRST_NAMES = [
  'Jack',
  'Olivia',
  'Liam',
  'Charlotte',
  'Noah',
  'Amelia',
  'William',
  'Isla',
  'Thomas',
  'Mia',
  'James',
  'Ava',
  'Lachlan',
  'Matilda',
  'Harrison',
  'Sienna',
  'Cooper',
  'Ruby',
  'Mitchell',
  'Grace',
  'Raj',
  'Priya',
  'Minh',
  'Wei',
  'Aisha',
  'Kirra',
  'Jarrah',
  'Bronwyn',
  'Darren',
  'Kylie',
  'Shane',
  'Leanne',
  'Craig',
  'Sharon',
  'Dylan',
  'François',
  'Søren',
  'Ngaio',
  'Declan',
  'Anh',
];
const SURNAMES = [
  'Smith',
  'Jones',
  'Williams',
  'Brown',
  'Wilson',
  'Taylor',
  'Nguyen',
  'Anderson',
  'Thompson',
  'White',
  'Martin',
  'Kelly',
  'O’Neill',
  'Ryan',
  'Walker',
  'Harris',
  'Papadopoulos',
  'Rossi',
  'Müller',
  'Singh',
  'Patel',
  'Tran',
  'Le',
  'Campbell',
  'Stewart',
  'Robinson',
  'Clarke',
  'Murphy',
  'MacKenzie',
  'Kowalski',
];
const COMPANIES = [
  'Coastal Dental Group',
  'Brisbane Bakehouse',
  'Red Gum Vineyards',
  'Southern Cross Logistics',
  'Harbourside Physio',
  'Bluegum Childcare Centre',
  'Outback Steel Fabrication',
  'Bayview Motors',
  'Wattle Grove Nursery',
  'Kookaburra Coffee Roasters',
  'Ironbark Builders',
  'Sunshine Coast Surf Co',
];
const SUBURBS: Array<[string, string, string]> = [
  ['Penrith', 'NSW', '2750'],
  ['Geelong', 'VIC', '3220'],
  ['Toowoomba', 'QLD', '4350'],
  ['Mandurah', 'WA', '6210'],
  ['Mount Gambier', 'SA', '5290'],
  ['Launceston', 'TAS', '7250'],
  ['Belconnen', 'ACT', '2617'],
  ['Palmerston', 'NT', '0830'],
];
const STREETS = ['Banksia Avenue', 'Jacaranda Street', 'Ocean Parade', 'Bottlebrush Court', 'High Street'];
const AREA_CODES = ['02', '03', '07', '08'];
const STATUSES = ['No Status Set', 'New Contacts', 'Signed'];

/** Eight digits that differ for each i (and from the hand-picked numbers above). */
function digits8(i: number, salt: number): string {
  return String((30_000_000 + i * 104_729 + salt * 7_919) % 100_000_000).padStart(8, '0');
}

/** Phones written every way they occur in Solar Proof: "0412 345 678", "+61 412 345 678", "61412345678"… */
function phone(i: number, salt: number, style: number): string {
  const d = digits8(i, salt);
  const mobile = `4${d.slice(0, 8)}`.slice(0, 9);
  const area = AREA_CODES[i % AREA_CODES.length] ?? '02';
  switch (style % 6) {
    case 0:
      return `0${mobile.slice(0, 3)} ${mobile.slice(3, 6)} ${mobile.slice(6)}`;
    case 1:
      return `0${mobile}`;
    case 2:
      return `+61 ${mobile.slice(0, 3)} ${mobile.slice(3, 6)} ${mobile.slice(6)}`;
    case 3:
      return `61${mobile}`;
    case 4:
      return `(${area}) ${d.slice(0, 4)} ${d.slice(4)}`;
    default:
      return `${area} ${d.slice(0, 4)} ${d.slice(4)}`;
  }
}

function ascii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/ø/g, 'o')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

/** A hundred more, built deterministically so every run (and every test) sees the same account. */
function generatedCustomers(): SandboxCustomer[] {
  const customers: SandboxCustomer[] = [];
  for (let i = 0; i < 100; i++) {
    const firstname = FIRST_NAMES[(i * 7) % FIRST_NAMES.length] ?? 'Alex';
    const surname = SURNAMES[(i * 11 + Math.floor(i / 30)) % SURNAMES.length] ?? 'Lee';
    const id = 85000 + i * 13;
    const commercial = i % 4 === 3;
    const largeScale = i % 25 === 24;
    const company = commercial ? COMPANIES[i % COMPANIES.length] : undefined;
    const day = new Date(Date.UTC(2023, 0, 5) + i * 9 * 86_400_000 + i * 3_671_000);
    const creationDate = day.toISOString().slice(0, 19).replace('T', ' ');
    const [suburb, state, postcode] = SUBURBS[i % SUBURBS.length] ?? ['Penrith', 'NSW', '2750'];
    const projects =
      i % 3 === 0
        ? [
            project(
              String(52_000 + i),
              `${(6.6 + (i % 5) * 1.1).toFixed(1)}kW ${commercial ? 'commercial' : 'residential'} system`,
              [String(1 + (i % 97)), STREETS[i % STREETS.length] ?? 'High Street', suburb, state, postcode],
              [String(15 + (i % 5) * 3), 'Jinko Tiger Neo 440W'],
              ['Fronius Primo 5.0', '1'],
              (6.6 + (i % 5) * 1.1).toFixed(1),
            ),
          ]
        : [];
    customers.push(
      person({
        id,
        firstname,
        surname,
        email: company
          ? `accounts${i}@${ascii(company)}.example.com.au`
          : `${ascii(firstname)}.${ascii(surname)}${i}@example.com`,
        phone1: phone(i, 1, i),
        ...(i % 5 === 0 ? { phone2: phone(i, 2, i + 4) } : {}),
        type: largeScale ? 'LARGE-SCALE' : commercial ? 'COMMERCIAL' : 'RESIDENTIAL',
        ...(company ? { companyname: company, companyphone: phone(i, 3, 4 + (i % 2)) } : {}),
        gststatus: company || largeScale ? 1 : 0,
        status: STATUSES[i % STATUSES.length] ?? 'No Status Set',
        creationDate,
        projects,
        ...(company
          ? {
              abn: `${10 + (i % 89)} ${digits8(i, 4).slice(0, 3)} ${digits8(i, 5).slice(0, 3)} ${digits8(i, 6).slice(0, 3)}`,
            }
          : {}),
      }),
    );
  }
  return customers;
}
