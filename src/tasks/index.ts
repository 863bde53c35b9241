/**
 * Tasks (THEORY.md section 1): the task spec, the data it produces, and custom data files.
 */
export {
  DEFAULT_P_TEST,
  GENERATED_TASKS,
  MAX_D,
  MAX_ELEMENTS,
  MAX_SEED,
  MAX_SINGLE_INDEX_K,
  isGenerated,
  parseTaskSpec,
  taskSpecSchema,
} from './spec.js';
export type { CustomTaskSpec, GeneratedTaskSpec, TaskSpec, TaskSpecInput } from './spec.js';
export { makeDataset, makeDatasetSync } from './dataset.js';
export { representabilityWarnings } from './representability.js';
export type { RepresentabilityNetwork } from './representability.js';
export type { Dataset, DatasetOptions } from './dataset.js';
export {
  dataFiles,
  loadData,
  loadDataSync,
  parseCsvData,
  parseNpy,
  readCsv,
  readNpy,
  resolveDataPath,
  writeCsv,
  writeData,
  writeNpy,
} from './io/index.js';
export type { Data, DataFormat, DataSource, NpyArray, Split } from './io/index.js';
