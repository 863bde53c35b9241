/**
 * Mean-field particle step cost (target: as the SGLD step, at most 1.3x the time of its GEMMs,
 * per particle): one step of the Rao-Blackwellised solver (docs/mf.md, steps 1-8: features,
 * Lambda, K_q, the residual solve, beta, gradient and Langevin update) on native and js, against
 * the products it cannot avoid, timed with the same BLAS in the same process: the features
 * W X^T (M x P x d), the kernel (K_q = B^T B, a P x P x M SYRK, for the Cholesky solve; B B^T,
 * an M x M x P SYRK, for Woodbury; each timed as the GEMM of its shape and counted at half) and
 * the gradient g X (M x d x P). The config comes from the driver's own helpers (mfConfig,
 * initialState, createMfAccumulators), so the solve is the one `mfl mf` would pick.
 */
import type { Backend, MfData } from '../src/backend/types.js';
import { createMfAccumulators } from '../src/methods/mf/layout.js';
import { initialState, type MfConfig } from '../src/methods/mf/particles.js';
import { mfConfig } from '../src/methods/mf/run.js';
import { parseMfSpec } from '../src/methods/mf/spec.js';
import { formatMs, formatRatio, measure, table, type Measurement } from './harness.js';
import { GemmRates, gemmOperands, type StepGemm } from './roofline.js';

export interface MfShape {
  P: number;
  d: number;
  /** Particles. */
  M: number;
}

const K_PARITY = 4;
/** Physical width: a parameter of the potential only, it does not change the cost. */
const WIDTH = 512;

/** The driver's config for `shape`: plain MF, prior start, default dt, solve 'auto'. */
export function mfBenchConfig(shape: MfShape): MfConfig {
  const { P, d, M } = shape;
  const spec = parseMfSpec({
    task: { task: 'parity', d, k: K_PARITY, P, PTest: 1, seed: 3 },
    network: { N: WIDTH },
    solver: { kappa: 0.01, particles: M, steps: 2, seed: 1 },
  });
  return mfConfig(spec, 'prior', { P, d, PTest: 1, nRelevant: K_PARITY });
}

export function mfBenchData(backend: Backend, shape: MfShape): MfData {
  const X = new Float64Array(shape.P * shape.d);
  const y = new Float64Array(shape.P);
  const params = { kind: 'parity', d: shape.d, k: K_PARITY, labelNoise: 0, seed: 3 } as const;
  backend.generateTaskRows(params, { test: false, rowOffset: 0, X, y });
  const target = y.subarray(0, 1);
  return { X, y, XTest: X.subarray(0, shape.d), yTest: target, targetTest: target };
}

/** The step's GEMMs (docs/mf.md, steps 1, 3-4 and 7), the kernel by the solve `config` uses. */
export function mfGemms(config: Pick<MfConfig, 'P' | 'd' | 'M' | 'solve'>): StepGemm[] {
  const { P, d, M } = config;
  const kernel: StepGemm =
    config.solve === 'woodbury'
      ? { name: 'B B^T (SYRK)', M, N: M, K: P, transA: false, transB: true, share: 0.5 }
      : { name: 'B^T B (SYRK)', M: P, N: P, K: M, transA: true, transB: false, share: 0.5 };
  return [
    { name: 'W X^T', M, N: P, K: d, transA: false, transB: true, share: 1 },
    kernel,
    { name: 'g X', M, N: d, K: P, transA: false, transB: false, share: 1 },
  ];
}

/**
 * Seconds per MF step on `backend`. Each call runs step t of a run declared as t + 2 steps with
 * burn-in t + 1 and one observation (step 0, run untimed first): no sample or observation falls
 * in a timed step, and the accumulators keep their sizes.
 */
