"""Times one full-batch SGLD step written in idiomatic, vectorised NumPy.

The network and update are those of docs/sgld.md: float64, relu, no bias,
f(x) = N^-gamma sum_i a_i relu(w_i . x / sqrt(d)) with gamma = 1/2, the loss
E = 1/2 sum_mu (f(x_mu) - y_mu)^2 (a sum over the P training rows) and the
Langevin update with its prior (weight decay) terms,

    theta <- theta - eta (grad E + kappa theta / sigma^2)
             + sqrt(2 eta kappa) xi,

xi drawn with numpy's default_rng. The random numbers are not those of the
native sampler; the arithmetic of a step is the same: one forward pass, the
residual, the gradients of W and a, the Gaussian noise and the update.

Usage:
    sgld_numpy.py --P 4096 --d 35 --N 512 [--seconds 3] [--warmup 3]
        prints one JSON line: the median seconds per step over the repeats,
        and the median seconds of the step's two matrix products alone.
    sgld_numpy.py --check FILE
        FILE is JSON {X, y, W, a, d, gamma} (X and W row-major, flat); prints
        one JSON line {E, f, gW, ga} from the gradient function the benchmark
        times.
"""

import argparse
import ctypes
import glob
import json
import math
import os
import sys
import time

import numpy as np

KAPPA = 0.01
ETA = 1e-6
SIGMA_W = 1.0
SIGMA_A = 1.0
GAMMA = 0.5


def loss_gradient(X, y, W, a, gamma=GAMMA):
    """E, f and the gradients of E with respect to W (N x d) and a (N)."""
    d = X.shape[1]
    scale = W.shape[0] ** -gamma
    H = X @ W.T / math.sqrt(d)  # P x N pre-activations
    Phi = np.maximum(H, 0.0)
    f = scale * (Phi @ a)
    r = f - y
    E = 0.5 * (r @ r)
    ga = scale * (Phi.T @ r)
    G = scale * np.outer(r, a) * (H > 0)  # dE/dH, P x N (relu'(0) = 0)
    gW = G.T @ X / math.sqrt(d)
    return E, f, gW, ga


def sgld_step(X, y, W, a, rng, eta=ETA, kappa=KAPPA):
    """One Langevin step of (W, a); returns the new parameters and E."""
    E, _, gW, ga = loss_gradient(X, y, W, a)
    noise = math.sqrt(2.0 * eta * kappa)
    W = (W - eta * (gW + kappa * W / SIGMA_W**2)
         + noise * rng.standard_normal(W.shape))
    a = (a - eta * (ga + kappa * a / SIGMA_A**2)
         + noise * rng.standard_normal(a.shape))
    return W, a, E


def parity_data(rng, P, d, k=4):
    """x uniform on {-1, +1}^d, y the product of the first k coordinates."""
    X = rng.choice([-1.0, 1.0], size=(P, d))
    y = np.prod(X[:, :k], axis=1)
    return X, y


def blas_core():
    """The kernel set numpy's OpenBLAS picked on this CPU, or None."""
    try:
        folder = os.path.join(os.path.dirname(np.__file__), "..",
                              "numpy.libs")
        path = glob.glob(os.path.join(folder, "libscipy_openblas*.so"))[0]
        name = ctypes.CDLL(path).scipy_openblas_get_corename64_
        name.restype = ctypes.c_char_p
        return name().decode()
    except (IndexError, OSError, AttributeError):
        return None


def median_seconds(fn, seconds):
    """Median wall seconds of fn() over >= 5 calls and ~`seconds` in all."""
    times = []
    started = time.perf_counter()
    while len(times) < 5 or time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), len(times)


def bench(P, d, N, seconds, warmup):
    rng = np.random.default_rng(1)
    X, y = parity_data(rng, P, d)
    chain = {
        "W": SIGMA_W * rng.standard_normal((N, d)),
        "a": SIGMA_A * rng.standard_normal(N),
        "E": 0.0,
    }

    def step():
        W, a, E = sgld_step(X, y, chain["W"], chain["a"], rng)
        chain.update(W=W, a=a, E=E)

    for _ in range(warmup):
        step()
    step_seconds, repeats = median_seconds(step, seconds)
    if not math.isfinite(chain["E"]):
        raise SystemExit("the NumPy chain diverged")
    # The step's two products alone (X W^T and G^T X), for NumPy's own
    # step / GEMMs ratio.
    G = rng.standard_normal((P, N))
    W = chain["W"]
    gemm_seconds, _ = median_seconds(lambda: (X @ W.T, G.T @ X), seconds / 2)
    return {
        "P": P,
        "d": d,
        "N": N,
        "seconds": step_seconds,
        "repeats": repeats,
        "gemmSeconds": gemm_seconds,
        "numpy": np.__version__,
        "blasCore": blas_core(),
    }


def check(path):
    with open(path, encoding="utf-8") as fh:
        spec = json.load(fh)
    d = spec["d"]
    X = np.asarray(spec["X"], dtype=np.float64).reshape(-1, d)
    W = np.asarray(spec["W"], dtype=np.float64).reshape(-1, d)
    y = np.asarray(spec["y"], dtype=np.float64)
    a = np.asarray(spec["a"], dtype=np.float64)
    E, f, gW, ga = loss_gradient(X, y, W, a, spec.get("gamma", GAMMA))
    return {
        "E": float(E),
        "f": f.tolist(),
        "gW": gW.ravel().tolist(),
        "ga": ga.tolist(),
    }


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--P", type=int, default=4096)
    parser.add_argument("--d", type=int, default=35)
    parser.add_argument("--N", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--check", metavar="FILE")
    args = parser.parse_args(argv)
    if args.check:
        out = check(args.check)
    else:
        out = bench(args.P, args.d, args.N, args.seconds, args.warmup)
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
