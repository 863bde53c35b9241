"""Times NNGP kernel ridge regression as written with NumPy and SciPy.

The relu NNGP kernel (the arc-cosine kernel of order 1, THEORY.md section 5)
with Sigma(x, x') = sigma_w^2 x . x' / d on parity inputs x in {-1, +1}^d,
then scipy.linalg.cho_factor of K + ridge I and cho_solve for the weights
alpha = (K + ridge I)^-1 y. Each of the three stages (Gram, factorisation,
solve) is timed with time.perf_counter; the script prints one JSON line with
the median seconds of each over the runs.

Usage:
    krr_scipy.py --P 4096 --d 35 [--runs 3] [--ridge 0.01]
"""

import argparse
import json
import math
import sys
import time

import numpy as np
import scipy
from scipy.linalg import cho_factor, cho_solve

SIGMA_W = 1.0


def relu_gram(X, sigma_w=SIGMA_W):
    """K(X, X) for the relu NNGP kernel (Cho and Saul 2009), P x P."""
    d = X.shape[1]
    S = sigma_w**2 * (X @ X.T) / d
    norms = np.sqrt(np.diag(S))
    nn = np.outer(norms, norms)
    cos_t = np.clip(S / nn, -1.0, 1.0)
    t = np.arccos(cos_t)
    return nn / (2.0 * np.pi) * (np.sin(t) + (np.pi - t) * cos_t)


def krr_weights(K, y, ridge):
    """alpha = (K + ridge I)^-1 y by Cholesky, and the two stages' times."""
    t0 = time.perf_counter()
    factor = cho_factor(K + ridge * np.eye(K.shape[0]), lower=True)
    t1 = time.perf_counter()
    alpha = cho_solve(factor, y)
    t2 = time.perf_counter()
    return alpha, t1 - t0, t2 - t1


def bench(P, d, runs, ridge):
    rng = np.random.default_rng(11)
    X = rng.choice([-1.0, 1.0], size=(P, d))
    y = np.prod(X[:, :4], axis=1)
    gram, cholesky, solve = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        K = relu_gram(X)
        gram.append(time.perf_counter() - t0)
        alpha, t_factor, t_solve = krr_weights(K, y, ridge)
        cholesky.append(t_factor)
        solve.append(t_solve)
        del K
    if not np.all(np.isfinite(alpha)):
        raise SystemExit("the SciPy solve gave non-finite weights")
    return {
        "P": P,
        "d": d,
        "runs": runs,
        "gram": float(np.median(gram)),
        "cholesky": float(np.median(cholesky)),
        "solve": float(np.median(solve)),
        "total": float(np.median(np.add(gram, cholesky))),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--P", type=int, default=4096)
    parser.add_argument("--d", type=int, default=35)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ridge", type=float, default=0.01)
    args = parser.parse_args(argv)
    if args.P < 1 or args.runs < 1 or not math.isfinite(args.ridge):
        raise SystemExit("P and runs must be >= 1 and ridge finite")
    print(json.dumps(bench(args.P, args.d, args.runs, args.ridge)))


if __name__ == "__main__":
    main(sys.argv[1:])
