// Forward pass and gradient of the two-layer network (THEORY.md sections 2-3) on BLAS: the two
// O(P N d) products are single dgemm calls; everything elementwise is one fused pass.
#include "network.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "activation.hpp"
#include "blas.hpp"

namespace mfl {
namespace {

using activation::dispatch;
using activation::Phi;
using blas::Trans;

template <class T>
void checkShape(const NetworkShape& s, const NetworkParamsOf<T>& p) {
  if (s.P < 1) throw std::out_of_range("P: must be an integer >= 1");
  if (s.d < 1) throw std::out_of_range("d: must be an integer >= 1");
  if (s.N < 1) throw std::out_of_range("N: must be an integer >= 1");
  if (!(s.gamma >= 0.5 && s.gamma <= 1.0)) throw std::out_of_range("gamma: must be in [0.5, 1]");
  if (p.W == nullptr || p.a == nullptr) throw std::invalid_argument("W, a: must not be null");
  if (s.bias && p.b == nullptr) throw std::invalid_argument("b: must not be null with bias");
}

void checkWorkspace(const NetworkWorkspace& w, bool withResiduals) {
  if (w.H == nullptr || w.Phi == nullptr || (withResiduals && w.r == nullptr)) {
    throw std::invalid_argument("workspace: must not be null");
  }
}

// N^-gamma, the output scaling of section 2.
double outputScale(const NetworkShape& s) { return std::pow(static_cast<double>(s.N), -s.gamma); }

// H = X W^T / sqrt(d) (+ b on every row). With a bias, H starts as b and dgemm adds onto it
// (beta = 1), so the bias costs no extra pass.
template <class T>
void preActivations(const NetworkShape& s, const T* X, const NetworkParamsOf<T>& p, T* H) {
  T beta = 0;
  if (s.bias) {
    for (int64_t mu = 0; mu < s.P; ++mu) {
      T* row = H + mu * s.N;
      for (int64_t i = 0; i < s.N; ++i) row[i] = p.b[i];
    }
    beta = 1;
  }
  const auto alpha = static_cast<T>(1.0 / std::sqrt(static_cast<double>(s.d)));
  blas::gemm(Trans::kNo, Trans::kYes, s.P, s.N, s.d, alpha, X, s.d, p.W, s.d, beta, H, s.N);
}

template <class PhiT>
void activateAll(const double* H, double* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = PhiT::value(H[i]);
}

// Phi = phi(H) and, in place, H = phi'(H): one pass over the P x N matrix.
template <class PhiT>
void activateWithDerivative(double* H, double* out, size_t n) {
  for (size_t i = 0; i < n; ++i) PhiT::both(H[i], &out[i], &H[i]);
}

size_t cells(const NetworkShape& s) { return static_cast<size_t>(s.P) * static_cast<size_t>(s.N); }

// f = N^-gamma Phi a and Phi = phi(pre-activations), shared by forward and lossGradient.
void outputs(const NetworkShape& s, const NetworkParams& p, const double* Phi, double* f) {
  blas::gemv(Trans::kNo, s.P, s.N, outputScale(s), Phi, s.N, p.a, 0.0, f);
}

// r = f - y; returns E = 1/2 sum r^2.
double residuals(int64_t P, const double* f, const double* y, double* r) {
  double sum = 0.0;
  for (int64_t mu = 0; mu < P; ++mu) {
    r[mu] = f[mu] - y[mu];
    sum += r[mu] * r[mu];
  }
  return 0.5 * sum;
}

// G_{mu i} = N^-gamma r_mu a_i phi'(H_{mu i}), overwriting phi'(H) in place, and gb = column sums
// of G in the same pass (dE/db_i = sum_mu G_{mu i}).
void hiddenGradient(const NetworkShape& s, const NetworkParams& p, const double* r, double* dH,
                    double* gb) {
  const double scale = outputScale(s);
  if (gb != nullptr) {
    for (int64_t i = 0; i < s.N; ++i) gb[i] = 0.0;
  }
  for (int64_t mu = 0; mu < s.P; ++mu) {
    const double c = scale * r[mu];
    double* row = dH + mu * s.N;
    for (int64_t i = 0; i < s.N; ++i) row[i] = c * p.a[i] * row[i];
    if (gb != nullptr) {
      for (int64_t i = 0; i < s.N; ++i) gb[i] += row[i];
    }
  }
}

// ---- row-blocked variants ----------------------------------------------------------------------

// Independent partial sums per row dot product: a single running sum is a dependency chain that
// neither vectorises nor pipelines (no -ffast-math here), eight lanes do both.
constexpr int64_t kLanes = 8;
// Bytes of pre-activations per block (128 rows at N = 512): the block, the row being worked on
// and the dgemm panels fit in a 1-2 MiB L2. Measured at (P, d, N) = (4096, 35, 512): 128-256 rows
// are ~2% faster than 32-64 and ~5% faster than one full-size dgemm pair.
constexpr int64_t kBlockBytes = 512 * 1024;

template <class T>
T sumLanes(const T* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// sum_i a_i phi(h_i) over one row.
template <class PhiT, class T>
T rowOutput(const T* h, const T* a, int64_t N) {
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= N; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) acc[k] += a[i + k] * PhiT::value(h[i + k]);
  }
  T tail = 0;
  for (; i < N; ++i) tail += a[i] * PhiT::value(h[i]);
  return sumLanes(acc) + tail;
}

// phi = phi(h) and, in place, h = phi'(h) over one row; returns sum_i a_i phi(h_i).
template <class PhiT, class T>
T rowActivate(T* h, T* phi, const T* a, int64_t N) {
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= N; i += kLanes) {
    for (int64_t k = 0; k < kLanes; ++k) {
      PhiT::both(h[i + k], &phi[i + k], &h[i + k]);
      acc[k] += a[i + k] * phi[i + k];
    }
  }
  T tail = 0;
  for (; i < N; ++i) {
    PhiT::both(h[i], &phi[i], &h[i]);
    tail += a[i] * phi[i];
  }
  return sumLanes(acc) + tail;
}

