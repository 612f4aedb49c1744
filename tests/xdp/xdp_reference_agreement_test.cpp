// SPDX-License-Identifier: GPL-2.0-only
// The ban filter against its C++ reference (fuzz/reference_packet_verdict), as the
// xdp_parser fuzzer holds them, but deterministic: the fuzzer's seed corpus and kept
// regressions, then a few hundred frames from a fixed pseudo-random stream (template
// recipes, and seed frames with bytes changed, cut or grown).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <random>

#include "fuzz/xdp_ban_set.h"
#include "fuzz/xdp_frame_recipe.h"
#include "fuzz/xdp_verdict_oracle.h"
#include "tests/fixtures/pin_dir_fixture.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using namespace mcf2b::xdp_reference;

namespace {

std::vector<std::vector<uint8_t>> inputs_in(const std::filesystem::path &dir) {
  std::vector<std::filesystem::path> files;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    if (entry.is_regular_file())
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::vector<uint8_t>> out;
  for (const auto &f : files) {
    std::ifstream in(f, std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

class XdpReferenceAgreement : public PinDirTest {
protected:
  void SetUp() override {
    PinDirTest::SetUp();
    if (HasFatalFailure())
      return;
    auto oracle = BanFilterOracle::open(pins_->path() + "/mcf2b", fixed_ban_set());
    ASSERT_TRUE(ok(oracle));
    oracle_.emplace(std::move(*oracle));
    pools_ = {interesting_sources(fixed_ban_set()), interesting_ports(fixed_ban_set())};
  }

  // Runs one fuzz input as the harness does; returns false when it made no frame to run.
  bool agrees(const std::vector<uint8_t> &input, const std::string &what) {
    auto frame = frame_from_input(input, pools_);
    if (frame.size() < BanFilterOracle::kMinFrame)
      return false;
    if (frame.size() > BanFilterOracle::kMaxFrame)
      frame.resize(BanFilterOracle::kMaxFrame);
    auto report = oracle_->disagreement(frame);
    EXPECT_TRUE(ok(report)) << what;
    if (report) {
      EXPECT_EQ(*report, "") << what;
    }
    const auto &seen = oracle_->last_reference();
    ++kinds_[seen.action == 1 ? "drop" : "pass"];
    ++kinds_[to_string(seen.parsed.frame_class)];
    if (seen.parsed.frame_class == FrameClass::flow)
      ++kinds_[seen.parsed.flow.source.is_v4() ? "IPv4 source" : "IPv6 source"];
    if (seen.parsed.frame_class == FrameClass::flow &&
        seen.parsed.flow.port_state == PortState::fragment)
      ++kinds_["fragment"];
    return true;
  }

  // The pseudo-random frames reach every outcome, so their agreement means something.
  void expect_every_kind_at_least(int times) {
    for (const char *kind :
         {"drop", "pass", "flow", "malformed", "not IP", "IPv4 source", "IPv6 source", "fragment"})
      EXPECT_GE(kinds_[kind], times) << kind;
  }

  std::optional<BanFilterOracle> oracle_;
  RecipePools pools_;
  std::map<std::string, int> kinds_;
};

TEST_F(XdpReferenceAgreement, SeedCorpusAndKeptRegressions) {
  auto seeds = inputs_in(MCF2B_XDP_CORPUS_DIR);
  ASSERT_GE(seeds.size(), 8u) << "the seed corpus is missing: " << MCF2B_XDP_CORPUS_DIR;
  for (size_t i = 0; i < seeds.size(); ++i)
    EXPECT_TRUE(agrees(seeds[i], "seed " + std::to_string(i)));
  if (std::filesystem::is_directory(MCF2B_XDP_REGRESSION_DIR)) {
    auto kept = inputs_in(MCF2B_XDP_REGRESSION_DIR);
    for (size_t i = 0; i < kept.size(); ++i)
      EXPECT_TRUE(agrees(kept[i], "regression " + std::to_string(i)));
  }
}

TEST_F(XdpReferenceAgreement, PseudoRandomRecipes) {
  std::mt19937 random(20261207);
  int ran = 0;
  for (int i = 0; i < 400; ++i) {
    std::vector<uint8_t> input(4 + random() % 40);
    for (auto &b : input)
      b = static_cast<uint8_t>(random());
    input[0] = kRecipeFrame;
    ran += agrees(input, "recipe " + std::to_string(i));
  }
  EXPECT_GE(ran, 300);
  expect_every_kind_at_least(10);
}

TEST_F(XdpReferenceAgreement, PseudoRandomChangesToSeedFrames) {
  auto seeds = inputs_in(MCF2B_XDP_CORPUS_DIR);
  ASSERT_FALSE(seeds.empty());
  std::mt19937 random(7);
  int ran = 0;
  for (int i = 0; i < 300; ++i) {
    auto frame = frame_from_input(seeds[random() % seeds.size()], pools_);
    if (frame.empty())
      continue;
    switch (random() % 3) {
    case 0: // change a few bytes, most in the headers
      for (unsigned n = 1 + random() % 4; n > 0; --n)
        frame[random() % std::min<size_t>(frame.size(), 96)] = static_cast<uint8_t>(random());
      break;
    case 1: // cut
      frame.resize(14 + random() % (frame.size() - 13));
      break;
    default: // grow
      frame.resize(frame.size() + random() % 64, static_cast<uint8_t>(random()));
    }
    std::vector<uint8_t> input(frame.size() + 1, kRawFrame);
    std::copy(frame.begin(), frame.end(), input.begin() + 1);
    ran += agrees(input, "changed seed " + std::to_string(i));
  }
  EXPECT_GE(ran, 250);
  expect_every_kind_at_least(10);
}

} // namespace
