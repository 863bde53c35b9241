// Fortran BLAS/LAPACK declarations and row-major wrappers. A row-major matrix is the transpose of
// the same memory read column-major, so every wrapper swaps operands instead of copying.
#include "blas.hpp"

#include <climits>
#include <cstddef>
#include <stdexcept>

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define MFL_HAVE_DLADDR 1
#endif

// Trailing size_t arguments are the hidden character lengths gfortran passes; C implementations
// (OpenBLAS) ignore them, Fortran ones (netlib) rely on them.
extern "C" {
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc, size_t, size_t);
void dgemv_(const char* trans, const int* m, const int* n, const double* alpha, const double* a,
            const int* lda, const double* x, const int* incx, const double* beta, double* y,
            const int* incy, size_t);
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc, size_t, size_t);
void sgemv_(const char* trans, const int* m, const int* n, const float* alpha, const float* a,
            const int* lda, const float* x, const int* incx, const float* beta, float* y,
            const int* incy, size_t);
void dsyrk_(const char* uplo, const char* trans, const int* n, const int* k, const double* alpha,
            const double* a, const int* lda, const double* beta, double* c, const int* ldc, size_t,
            size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
void dpotrs_(const char* uplo, const int* n, const int* nrhs, const double* a, const int* lda,
             double* b, const int* ldb, int* info, size_t);

#if defined(__ELF__)
// OpenBLAS extras: weak so that any other BLAS still links; null when absent.
__attribute__((weak, visibility("default"))) char* openblas_get_config(void);
__attribute__((weak, visibility("default"))) int openblas_get_num_threads(void);
__attribute__((weak, visibility("default"))) char* openblas_get_corename(void);
#define MFL_OPENBLAS_PROBE 1
#endif
}

