// Cholesky factorisation with a ridge and the matching solve (THEORY.md section 5: kernel ridge
// regression solves (K + ridge I) alpha = y with LAPACK potrf/potrs, never an explicit inverse).
#pragma once
#include <cstdint>

namespace mfl {

// In place: A (n x n, row-major, lower triangle read) <- L, lower triangular with
// L L^T = A + ridge I; the strict upper triangle is not touched. Returns LAPACK's info: 0 on
// success, i > 0 when the leading minor of order i is not positive definite, a NaN pivot included
// (A is then partly overwritten). A non-positive-definite matrix is a result, not an error.
int64_t cholesky(double* A, int64_t n, double ridge);

// In place: B (nrhs x n, one right-hand side per row) <- (L L^T)^-1 B, L from cholesky.
void choleskySolve(const double* L, int64_t n, double* B, int64_t nrhs);

}  // namespace mfl
