#include "args.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "scratch.hpp"

namespace mfl::napi {
namespace {

constexpr size_t kMaxQuotedChars = 40;  // as describe() in src/errors.ts

const char* typedArrayName(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
      return "Int8Array";
    case napi_uint8_array:
      return "Uint8Array";
    case napi_uint8_clamped_array:
      return "Uint8ClampedArray";
    case napi_int16_array:
      return "Int16Array";
    case napi_uint16_array:
      return "Uint16Array";
    case napi_int32_array:
      return "Int32Array";
    case napi_uint32_array:
      return "Uint32Array";
    case napi_float32_array:
      return "Float32Array";
    case napi_float64_array:
      return "Float64Array";
    case napi_bigint64_array:
      return "BigInt64Array";
    case napi_biguint64_array:
      return "BigUint64Array";
    default:  // newer kinds, e.g. Float16Array in recent headers
      return "TypedArray";
  }
}

// JSON-style quoting of the first 40 UTF-16 units, like JSON.stringify(value.slice(0, 40)).
std::string quoted(const Napi::String& value) {
  std::u16string units = value.Utf16Value();
  const bool cut = units.size() > kMaxQuotedChars;
  if (cut) units.resize(kMaxQuotedChars);
  const std::string utf8 = Napi::String::New(value.Env(), units).Utf8Value();
  std::string out = "\"";
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char* const kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + (cut ? "...\"" : "\"");
}

struct TypedArrayInfo {
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  bool detached = false;
  napi_value buffer = nullptr;
};

// Reads a typed array's layout; a detached buffer reports length 0 and no data.
TypedArrayInfo inspectTypedArray(const Napi::Value& value) {
  TypedArrayInfo info;
  size_t byteOffset = 0;
  napi_status status = napi_get_typedarray_info(value.Env(), value, &info.type, &info.length,
                                                &info.data, &info.buffer, &byteOffset);
  NAPI_THROW_IF_FAILED(value.Env(), status, info);
  status = napi_is_detached_arraybuffer(value.Env(), info.buffer, &info.detached);
  NAPI_THROW_IF_FAILED(value.Env(), status, info);
  if (info.detached || info.length == 0) {
    info.length = 0;
    info.data = nullptr;
  }
  return info;
}

std::string numberText(const Napi::Value& value) { return value.ToString().Utf8Value(); }

std::string expectedText(const char* type, const Expected* expected) {
  std::string text = std::string("a ") + type;
  if (expected != nullptr) {
    text += " of length " + std::to_string(expected->length);
    if (!expected->formula.empty()) text += " (" + expected->formula + ")";
  }
  return text;
}

// Checks type, detachment and length; returns the layout.
TypedArrayInfo typedArrayOf(const Napi::Value& value, const char* field, napi_typedarray_type type,
                            const Expected* expected) {
  const std::string wanted = expectedText(typedArrayName(type), expected);
  if (!value.IsTypedArray()) throw typeError(value.Env(), field, wanted, describe(value));
  TypedArrayInfo info = inspectTypedArray(value);
  if (info.type != type) throw typeError(value.Env(), field, wanted, describe(value));
  if (info.detached) {
    throw typeError(value.Env(), field, wanted, std::string("a detached ") + typedArrayName(type));
  }
  if (expected != nullptr && info.length != expected->length) {
    throw typeError(value.Env(), field, wanted, "length " + std::to_string(info.length));
  }
  return info;
}

bool overlaps(const Span& x, const Span& y) {
  if (x.bytes == 0 || y.bytes == 0) return false;
  const auto x0 = reinterpret_cast<uintptr_t>(x.begin);
  const auto y0 = reinterpret_cast<uintptr_t>(y.begin);
  return x0 < y0 + y.bytes && y0 < x0 + x.bytes;
}

}  // namespace

std::string describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_null:
      return "null";
    case napi_undefined:
      return "undefined";
    case napi_number:
    case napi_bigint:
      return numberText(value);
    case napi_boolean:
      return value.As<Napi::Boolean>().Value() ? "true" : "false";
    case napi_string:
      return quoted(value.As<Napi::String>());
    case napi_function:
      return "a function";
    case napi_symbol:
      return "a symbol";
    case napi_external:
      return "an external";
    case napi_object:
      break;
  }
  if (value.IsTypedArray()) {
    const TypedArrayInfo info = inspectTypedArray(value);
    if (info.detached) return std::string("a detached ") + typedArrayName(info.type);
    return std::string(typedArrayName(info.type)) + " of length " + std::to_string(info.length);
  }
  if (value.IsArray()) {
    return "an array of length " + std::to_string(value.As<Napi::Array>().Length());
  }
  return "an object";
}

Napi::Error codedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

Napi::Error typeError(Napi::Env env, const std::string& field, const std::string& expected,
                      const std::string& got) {
  Napi::Error error = Napi::TypeError::New(env, field + ": expected " + expected + ", got " + got);
  error.Set("code", Napi::String::New(env, "ERR_MFL_INVALID_TYPE"));
  return error;
}

