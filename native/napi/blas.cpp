// gemm: the row-major BLAS product, exported so benchmarks can time the GEMMs of an SGLD step
// against the step itself with the very library the kernels use.
#include "../core/blas.hpp"

#include <string>

#include "args.hpp"
#include "exports.hpp"

namespace mfl::napi {

// gemm({transA, transB, M, N, K, alpha, beta}, A, B, C): C = alpha op(A) op(B) + beta C.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const Options o(info[0], "options", {"transA", "transB", "M", "N", "K", "alpha", "beta"});
  const bool transA = boolean(o["transA"], "transA");
  const bool transB = boolean(o["transB"], "transB");
  const std::string sizes = "an integer in [1, 2^31 - 1]";
  const int64_t M = integerIn(o["M"], "M", 1, kMaxDimension, sizes);
  const int64_t N = integerIn(o["N"], "N", 1, kMaxDimension, sizes);
  const int64_t K = integerIn(o["K"], "K", 1, kMaxDimension, sizes);
  const double alpha = numberIn(o["alpha"], "alpha", -1e308, 1e308, "a finite number");
  const double beta = numberIn(o["beta"], "beta", -1e308, 1e308, "a finite number");
  const Expected aLen{checkedProduct(env, M, K, "M*K"), "M*K"};
  const Expected bLen{checkedProduct(env, K, N, "K*N"), "K*N"};
  const Expected cLen{checkedProduct(env, M, N, "M*N"), "M*N"};
  const Float64View A = float64Array(info[1], "A", &aLen);
  const Float64View B = float64Array(info[2], "B", &bLen);
  const Float64View C = float64Array(info[3], "C", &cLen);
  requireDisjoint(env, {span(C)}, {span(A), span(B)});
  using blas::Trans;
  blas::gemm(transA ? Trans::kYes : Trans::kNo, transB ? Trans::kYes : Trans::kNo, M, N, K, alpha,
             A.data, transA ? M : K, B.data, transB ? K : N, beta, C.data, N);
  return env.Undefined();
}

}  // namespace mfl::napi
