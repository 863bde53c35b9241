/**
 * Whole runs through the public drivers, as a user runs them (data, step size, kernel, samples,
 * result): one SGLD run (the README example, shortened), one MF solve, one KRR learning-curve
 * point; and the parallel-throughput target (>= 1.7x the throughput of one): two SGLD processes
 * at once against one, and the KRR Cholesky with two BLAS threads against one. Both are fixed
 * when a process starts, so they run in child processes (bench/child.ts), timed wall clock from
 * spawn to exit.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Backend } from '../src/backend/types.js';
import { meanField } from '../src/methods/mf/run.js';
import type { MfSpecInput } from '../src/methods/mf/spec.js';
import { nngp } from '../src/methods/nngp/run.js';
import type { NngpSpecInput } from '../src/methods/nngp/spec.js';
import { sgld } from '../src/methods/sgld/run.js';
import type { SgldSpecInput } from '../src/methods/sgld/spec.js';
import { table } from './harness.js';

/** The README's SGLD example (two chains, full batch, default step size) with `steps` steps. */
export function sgldSpec(steps: number, P = 400): SgldSpecInput {
  return {
    task: { task: 'parity', d: 12, k: 4, P, seed: 1 },
    network: { N: 128 },
    sampler: { kappa: 0.01, steps, seed: 1 },
  };
}

export function mfSpec(steps: number, P = 200): MfSpecInput {
  return {
    task: { task: 'parity', d: 12, k: 4, P, seed: 1 },
    network: { N: 128 },
    solver: { kappa: 0.01, steps, seed: 1 },
  };
}

export function krrSpec(P: number, d = 35): NngpSpecInput {
  return { task: { task: 'parity', d, k: 4, P, seed: 1 }, kappa: 0.01, method: 'krr' };
}

export interface RunSizes {
  sgldSteps: number;
  sgldP?: number;
  mfSteps: number;
  mfP?: number;
  krrP: number;
  krrD?: number;
}

interface RunRow {
  name: string;
  spec: string;
  seconds: number;
  /** Steps of the run (null for KRR). */
  steps: number | null;
  testMse: number | null;
  mS: number | null;
}

/** Times `run` (the library call) and returns its row. */
async function timedRow(run: () => Promise<Omit<RunRow, 'seconds'>>): Promise<RunRow> {
  const started = performance.now();
  const row = await run();
  return { ...row, seconds: (performance.now() - started) / 1e3 };
}

function cells(r: RunRow): string[] {
  const fixed = (x: number | null, digits: number) => (x === null ? '-' : x.toFixed(digits));
  const rate = r.steps === null ? '-' : (r.steps / r.seconds).toFixed(0);
  return [r.name, r.spec, r.seconds.toFixed(2), rate, fixed(r.testMse, 4), fixed(r.mS, 3)];
}