export function timeMfStep(backend: Backend, shape: MfShape, maxTime: number): Measurement {
  const base = mfBenchConfig(shape);
  const steps = 2 ** 40;
  const cfg: MfConfig = { ...base, steps, burnIn: steps - 1, observeEvery: steps };
  const d = mfBenchData(backend, shape);
  const state = initialState(cfg, backend);
  const acc = createMfAccumulators({ ...cfg, steps: 2, burnIn: 1 });
  let t = 0;
  const step = (): void => {
    const r = backend.mfRun({ ...cfg, steps: t + 2, burnIn: t + 1 }, d, state, acc, t, t + 1);
    if (r.failure !== 'none') throw new Error(`MF bench step ${t} failed: ${r.failure}`);
    t++;
  };
  step();
  return measure(`${backend.name} mf step`, step, maxTime);
}

/**
 * Seconds of the step's GEMMs run back to back with preallocated operands, the SYRKs counted at
 * half: the measured time of the full products is split between them by their rates in `rates`.
 */
export function timeMfGemms(
  backend: Backend,
  gemms: StepGemm[],
  maxTime: number,
  rates: GemmRates,
  usedBy: string,
): Measurement {
  const operands = gemms.map(gemmOperands);
  const full = measure(
    `${backend.name} mf GEMMs`,
    () => {
      for (const o of operands) backend.gemm(o.options, o.A, o.B, o.C);
    },
    maxTime,
  );
  const alone = gemms.map((g) => rates.rate(g, usedBy).seconds);
  const total = alone.reduce((s, t) => s + t, 0);
  const counted = alone.reduce((s, t, i) => s + gemms[i]!.share * t, 0);
  return { ...full, seconds: (full.seconds * counted) / total };
}

export interface MfTableOptions {
  /** Seconds per native measurement. */
  maxTime?: number;
  /** GEMM rates of this benchmark run (the roofline); a private set when absent. */
  rates?: GemmRates;
}

function perParticle(m: Measurement, M: number): string {
  return ((m.seconds / M) * 1e6).toFixed(2);
}

const HEADER = [
  '(P, d, M)',
  'solve',
  'GEMMs (ms)',
  'native step (ms)',
  'native µs / particle',
  'step / GEMMs',
  'GEMM-bound fraction',
  'js step (ms)',
  'js µs / particle',
  'js / native',
];

const LEGEND =
  '\nMeans ± 95% margin (benchmark package). GEMMs: W X^T, the kernel SYRK (timed as the GEMM ' +
  'of its shape, counted at half) and g X; the Cholesky (P^3/3 or M^3/3), GEMVs and ' +
  'elementwise passes are the rest of the step. GEMM-bound fraction as in the SGLD table. ' +
  'Targets: step / GEMMs <= 1.3, js / native <= 20.';

function row(native: Backend | null, js: Backend, shape: MfShape, options: MfTableOptions) {
  const maxTime = options.maxTime ?? 3;
  const dash = '-';
  const label = `(${shape.P}, ${shape.d}, ${shape.M})`;
  const config = mfBenchConfig(shape);
  const jsStep = timeMfStep(js, shape, (2 / 3) * maxTime);
  const head = [label, config.solve];
  if (!native) return [...head, dash, dash, dash, dash, dash, formatMs(jsStep.seconds), dash, dash];
  const rates = options.rates ?? new GemmRates(native, maxTime / 2);
  const gemms = mfGemms(config);
  const gemmTime = timeMfGemms(native, gemms, maxTime, rates, `MF ${label}`);
  const step = timeMfStep(native, shape, maxTime);
  const bound = rates.boundSeconds(gemms, `MF ${label}`);
  return [
    ...head,
    `${formatMs(gemmTime.seconds)} ± ${gemmTime.rme.toFixed(1)}%`,
    `${formatMs(step.seconds)} ± ${step.rme.toFixed(1)}%`,
    perParticle(step, shape.M),
    (step.seconds / gemmTime.seconds).toFixed(2),
    (bound / step.seconds).toFixed(2),
    formatMs(jsStep.seconds),
    perParticle(jsStep, shape.M),
    formatRatio(jsStep.seconds / step.seconds),
  ];
}

export function mfStepTable(
  native: Backend | null,
  js: Backend,
  shapes: MfShape[],
  options: MfTableOptions = {},
): string {
  const rows = shapes.map((shape) => row(native, js, shape, options));
  return [table(HEADER, rows), LEGEND].join('\n');
}
