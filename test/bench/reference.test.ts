/**
 * The NumPy SGLD reference (bench/reference/sgld_numpy.py) computes the same forward pass and
 * gradient as the library: its `loss_gradient`, the function the benchmark times inside each
 * step, agrees with `lossGradient` on every backend within 1e-12 relative on a small input. So
 * the NumPy column of the SGLD table times the right computation.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { lossGradient, sampleNetworkPrior } from '../../src/network/network.js';
import { PYTHON, REFERENCE_DIR, referenceEnv, referenceUnavailable } from '../../bench/python.js';
import { backends, jsBackend } from '../helpers/backends.js';
import { relativeError } from '../helpers/compare.js';
import { tempDir } from '../tasks/tmp.js';

const unavailable = referenceUnavailable(['numpy']);

interface NumpyGradient {
  E: number;
  f: number[];
  gW: number[];
  ga: number[];
}

function numpyGradient(input: object): NumpyGradient {
  const file = path.join(tempDir('mfl-bench-'), 'input.json');
  fs.writeFileSync(file, JSON.stringify(input));
  const r = spawnSync(PYTHON, [path.join(REFERENCE_DIR, 'sgld_numpy.py'), '--check', file], {
    encoding: 'utf8',
    env: referenceEnv(),
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as NumpyGradient;
}

test(
  'sgld_numpy.py loss_gradient equals lossGradient (1e-12 relative)',
  { skip: unavailable === null ? false : `NumPy reference not runnable: ${unavailable}` },
  () => {
    const P = 9;
    const d = 5;
    const N = 7;
    // Gaussian inputs and labels: no pre-activation is exactly 0, where relu' is a convention.
    const X = new Float64Array(P * d);
    const y = new Float64Array(P);
    jsBackend.fillGaussian(5, 0, 0, X);
    jsBackend.fillGaussian(5, 1, 0, y);
    const net = sampleNetworkPrior({ N }, d, 3, 0, { backend: jsBackend });
    const numpy = numpyGradient({
      d,
      gamma: 0.5,
      X: [...X],
      y: [...y],
      W: [...net.W],
      a: [...net.a],
    });
    assert.ok(numpy.gW.some((v) => v !== 0) && numpy.ga.some((v) => v !== 0));
    for (const backend of backends) {
      const ours = lossGradient(net, X, y, { backend });
      const tol = 1e-12;
      assert.ok(Math.abs(ours.E - numpy.E) <= tol * Math.abs(numpy.E), `${backend.name} E`);
      assert.ok(relativeError(ours.f, numpy.f) <= tol, `${backend.name} f`);
      assert.ok(relativeError(ours.gW, numpy.gW) <= tol, `${backend.name} gW`);
      assert.ok(relativeError(ours.ga, numpy.ga) <= tol, `${backend.name} ga`);
    }
  },
);
