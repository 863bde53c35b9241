// Per-sample observables of the SGLD kernel (THEORY.md section 4, docs/sgld.md "Samples and
// observables"), one chain at a time.
#pragma once
#include <cstdint>

#include "sgld.hpp"

namespace mfl::sgld {

// T is the kernel's working precision (double or float); every sum is in double.

// mean_mu (f_mu - y_mu)^2, NaN when n = 0.
template <class T>
double meanSquaredError(const T* f, const double* y, int64_t n);

// mean_mu f_mu target_mu (the order parameter mS), NaN when n = 0 or target is null.
template <class T>
double meanOverlap(const T* f, const double* target, int64_t n);

// The parameter part of a sample of chain c with first-layer weights W (N x d) and second-layer
// weights a (N): sumQ, histograms, moments and specialisation.
template <class T>
void addParameterSample(const SgldConfig& config, const T* W, const T* a, int64_t c,
                        const SgldAccumulators& acc);

}  // namespace mfl::sgld
