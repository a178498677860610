// Assertions for fuzz targets: a failed check prints what and where, then
// traps, which libFuzzer reports as a crash (and saves the input) and the
// regression runner turns into a failed test. Not SIGNET_ASSERT: that one
// guards our own invariants in production code; these state what a decoder
// promises about any input at all.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(cond, what)                                                                       \
  do {                                                                                               \
    if (!(cond)) {                                                                                   \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s (%s)\n", __FILE__, __LINE__, #cond, what); \
      __builtin_trap();                                                                              \
    }                                                                                                \
  } while (0)
