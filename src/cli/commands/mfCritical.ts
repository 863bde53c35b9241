/**
 * `mfl mf --critical`: the critical noise kappa_c of plain MF or MF-ARD (--ard) from the
 * equations (THEORY.md section 9, src/methods/mf/critical.ts) for the parity task the flags
 * describe; no particles. Text or one JSON object (--json).
 */
import { outOfRange } from '../../errors.js';
import { criticalKappa } from '../../methods/mf/critical.js';
import type { CriticalResult, CriticalSpecInput } from '../../methods/mf/critical.js';
import { formatValue, keyValueLines } from '../format.js';
import { printJson } from '../io.js';
import type { CliIo } from '../io.js';
import type { JsonFlagValue, NetworkFlagValues, TaskFlagValues } from '../options.js';

/** The flags --critical reads (a subset of mf's). */
export interface MfCriticalFlags extends TaskFlagValues, NetworkFlagValues, JsonFlagValue {
  ard?: boolean;
  alpha0?: number;
  beta0?: number;
}

/** Spec fields of the critical computation and the flags that set them. */
const FLAG_OF_FIELD: Record<string, string> = {
  d: '--d',
  k: '--k',
  P: '--P',
  N: '--N',
  gamma: '--gamma',
  sigmaW: '--sigma-w',
  sigmaA: '--sigma-a',
  activation: '--activation',
  'ard.alpha0': '--alpha0',
  'ard.beta0': '--beta0',
};

/** The critical-noise input the flags describe; rejects what the computation does not model. */
export function criticalInputFromFlags(flags: MfCriticalFlags): CriticalSpecInput {
  if (flags.train !== undefined || flags.test !== undefined) {
    throw outOfRange('--train', 'absent with --critical (it needs the parity task)', flags.train);
  }
  if (flags.task !== undefined && flags.task !== 'parity') {
    throw outOfRange('--task', '"parity" with --critical', flags.task);
  }
  if (flags.bias) {
    throw outOfRange('--bias', 'absent with --critical (bias-free neurons only)', true);
  }
  const ardSettings = {
    ...(flags.alpha0 !== undefined && { alpha0: flags.alpha0 }),
    ...(flags.beta0 !== undefined && { beta0: flags.beta0 }),
  };
  const ard = flags.ard || Object.keys(ardSettings).length > 0 ? ardSettings : null;
  const input: Record<string, unknown> = {
    d: flags.d,
    k: flags.k,
    P: flags.P,
    N: flags.N,
    ard,
  };
  for (const field of ['gamma', 'sigmaW', 'sigmaA', 'activation'] as const) {
    if (flags[field] !== undefined) input[field] = flags[field];
  }
  return input as unknown as CriticalSpecInput;
}

function theoryText(r: CriticalResult): string {
  const ard = r.spec.ard;
  return ard ? `MF-ARD (alpha0 = ${ard.alpha0}, beta0 = ${ard.beta0})` : 'plain MF';
}

function kappaText(r: CriticalResult): string {
  if (r.kappaC === null) return `none: ${r.reason}`;
  const mean = `mean-loss kappa_c / P = ${formatValue(r.kappaCMean)}`;
  return `${formatValue(r.kappaC)} (loss sum; ${mean})`;
}

function criterionText(r: CriticalResult): string {
  return r.kind === 'fold'
    ? "fold of the symmetric branch: eigenvalue of rho_S -> rho_S' along the target reaches 1"
    : `crossover: equilibrium mS reaches ${r.threshold} (the plain-MF symmetric branch has no ` +
        'linear instability)';
}

function atCriticalText(r: CriticalResult): string | null {
  const p = r.branch?.point;
  if (r.branch && p) {
    return (
      `rho_S = ${formatValue(p.rhoS)} (irrelevant ${formatValue(r.branch.bath.rho)}), ` +
      `E[w_S^2] = ${formatValue(p.m2)}, Gamma = ${formatValue(p.response)}, ` +
      `eigenvalue ${formatValue(r.branch.eigenvalue)}, mS = ${formatValue(1 - p.u)}`
    );
  }
  const e = r.equilibrium;
  if (e) {
    return (
      `mS = ${formatValue(e.mS)}, E[w_S^2] = ${formatValue(e.m2)} ` +
      `(irrelevant ${formatValue(e.bath.m2)})`
    );
  }
  return null;
}

/** Human form of a critical-noise result. */
export function formatCritical(r: CriticalResult): string {
  const s = r.spec;
  const lines: [string, string][] = [
    ['task', `parity(d = ${s.d}, k = ${s.k}), P = ${s.P}`],
    [
      'network',
      `N = ${s.N}, gamma = ${s.gamma}, ${s.activation}, sigma_w = ${s.sigmaW}, ` +
        `sigma_a = ${s.sigmaA}`,
    ],
    ['theory', theoryText(r)],
    ['kappa_c', kappaText(r)],
    ['criterion', criterionText(r)],
  ];
  const at = atCriticalText(r);
  if (at) lines.push(['at kappa_c', at]);
  return keyValueLines(lines);
}

/** Computes and prints kappa_c (text or --json). */
export function runMfCritical(flags: MfCriticalFlags, io: CliIo): void {
  const result = criticalKappa(criticalInputFromFlags(flags), {
    label: (path) => {
      const dotted = path.map(String).join('.');
      return FLAG_OF_FIELD[dotted] ?? dotted;
    },
  });
  if (flags.json) printJson(io, result);
  else io.stdout(formatCritical(result));
}
