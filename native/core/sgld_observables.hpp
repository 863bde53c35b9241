// Per-sample observables of the SGLD kernel (THEORY.md section 4, docs/sgld.md "Samples and
// observables"), one chain at a time.
#pragma once
#include <cstdint>

#include "sgld.hpp"

namespace mfl::sgld {

// mean_mu (f_mu - y_mu)^2, NaN when n = 0.
double meanSquaredError(const double* f, const double* y, int64_t n);

// mean_mu f_mu target_mu (the order parameter mS), NaN when n = 0 or target is null.
double meanOverlap(const double* f, const double* target, int64_t n);

// The parameter part of a sample of chain c with first-layer weights W (N x d) and second-layer
// weights a (N): sumQ, histograms, moments and specialisation.
void addParameterSample(const SgldConfig& config, const double* W, const double* a, int64_t c,
                        const SgldAccumulators& acc);

}  // namespace mfl::sgld
