// NNGP kernels (nngpGram, nngpCross, nngpDiag; THEORY.md section 5) and the Cholesky pair behind
// kernel ridge regression (cholesky, choleskySolve), on the caller's typed arrays. Row counts are
// read from the inputs (P = X.length / d) and every output length is exact.
//
// Sizes: BLAS/LAPACK take 32-bit dimensions (P, Q, d, n, nrhs and the leading dimensions), so each
// is checked to be at most 2^31 - 1 here; the element counts P*P, n*n may exceed 2^31 (n > 46340)
// because OpenBLAS computes offsets in 64-bit BLASLONG, as gfortran does for reference LAPACK.
#include "../core/kernels.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "../core/cholesky.hpp"
#include "args.hpp"
#include "exports.hpp"

namespace mfl::napi {
namespace {

const char* const kDimensions = "an integer in [1, 2^31 - 1]";

std::string text(uint64_t x) { return std::to_string(x); }

KernelSpec readSpec(const Napi::Value& value) {
  const Options o(value, "spec", {"kernel", "d", "sigmaW", "sigmaB", "bias"});
  static constexpr KernelKind kKinds[] = {KernelKind::kRelu, KernelKind::kErf, KernelKind::kLinear};
  KernelSpec s;
  s.kind = kKinds[oneOf(o["kernel"], "kernel", {"relu", "erf", "linear"})];
  s.d = integerIn(o["d"], "d", 1, kMaxDimension, kDimensions);
  s.sigmaW = positive(o["sigmaW"], "sigmaW");
  s.sigmaB = positive(o["sigmaB"], "sigmaB");
  s.bias = boolean(o["bias"], "bias");
  return s;
}

// A Float64Array of `rowLength`-long rows; `count` rows, named `rowsName` in messages.
struct Rows {
  Float64View view;
  int64_t count = 0;
};

Rows readRows(const Napi::Value& value, const char* field, const char* rowsName, int64_t rowLength,
              const char* lengthName, bool allowEmpty) {
  const Napi::Env env = value.Env();
  const Float64View view = float64Array(value, field, nullptr);
  const auto width = static_cast<uint64_t>(rowLength);
  if (view.length % width != 0 || (view.length == 0 && !allowEmpty)) {
    throw typeError(env, field,
                    std::string("a Float64Array whose length is a ") +
                        (allowEmpty ? "" : "positive ") + "multiple of " + lengthName + " = " +
                        text(width),
                    "length " + text(view.length));
  }
  const uint64_t count = view.length / width;
  if (count > static_cast<uint64_t>(kMaxDimension)) {
    throw rangeError(env, field,
                     std::string("at most 2^31 - 1 rows (") + rowsName + " = " + field +
                         ".length / " + lengthName + " is a BLAS dimension)",
                     std::string(rowsName) + " = " + text(count));
  }
  return {view, static_cast<int64_t>(count)};
}

// An output of exactly rows*cols elements; `formula` names the product, e.g. "Q*P".
Float64View readOutput(const Napi::Value& value, const char* field, int64_t rows, int64_t cols,
                       const char* formula) {
  const uint64_t length = checkedProduct(value.Env(), static_cast<uint64_t>(rows),
                                         static_cast<uint64_t>(cols), formula);
  const Expected expected{length, std::string(formula) + " = " + text(rows) + "*" + text(cols)};
  return float64Array(value, field, &expected);
}

// Only the lower triangle of a symmetric input (or a factor) is read, so only it must be finite:
// the strict upper triangle may hold anything (e.g. what cholesky left there).
void requireFiniteLower(Napi::Env env, const Float64View& A, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j <= i; ++j) {
      const double value = A.data[i * n + j];
      if (!std::isfinite(value)) {
        throw rangeError(env, std::string(A.field) + "[" + text(i * n + j) + "]",
                         "finite (lower triangle, row " + text(i) + ", column " + text(j) + ")",
                         Napi::Number::New(env, value).ToString().Utf8Value());
      }
    }
  }
}