Napi::Error rangeError(Napi::Env env, const std::string& field, const std::string& allowed,
                       const std::string& got) {
  Napi::Error error = Napi::RangeError::New(env, field + ": must be " + allowed + ", got " + got);
  error.Set("code", Napi::String::New(env, "ERR_MFL_OUT_OF_RANGE"));
  return error;
}

Napi::Error translateCurrentException(Napi::Env env) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    Napi::Error error = Napi::RangeError::New(env, "out of memory in the native addon");
    error.Set("code", Napi::String::New(env, "ERR_MFL_OUT_OF_RANGE"));
    return error;
  } catch (const std::out_of_range& e) {
    Napi::Error error = Napi::RangeError::New(env, e.what());
    error.Set("code", Napi::String::New(env, "ERR_MFL_OUT_OF_RANGE"));
    return error;
  } catch (const std::length_error& e) {
    Napi::Error error = Napi::RangeError::New(env, e.what());
    error.Set("code", Napi::String::New(env, "ERR_MFL_OUT_OF_RANGE"));
    return error;
  } catch (const std::invalid_argument& e) {
    Napi::Error error = Napi::TypeError::New(env, e.what());
    error.Set("code", Napi::String::New(env, "ERR_MFL_INVALID_TYPE"));
    return error;
  } catch (const std::exception& e) {
    return Napi::Error::New(env, e.what());
  } catch (...) {
    return Napi::Error::New(env, "unknown native exception");
  }
}

uint64_t safeIndex(const Napi::Value& value, const char* field) {
  if (!value.IsNumber()) throw typeError(value.Env(), field, "a number", describe(value));
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!(x >= 0.0 && x < 9007199254740992.0 && std::floor(x) == x)) {
    throw rangeError(value.Env(), field, "an integer in [0, 2^53)", describe(value));
  }
  return static_cast<uint64_t>(x);
}

int64_t integerIn(const Napi::Value& value, const char* field, int64_t lo, int64_t hi,
                  const std::string& allowed) {
  if (!value.IsNumber()) throw typeError(value.Env(), field, "a number", describe(value));
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi) && std::floor(x) == x)) {
    throw rangeError(value.Env(), field, allowed, describe(value));
  }
  return static_cast<int64_t>(x);
}

double numberIn(const Napi::Value& value, const char* field, double lo, double hi,
                const std::string& allowed) {
  if (!value.IsNumber()) throw typeError(value.Env(), field, "a number", describe(value));
  const double x = value.As<Napi::Number>().DoubleValue();
  if (!(x >= lo && x <= hi)) throw rangeError(value.Env(), field, allowed, describe(value));
  return x;
}

double positive(const Napi::Value& value, const char* field) {
  return numberIn(value, field, std::numeric_limits<double>::denorm_min(),
                  std::numeric_limits<double>::max(), "a finite number > 0");
}

bool boolean(const Napi::Value& value, const char* field) {
  if (!value.IsBoolean()) throw typeError(value.Env(), field, "a boolean", describe(value));
  return value.As<Napi::Boolean>().Value();
}

size_t oneOf(const Napi::Value& value, const char* field,
             std::initializer_list<const char*> names) {
  if (!value.IsString()) throw typeError(value.Env(), field, "a string", describe(value));
  const std::string text = value.As<Napi::String>().Utf8Value();
  size_t index = 0;
  for (const char* name : names) {
    if (text == name) return index;
    ++index;
  }
  std::string allowed;
  for (const char* name : names) {
    allowed += std::string(allowed.empty() ? "one of " : ", ") + "\"" + name + "\"";
  }
  throw rangeError(value.Env(), field, allowed, describe(value));
}

Activation readActivation(const Napi::Value& value) {
  static constexpr Activation kActivations[] = {Activation::kRelu, Activation::kErf,
                                                Activation::kTanh, Activation::kLinear};
  return kActivations[oneOf(value, "activation", {"relu", "erf", "tanh", "linear"})];
}

uint64_t checkedProduct(Napi::Env env, uint64_t a, uint64_t b, const std::string& field) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product) || product > kTwoPow53) {
    throw rangeError(env, field, "at most 2^53",
                     std::to_string(a) + "*" + std::to_string(b) + " (too large)");
  }
  return product;
}

Options::Options(const Napi::Value& value, const char* field,
                 std::initializer_list<const char*> allowed) {
  if (!value.IsObject() || value.IsArray() || value.IsTypedArray()) {
    throw typeError(value.Env(), field, "an object", describe(value));
  }
  const Napi::Object object = value.As<Napi::Object>();
  napi_value keys = nullptr;
  const napi_status status = napi_get_all_property_names(
      value.Env(), object, napi_key_own_only,
      static_cast<napi_key_filter>(napi_key_enumerable | napi_key_skip_symbols),
      napi_key_numbers_to_strings, &keys);
  NAPI_THROW_IF_FAILED_VOID(value.Env(), status);
  const Napi::Array names(value.Env(), keys);
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string key = names.Get(i).ToString().Utf8Value();
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (known) continue;
    std::string list;
    for (const char* name : allowed) list += std::string(list.empty() ? "" : ", ") + name;
    Napi::Error error =
        Napi::TypeError::New(value.Env(), std::string(field) + ": unknown option \"" + key +
                                              "\" (allowed: " + list + ")");
    error.Set("code", Napi::String::New(value.Env(), "ERR_MFL_UNKNOWN_OPTION"));
    throw error;
  }
  values_.reserve(allowed.size());
  for (const char* name : allowed) values_.emplace_back(name, object.Get(name));
}

