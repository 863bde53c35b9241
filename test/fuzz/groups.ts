/**
 * The fuzz properties, in groups that each run in one child process, with the number of cases
 * each property generates per run of the suite (fuzz.test.ts sums them).
 */
import { getBackend } from '../../src/backend/index.js';
import { jsBackend } from '../../src/backend/js/index.js';
import { loadNative } from '../../src/binding.js';
import { backendModels, jsValidModel, jsWrongModel } from './backendModels.js';
import { ioModels } from './ioModels.js';
import { addonModels, type AnyModel } from './nativeModels.js';
import { publicModels } from './publicModels.js';
import { specModels } from './specModels.js';

export interface Entry {
  model: AnyModel;
  numRuns: number;
}

function requireAddon(): void {
  if (!loadNative().addon) throw new Error(`native addon unavailable: ${loadNative().error}`);
}

const isAsync = (model: AnyModel) => model.name.endsWith('Async');

/** The raw addon: 1000 cases per synchronous function, 500 per async one, 50 for info(). */
function nativeGroup(): Entry[] {
  requireAddon();
  return addonModels(loadNative().addon!).map((model) => ({
    model,
    numRuns: isAsync(model) ? 500 : model.name === 'addon.info' ? 50 : 1000,
  }));
}

/** The native backend: 500 cases per method, 300 per async one. */
function nativeBackendGroup(): Entry[] {
  requireAddon();
  return backendModels(getBackend('native')).map((model) => ({
    model,
    numRuns: isAsync(model) ? 300 : 500,
  }));
}

/** The js backend: 200 valid and 200 wrong cases per method (async: 100 and 100). */
function jsBackendGroup(): Entry[] {
  return backendModels(jsBackend).flatMap((model) => [
    { model: jsValidModel(model), numRuns: isAsync(model) ? 100 : 200 },
    { model: jsWrongModel(model), numRuns: isAsync(model) ? 100 : 200 },
  ]);
}

/** The spec parsers: 2000 cases each. */
function specGroup(): Entry[] {
  return specModels().map((model) => ({ model, numRuns: 2000 }));
}

/** Data, networks and methods: 800 cases each, 600 per method (sgld, nngp, meanField). */
function publicGroup(): Entry[] {
  const methods = new Set(['sgld', 'nngp', 'meanField']);
  return publicModels().map((model) => ({ model, numRuns: methods.has(model.name) ? 600 : 800 }));
}

/** File functions: 3000 cases per decoder, 200 per reader or writer (they touch the disk). */
function ioGroup(): Entry[] {
  return ioModels().map((model) => ({
    model,
    numRuns: model.name.startsWith('parse') ? 3000 : 200,
  }));
}

export const GROUPS: Record<string, () => Entry[]> = {
  native: nativeGroup,
  'native-backend': nativeBackendGroup,
  'js-backend': jsBackendGroup,
  specs: specGroup,
  public: publicGroup,
  io: ioGroup,
};
