// info(): what was built and what is running (BLAS vendor and threads are read at run time).
#include <string>

#include "../core/blas.hpp"
#include "args.hpp"
#include "exports.hpp"

#ifndef MFL_VERSION
#define MFL_VERSION "unknown"
#endif
#ifndef MFL_BUILD_SYSTEM
#define MFL_BUILD_SYSTEM "unknown"
#endif

namespace mfl::napi {
namespace {

const char* compiler() {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "g++ " __VERSION__;
#elif defined(_MSC_VER)
  return "MSVC";
#else
  return "unknown";
#endif
}

Napi::Array cpuFeatures(Napi::Env env) {
  Napi::Array features = Napi::Array::New(env);
  uint32_t count = 0;
  const auto add = [&](const char* name) { features.Set(count++, Napi::String::New(env, name)); };
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) add("sse4.2");
  if (__builtin_cpu_supports("avx")) add("avx");
  if (__builtin_cpu_supports("avx2")) add("avx2");
  if (__builtin_cpu_supports("fma")) add("fma");
  if (__builtin_cpu_supports("avx512f")) add("avx512f");
#elif defined(__aarch64__)
  add("neon");  // mandatory on AArch64
#else
  (void)add;
#endif
  return features;
}

}  // namespace

Napi::Value Info(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const blas::Info blasInfo = blas::info();
  Napi::Object result = Napi::Object::New(env);
  result.Set("version", MFL_VERSION);
  result.Set("blasVendor", blasInfo.vendor);
  result.Set("blasConfig", blasInfo.config);
  result.Set("blasThreads", blasInfo.threads);
  result.Set("lapack", blasInfo.lapack);
  result.Set("compiler", compiler());
  result.Set("buildSystem", MFL_BUILD_SYSTEM);
  result.Set("cpuFeatures", cpuFeatures(env));
  result.Set("napiVersion", NAPI_VERSION);
  return result;
}

}  // namespace mfl::napi
