/**
 * Run by prebuild.test.ts in a child process with MFL_ADDON naming the addon under test: a few
 * short SGLD runs on the native backend (float64 and float32 GEMMs, full batch, minibatch, MALA,
 * each activation), printed as JSON with every state array and accumulator in base64, so that the
 * parent can compare two addons' runs bit for bit. Also prints the addon's info().
 */
import { getBackend, nativeAddonFile } from '../../src/backend/index.js';
import type { SgldConfig } from '../../src/backend/types.js';
import { runSgld, sgldConfig, sgldData } from '../helpers/sgld.js';

const RUNS: [string, Partial<SgldConfig>][] = [
  ['relu, full batch', {}],
  ['tanh, minibatch of 20, bias', { activation: 'tanh', batchSize: 20, bias: true }],
  ['erf, MALA', { activation: 'erf', mala: true, gamma: 1 }],
  ['relu, float32', { precision: 'float32' }],
];

function base64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

const backend = getBackend('native');
const runs: Record<string, Record<string, string | null>> = {};
for (const [label, overrides] of RUNS) {
  const config = sgldConfig({ steps: 500, burnIn: 100, ...overrides });
  const { state, acc, results } = runSgld(backend, config, sgldData(config));
  const arrays: Record<string, string | null> = { results: JSON.stringify(results) };
  for (const [key, value] of Object.entries({ ...state, ...acc })) {
    arrays[key] = value instanceof Float64Array ? base64(value) : null;
  }
  runs[label] = arrays;
}
process.stdout.write(
  JSON.stringify({ addon: nativeAddonFile(), info: backend.info(), runs }) + '\n',
);
