// Export table. The addon holds no global state: what it keeps lives in per-environment instance
// data (scratch.hpp), so it can be loaded in several contexts (worker threads) at once.
#include <napi.h>

#include "args.hpp"
#include "exports.hpp"
#include "scratch.hpp"

namespace mfl::napi {
namespace {

template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
void exportFunction(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New<guarded<Fn>>(env, name));
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  initAddonData(env);
  captureBufferGetters(env);
  exportFunction<Info>(env, exports, "info");
  exportFunction<Philox4x32>(env, exports, "philox4x32");
  exportFunction<FillUniform>(env, exports, "fillUniform");
  exportFunction<FillGaussian>(env, exports, "fillGaussian");
  exportFunction<GenerateTaskRows>(env, exports, "generateTaskRows");
  exportFunction<GenerateTaskRowsAsync>(env, exports, "generateTaskRowsAsync");
  exportFunction<Forward>(env, exports, "forward");
  exportFunction<LossGradient>(env, exports, "lossGradient");
  exportFunction<SgldRun>(env, exports, "sgldRun");
  exportFunction<SgldRunAsync>(env, exports, "sgldRunAsync");
  exportFunction<MfRun>(env, exports, "mfRun");
  exportFunction<MfRunAsync>(env, exports, "mfRunAsync");
  exportFunction<Gemm>(env, exports, "gemm");
  exportFunction<NngpGram>(env, exports, "nngpGram");
  exportFunction<NngpCross>(env, exports, "nngpCross");
  exportFunction<NngpDiag>(env, exports, "nngpDiag");
  exportFunction<Cholesky>(env, exports, "cholesky");
  exportFunction<CholeskySolve>(env, exports, "choleskySolve");
  return exports;
}

}  // namespace
}  // namespace mfl::napi

// NODE_API_MODULE needs an unqualified name.
static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  return mfl::napi::init(env, exports);
}

NODE_API_MODULE(mfl, InitModule)
