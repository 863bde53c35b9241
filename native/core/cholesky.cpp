// The ridge is added to the diagonal in place, so factorising K + ridge I needs no second P x P
// buffer; the rest is LAPACK (blas.hpp).
#include "cholesky.hpp"

#include <cmath>
#include <stdexcept>

#include "blas.hpp"

namespace mfl {

int64_t cholesky(double* A, int64_t n, double ridge) {
  if (n < 1) throw std::out_of_range("n: must be an integer >= 1");
  if (!(std::isfinite(ridge) && ridge >= 0.0)) {
    throw std::out_of_range("ridge: must be a finite number >= 0");
  }
  if (ridge != 0.0) {
    for (int64_t i = 0; i < n; ++i) A[i * n + i] += ridge;
  }
  const int64_t info = blas::potrfLower(n, A, n);
  if (info != 0) return info;
  // OpenBLAS's potrf tests a pivot with `<= 0`, which NaN passes; the factor then carries NaN
  // from that row on. Report it as LAPACK's reference (and the TypeScript twin) does.
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(A[i * n + i])) return i + 1;
  }
  return 0;
}

void choleskySolve(const double* L, int64_t n, double* B, int64_t nrhs) {
  if (n < 1) throw std::out_of_range("n: must be an integer >= 1");
  if (nrhs < 0) throw std::out_of_range("nrhs: must be an integer >= 0");
  if (nrhs == 0) return;
  blas::potrsLower(n, nrhs, L, n, B, n);
}

}  // namespace mfl
