// philox4x32, fillUniform, fillGaussian: docs/rng.md, written straight into the caller's arrays.
#include "../core/rng.hpp"

#include <array>

#include "args.hpp"
#include "exports.hpp"

namespace mfl::napi {
namespace {

using FillFn = void (*)(uint64_t, uint64_t, uint64_t, double*, int64_t);

// fillUniform / fillGaussian(seed, stream, offset, out): values [offset, offset + out.length).
Napi::Value fill(const Napi::CallbackInfo& info, FillFn fillFn) {
  const Napi::Env env = info.Env();
  const uint64_t seed = safeIndex(info[0], "seed");
  const uint64_t stream = safeIndex(info[1], "stream");
  const uint64_t offset = safeIndex(info[2], "offset");
  const Float64View out = float64Array(info[3], "out", nullptr);
  // The last index must stay addressable from JS too (the TS twin counts in doubles).
  if (out.length > kTwoPow53 - offset) {
    throw rangeError(env, "offset",
                     "at most 2^53 - out.length = " + std::to_string(kTwoPow53 - out.length),
                     describe(info[2]));
  }
  fillFn(seed, stream, offset, out.data, static_cast<int64_t>(out.length));
  return env.Undefined();
}

}  // namespace

Napi::Value Philox4x32(const Napi::CallbackInfo& info) {
  const Uint32View counter = uint32Array(info[0], "counter", {4, ""});
  const Uint32View key = uint32Array(info[1], "key", {2, ""});
  const Uint32View out = uint32Array(info[2], "out", {4, ""});
  requireDisjoint(info.Env(), {span(out)}, {span(counter), span(key)});
  const PhiloxBlock block =
      philox4x32({counter.data[0], counter.data[1], counter.data[2], counter.data[3]},
                 {key.data[0], key.data[1]});
  for (size_t i = 0; i < 4; ++i) out.data[i] = block[i];
  return info.Env().Undefined();
}

Napi::Value FillUniform(const Napi::CallbackInfo& info) { return fill(info, &fillUniform); }

Napi::Value FillGaussian(const Napi::CallbackInfo& info) { return fill(info, &fillGaussian); }

}  // namespace mfl::napi
