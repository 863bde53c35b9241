// Forward pass and gradient of the two-layer network (THEORY.md sections 2-3) on BLAS: the two
// O(P N d) products are single dgemm calls; everything elementwise is one fused pass.
#include "network.hpp"

#include <cmath>
#include <cstddef>
#include <stdexcept>

#include "blas.hpp"

namespace mfl {
namespace {

using blas::Trans;

constexpr double kTwoOverSqrtPi = 1.1283791670955126;  // d/dh erf(h) at h = 0

void checkShape(const NetworkShape& s, const NetworkParams& p) {
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
void preActivations(const NetworkShape& s, const double* X, const NetworkParams& p, double* H) {
  double beta = 0.0;
  if (s.bias) {
    for (int64_t mu = 0; mu < s.P; ++mu) {
      double* row = H + mu * s.N;
      for (int64_t i = 0; i < s.N; ++i) row[i] = p.b[i];
    }
    beta = 1.0;
  }
  const double alpha = 1.0 / std::sqrt(static_cast<double>(s.d));
  blas::gemm(Trans::kNo, Trans::kYes, s.P, s.N, s.d, alpha, X, s.d, p.W, s.d, beta, H, s.N);
}

// phi and phi' per activation, inlined into the loops below so each loop vectorises on its own.
template <Activation A>
struct Phi;

template <>
struct Phi<Activation::kRelu> {
  static double value(double h) { return h > 0.0 ? h : 0.0; }
  static double derivative(double h) { return h > 0.0 ? 1.0 : 0.0; }
  static void both(double h, double* phi, double* dphi) {
    *phi = value(h);
    *dphi = derivative(h);
  }
};

template <>
struct Phi<Activation::kErf> {
  static double value(double h) { return std::erf(h); }
  static double derivative(double h) { return kTwoOverSqrtPi * std::exp(-h * h); }
  static void both(double h, double* phi, double* dphi) {
    *phi = value(h);
    *dphi = derivative(h);
  }
};

template <>
struct Phi<Activation::kTanh> {
  static double value(double h) { return std::tanh(h); }
  static double derivative(double h) {
    const double t = std::tanh(h);
    return 1.0 - t * t;
  }
  static void both(double h, double* phi, double* dphi) {  // one tanh for both
    const double t = std::tanh(h);
    *phi = t;
    *dphi = 1.0 - t * t;
  }
};

template <>
struct Phi<Activation::kLinear> {
  static double value(double h) { return h; }
  static double derivative(double) { return 1.0; }
  static void both(double h, double* phi, double* dphi) {
    *phi = h;
    *dphi = 1.0;
  }
};

template <class PhiT>
void activateAll(const double* H, double* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = PhiT::value(H[i]);
}

// Phi = phi(H) and, in place, H = phi'(H): one pass over the P x N matrix.
template <class PhiT>
void activateWithDerivative(double* H, double* out, size_t n) {
  for (size_t i = 0; i < n; ++i) PhiT::both(H[i], &out[i], &H[i]);
}

template <class Fn>
void dispatch(Activation act, Fn&& fn) {
  switch (act) {
    case Activation::kRelu:
      return fn(Phi<Activation::kRelu>{});
    case Activation::kErf:
      return fn(Phi<Activation::kErf>{});
    case Activation::kTanh:
      return fn(Phi<Activation::kTanh>{});
    case Activation::kLinear:
      return fn(Phi<Activation::kLinear>{});
  }
  throw std::invalid_argument("activation: unknown");
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

}  // namespace

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
