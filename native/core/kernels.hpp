// NNGP kernels (THEORY.md section 5): K(x, x') = E[phi(u) phi(v)] with (u, v) Gaussian of
// covariance Sigma(x, x') = sigmaW^2 x.x'/d (+ sigmaB^2 with bias). Every kernel is one BLAS
// product of the inputs (dsyrk for K(X, X), dgemm for K(Xs, X)) followed by one fused elementwise
// map that needs only Sigma(x, x') and the two variances Sigma(x, x), Sigma(x', x').
#pragma once
#include <cstdint>

namespace mfl {

enum class KernelKind { kRelu, kErf, kLinear };

struct KernelSpec {
  KernelKind kind = KernelKind::kRelu;
  int64_t d = 1;  // input dimension, >= 1
  double sigmaW = 1.0;
  double sigmaB = 1.0;  // used only with bias
  bool bias = false;
};

// K (P x P, row-major, both triangles written) = K(X, X) for X (P x d), P >= 1.
void nngpGram(const KernelSpec& spec, const double* X, int64_t P, double* K);

// K (Q x P, row-major) = K(Xs, X) for Xs (Q x d) and X (P x d), Q, P >= 1.
void nngpCross(const KernelSpec& spec, const double* Xs, int64_t Q, const double* X, int64_t P,
               double* K);

// out (P) = K(x, x) for every row x of X (P x d).
void nngpDiag(const KernelSpec& spec, const double* X, int64_t P, double* out);

}  // namespace mfl