// A factor from cholesky has a positive diagonal; a zero would divide by zero in the solve.
void requirePositiveDiagonal(Napi::Env env, const Float64View& L, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double value = L.data[i * n + i];
    if (!(value > 0.0)) {
      throw rangeError(env, std::string(L.field) + "[" + text(i * n + i) + "]",
                       "> 0 (the diagonal of a Cholesky factor)",
                       Napi::Number::New(env, value).ToString().Utf8Value());
    }
  }
}

int64_t readOrder(const Napi::Value& value) {
  return integerIn(value, "n", 1, kMaxDimension, kDimensions);
}

}  // namespace

// nngpGram(spec, X, K): K (P x P) = K(X, X), P = X.length / d.
Napi::Value NngpGram(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const KernelSpec spec = readSpec(info[0]);
  const Rows X = readRows(info[1], "X", "P", spec.d, "d", false);
  const Float64View K = readOutput(info[2], "K", X.count, X.count, "P*P");
  requireDisjoint(env, {span(K)}, {span(X.view)});
  requireFinite(env, X.view);
  nngpGram(spec, X.view.data, X.count, K.data);
  return env.Undefined();
}

// nngpCross(spec, Xs, X, K): K (Q x P) = K(Xs, X), Q = Xs.length / d, P = X.length / d.
Napi::Value NngpCross(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const KernelSpec spec = readSpec(info[0]);
  const Rows Xs = readRows(info[1], "Xs", "Q", spec.d, "d", false);
  const Rows X = readRows(info[2], "X", "P", spec.d, "d", false);
  const Float64View K = readOutput(info[3], "K", Xs.count, X.count, "Q*P");
  requireDisjoint(env, {span(K)}, {span(Xs.view), span(X.view)});
  requireFinite(env, Xs.view);
  requireFinite(env, X.view);
  nngpCross(spec, Xs.view.data, Xs.count, X.view.data, X.count, K.data);
  return env.Undefined();
}

// nngpDiag(spec, X, out): out (P) = K(x, x) per row.
Napi::Value NngpDiag(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const KernelSpec spec = readSpec(info[0]);
  const Rows X = readRows(info[1], "X", "P", spec.d, "d", false);
  const Expected rows{static_cast<uint64_t>(X.count), "P = " + text(X.count)};
  const Float64View out = float64Array(info[2], "out", &rows);
  requireDisjoint(env, {span(out)}, {span(X.view)});
  requireFinite(env, X.view);
  nngpDiag(spec, X.view.data, X.count, out.data);
  return env.Undefined();
}

// cholesky(A, n, ridge) -> info: A <- L with L L^T = A + ridge I; info > 0 is a result (the order
// of the first leading minor that is not positive definite), not an error.
Napi::Value Cholesky(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const int64_t n = readOrder(info[1]);
  const Float64View A = readOutput(info[0], "A", n, n, "n*n");
  const double ridge =
      numberIn(info[2], "ridge", 0.0, std::numeric_limits<double>::max(), "a finite number >= 0");
  requireFiniteLower(env, A, n);
  return Napi::Number::New(env, static_cast<double>(cholesky(A.data, n, ridge)));
}

// choleskySolve(L, n, B): B (nrhs x n) <- (L L^T)^-1 B, nrhs = B.length / n (0 allowed).
Napi::Value CholeskySolve(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const int64_t n = readOrder(info[1]);
  const Float64View L = readOutput(info[0], "L", n, n, "n*n");
  const Rows B = readRows(info[2], "B", "nrhs", n, "n", true);
  requireDisjoint(env, {span(B.view)}, {span(L)});
  requireFiniteLower(env, L, n);
  requirePositiveDiagonal(env, L, n);
  requireFinite(env, B.view);
  choleskySolve(L.data, n, B.view.data, B.count);
  return env.Undefined();
}

}  // namespace mfl::napi