namespace mfl::blas {
namespace {

// Fortran BLAS takes 32-bit INTEGER (LP64 builds); refuse rather than truncate.
int fortranInt(int64_t value, const char* what) {
  if (value < 0 || value > INT_MAX) {
    throw std::out_of_range(std::string(what) + ": must be in [0, 2^31 - 1] for BLAS");
  }
  return static_cast<int>(value);
}

char transChar(Trans t) { return t == Trans::kYes ? 'T' : 'N'; }

// Leading dimensions must be at least 1 even for empty matrices.
int leading(int64_t ld, const char* what) { return fortranInt(ld < 1 ? 1 : ld, what); }

template <class T, class Fn>
void gemmImpl(Fn fortran, Trans transA, Trans transB, int64_t m, int64_t n, int64_t k, T alpha,
              const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  const int fm = fortranInt(m, "gemm m");
  const int fn = fortranInt(n, "gemm n");
  const int fk = fortranInt(k, "gemm k");
  const int flda = leading(lda, "gemm lda");
  const int fldb = leading(ldb, "gemm ldb");
  const int fldc = leading(ldc, "gemm ldc");
  if (fm == 0 || fn == 0) return;
  // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T.
  const char ta = transChar(transA);
  const char tb = transChar(transB);
  fortran(&tb, &ta, &fn, &fm, &fk, &alpha, B, &fldb, A, &flda, &beta, C, &fldc, 1, 1);
}

template <class T, class Fn>
void gemvImpl(Fn fortran, Trans trans, int64_t m, int64_t n, T alpha, const T* A, int64_t lda,
              const T* x, T beta, T* y) {
  const int fm = fortranInt(m, "gemv m");
  const int fn = fortranInt(n, "gemv n");
  const int flda = leading(lda, "gemv lda");
  const int one = 1;
  // Row-major A (m x n) is column-major A^T (n x m): flip the transpose flag.
  const char t = trans == Trans::kYes ? 'N' : 'T';
  fortran(&t, &fn, &fm, &alpha, A, &flda, x, &one, &beta, y, &one, 1);
}

}  // namespace

void gemm(Trans transA, Trans transB, int64_t m, int64_t n, int64_t k, double alpha,
          const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
          int64_t ldc) {
  gemmImpl(dgemm_, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemm(Trans transA, Trans transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  gemmImpl(sgemm_, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemv(Trans trans, int64_t m, int64_t n, double alpha, const double* A, int64_t lda,
          const double* x, double beta, double* y) {
  gemvImpl(dgemv_, trans, m, n, alpha, A, lda, x, beta, y);
}

void gemv(Trans trans, int64_t m, int64_t n, float alpha, const float* A, int64_t lda,
          const float* x, float beta, float* y) {
  gemvImpl(sgemv_, trans, m, n, alpha, A, lda, x, beta, y);
}

void syrkLower(int64_t n, int64_t k, double alpha, const double* A, int64_t lda, double beta,
               double* C, int64_t ldc) {
  const int fn = fortranInt(n, "syrk n");
  const int fk = fortranInt(k, "syrk k");
  const int flda = leading(lda, "syrk lda");
  const int fldc = leading(ldc, "syrk ldc");
  // Row-major lower = column-major upper; row-major A (n x k) is column-major A^T (k x n), so
  // A A^T is the column-major 'T' product.
  const char uplo = 'U';
  const char trans = 'T';
  dsyrk_(&uplo, &trans, &fn, &fk, &alpha, A, &flda, &beta, C, &fldc, 1, 1);
}

void syrkLowerTransposed(int64_t n, int64_t k, double alpha, const double* A, int64_t lda,
                         double beta, double* C, int64_t ldc) {
  const int fn = fortranInt(n, "syrk n");
  const int fk = fortranInt(k, "syrk k");
  const int flda = leading(lda, "syrk lda");
  const int fldc = leading(ldc, "syrk ldc");
  // Row-major A (k x n) is column-major A^T (n x k), so A^T A is the column-major 'N' product;
  // row-major lower = column-major upper.
  const char uplo = 'U';
  const char trans = 'N';
  dsyrk_(&uplo, &trans, &fn, &fk, &alpha, A, &flda, &beta, C, &fldc, 1, 1);
}

int64_t potrfLower(int64_t n, double* A, int64_t lda) {
  const int fn = fortranInt(n, "potrf n");
  const int flda = leading(lda, "potrf lda");
  const char uplo = 'U';  // row-major lower = column-major upper
  int status = 0;
  dpotrf_(&uplo, &fn, A, &flda, &status, 1);
  if (status < 0) throw std::invalid_argument("potrf: invalid argument " + std::to_string(-status));
  return status;
}

void potrsLower(int64_t n, int64_t nrhs, const double* L, int64_t lda, double* B, int64_t ldb) {
  const int fn = fortranInt(n, "potrs n");
  const int fnrhs = fortranInt(nrhs, "potrs nrhs");
  const int flda = leading(lda, "potrs lda");
  const int fldb = leading(ldb, "potrs ldb");
  // Rows of the row-major B are the columns of a column-major n x nrhs matrix, exactly what
  // dpotrs expects; the factor is column-major upper (U^T U = A).
  const char uplo = 'U';
  int status = 0;
  dpotrs_(&uplo, &fn, &fnrhs, L, &flda, B, &fldb, &status, 1);
  if (status < 0) throw std::invalid_argument("potrs: invalid argument " + std::to_string(-status));
}

namespace {

// Fills vendor, config and threads when the loaded BLAS is OpenBLAS.
bool probeOpenBlas(Info* out) {
#ifdef MFL_OPENBLAS_PROBE
  if (openblas_get_config == nullptr) return false;
  out->vendor = "OpenBLAS";
  out->config = openblas_get_config();
  const char* core = openblas_get_corename != nullptr ? openblas_get_corename() : nullptr;
  if (core != nullptr && out->config.find(core) == std::string::npos) {
    out->config += std::string(" (core ") + core + ")";
  }
  if (openblas_get_num_threads != nullptr) out->threads = openblas_get_num_threads();
#ifdef MFL_STATIC_BLAS
  // Inside the addon itself, so no library file on disk says which OpenBLAS this is.
  out->config += " (linked statically)";
#endif
  return true;
#else  // weak imports work differently outside ELF (Mach-O, PE): report the BLAS as unknown
  (void)out;
  return false;
#endif
}

// The file that defines `symbol`, without directories; empty when unknown.
std::string libraryOf(const void* symbol) {
#ifdef MFL_HAVE_DLADDR
  Dl_info where{};
  if (dladdr(symbol, &where) != 0 && where.dli_fname != nullptr) {
    const std::string path = where.dli_fname;
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
#else
  (void)symbol;
#endif
  return "";
}

std::string lapackDescription(bool openblas) {
  const std::string gemmLibrary = libraryOf(reinterpret_cast<const void*>(&dgemm_));
  const std::string potrfLibrary = libraryOf(reinterpret_cast<const void*>(&dpotrf_));
  if (openblas && !potrfLibrary.empty() && potrfLibrary == gemmLibrary) {
    return "LAPACK (via OpenBLAS)";
  }
  if (!potrfLibrary.empty()) return "LAPACK (" + potrfLibrary + ")";
#ifdef MFL_LAPACK
  return MFL_LAPACK;
#else
  return "LAPACK";
#endif
}

}  // namespace

Info info() {
  Info result;
  const bool openblas = probeOpenBlas(&result);
  if (!openblas) {
    result.vendor = "unknown BLAS (reference-compatible)";
    result.config = "";
    result.threads = 1;
  }
  result.lapack = lapackDescription(openblas);
  return result;
}

}  // namespace mfl::blas
