/**
 * Whether a network can represent a generated task's target at all (THEORY.md sections 1-2), so
 * that a run that cannot learn is flagged before it spends its time. Accepted, not rejected: an
 * unrepresentable target is a legitimate control experiment (mS stays near 0 for every method).
 *
 * The target is a single component of degree k: the Walsh character chi_S, |S| = k, on the
 * hypercube, or He_k(x_1) / sqrt(k!) on Gaussian inputs. The network
 * f(x) = N^-gamma sum_i a_i phi(w_i . x / sqrt(d) + b_i) has a component of degree k only if some
 * neuron phi(w . x / sqrt(d) + b) has one, and both input laws are symmetric under x -> -x, which
 * multiplies a degree-k component by (-1)^k. So the parity of phi decides:
 *
 * - relu, no bias: relu(h) = h / 2 + |h| / 2. The odd part is linear, hence degree 1 only; |h| is
 *   even, hence degrees 0, 2, 4, ... Representable: k = 1 or k even. Not: odd k >= 3.
 * - erf, tanh, no bias: odd functions, so f(-x) = -f(x). Representable: odd k. Not: even k,
 *   including k = 0 (a constant is even).
 * - linear, no bias: f is linear in x. Representable: k = 1 only.
 * - linear with bias: f is affine. Representable: k = 0, 1 only.
 * - relu, erf or tanh with bias: phi(h + b) is neither even nor odd; its Hermite (and, through
 *   w . x / sqrt(d), Walsh) coefficients of every degree are non-zero for generic b, so every k.
 *
 * The same rule holds for the NNGP kernel and the MF theory of that network: they are built from
 * the same neurons, so their function space has the same degrees. Custom data has no known
 * target and is never warned about.
 */
import type { Activation } from '../backend/types.js';
import type { TaskSpec, TaskSpecInput } from './spec.js';

/** The network fields the rule reads; missing ones take the network spec's defaults. */
export interface RepresentabilityNetwork {
  /** Default "relu". */
  activation?: Activation;
  /** Default false. */
  bias?: boolean;
}

/** The symmetry argument behind the non-linear cases (module comment). */
const SYMMETRY = 'the inputs are symmetric under x -> -x, which flips the sign of odd degrees';

/** Why degree k is missing from the network's function space, or null when it is present. */
function missingDegreeReason(activation: Activation, bias: boolean, k: number): string | null {
  if (activation === 'linear') {
    if (bias) return k <= 1 ? null : 'a linear network with bias is affine in x (degrees 0 and 1)';
    return k === 1 ? null : 'a linear network without bias is linear in x (degree 1 only)';
  }
  if (bias) return null;
  if (activation === 'relu') {
    return k === 1 || k % 2 === 0
      ? null
      : `relu(h) = h/2 + |h|/2 has a linear odd part and an even rest, so a bias-free relu ` +
          `network has only degree 1 and even degrees (${SYMMETRY})`;
  }
  return k % 2 === 1
    ? null
    : `${activation} is odd, so a bias-free ${activation} network is odd in x and has only odd ` +
        `degrees (${SYMMETRY})`;
}

/** What to change so that degree k becomes representable (called only when it is not). */
function fix(activation: Activation, k: number): string {
  if (activation === 'linear') {
    return (
      'use a non-linear activation with a bias (network.activation: "relu", network.bias: ' +
      'true; --activation relu --bias)'
    );
  }
  const addBias = 'add a bias (network.bias: true; --bias)';
  return k % 2 === 1
    ? `${addBias}, or use an odd activation (network.activation: "erf" or "tanh"; --activation erf)`
    : `${addBias}, or use relu (network.activation: "relu"; --activation relu)`;
}

function targetName(task: 'parity' | 'single-index', k: number): string {
  return task === 'parity'
    ? `the parity target x_1...x_k of order k = ${k} (Walsh degree ${k})`
    : `the single-index target He_${k}(x_1)/sqrt(${k}!) (Hermite degree k = ${k})`;
}

/**
 * Warnings about a task whose target the network cannot represent: each names the target, the
 * reason (which degrees the network has) and the fix. Empty when the target is representable or
 * unknown (custom data). A pure function of the specs; `mfl sgld`, `mf`, `nngp` and `sweep` print
 * its warnings on stderr and sweep records carry them.
 * @param task a task spec (normalised or as written; only `task` and `k` are read)
 * @param network the network's activation (default relu) and bias (default false)
 * @example representabilityWarnings({ task: 'parity', d: 10, k: 3, P: 100 }, { activation: 'relu' })
 *   // ['the parity target x_1...x_k of order k = 3 (Walsh degree 3) is not representable by this
 *   //   network (relu, no bias): relu(h) = h/2 + |h|/2 ...; Fix: add a bias (...), or use an odd
 *   //   activation (...)']
 */
export function representabilityWarnings(
  task: TaskSpec | TaskSpecInput,
  network: RepresentabilityNetwork = {},
): string[] {
  if (task.task === 'custom') return [];
  const activation = network.activation ?? 'relu';
  const bias = network.bias ?? false;
  const reason = missingDegreeReason(activation, bias, task.k);
  if (reason === null) return [];
  const net = `${activation}, ${bias ? 'with' : 'no'} bias`;
  return [
    `${targetName(task.task, task.k)} is not representable by this network (${net}): ${reason}; ` +
      `no method can learn it (mS stays near 0). Fix: ${fix(activation, task.k)}`,
  ];
}