// One row of the hidden gradient, c = N^-gamma r_mu: h = G_{mu i} = c a_i phi'(h_i) in place,
// ga_i += c phi_i and gb_i += G_{mu i}. `phi` holds phi(h) and h holds phi'(h) on entry.
template <class T>
void rowBackward(T c, const T* phi, const T* a, T* h, T* ga, T* gb, int64_t N) {
  for (int64_t i = 0; i < N; ++i) {
    ga[i] += c * phi[i];
    h[i] = c * a[i] * h[i];
  }
  if (gb != nullptr) {
    for (int64_t i = 0; i < N; ++i) gb[i] += h[i];
  }
}

// As rowBackward for cheap activations, with h still the pre-activations on entry: phi and phi'
// are recomputed instead of stored and reloaded.
template <class PhiT, class T>
void rowBackwardFromH(T c, const T* a, T* h, T* ga, T* gb, int64_t N) {
  for (int64_t i = 0; i < N; ++i) {
    const T x = h[i];
    ga[i] += c * PhiT::value(x);
    h[i] = c * a[i] * PhiT::derivative(x);
  }
  if (gb != nullptr) {
    for (int64_t i = 0; i < N; ++i) gb[i] += h[i];
  }
}

// Row mu of the gradient pass: returns f_mu and leaves G_{mu i} in h. The squared residual is
// added in double (exact for a float r).
template <class PhiT, class T>
T rowGradient(T scale, T y, const T* a, T* h, T* phi, T* ga, T* gb, int64_t N, double* sumSquares) {
  T f = 0;
  if constexpr (PhiT::kCheap) {
    f = scale * rowOutput<PhiT>(h, a, N);
    const T r = f - y;
    *sumSquares += static_cast<double>(r) * static_cast<double>(r);
    rowBackwardFromH<PhiT>(scale * r, a, h, ga, gb, N);
  } else {
    f = scale * rowActivate<PhiT>(h, phi, a, N);
    const T r = f - y;
    *sumSquares += static_cast<double>(r) * static_cast<double>(r);
    rowBackward(scale * r, phi, a, h, ga, gb, N);
  }
  return f;
}

template <class T>
void checkBlocked(const NetworkShape& s, const NetworkParamsOf<T>& p,
                  const BlockedWorkspaceOf<T>& w) {
  if (s.P < 0) throw std::out_of_range("P: must be an integer >= 0");
  NetworkShape nonEmpty = s;
  nonEmpty.P = 1;
  checkShape(nonEmpty, p);
  if (w.H == nullptr || w.phi == nullptr || w.blockRows < 1) {
    throw std::invalid_argument("workspace: must not be null");
  }
}

// Calls fn(first, rows) for each block of rows after writing its pre-activations into w.H.
template <class T, class Fn>
void forEachBlock(const NetworkShape& s, const T* X, const NetworkParamsOf<T>& p,
                  const BlockedWorkspaceOf<T>& w, Fn&& fn) {
  for (int64_t first = 0; first < s.P; first += w.blockRows) {
    NetworkShape block = s;
    block.P = std::min(w.blockRows, s.P - first);
    preActivations(block, X + first * s.d, p, w.H);
    fn(first, block.P);
  }
}

}  // namespace

int64_t defaultBlockRows(int64_t N) {
  const int64_t rows =
      kBlockBytes / (static_cast<int64_t>(sizeof(double)) * std::max<int64_t>(N, 1));
  return std::max<int64_t>(rows, 8);
}

int64_t blockedWorkspaceSize(int64_t N, int64_t blockRows) { return blockRows * N + N; }

template <class T>
BlockedWorkspaceOf<T> blockedWorkspace(T* block, int64_t N, int64_t blockRows) {
  return {block, block + blockRows * N, blockRows};
}

template <class T>
void forwardBlocked(const NetworkShape& shape, const T* X, const NetworkParamsOf<T>& params,
                    BlockedWorkspaceOf<T> work, T* f) {
  checkBlocked(shape, params, work);
  const auto scale = static_cast<T>(outputScale(shape));
  dispatch(shape.activation, [&](auto phi) {
    using PhiT = decltype(phi);
    forEachBlock(shape, X, params, work, [&](int64_t first, int64_t rows) {
      for (int64_t m = 0; m < rows; ++m) {
        f[first + m] = scale * rowOutput<PhiT>(work.H + m * shape.N, params.a, shape.N);
      }
    });
  });
}

