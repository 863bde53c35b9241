// Per-sample particle observables of the mean-field kernel (THEORY.md section 4, docs/mf.md
// "Samples"), summed in the order of the TypeScript twin (src/backend/js/mf.ts).
#pragma once
#include <cstdint>

#include "mf.hpp"

namespace mfl::mf {

// q_j, the specialised fraction, and the histograms and moments of the particles W (M x d):
// relevant coordinates (j < nRelevant) in group 0, the others in group 1.
void addParticleSample(const MfConfig& config, const double* W, const MfAccumulators& acc);

// Group 2: the exact conditional a | w_p ~ N(m_p, v_p), m_p = beta_p / Lambda_p, v_p =
// 1 / Lambda_p: expected bin counts (normal CDF differences) and raw moments, per particle.
void addSecondLayerSample(const MfConfig& config, const double* Lambda, const double* beta,
                          const MfAccumulators& acc);

}  // namespace mfl::mf