/** One row per whole run: wall seconds of the call (data included), steps/s, testMse, mS. */
export async function runsTable(backend: Backend, sizes: RunSizes): Promise<string> {
  const { sgldSteps, sgldP = 400, mfSteps, mfP = 200, krrP, krrD = 35 } = sizes;
  const where = 'parity d=12 k=4';
  const rows: RunRow[] = [
    await timedRow(async () => {
      const r = await sgld(sgldSpec(sgldSteps, sgldP), { backend });
      const spec = `${where} P=${sgldP} N=128 kappa=0.01, ${sgldSteps} steps x 2 chains`;
      return { name: 'SGLD', spec, steps: sgldSteps, testMse: r.testMse, mS: r.mS };
    }),
    await timedRow(async () => {
      const r = await meanField(mfSpec(mfSteps, mfP), { backend });
      const spec = `${where} P=${mfP} N=128 kappa=0.01, M=${r.particles}, ${mfSteps} steps`;
      return { name: 'MF', spec, steps: mfSteps, testMse: r.testMse, mS: r.mS };
    }),
    await timedRow(async () => {
      const r = await nngp(krrSpec(krrP, krrD), { backend });
      const spec = `nngp krr parity d=${krrD} k=4 P=${krrP} kappa=0.01, 4000 test points`;
      return { name: 'KRR', spec, steps: null, testMse: r.testMse, mS: r.mS };
    }),
  ];
  const legend =
    `\nWall time of the library call on the ${backend.name} backend (data generation, step ` +
    'size, kernel, samples and observables included); SGLD steps/s counts steps of the run ' +
    '(each advances both chains).';
  const header = ['run', 'spec', 'seconds', 'steps/s', 'testMse', 'mS'];
  return [table(header, rows.map(cells)), legend].join('\n');
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

interface ChildResult {
  wall: number;
  /** What the child printed: its own timing, and for the Cholesky the BLAS threads it ran. */
  report: { seconds: number; threads?: number | null };
}

function runChild(args: string[], blasThreads: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const env = { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) };
    const child = spawn(process.execPath, [CHILD, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bench child ${args.join(' ')} failed (${code}):\n${err}`));
      else resolve({ wall: (performance.now() - started) / 1e3, report: JSON.parse(out) });
    });
  });
}

export interface ParallelSizes {
  /** Steps of each SGLD process. */
  sgldSteps: number;
  /** Rounds of (one process alone, then two at once), alternated. */
  rounds: number;
  /** Order of the Cholesky timed with 1 and 2 BLAS threads. */
  choleskyP: number;
  /** Factorisations per child (median). */
  choleskyRuns: number;
}

/** Throughput of two parallel SGLD processes and of two BLAS threads, each against one. */
export async function parallelTable(sizes: ParallelSizes): Promise<string> {
  const loadBefore = os.loadavg()[0]!;
  const sgldArgs = ['sgld', String(sizes.sgldSteps)];
  let one = 0;
  let two = 0;
  for (let r = 0; r < sizes.rounds; r++) {
    one += (await runChild(sgldArgs, 1)).wall;
    const pair = performance.now();
    await Promise.all([runChild(sgldArgs, 1), runChild(sgldArgs, 1)]);
    two += (performance.now() - pair) / 1e3;
  }
  one /= sizes.rounds;
  two /= sizes.rounds;
  const cholArgs = ['cholesky', String(sizes.choleskyP), String(sizes.choleskyRuns)];
  const c1 = (await runChild(cholArgs, 1)).report;
  const c2 = (await runChild(cholArgs, 2)).report;
  const t1 = c1.seconds;
  const t2 = c2.seconds;
  const rows = [
    [
      `SGLD process (README example, ${sizes.sgldSteps} steps), 1 BLAS thread each`,
      'processes',
      one.toFixed(2),
      two.toFixed(2),
      ((2 * one) / two).toFixed(2),
    ],
    [
      `KRR Cholesky, P = ${sizes.choleskyP}`,
      `BLAS threads (${c1.threads ?? '?'} vs ${c2.threads ?? '?'})`,
      t1.toFixed(2),
      t2.toFixed(2),
      (t1 / t2).toFixed(2),
    ],
  ];
  const legend =
    `\nSGLD: wall seconds from spawn to exit of one process alone, and of two started together ` +
    `(mean of ${sizes.rounds} alternated rounds); throughput ratio = 2 t(1) / t(2). Cholesky: ` +
    `median of ${sizes.choleskyRuns} factorisations in a process with OPENBLAS_NUM_THREADS = 1, ` +
    'then 2; ratio = t(1) / t(2). Target: ratio >= 1.7. Other work on the machine lowers both ' +
    `ratios: 1-minute load average ${loadBefore.toFixed(2)} before, ` +
    `${os.loadavg()[0]!.toFixed(2)} after, on ${os.availableParallelism()} CPU threads.`;
  const header = ['workload', 'parallel over', '1 (s)', '2 (s)', 'throughput ratio'];
  return [table(header, rows), legend].join('\n');
}
