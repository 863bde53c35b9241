// Stream ids: purpose * 2^32 + index (docs/rng.md). Mirrors src/rng/streams.ts.
#pragma once
#include <cstdint>

namespace mfl::streams {

enum Purpose : uint64_t {
  kTrainInputs = 1,
  kTrainLabelNoise = 2,
  kTestInputs = 3,
  kTestLabelNoise = 4,
  kParamInit = 16,
  kSgldNoise = 17,
  kMinibatch = 18,
  kMalaAccept = 19,
  kBaoabNoise = 20,
  kMomentumInit = 21,
  kMfInit = 32,
  kMfNoise = 33,
};

constexpr uint64_t id(uint64_t purpose, uint64_t index) { return (purpose << 32) + index; }

}  // namespace mfl::streams