template <class T>
double lossGradientBlocked(const NetworkShape& shape, const T* X, const T* y,
                           const NetworkParamsOf<T>& params, BlockedWorkspaceOf<T> work, T* f,
                           T* gW, T* ga, T* gb) {
  checkBlocked(shape, params, work);
  if (shape.bias && gb == nullptr) throw std::invalid_argument("gb: must not be null with bias");
  const int64_t N = shape.N;
  const int64_t d = shape.d;
  const auto scale = static_cast<T>(outputScale(shape));
  const auto alpha = static_cast<T>(1.0 / std::sqrt(static_cast<double>(d)));
  T* gbOrNull = shape.bias ? gb : nullptr;
  for (int64_t i = 0; i < N; ++i) ga[i] = 0;
  if (gbOrNull != nullptr) {
    for (int64_t i = 0; i < N; ++i) gbOrNull[i] = 0;
  }
  if (shape.P == 0) {
    if (gW != nullptr) std::fill(gW, gW + N * d, T(0));
    return 0.0;
  }
  double sumSquares = 0.0;
  dispatch(shape.activation, [&](auto phi) {
    using PhiT = decltype(phi);
    forEachBlock(shape, X, params, work, [&](int64_t first, int64_t rows) {
      for (int64_t m = 0; m < rows; ++m) {
        const int64_t mu = first + m;
        f[mu] = rowGradient<PhiT>(scale, y[mu], params.a, work.H + m * N, work.phi, ga, gbOrNull, N,
                                  &sumSquares);
      }
      // gW (+)= G_block^T X_block / sqrt(d)
      if (gW == nullptr) return;
      blas::gemm(Trans::kYes, Trans::kNo, N, d, rows, alpha, work.H, N, X + first * d, d,
                 first == 0 ? T(0) : T(1), gW, d);
    });
  });
  return 0.5 * sumSquares;
}

template BlockedWorkspaceOf<double> blockedWorkspace(double*, int64_t, int64_t);
template BlockedWorkspaceOf<float> blockedWorkspace(float*, int64_t, int64_t);
template void forwardBlocked(const NetworkShape&, const double*, const NetworkParamsOf<double>&,
                             BlockedWorkspaceOf<double>, double*);
template void forwardBlocked(const NetworkShape&, const float*, const NetworkParamsOf<float>&,
                             BlockedWorkspaceOf<float>, float*);
template double lossGradientBlocked(const NetworkShape&, const double*, const double*,
                                    const NetworkParamsOf<double>&, BlockedWorkspaceOf<double>,
                                    double*, double*, double*, double*);
template double lossGradientBlocked(const NetworkShape&, const float*, const float*,
                                    const NetworkParamsOf<float>&, BlockedWorkspaceOf<float>,
                                    float*, float*, float*, float*);

double activate(Activation act, double h) {
  double value = 0.0;
  dispatch(act, [&](auto phi) { value = decltype(phi)::value(h); });
  return value;
}

double activateDerivative(Activation act, double h) {
  double value = 0.0;
  dispatch(act, [&](auto phi) { value = decltype(phi)::derivative(h); });
  return value;
}

void forward(const NetworkShape& shape, const double* X, const NetworkParams& params,
             NetworkWorkspace work, double* f) {
  checkShape(shape, params);
  checkWorkspace(work, false);
  preActivations(shape, X, params, work.H);
  dispatch(shape.activation,
           [&](auto phi) { activateAll<decltype(phi)>(work.H, work.Phi, cells(shape)); });
  outputs(shape, params, work.Phi, f);
}

double lossGradient(const NetworkShape& shape, const double* X, const double* y,
                    const NetworkParams& params, NetworkWorkspace work, double* f, double* gW,
                    double* ga, double* gb) {
  checkShape(shape, params);
  checkWorkspace(work, true);
  if (shape.bias && gb == nullptr) throw std::invalid_argument("gb: must not be null with bias");
  preActivations(shape, X, params, work.H);
  dispatch(shape.activation, [&](auto phi) {
    activateWithDerivative<decltype(phi)>(work.H, work.Phi, cells(shape));
  });
  outputs(shape, params, work.Phi, f);
  const double E = residuals(shape.P, f, y, work.r);
  // ga_i = N^-gamma sum_mu Phi_{mu i} r_mu
  blas::gemv(Trans::kYes, shape.P, shape.N, outputScale(shape), work.Phi, shape.N, work.r, 0.0, ga);
  hiddenGradient(shape, params, work.r, work.H, shape.bias ? gb : nullptr);
  // gW = G^T X / sqrt(d)
  const double alpha = 1.0 / std::sqrt(static_cast<double>(shape.d));
  blas::gemm(Trans::kYes, Trans::kNo, shape.N, shape.d, shape.P, alpha, work.H, shape.N, X, shape.d,
             0.0, gW, shape.d);
  return E;
}

}  // namespace mfl
