// NNGP kernels (THEORY.md section 5). The O(P^2 d) work is one BLAS call producing Sigma; the map
// Sigma -> K is O(P^2) elementwise work done in a single pass over the output (for the Gram: over
// its lower triangle, each tile mirrored into the upper triangle while it is still in cache).
#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include "blas.hpp"

// The map costs one acos (relu) or asin (erf) per element, ~20 ns each in glibc's scalar libm:
// three times the dsyrk and the mirror together, enough to drop Gram + Cholesky well below 80% of
// the Cholesky's GFLOP/s with AVX-512 BLAS kernels. glibc >= 2.35 ships vector variants of both in
// libmvec (linked through libm.so's AS_NEEDED script) but declares them only under -ffast-math,
// which this build must not use. Declaring the same variants glibc declares then lets GCC
// vectorise the map loops below (still std::acos/std::asin in the source; libmvec's results are
// within a few ulps, measured 2.5 vs 18.8 ns per relu element). Other compilers and C libraries
// keep the scalar calls; -DMFL_SCALAR_LIBM turns the declarations off.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35)) && !defined(MFL_SCALAR_LIBM)
extern "C" {
__attribute__((simd("notinbranch"))) double acos(double) noexcept;
__attribute__((simd("notinbranch"))) double asin(double) noexcept;
}
#endif

