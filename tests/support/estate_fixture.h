// lookout::testing::EstateSuite: a test suite that shares one local estate (started before the
// suite's first test, stopped after its last). Derive a fixture from it.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "tests/estate/estate.h"

namespace lookout::testing {

class EstateSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    estate_ = new estate::Estate(estate::EstateOptions{});
    estate_->start();
  }
  static void TearDownTestSuite() {
    delete estate_;
    estate_ = nullptr;
  }
  static std::string endpoint(const std::string& name) { return estate_->endpoint(name); }

  static inline estate::Estate* estate_ = nullptr;
};

}  // namespace lookout::testing
