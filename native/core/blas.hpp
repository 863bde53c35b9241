// Row-major wrappers over the Fortran BLAS/LAPACK interface. The symbols are declared here rather
// than taken from cblas.h/lapacke.h so that any BLAS exporting the reference Fortran ABI links
// (OpenBLAS, MKL, BLIS, Accelerate, netlib).
#pragma once
#include <cstdint>
#include <string>

namespace mfl::blas {

enum class Trans { kNo, kYes };

// C (m x n) = alpha * op(A) op(B) + beta * C, all row-major; op(A) is m x k, op(B) is k x n.
void gemm(Trans transA, Trans transB, int64_t m, int64_t n, int64_t k, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc);

// Single precision (sgemm), same contract.
void gemm(Trans transA, Trans transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// y = alpha * op(A) x + beta * y with A (m x n) row-major.
void gemv(Trans trans, int64_t m, int64_t n, double alpha, const double* A, int64_t lda,
          const double* x, double beta, double* y);

// Single precision (sgemv), same contract.
void gemv(Trans trans, int64_t m, int64_t n, float alpha, const float* A, int64_t lda,
          const float* x, float beta, float* y);

// Lower triangle of C (n x n, row-major) = alpha * A A^T + beta * C with A (n x k) row-major.
void syrkLower(int64_t n, int64_t k, double alpha, const double* A, int64_t lda, double beta,
               double* C, int64_t ldc);

// Lower triangle of C (n x n, row-major) = alpha * A^T A + beta * C with A (k x n) row-major.
void syrkLowerTransposed(int64_t n, int64_t k, double alpha, const double* A, int64_t lda,
                         double beta, double* C, int64_t ldc);

// Cholesky factor of the symmetric positive definite A (n x n, row-major, lower triangle read and
// overwritten). Returns 0 on success, i > 0 when the leading minor of order i is not positive.
int64_t potrfLower(int64_t n, double* A, int64_t lda);

// Solves A X = B for nrhs right-hand sides stored as rows of B (nrhs x n, row-major), with A
// factored by potrfLower.
void potrsLower(int64_t n, int64_t nrhs, const double* L, int64_t lda, double* B, int64_t ldb);

struct Info {
  std::string vendor;  // "OpenBLAS" or "unknown BLAS (reference-compatible)"
  std::string config;  // openblas_get_config() plus the core name, empty when unknown
  int threads = 1;     // BLAS threads, 1 when unknown
  std::string lapack;  // where dpotrf_ comes from, e.g. "LAPACK (via OpenBLAS)"
};

// Detected at run time (weak symbols / dladdr), so it reports the library actually loaded.
Info info();

}  // namespace mfl::blas
