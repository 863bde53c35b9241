// The activations phi and their derivatives (THEORY.md section 2), as types, so that each loop
// over many values is instantiated per activation and vectorises on its own. Shared by the
// network (network.cpp) and the mean-field particles (mf.cpp).
#pragma once
#include <cmath>
#include <stdexcept>

#include "network.hpp"

namespace mfl::activation {

constexpr double kTwoOverSqrtPi = 1.1283791670955126;  // d/dh erf(h) at h = 0

// phi and phi' per activation. kCheap: recomputing phi (and phi') beats storing and reloading it.
template <Activation A>
struct Phi;

template <>
struct Phi<Activation::kRelu> {
  static constexpr bool kCheap = true;
  template <class T>
  static T value(T h) {
    return h > T(0) ? h : T(0);
  }
  template <class T>
  static T derivative(T h) {
    return h > T(0) ? T(1) : T(0);
  }
  template <class T>
  static void both(T h, T* phi, T* dphi) {
    *phi = value(h);
    *dphi = derivative(h);
  }
};

template <>
struct Phi<Activation::kErf> {
  static constexpr bool kCheap = false;
  template <class T>
  static T value(T h) {
    return std::erf(h);
  }
  template <class T>
  static T derivative(T h) {
    return static_cast<T>(kTwoOverSqrtPi) * std::exp(-h * h);
  }
  template <class T>
  static void both(T h, T* phi, T* dphi) {
    *phi = value(h);
    *dphi = derivative(h);
  }
};

template <>
struct Phi<Activation::kTanh> {
  static constexpr bool kCheap = false;
  template <class T>
  static T value(T h) {
    return std::tanh(h);
  }
  template <class T>
  static T derivative(T h) {
    const T t = std::tanh(h);
    return T(1) - t * t;
  }
  template <class T>
  static void both(T h, T* phi, T* dphi) {  // one tanh for both
    const T t = std::tanh(h);
    *phi = t;
    *dphi = T(1) - t * t;
  }
};

template <>
struct Phi<Activation::kLinear> {
  static constexpr bool kCheap = true;
  template <class T>
  static T value(T h) {
    return h;
  }
  template <class T>
  static T derivative(T) {
    return T(1);
  }
  template <class T>
  static void both(T h, T* phi, T* dphi) {
    *phi = h;
    *dphi = T(1);
  }
};

// Calls fn(Phi<act>{}).
template <class Fn>
void dispatch(Activation act, Fn&& fn) {
  switch (act) {
    case Activation::kRelu:
      return fn(Phi<Activation::kRelu>{});
    case Activation::kErf:
      return fn(Phi<Activation::kErf>{});
    case Activation::kTanh:
      return fn(Phi<Activation::kTanh>{});
    case Activation::kLinear:
      return fn(Phi<Activation::kLinear>{});
  }
  throw std::invalid_argument("activation: unknown");
}

}  // namespace mfl::activation
