// Task data (THEORY.md section 1): parity(d, k) and single-index(d, k).
#pragma once
#include <cstdint>

namespace mfl {

enum class TaskKind { kParity, kSingleIndex };

struct TaskParams {
  TaskKind kind = TaskKind::kParity;
  int64_t d = 0;            // input dimension, >= 1
  int64_t k = 0;            // parity order / Hermite degree, 0 <= k <= d (single-index: k <= 20)
  double labelNoise = 0.0;  // sigma_eps >= 0
  uint64_t seed = 0;        // data seed in [0, 2^53)
};

// Fills X (n x d, row-major) and y (n) with rows [rowOffset, rowOffset + n) of the train
// (test = false) or test (test = true) split. Train rows use streams kTrainInputs/kTrainLabelNoise,
// test rows kTestInputs/kTestLabelNoise, so P and P_test never affect each other's data.
// Row mu of the inputs is values [mu*d, mu*d + d) of the input stream:
//   parity: x = (uniform < 0.5) ? -1 : +1;   y = prod_{j < k} x_j
//   single-index: x = gaussian;  y = He_k(x_0) / sqrt(k!)  (He_k by He_{n+1} = x He_n - n He_{n-1},
//   k! as an exact product of doubles)
// then y += labelNoise * gaussian value mu of the label-noise stream when labelNoise > 0.
void generateTaskRows(const TaskParams& params, bool test, int64_t rowOffset, int64_t n, double* X,
                      double* y);

}  // namespace mfl