Napi::Value Options::operator[](const char* key) const {
  for (const auto& [name, value] : values_) {
    if (std::strcmp(name, key) == 0) return value;
  }
  throw std::logic_error(std::string("mfl: option \"") + key + "\" was not declared");
}

Float64View float64Array(const Napi::Value& value, const char* field, const Expected* expected) {
  const TypedArrayInfo info = typedArrayOf(value, field, napi_float64_array, expected);
  return {static_cast<double*>(info.data), info.length, field, true};
}

Float64View optionalFloat64Array(const Napi::Value& value, const char* field, bool wanted,
                                 const char* whyNull, const Expected& expected) {
  if (wanted) return float64Array(value, field, &expected);
  if (!value.IsNull()) {
    throw typeError(value.Env(), field, std::string("null (") + whyNull + ")", describe(value));
  }
  return {nullptr, 0, field, false};
}

Uint32View uint32Array(const Napi::Value& value, const char* field, const Expected& expected) {
  const TypedArrayInfo info = typedArrayOf(value, field, napi_uint32_array, &expected);
  return {static_cast<uint32_t*>(info.data), info.length, field, true};
}

void requireFinite(Napi::Env env, const Float64View& view) {
  for (size_t i = 0; i < view.length; ++i) {
    if (!std::isfinite(view.data[i])) {
      throw rangeError(env, std::string(view.field) + "[" + std::to_string(i) + "]", "finite",
                       Napi::Number::New(env, view.data[i]).ToString().Utf8Value());
    }
  }
}

void requireDisjoint(Napi::Env env, std::initializer_list<Span> outputs,
                     std::initializer_list<Span> inputs) {
  for (auto out = outputs.begin(); out != outputs.end(); ++out) {
    for (auto other = out + 1; other != outputs.end(); ++other) {
      if (overlaps(*out, *other)) {
        throw rangeError(env, out->field, std::string("a buffer distinct from ") + other->field,
                         "overlapping memory");
      }
    }
    for (const Span& in : inputs) {
      if (overlaps(*out, in)) {
        throw rangeError(env, out->field, std::string("a buffer distinct from ") + in.field,
                         "overlapping memory");
      }
    }
  }
}

bool float64ArrayStill(const Napi::Value& value, size_t length, double** data) {
  if (!value.IsTypedArray()) return false;
  const TypedArrayInfo info = inspectTypedArray(value);
  if (info.type != napi_float64_array || info.detached || info.length != length) return false;
  *data = static_cast<double*>(info.data);
  return true;
}

void requireFixedLength(const Napi::Value& typedArray, const char* field) {
  const Napi::Env env = typedArray.Env();
  const TypedArrayInfo info = inspectTypedArray(typedArray);
  // A SharedArrayBuffer only ever grows, so what a job was given stays valid.
  bool isArrayBuffer = false;
  NAPI_THROW_IF_FAILED_VOID(env, napi_is_arraybuffer(env, info.buffer, &isArrayBuffer));
  const Napi::FunctionReference& getter = addonData(env).resizableGetter;
  if (!isArrayBuffer || getter.IsEmpty()) return;  // no getter: an engine without resizable buffers
  const Napi::Value resizable = getter.Value().Call(info.buffer, {});
  if (resizable.IsBoolean() && resizable.As<Napi::Boolean>().Value()) {
    throw typeError(env, field, "a typed array over a fixed-length ArrayBuffer",
                    "one over a resizable ArrayBuffer");
  }
}

void captureBufferGetters(Napi::Env env) {
  const Napi::Value arrayBuffer = env.Global().Get("ArrayBuffer");
  const Napi::Value object = env.Global().Get("Object");
  if (!arrayBuffer.IsFunction() || !object.IsObject()) return;
  const Napi::Value describeProperty = object.As<Napi::Object>().Get("getOwnPropertyDescriptor");
  const Napi::Value prototype = arrayBuffer.As<Napi::Object>().Get("prototype");
  if (!describeProperty.IsFunction() || !prototype.IsObject()) return;
  const Napi::Value descriptor = describeProperty.As<Napi::Function>().Call(
      object, {prototype, Napi::String::New(env, "resizable")});
  if (!descriptor.IsObject()) return;
  const Napi::Value get = descriptor.As<Napi::Object>().Get("get");
  if (get.IsFunction()) addonData(env).resizableGetter = Napi::Persistent(get.As<Napi::Function>());
}

}  // namespace mfl::napi
