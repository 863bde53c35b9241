/**
 * SGLD step cost (target: a full-batch step takes at most 1.3x the time of its two GEMMs):
 * one full-batch step of one chain against the two GEMMs it cannot avoid, X W^T (P x d by d x N)
 * and G^T X (N x P by P x d), timed side by side with the same BLAS in the same process; plus the
 * js backend at the same shape, and steps/s; and the native step in float32 (sgemm, single-
 * precision elementwise work) against float64; and the same step in idiomatic NumPy
 * (bench/reference/sgld_numpy.py, one BLAS thread) when python3 with numpy is present.
 */
import type { Backend, SgldConfig, SgldData, SgldState } from '../src/backend/types.js';
import { createSgldAccumulators } from '../src/methods/sgld/layout.js';
import { sampleNetworkPrior } from '../src/network/network.js';
import { formatMs, formatRatio, measure, table, type Measurement } from './harness.js';
import { runReference, type ReferenceResult } from './python.js';
import { GemmRates, type StepGemm } from './roofline.js';

export interface Shape {
  P: number;
  d: number;
  N: number;
}

type Precision = SgldConfig['precision'];

/**
 * One chain of a run of `steps` steps whose only sample step is the last (burn-in steps - 1): a
 * call over [0, steps - 1) times the step alone. Also the base of the threads benchmark.
 */
export function config(shape: Shape, steps: number, precision: Precision): SgldConfig {
  return {
    ...shape,
    PTest: 1,
    chains: 1,
    gamma: 0.5,
    activation: 'relu',
    bias: false,
    kappa: 0.01,
    eta: 1e-6,
    lossScale: 1,
    sigmaW: 1,
    sigmaA: 1,
    sigmaB: 1,
    batchSize: shape.P,
    freezeW: false,
    mala: false,
    seed: 1,
    steps,
    // No sample or observe steps inside the timed range: the step alone is measured.
    burnIn: steps - 1,
    thin: 1,
    observeEvery: 0,
    nRelevant: 0,
    histBins: 10,
    histRange: 6,
    precision,
    threads: 1,
  };
}

/** Parity rows of `shape` (one test row: the observables are not timed). */
export function data(backend: Backend, shape: Shape): SgldData {
  const X = new Float64Array(shape.P * shape.d);
  const y = new Float64Array(shape.P);
  const params = { kind: 'parity', d: shape.d, k: 4, labelNoise: 0, seed: 3 } as const;
  backend.generateTaskRows(params, { test: false, rowOffset: 0, X, y });
  return { X, y, XTest: X.subarray(0, shape.d), yTest: y.subarray(0, 1), targetTest: null };
}

/**
 * Seconds per SGLD step on `backend` in `precision`. With float32 each one-step call also converts
 * the data and parameters to float (O(P d + N d), under 1% of a step at the shapes benched).
 */
export function timeStep(
  backend: Backend,
  shape: Shape,
  maxTime: number,
  precision: Precision = 'float64',
): Measurement {
  const steps = 1_000_000;
  const cfg = config(shape, steps, precision);
  const d = data(backend, shape);
  const net = sampleNetworkPrior({ N: shape.N }, shape.d, 1, 0, { backend });
  const state: SgldState = { W: net.W, a: net.a, b: null };
  // Each call runs step t of a run declared as t + 2 steps with burn-in t + 1: no sample or
  // observe step falls in the timed call, and the accumulators' sizes stay the same.
  const acc = createSgldAccumulators({ ...cfg, steps: 2, burnIn: 1 });
  let t = 0;
  return measure(
    `${backend.name} ${precision} step`,
    () => {
      backend.sgldRun({ ...cfg, steps: t + 2, burnIn: t + 1 }, d, state, acc, t, t + 1);
      t++;
    },
    maxTime,
  );
}

/** Seconds for the step's two GEMMs, with preallocated outputs. */
export function timeTwoGemms(backend: Backend, shape: Shape, maxTime: number): Measurement {
  const { P, d, N } = shape;
  const X = new Float64Array(P * d).fill(0.5);
  const W = new Float64Array(N * d).fill(0.25);
  const H = new Float64Array(P * N);
  const gW = new Float64Array(N * d);
  const alpha = 1 / Math.sqrt(d);
  return measure(
    `${backend.name} two GEMMs`,
    () => {
      backend.gemm({ transA: false, transB: true, M: P, N, K: d, alpha, beta: 0 }, X, W, H);
      backend.gemm({ transA: true, transB: false, M: N, N: d, K: P, alpha, beta: 0 }, H, X, gW);
    },
    maxTime,
  );
}

/** SGLD step's GEMMs (docs/sgld.md): X W^T (P x N x d) and G^T X (N x d x P). */
export function sgldGemms(shape: Shape): StepGemm[] {
  const { P, d, N } = shape;
  return [
    { name: 'X W^T', M: P, N, K: d, transA: false, transB: true, share: 1 },
    { name: 'G^T X', M: N, N: d, K: P, transA: true, transB: false, share: 1 },
  ];
}

interface NumpyStep {
  seconds: number;
  repeats: number;
  /** Median seconds of the step's two products alone in NumPy. */
  gemmSeconds: number;
  blasCore: string | null;
}

/** Median seconds per step of bench/reference/sgld_numpy.py at `shape`, or why it did not run. */
export function numpyStep(
  shape: Shape,
  seconds: number,
  python?: string,
): ReferenceResult<NumpyStep> {
  const args = ['--P', shape.P, '--d', shape.d, '--N', shape.N, '--seconds', seconds];
  return runReference<NumpyStep>('sgld_numpy.py', args.map(String), ['numpy'], python);
}

