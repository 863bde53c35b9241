// forward and lossGradient (THEORY.md sections 2-3) on the caller's typed arrays; the P x N
// workspace comes from the environment's scratch pool.
#include "../core/network.hpp"

#include <string>

#include "args.hpp"
#include "exports.hpp"
#include "scratch.hpp"

namespace mfl::napi {
namespace {

struct Sizes {
  uint64_t Pd = 0;  // P*d
  uint64_t Nd = 0;  // N*d
  uint64_t PN = 0;  // P*N
};

NetworkShape readShape(const Napi::Value& value) {
  const Options options(value, "options", {"P", "d", "N", "gamma", "activation", "bias"});
  const std::string dims = "an integer in [1, 2^31 - 1]";
  NetworkShape s;
  s.P = integerIn(options["P"], "P", 1, kMaxDimension, dims);
  s.d = integerIn(options["d"], "d", 1, kMaxDimension, dims);
  s.N = integerIn(options["N"], "N", 1, kMaxDimension, dims);
  s.gamma = numberIn(options["gamma"], "gamma", 0.5, 1.0, "a number in [0.5, 1]");
  s.activation = readActivation(options["activation"]);
  s.bias = boolean(options["bias"], "bias");
  return s;
}

std::string formula(const char* name, int64_t x, int64_t y) {
  return std::string(name) + " = " + std::to_string(x) + "*" + std::to_string(y);
}

Sizes sizesOf(Napi::Env env, const NetworkShape& s) {
  const auto P = static_cast<uint64_t>(s.P);
  const auto d = static_cast<uint64_t>(s.d);
  const auto N = static_cast<uint64_t>(s.N);
  return {checkedProduct(env, P, d, "P*d"), checkedProduct(env, N, d, "N*d"),
          checkedProduct(env, P, N, "P*N")};
}

Expected rowsOf(const NetworkShape& s) {
  return {static_cast<uint64_t>(s.P), "P = " + std::to_string(s.P)};
}
Expected widthOf(const NetworkShape& s) {
  return {static_cast<uint64_t>(s.N), "N = " + std::to_string(s.N)};
}
Expected weightsOf(const NetworkShape& s, const Sizes& n) {
  return {n.Nd, formula("N*d", s.N, s.d)};
}

// The inputs X, (y,) W, a, b, read in argument order: shapes checked and values finite.
struct Inputs {
  Float64View X, y, W, a, b;
  NetworkParams params() const { return {W.data, a.data, b.present ? b.data : nullptr}; }
};

Inputs readInputs(const Napi::CallbackInfo& info, const NetworkShape& s, const Sizes& n,
                  bool withLabels) {
  const Napi::Env env = info.Env();
  const Expected xLen{n.Pd, formula("P*d", s.P, s.d)};
  const Expected rows = rowsOf(s);
  const Expected wLen = weightsOf(s, n);
  const Expected width = widthOf(s);
  size_t at = 1;
  Inputs in;
  in.X = float64Array(info[at++], "X", &xLen);
  if (withLabels) in.y = float64Array(info[at++], "y", &rows);
  in.W = float64Array(info[at++], "W", &wLen);
  in.a = float64Array(info[at++], "a", &width);
  in.b = optionalFloat64Array(info[at], "b", s.bias, "bias is false", width);
  // O(P d + N d) scans, small beside the O(P N d) products, and they stop a NaN from spreading
  // silently through BLAS into every output.
  for (const Float64View* v : {&in.X, &in.y, &in.W, &in.a, &in.b}) requireFinite(env, *v);
  return in;
}

// H and Phi (P x N each), plus P residuals for the gradient, in the environment's scratch pool.
NetworkWorkspace workspace(Napi::Env env, ScratchLease& lease, const NetworkShape& s,
                           const Sizes& n, bool residuals) {
  const uint64_t extra = residuals ? static_cast<uint64_t>(s.P) : 0;
  const uint64_t count = checkedProduct(env, 2, n.PN, "P*N") + extra;
  double* block = lease.acquire(env, count, "P*N");
  return {block, block + n.PN, residuals ? block + 2 * n.PN : nullptr};
}

}  // namespace

// forward(options, X, W, a, b, f)
Napi::Value Forward(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const NetworkShape shape = readShape(info[0]);
  const Sizes n = sizesOf(env, shape);
  const Inputs in = readInputs(info, shape, n, false);
  const Expected rows = rowsOf(shape);
  const Float64View f = float64Array(info[5], "f", &rows);
  requireDisjoint(env, {span(f)}, {span(in.X), span(in.W), span(in.a), span(in.b)});

  ScratchLease lease(env);
  forward(shape, in.X.data, in.params(), workspace(env, lease, shape, n, false), f.data);
  return env.Undefined();
}

// lossGradient(options, X, y, W, a, b, f, gW, ga, gb) -> E
Napi::Value LossGradient(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const NetworkShape shape = readShape(info[0]);
  const Sizes n = sizesOf(env, shape);
  const Inputs in = readInputs(info, shape, n, true);
  const Expected rows = rowsOf(shape);
  const Expected wLen = weightsOf(shape, n);
  const Expected width = widthOf(shape);
  const Float64View f = float64Array(info[6], "f", &rows);
  const Float64View gW = float64Array(info[7], "gW", &wLen);
  const Float64View ga = float64Array(info[8], "ga", &width);
  const Float64View gb = optionalFloat64Array(info[9], "gb", shape.bias, "bias is false", width);
  requireDisjoint(env, {span(f), span(gW), span(ga), span(gb)},
                  {span(in.X), span(in.y), span(in.W), span(in.a), span(in.b)});

  ScratchLease lease(env);
  const double E =
      lossGradient(shape, in.X.data, in.y.data, in.params(), workspace(env, lease, shape, n, true),
                   f.data, gW.data, ga.data, gb.present ? gb.data : nullptr);
  return Napi::Number::New(env, E);
}

}  // namespace mfl::napi