namespace mfl {
namespace {

using blas::Trans;

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoOverPi = 2.0 / kPi;
constexpr double kInvTwoPi = 1.0 / (2.0 * kPi);

// Side of the square tiles of the Gram's map-and-mirror pass: a 64 x 64 tile of doubles (32 KiB)
// is mapped row by row, then read column by column to write its mirror, and stays in L1/L2 in
// between; the mirror's writes are 512-byte runs of consecutive addresses.
constexpr int64_t kTile = 64;

// Rounding can put S12 / sqrt(S11 S22) (relu) or 2 S12 / sqrt((1 + 2 S11)(1 + 2 S22)) (erf) a few
// ulps outside [-1, 1], where acos/asin return NaN; identical or opposite rows (common with parity
// inputs) sit exactly on the boundary. Mathematically |value| <= 1 (Cauchy-Schwarz), so clamping
// only removes rounding. Written as two selects so the loop around it stays vectorisable.
inline double clampUnit(double c) {
  const double upper = c > 1.0 ? 1.0 : c;
  return upper < -1.0 ? -1.0 : upper;
}

// Per-row factors computed once from the variance S = Sigma(x, x), so the element function needs
// no division: relu f = sqrt(S), g = 1/sqrt(S) (0 when S = 0, which makes the correlation 0 and
// K = f_i f_j (...) = 0, the exact value for a zero pre-activation); erf f = 1/sqrt(1 + 2 S).
template <KernelKind Kind>
struct Map;

template <>
struct Map<KernelKind::kRelu> {
  static void factors(double S, double* f, double* g) {
    *f = std::sqrt(S);
    *g = S > 0.0 ? 1.0 / *f : 0.0;
  }
  // Arc-cosine kernel of order 1: sqrt(S11 S22)/(2 pi) (sin t + (pi - t) cos t), cos t = c.
  static double value(double s, double fi, double gi, double fj, double gj) {
    const double c = clampUnit(s * gi * gj);
    return fi * fj * kInvTwoPi * (std::sqrt(1.0 - c * c) + (kPi - std::acos(c)) * c);
  }
  static double diagonal(double S) { return 0.5 * S; }  // t = 0
};

template <>
struct Map<KernelKind::kErf> {
  static void factors(double S, double* f, double* g) {
    *f = 1.0 / std::sqrt(1.0 + 2.0 * S);
    *g = 0.0;
  }
  static double value(double s, double fi, double, double fj, double) {
    return kTwoOverPi * std::asin(clampUnit(2.0 * s * fi * fj));
  }
  static double diagonal(double S) { return kTwoOverPi * std::asin(2.0 * S / (1.0 + 2.0 * S)); }
};

template <>
struct Map<KernelKind::kLinear> {
  static void factors(double, double* f, double* g) {
    *f = 0.0;
    *g = 0.0;
  }
  static double value(double s, double, double, double, double) { return s; }
  static double diagonal(double S) { return S; }
};

template <class Fn>
void dispatch(KernelKind kind, Fn&& fn) {
  switch (kind) {
    case KernelKind::kRelu:
      return fn(Map<KernelKind::kRelu>{});
    case KernelKind::kErf:
      return fn(Map<KernelKind::kErf>{});
    case KernelKind::kLinear:
      return fn(Map<KernelKind::kLinear>{});
  }
  throw std::invalid_argument("kernel: unknown");
}

void checkSpec(const KernelSpec& s) {
  if (s.d < 1) throw std::out_of_range("d: must be an integer >= 1");
  const auto positive = [](double x) { return std::isfinite(x) && x > 0.0; };
  if (!positive(s.sigmaW)) throw std::out_of_range("sigmaW: must be a finite number > 0");
  if (!positive(s.sigmaB)) throw std::out_of_range("sigmaB: must be a finite number > 0");
}

void checkRows(int64_t rows, const char* what) {
  if (rows < 1) throw std::out_of_range(std::string(what) + ": must be an integer >= 1");
}

// sigmaW^2 / d: Sigma = scale * x.x' + offset.
double scaleOf(const KernelSpec& s) { return s.sigmaW * s.sigmaW / static_cast<double>(s.d); }
double offsetOf(const KernelSpec& s) { return s.bias ? s.sigmaB * s.sigmaB : 0.0; }

// Sigma(x, x) for every row of X (P x d), summed in index order as the TypeScript twin does.
void variances(const KernelSpec& s, const double* X, int64_t P, double* S) {
  const double scale = scaleOf(s);
  const double offset = offsetOf(s);
  for (int64_t mu = 0; mu < P; ++mu) {
    const double* x = X + mu * s.d;
    double sum = 0.0;
    for (int64_t j = 0; j < s.d; ++j) sum += x[j] * x[j];
    S[mu] = scale * sum + offset;
  }
}

// Row factors f, g of P variances, stored after each other in `fg` (2 P doubles).
template <class M>
void rowFactors(const double* S, int64_t P, double* fg) {
  for (int64_t mu = 0; mu < P; ++mu) M::factors(S[mu], &fg[mu], &fg[P + mu]);
}

// k[j] <- K from k[j] = scale * x_i.x_j (offset not yet added), j < n; f, g of the partners.
template <class M>
void mapRow(double* k, int64_t n, double offset, double fi, double gi, const double* f,
            const double* g) {
  for (int64_t j = 0; j < n; ++j) k[j] = M::value(k[j] + offset, fi, gi, f[j], g[j]);
}

// The lower triangle of K holds scale * X X^T; maps it tile by tile, writes the diagonal from the
// variances S, and mirrors each mapped tile into the upper triangle.
template <class M>
void mapLowerAndMirror(double* K, int64_t P, double offset, const double* S, const double* fg) {
  const double* f = fg;
  const double* g = fg + P;
  for (int64_t i0 = 0; i0 < P; i0 += kTile) {
    const int64_t i1 = std::min(i0 + kTile, P);
    for (int64_t j0 = 0; j0 <= i0; j0 += kTile) {
      const int64_t j1 = std::min(j0 + kTile, P);
      for (int64_t i = i0; i < i1; ++i) {
        double* row = K + i * P;
        const int64_t end = std::min(j1, i);  // strictly below the diagonal
        if (end > j0) mapRow<M>(row + j0, end - j0, offset, f[i], g[i], f + j0, g + j0);
        if (i < j1) row[i] = M::diagonal(S[i]);  // the diagonal tile holds (i, i)
      }
      for (int64_t j = j0; j < j1; ++j) {
        double* column = K + j * P;  // row j, columns i0..i1 of the upper triangle
        for (int64_t i = std::max(i0, j + 1); i < i1; ++i) column[i] = K[i * P + j];
      }
    }
  }
}

}  // namespace

void nngpGram(const KernelSpec& spec, const double* X, int64_t P, double* K) {
  checkSpec(spec);
  checkRows(P, "P");
  blas::syrkLower(P, spec.d, scaleOf(spec), X, spec.d, 0.0, K, P);
  // The syrk diagonal gives the variances, so K(x, x) and the correlations use the same rounding.
  const double offset = offsetOf(spec);
  std::vector<double> S(static_cast<size_t>(P));
  for (int64_t i = 0; i < P; ++i) S[i] = K[i * P + i] + offset;
  std::vector<double> fg(2 * static_cast<size_t>(P));
  dispatch(spec.kind, [&](auto map) {
    using M = decltype(map);
    rowFactors<M>(S.data(), P, fg.data());
    mapLowerAndMirror<M>(K, P, offset, S.data(), fg.data());
  });
}

void nngpCross(const KernelSpec& spec, const double* Xs, int64_t Q, const double* X, int64_t P,
               double* K) {
  checkSpec(spec);
  checkRows(Q, "Q");
  checkRows(P, "P");
  blas::gemm(Trans::kNo, Trans::kYes, Q, P, spec.d, scaleOf(spec), Xs, spec.d, X, spec.d, 0.0, K,
             P);
  std::vector<double> S(static_cast<size_t>(Q + P));
  std::vector<double> fg(2 * static_cast<size_t>(Q + P));
  double* fgs = fg.data();          // Xs: f then g, Q each
  double* fgx = fg.data() + 2 * Q;  // X: f then g, P each
  variances(spec, Xs, Q, S.data());
  variances(spec, X, P, S.data() + Q);
  const double offset = offsetOf(spec);
  dispatch(spec.kind, [&](auto map) {
    using M = decltype(map);
    rowFactors<M>(S.data(), Q, fgs);
    rowFactors<M>(S.data() + Q, P, fgx);
    for (int64_t q = 0; q < Q; ++q) {
      mapRow<M>(K + q * P, P, offset, fgs[q], fgs[Q + q], fgx, fgx + P);
    }
  });
}

void nngpDiag(const KernelSpec& spec, const double* X, int64_t P, double* out) {
  checkSpec(spec);
  checkRows(P, "P");
  variances(spec, X, P, out);
  dispatch(spec.kind, [&](auto map) {
    using M = decltype(map);
    for (int64_t mu = 0; mu < P; ++mu) out[mu] = M::diagonal(out[mu]);
  });
}

}  // namespace mfl