export interface SgldTableOptions {
  /** Seconds per native measurement (the benchmark package's maxTime). */
  maxTime?: number;
  /** Seconds of timed NumPy steps per shape; 0 skips the NumPy column. */
  numpySeconds?: number;
  /** GEMM rates of this benchmark run (the roofline); a private set when absent. */
  rates?: GemmRates;
  python?: string;
}

const dash = '-';

function withError(m: Measurement): string {
  return `${formatMs(m.seconds)} ± ${m.rme.toFixed(1)}%`;
}

/** Everything measured at one shape; `native` is null without the addon. */
interface ShapeTimes {
  label: string;
  js: Measurement;
  numpy: ReferenceResult<NumpyStep> | null;
  native: {
    gemms: Measurement;
    step: Measurement;
    step32: Measurement;
    /** The GEMM-bound limit: the two GEMMs at the roofline's rates. */
    bound: number;
  } | null;
}

function measureShape(
  native: Backend | null,
  js: Backend,
  shape: Shape,
  options: SgldTableOptions,
): ShapeTimes {
  const maxTime = options.maxTime ?? 3;
  const numpySeconds = options.numpySeconds ?? 3;
  const label = `(${shape.P}, ${shape.d}, ${shape.N})`;
  const jsStep = timeStep(js, shape, (2 / 3) * maxTime);
  const numpy = numpySeconds > 0 ? numpyStep(shape, numpySeconds, options.python) : null;
  if (!native) return { label, js: jsStep, numpy, native: null };
  const rates = options.rates ?? new GemmRates(native, maxTime / 2);
  return {
    label,
    js: jsStep,
    numpy,
    native: {
      gemms: timeTwoGemms(native, shape, maxTime),
      step: timeStep(native, shape, maxTime),
      step32: timeStep(native, shape, maxTime, 'float32'),
      bound: rates.boundSeconds(sgldGemms(shape), `SGLD ${label}`),
    },
  };
}

const HEADER = [
  '(P, d, N)',
  'two GEMMs (ms)',
  'native step (ms)',
  'step / GEMMs',
  'GEMM-bound fraction',
  'NumPy step (ms)',
  'NumPy / native',
  'js step (ms)',
  'js / native',
  'native steps/s',
  'native f32 step (ms)',
  'f64 / f32',
];

const LEGEND =
  '\nMeans ± 95% margin (benchmark package); NumPy: median over its own repeats ' +
  '(bench/reference/sgld_numpy.py, one BLAS thread). GEMM-bound fraction = (time of the ' +
  "step's two GEMMs at the dgemm rates of the roofline table) / step time. Targets: step / " +
  'GEMMs <= 1.3, NumPy / native >= 4, js / native <= 20.';

function row(t: ShapeTimes): string[] {
  const numpy = t.numpy?.ok ? t.numpy.value : null;
  const numpyMs = numpy ? formatMs(numpy.seconds) : dash;
  const n = t.native;
  if (!n)
    return [
      t.label,
      dash,
      dash,
      dash,
      dash,
      numpyMs,
      dash,
      formatMs(t.js.seconds),
      dash,
      dash,
      dash,
      dash,
    ];
  return [
    t.label,
    withError(n.gemms),
    withError(n.step),
    (n.step.seconds / n.gemms.seconds).toFixed(2),
    (n.bound / n.step.seconds).toFixed(2),
    numpyMs,
    numpy ? (numpy.seconds / n.step.seconds).toFixed(2) : dash,
    formatMs(t.js.seconds),
    formatRatio(t.js.seconds / n.step.seconds),
    (1 / n.step.seconds).toFixed(0),
    withError(n.step32),
    (n.step.seconds / n.step32.seconds).toFixed(2),
  ];
}

/** NumPy against its own GEMMs, and the two BLAS builds on the same products. */
function numpyDetail(times: ShapeTimes[]): string[] {
  const rows = times.flatMap((t) => {
    if (!t.numpy?.ok || !t.native) return [];
    const n = t.numpy.value;
    return [
      [
        t.label,
        formatMs(n.seconds),
        formatMs(n.gemmSeconds),
        (n.seconds / n.gemmSeconds).toFixed(2),
        (t.native.gemms.seconds / n.gemmSeconds).toFixed(2),
      ],
    ];
  });
  if (rows.length === 0) return [];
  const header = [
    '(P, d, N)',
    'NumPy step (ms)',
    'NumPy two GEMMs (ms)',
    'NumPy step / its GEMMs',
    'native GEMMs / NumPy GEMMs',
  ];
  return [
    '\nThe NumPy reference against its own BLAS (the same two products, X W^T and G^T X, timed ' +
      'in NumPy), and the two BLAS builds against each other on them:\n',
    table(header, rows),
  ];
}

export function sgldStepTable(
  native: Backend | null,
  js: Backend,
  shapes: Shape[],
  options: SgldTableOptions = {},
): string {
  const times = shapes.map((shape) => measureShape(native, js, shape, options));
  const notes = new Set<string>();
  for (const { numpy } of times) {
    if (numpy && !numpy.ok) notes.add(`NumPy column skipped: ${numpy.reason}.`);
    if (numpy?.ok && numpy.value.blasCore) {
      notes.add(`NumPy's OpenBLAS runs its ${numpy.value.blasCore} kernels.`);
    }
  }
  return [table(HEADER, times.map(row)), LEGEND, ...notes, ...numpyDetail(times)].join('\n');
}
