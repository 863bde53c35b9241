// Argument checking for the binding: every value crossing from JS is checked here before any core
// code sees it. Failures throw Napi::Error subclasses carrying the `code` of src/errors.ts, with
// messages "<field>: expected <what>, got <what>" (TypeError, ERR_MFL_INVALID_TYPE) or
// "<field>: must be <allowed>, got <value>" (RangeError, ERR_MFL_OUT_OF_RANGE).
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "../core/network.hpp"

namespace mfl::napi {

constexpr uint64_t kTwoPow53 = uint64_t{1} << 53;
constexpr int64_t kMaxDimension = 2147483647;  // BLAS takes 32-bit sizes

// ---- errors -------------------------------------------------------------------------------------

// How a value looks in a message, as `describe` in src/errors.ts.
std::string describe(const Napi::Value& value);

Napi::Error typeError(Napi::Env env, const std::string& field, const std::string& expected,
                      const std::string& got);
Napi::Error rangeError(Napi::Env env, const std::string& field, const std::string& allowed,
                       const std::string& got);
Napi::Error codedError(Napi::Env env, const char* code, const std::string& message);

// Converts any C++ exception in flight into the JS error to throw. Core exceptions keep their
// message: std::out_of_range/std::length_error become RangeError, std::invalid_argument
// TypeError, std::bad_alloc a RangeError saying memory ran out, anything else an Error.
Napi::Error translateCurrentException(Napi::Env env);

// Wraps an exported function so that no C++ exception can escape into Node-API.
template <Napi::Value (*Fn)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return Fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw translateCurrentException(info.Env());
  }
}

// ---- scalars ------------------------------------------------------------------------------------

// An integer in [0, 2^53) (seeds, stream ids, offsets).
uint64_t safeIndex(const Napi::Value& value, const char* field);
// An integer in [lo, hi]; `allowed` describes the range for the message.
int64_t integerIn(const Napi::Value& value, const char* field, int64_t lo, int64_t hi,
                  const std::string& allowed);
// A number in [lo, hi] (NaN and infinities rejected unless inside the bounds).
double numberIn(const Napi::Value& value, const char* field, double lo, double hi,
                const std::string& allowed);
// A finite number > 0.
double positive(const Napi::Value& value, const char* field);
bool boolean(const Napi::Value& value, const char* field);
// One of `names`; returns its index.
size_t oneOf(const Napi::Value& value, const char* field, std::initializer_list<const char*> names);
// One of "relu", "erf", "tanh", "linear" (the field "activation").
Activation readActivation(const Napi::Value& value);

// a * b, or a RangeError naming `field` when it exceeds 2^53 (the largest exact JS integer).
uint64_t checkedProduct(Napi::Env env, uint64_t a, uint64_t b, const std::string& field);

// ---- options objects ----------------------------------------------------------------------------

// A plain options object whose own enumerable keys must all be in `allowed` (misspelled keys are
// rejected with code ERR_MFL_UNKNOWN_OPTION, as the TS schemas do).
//
// The constructor reads every allowed key once and operator[] returns those values: reading a
// property may run JS (an accessor, a Proxy trap) that detaches or shrinks a typed array, so a
// caller constructs every Options of a call before it views any typed array, and no JS runs
// between the first view and the end of the call.
class Options {
 public:
  Options(const Napi::Value& value, const char* field, std::initializer_list<const char*> allowed);
  // The value read for `key`, which must be one of `allowed` (else a std::logic_error).
  Napi::Value operator[](const char* key) const;

 private:
  std::vector<std::pair<const char*, Napi::Value>> values_;
};

// ---- typed arrays -------------------------------------------------------------------------------

// The length a typed-array argument must have and how it was computed, e.g. {4800, "P*d = 400*12"}.
struct Expected {
  uint64_t length;
  std::string formula;
};

// A typed array used in place. `data` is null when the array is empty.
template <class T>
struct View {
  T* data = nullptr;
  size_t length = 0;
  const char* field = "";
  bool present = false;  // false for an accepted null
};

using Float64View = View<double>;
using Uint32View = View<uint32_t>;

// A Float64Array of exactly `expected.length` elements (any length when expected is null).
Float64View float64Array(const Napi::Value& value, const char* field, const Expected* expected);
// As float64Array, but null is required when `wanted` is false and refused otherwise.
Float64View optionalFloat64Array(const Napi::Value& value, const char* field, bool wanted,
                                 const char* whyNull, const Expected& expected);
Uint32View uint32Array(const Napi::Value& value, const char* field, const Expected& expected);

// Whether the Float64Array `value` (checked earlier) is still attached with `length` elements;
// then `*data` is its memory (null when empty). Runs no JS.
bool float64ArrayStill(const Napi::Value& value, size_t length, double** data);

// Rejects NaN and infinities, naming the first bad index ("X[17]: must be finite, got NaN").
void requireFinite(Napi::Env env, const Float64View& view);

// A typed array's memory, for alias checks.
struct Span {
  const void* begin = nullptr;
  size_t bytes = 0;
  const char* field = "";
};

template <class T>
Span span(const View<T>& v) {
  return {v.data, v.length * sizeof(T), v.field};
}

// Each output must overlap neither another output nor any input (BLAS and the fused loops assume
// distinct buffers); the error names both arrays.
void requireDisjoint(Napi::Env env, std::initializer_list<Span> outputs,
                     std::initializer_list<Span> inputs);

// Refuses typed arrays over a resizable ArrayBuffer: a worker thread writing into one could race a
// shrink from JS. Asks ArrayBuffer.prototype's own `resizable` getter, captured when the addon
// loaded (captureBufferGetters), so neither an own property of the buffer nor a later change to
// the prototype can hide a resizable buffer, and no user JS runs after the arrays were viewed.
void requireFixedLength(const Napi::Value& typedArray, const char* field);

// Captures ArrayBuffer.prototype's `resizable` getter into the environment's addon data (module
// initialisation, after initAddonData).
void captureBufferGetters(Napi::Env env);

}  // namespace mfl::napi
