/**
 * What running a tool needs beyond the protocol: the catalogue (every tool and its schemas), the
 * wrapper that runs them, and the Solar Proof client and directory they reach it through. One chunk,
 * loaded by register.ts at the first call rather than at start-up (see loadRuntime).
 */
export { SolarProofClient } from '../solarproof/client.js';
export { CustomerDirectory } from '../solarproof/customer-directory.js';
export { describeTool, TOOLS } from './catalog.js';
export { runTool } from './define.js';
