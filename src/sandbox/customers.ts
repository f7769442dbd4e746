/**
 * The simulated account's customers, stored in Update Customer's vocabulary, plus what only Get
 * Customer shows. Seeded with realistic Australian records, including the source document's own
 * example customer (John Smith, 79461), so every example in the document works against the sandbox.
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
  /** Simulates a record the API user may not touch (PERMISSION_DENIED). */
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
