#!/usr/bin/env node
/**
 * A generated task written as custom data with one extra constant input column, so that methods
 * without a bias (the MF solver) can be run on a network with one. With x' = (x sqrt((d+1)/d),
 * c sqrt(d+1)) and c = sigmaB / sigmaW, a bias-free neuron on x' has
 *
 *   w' . x' / sqrt(d + 1) = w . x / sqrt(d) + w_{d+1} c,   w_{d+1} c ~ N(0, sigmaB^2),
 *
 * the same pre-activation and prior as a neuron with bias b on x: the two posteriors are equal
 * (MF-ARD differs only in giving the bias column its own ARD precision). Checked: KRR on the
 * written data equals `mfl nngp --bias` on the task to all printed digits.
 *
 *   node scripts/bias-column.mjs --task single-index --d 32 --k 2 --P 320 --P-test 2000 \
 *     --seed 1 --out DIR [--sigma-ratio 1] [--format npy]
 *   mfl mf --train DIR/train --test DIR/test --N 64 --kappa 0.01 ...
 *
 * Writes DIR/train_X, train_y, test_X, test_y (.npy, or train.csv and test.csv).
 */
import { Command, Option } from 'commander';
import { makeDataset, writeData } from '../dist/src/index.js';

const program = new Command('bias-column')
  .addOption(new Option('--task <name>').choices(['parity', 'single-index']).makeOptionMandatory())
  .requiredOption('--d <int>', 'input dimension', Number)
  .requiredOption('--k <int>', 'parity order or Hermite degree', Number)
  .requiredOption('--P <int>', 'training samples', Number)
  .option('--P-test <int>', 'test samples', Number, 4000)
  .option('--seed <int>', 'data seed', Number, 0)
  .option('--sigma-ratio <x>', 'sigmaB / sigmaW of the network with a bias', Number, 1)
  .addOption(new Option('--format <format>').choices(['npy', 'csv']).default('npy'))
  .requiredOption('--out <dir>', 'output folder');
const o = program.parse().opts();

const data = await makeDataset({
  task: o.task,
  d: o.d,
  k: o.k,
  P: o.P,
  PTest: o.PTest,
  seed: o.seed,
});

/** Rows of X (rows x d) scaled by sqrt((d+1)/d), then the constant column c sqrt(d+1). */
function withConstantColumn(X, rows) {
  const { d } = data;
  const out = new Float64Array(rows * (d + 1));
  const scale = Math.sqrt((d + 1) / d);
  const constant = o.sigmaRatio * Math.sqrt(d + 1);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < d; j++) out[r * (d + 1) + j] = X[r * d + j] * scale;
    out[r * (d + 1) + d] = constant;
  }
  return out;
}

const d = data.d + 1;
const train = { X: withConstantColumn(data.X, data.P), y: data.y, P: data.P, d };
const test = { X: withConstantColumn(data.XTest, data.PTest), y: data.yTest, P: data.PTest, d };
const files = [
  ...(await writeData(o.out, 'train', train, o.format)),
  ...(await writeData(o.out, 'test', test, o.format)),
];
console.log(files.join('\n'));
