// Two-layer network f(x) = N^-gamma sum_i a_i phi(w_i . x / sqrt(d) + b_i) (THEORY.md section 2)
// and the gradient of E = 1/2 sum_mu (f(x_mu) - y_mu)^2 (section 3).
#pragma once
#include <cstdint>

namespace mfl {

enum class Activation { kRelu, kErf, kTanh, kLinear };

struct NetworkShape {
  int64_t P = 0;  // rows of X
  int64_t d = 0;  // input dimension
  int64_t N = 0;  // width
  double gamma = 0.5;
  Activation activation = Activation::kRelu;
  bool bias = false;
};

// Caller-owned parameter views. W is N x d row-major; b is null when shape.bias is false.
struct NetworkParams {
  const double* W = nullptr;
  const double* a = nullptr;
  const double* b = nullptr;
};

// Scratch of 2 * P * N (+ P for lossGradient) doubles owned by the caller, reused across calls.
struct NetworkWorkspace {
  double* H = nullptr;    // P x N pre-activations, then phi'(H) scaled (gradient)
  double* Phi = nullptr;  // P x N activations
  double* r = nullptr;    // P residuals f - y (lossGradient only)
};

double activate(Activation act, double h);
double activateDerivative(Activation act, double h);

// f (P) for inputs X (P x d).
void forward(const NetworkShape& shape, const double* X, const NetworkParams& params,
             NetworkWorkspace work, double* f);

// Returns E and writes f (P) and the gradient of E: gW (N x d), ga (N), gb (N, only with bias).
double lossGradient(const NetworkShape& shape, const double* X, const double* y,
                    const NetworkParams& params, NetworkWorkspace work, double* f, double* gW,
                    double* ga, double* gb);

}  // namespace mfl
