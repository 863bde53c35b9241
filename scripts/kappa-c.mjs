#!/usr/bin/env node
/**
 * kappa_c scaling (THEORY.md section 8, item 6): for each input dimension d at fixed P and k, the
 * critical noise kappa_c above which the mean-field solution stops learning the parity (mS falls
 * below --threshold), for plain MF and MF-ARD, and the least-squares slope of log kappa_c against
 * log d. Theory (the seed paper's Theorem 4.1): slope -1/2 for MF, about 0 for MF-ARD.
 *
 * kappa_c is located by bracketing on a factor-2 grid in kappa, then bisecting in log kappa.
 * Every solve uses the same data seed and solver seed, so mS(kappa) is a deterministic function.
 * The aligned start (default) measures where the feature-learning solution stops existing; the
 * prior start, where the symmetric one stops being left within the run.
 *
 *   node scripts/kappa-c.mjs [--d 12,16,20,24,32] [--k 4] [--P 400] [--N 64] [--init aligned] [--json]
 *
 * The defaults are the run documented in docs/mf.md ("kappa_c scaling"): about 12 minutes here.
 */
import { Command, Option } from 'commander';
import { meanField } from '../dist/src/index.js';

const list = (text) => text.split(',').map(Number);
const program = new Command('kappa-c')
  .description('critical noise kappa_c versus d for plain MF and MF-ARD')
  .option('--d <list>', 'input dimensions', list, [12, 16, 20, 24, 32])
  .option('--k <int>', 'parity order', Number, 4)
  .option('--P <int>', 'training samples', Number, 400)
  .option('--P-test <int>', 'test samples', Number, 1000)
  .option('--N <x>', 'width N of the theory', Number, 64)
  .option('--gamma <x>', 'output scaling exponent', Number, 0.5)
  .option('--particles <int>', 'particles M', Number, 256)
  .option('--steps <int>', 'Langevin steps per solve', Number, 2000)
  .option('--dt <x>', 'Langevin time step', Number, 0.005)
  .option('--threshold <x>', 'learning means mS above this', Number, 0.2)
  .option('--kappa-lo <x>', 'smallest kappa of the bracket search', Number, 0.004)
  .option('--kappa-hi <x>', 'largest kappa of the bracket search', Number, 10)
  .option('--bisections <int>', 'bisection steps in log kappa after bracketing', Number, 3)
  .addOption(
    new Option('--init <branch>', 'initial particles (default: aligned)').choices([
      'prior',
      'aligned',
    ]),
  )
  .option('--alpha0 <x>', 'MF-ARD hyperprior shape', Number, 1)
  .option('--ema <x>', 'MF-ARD EMA rate', Number, 0.01)
  .option('--seed <int>', 'data and solver seed', Number, 1)
  .option('--methods <list>', 'mf, mf-ard or both', (t) => t.split(','), ['mf', 'mf-ard'])
  .option('--json', 'print one JSON document')
  .parse();
const o = program.opts();
const init = o.init ?? 'aligned';

async function mSAt(method, d, kappa) {
  const r = await meanField(
    {
      task: { task: 'parity', d, k: o.k, P: o.P, PTest: o.PTest, seed: o.seed },
      network: { N: o.N, gamma: o.gamma },
      solver: {
        kappa,
        steps: o.steps,
        dt: o.dt,
        particles: o.particles,
        seed: o.seed,
        init,
        ard: method === 'mf-ard' ? { alpha0: o.alpha0, ema: o.ema } : null,
      },
    },
    // The default backend: native when the addon is built (MFL_BACKEND overrides).
  );
  return r.mS;
}

/** The largest kappa with mS > threshold, to a factor 2^(2^-bisections); null outside the range. */
async function criticalKappa(method, d, log) {
  const learns = async (kappa) => {
    const mS = await mSAt(method, d, kappa);
    log.push({ method, d, kappa, mS });
    return mS > o.threshold;
  };
  let lo = o.kappaLo;
  if (!(await learns(lo))) return { kappaC: null, bracket: [null, lo] };
  let hi = lo;
  while (hi < o.kappaHi) {
    hi = Math.min(o.kappaHi, hi * 2);
    if (!(await learns(hi))) break;
    lo = hi;
  }
  if (lo === hi) return { kappaC: null, bracket: [lo, null] };
  for (let i = 0; i < o.bisections; i++) {
    const mid = Math.sqrt(lo * hi);
    if (await learns(mid)) lo = mid;
    else hi = mid;
  }
  return { kappaC: Math.sqrt(lo * hi), bracket: [lo, hi] };
}

function slope(points) {
  const xs = points.map((p) => Math.log(p.d));
  const ys = points.map((p) => Math.log(p.kappaC));
  const xm = xs.reduce((s, x) => s + x, 0) / xs.length;
  const ym = ys.reduce((s, y) => s + y, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - xm) * (ys[i] - ym);
    den += (xs[i] - xm) ** 2;
  }
  return points.length >= 2 && den > 0 ? num / den : null;
}

const started = Date.now();
const log = [];
const methods = {};
for (const method of o.methods) {
  const rows = [];
  for (const d of o.d) {
    const { kappaC, bracket } = await criticalKappa(method, d, log);
    rows.push({ d, kappaC, bracket });
    if (!o.json) {
      const text =
        kappaC === null ? `not found, bracket ${JSON.stringify(bracket)}` : kappaC.toPrecision(3);
      console.log(`${method.padEnd(6)} d = ${String(d).padStart(3)}  kappa_c = ${text}`);
    }
  }
  const found = rows.filter((r) => r.kappaC !== null);
  methods[method] = { rows, slope: slope(found) };
  if (!o.json) {
    const s = methods[method].slope;
    console.log(
      `${method.padEnd(6)} slope of log kappa_c vs log d: ${s === null ? 'n/a' : s.toFixed(3)}`,
    );
  }
}
const seconds = (Date.now() - started) / 1000;
if (o.json)
  console.log(JSON.stringify({ settings: { ...o, init }, methods, solves: log, seconds }, null, 2));
else console.log(`${log.length} solves, ${seconds.toFixed(0)} s`);
