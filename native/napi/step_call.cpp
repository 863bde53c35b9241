// The shared argument glue of the step-loop kernels (step_call.hpp).
#include "step_call.hpp"

#include <string>
#include <vector>

namespace mfl::napi {

std::string named(const char* name, int64_t x) {
  return std::string(name) + " = " + std::to_string(x);
}

std::string times(const char* name, int64_t x, int64_t y) {
  return std::string(name) + " = " + std::to_string(x) + "*" + std::to_string(y);
}

double* ArrayReader::read(const Options& from, const char* key, const char* field, uint64_t length,
                          const std::string& formula) {
  const Napi::Value value = from[key];
  const Expected expected{length, formula};
  const Float64View view = float64Array(value, field, &expected);
  return keep(value, view);
}

double* ArrayReader::readNullable(const Options& from, const char* key, const char* field,
                                  uint64_t length, const std::string& formula) {
  if (from[key].IsNull()) return nullptr;
  return read(from, key, field, length, formula);
}

double* ArrayReader::readOptional(const Options& from, const char* key, const char* field,
                                  bool wanted, const char* whyNull, uint64_t length,
                                  const std::string& formula) {
  const Napi::Value value = from[key];
  const Float64View view = optionalFloat64Array(value, field, wanted, whyNull, {length, formula});
  return view.present ? keep(value, view) : nullptr;
}

double* ArrayReader::keep(const Napi::Value& value, const Float64View& view) {
  views_.push_back(view);
  return owned_ != nullptr ? owned_->add(value, view, use_) : view.data;
}

DataArrays readDataArrays(const Options& o, int64_t P, int64_t d, int64_t PTest, uint64_t Pd,
                          uint64_t PTestd, ArrayReader& reader) {
  const std::string rows = named("P", P);
  const std::string testRows = named("PTest", PTest);
  const auto u64 = [](int64_t x) { return static_cast<uint64_t>(x); };
  DataArrays data;
  data.X = reader.read(o, "X", "data.X", Pd, times("P*d", P, d));
  data.y = reader.read(o, "y", "data.y", u64(P), rows);
  data.XTest = reader.read(o, "XTest", "data.XTest", PTestd, times("PTest*d", PTest, d));
  data.yTest = reader.read(o, "yTest", "data.yTest", u64(PTest), testRows);
  data.targetTest = reader.readNullable(o, "targetTest", "data.targetTest", u64(PTest), testRows);
  return data;
}

void requireOutputsDisjoint(Napi::Env env, const std::vector<Float64View>& views,
                            size_t firstOutput) {
  for (size_t i = firstOutput; i < views.size(); ++i) {
    for (size_t j = 0; j < views.size(); ++j) {
      if (j != i) requireDisjoint(env, {span(views[i])}, {span(views[j])});
    }
  }
}

std::pair<int64_t, int64_t> readStepRange(const Napi::CallbackInfo& info, int64_t steps) {
  const std::string total = std::to_string(steps);
  const int64_t begin =
      integerIn(info[4], "stepBegin", 0, steps, "an integer in [0, steps] (steps = " + total + ")");
  const int64_t end =
      integerIn(info[5], "stepEnd", begin, steps,
                "an integer in [stepBegin, steps] (stepBegin = " + std::to_string(begin) +
                    ", steps = " + total + ")");
  return {begin, end};
}

}  // namespace mfl::napi
