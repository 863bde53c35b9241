// The functions the addon exports (the NativeAddon interface of src/binding.ts), one group per
// file. Each assumes nothing about its arguments: it checks them all with args.hpp.
#pragma once
#include <napi.h>

namespace mfl::napi {

Napi::Value Info(const Napi::CallbackInfo& info);  // info.cpp

Napi::Value Philox4x32(const Napi::CallbackInfo& info);  // rng.cpp
Napi::Value FillUniform(const Napi::CallbackInfo& info);
Napi::Value FillGaussian(const Napi::CallbackInfo& info);

Napi::Value GenerateTaskRows(const Napi::CallbackInfo& info);  // tasks.cpp
Napi::Value GenerateTaskRowsAsync(const Napi::CallbackInfo& info);

Napi::Value Forward(const Napi::CallbackInfo& info);  // network.cpp
Napi::Value LossGradient(const Napi::CallbackInfo& info);

Napi::Value SgldRun(const Napi::CallbackInfo& info);  // sgld.cpp
Napi::Value SgldRunAsync(const Napi::CallbackInfo& info);

Napi::Value MfRun(const Napi::CallbackInfo& info);  // mf.cpp
Napi::Value MfRunAsync(const Napi::CallbackInfo& info);

Napi::Value Gemm(const Napi::CallbackInfo& info);  // blas.cpp

Napi::Value NngpGram(const Napi::CallbackInfo& info);  // kernels.cpp
Napi::Value NngpCross(const Napi::CallbackInfo& info);
Napi::Value NngpDiag(const Napi::CallbackInfo& info);
Napi::Value Cholesky(const Napi::CallbackInfo& info);
Napi::Value CholeskySolve(const Napi::CallbackInfo& info);

}  // namespace mfl::napi
