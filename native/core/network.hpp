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

// Caller-owned parameter views. W is N x d row-major; b is null when shape.bias is false. The
// row-blocked routines below also take single-precision views (the SGLD kernel's float32 mode).
template <class T>
struct NetworkParamsOf {
  const T* W = nullptr;
  const T* a = nullptr;
  const T* b = nullptr;
};
using NetworkParams = NetworkParamsOf<double>;

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

// ---- row-blocked variants (the SGLD kernel)
// ------------------------------------------------------ The batch is processed `blockRows` rows at
// a time: one dgemm makes the block's pre-activations, the elementwise work runs row by row while
// the block is still in cache, and (for the gradient) a second dgemm accumulates the block's share
// of gW. Nothing of size P x N is ever stored, and every element is read from memory once. Same
// results as forward/lossGradient up to summation order.

template <class T>
struct BlockedWorkspaceOf {
  T* H = nullptr;         // blockRows x N
  T* phi = nullptr;       // N: one row of activations
  int64_t blockRows = 0;  // >= 1
};
using BlockedWorkspace = BlockedWorkspaceOf<double>;

// Rows per block for width N: a block of pre-activations stays well inside L2.
int64_t defaultBlockRows(int64_t N);
// Elements (of the workspace's scalar type) needed by a BlockedWorkspace of `blockRows` rows.
int64_t blockedWorkspaceSize(int64_t N, int64_t blockRows);
// Carves a workspace out of `block` (blockedWorkspaceSize(N, blockRows) elements).
template <class T>
BlockedWorkspaceOf<T> blockedWorkspace(T* block, int64_t N, int64_t blockRows);

// f (P) for inputs X (P x d); P = 0 is allowed (nothing to do). T is double or float (sgemm and
// single-precision elementwise work).
template <class T>
void forwardBlocked(const NetworkShape& shape, const T* X, const NetworkParamsOf<T>& params,
                    BlockedWorkspaceOf<T> work, T* f);

// As lossGradient: returns E and writes f (P), gW (N x d), ga (N), gb (N, only with bias). gW may
// be null when the first-layer gradient is not wanted (frozen W): its dgemm is then skipped. E is
// summed in double whatever T is.
template <class T>
double lossGradientBlocked(const NetworkShape& shape, const T* X, const T* y,
                           const NetworkParamsOf<T>& params, BlockedWorkspaceOf<T> work, T* f,
                           T* gW, T* ga, T* gb);

}  // namespace mfl
