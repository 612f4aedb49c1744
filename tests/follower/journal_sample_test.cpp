// SPDX-License-Identifier: GPL-2.0-only
// The stock sshd filter's journal mode against the package's annotated sample
// (tests/files/logs/sshd-journal: each line is an entry as fail2ban formats it, and
// "# failJSON: {...}" gives the expected match and host). Every line becomes a journal
// entry (_HOSTNAME, SYSLOG_IDENTIFIER, _COMM, _PID, MESSAGE) written by systemd's own
// writer; the entries are read back through JournalFollower, which must give each
// sample line back as it is, and matched by the filter (normal and aggressive mode).
// fail2ban-regex cannot read our journal files, so the annotations are the reference.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "matcher/journal_follower.h"
#include "matcher/log_matcher.h"
#include "tests/fixtures/journal_writer.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"

using namespace mcf2b;
using namespace mcf2b::matcher;
using json = nlohmann::json;
using mcf2b::testing::ok;

namespace {

const char *const kSample = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/sshd-journal";
const char *const kFilter = "/etc/fail2ban/filter.d/sshd.conf";

struct SampleEntry {
  std::string line;
  json expected; // {} when not annotated: must not match
};

// The entries of the blocks ("# filterOptions: [...]") that run the filter in `mode`
// ("" for the default), as fail2ban's harness feeds each filter instance.
std::vector<SampleEntry> read_sample(const std::string &mode) {
  std::vector<SampleEntry> entries;
  std::ifstream in(kSample);
  EXPECT_TRUE(in) << kSample << " missing: is fail2ban installed?";
  static const std::regex directive(R"(^#+ ?(failJSON|filterOptions):(.+)$)");
  std::string line;
  json pending = json::object();
  bool active = true;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, directive)) {
      json data = json::parse(m[2].str());
      if (m[1].str() == "failJSON") {
        pending = data;
        continue;
      }
      active = false;
      for (const auto &options : data)
        active = active || options.value("mode", "") == mode;
      continue;
    }
    if (line.empty() || line[0] == '#')
      continue;
    if (active)
      entries.push_back({line, pending});
    pending = json::object();
  }
  return entries;
}

// "opts.get('mode') == 'aggressive'" and "name == 'sshd'", the sample's constraints.
bool constraint_holds(const json &expected, const std::string &mode) {
  if (!expected.contains("constraint"))
    return true;
  std::string c = expected["constraint"];
  std::smatch m;
  static const std::regex opt(R"(^\s*opts\.get\('mode'\)\s*(==|!=)\s*'([^']*)'\s*$)");
  if (std::regex_match(c, m, opt))
    return (mode == m[2].str()) == (m[1].str() == "==");
  static const std::regex name(R"(^\s*name\s*==\s*'([^']*)'\s*$)");
  if (std::regex_match(c, m, name))
    return m[1].str() == "sshd";
  ADD_FAILURE() << "unknown constraint " << c;
  return false;
}

class SshdJournalSample : public mcf2b::testing::TempDirTest,
                          public ::testing::WithParamInterface<std::string> {
protected:
  SshdJournalSample() : TempDirTest("sshdjournal") {}
};

TEST_P(SshdJournalSample, AgreesWithEveryAnnotation) {
  ASSERT_TRUE(mcf2b::testing::require_program(mcf2b::testing::journal_remote_path()));
  const std::string mode = GetParam();
  auto sample = read_sample(mode);
  ASSERT_GT(sample.size(), 5u);

  // Each line "HOST IDENT[PID]: MESSAGE" as the fields journald would have stored.
  static const std::regex shape(R"(^(\S+) ([^\[:\s]+)(?:\[(\d+)\])?: (.*)$)");
  std::vector<mcf2b::testing::JournalTestEntry> entries;
  const uint64_t base = mcf2b::testing::now_usec() - 60'000'000;
  for (size_t i = 0; i < sample.size(); ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(sample[i].line, m, shape)) << sample[i].line;
    mcf2b::testing::JournalTestEntry e;
    e.realtime_usec = base + i * 10'000;
    e.fields = {{"_HOSTNAME", m[1].str()},
                {"SYSLOG_IDENTIFIER", m[2].str()},
                {"_COMM", m[2].str()},
                {"MESSAGE", m[4].str()}};
    if (m[3].matched)
      e.fields.emplace_back("_PID", m[3].str());
    entries.push_back(std::move(e));
  }
  std::filesystem::create_directory(dir->file("j"));
  ASSERT_TRUE(ok(mcf2b::testing::append_journal(dir->file("j/sshd.journal"), entries)));

  // As fail2ban's harness and its systemd backend: the filter with logtype = journal.
  auto spec =
      std::string(kFilter) + "[logtype=journal" + (mode.empty() ? "" : ", mode=" + mode) + "]";
  auto def = load_filter(spec, FilterSearchPath{});
  ASSERT_TRUE(ok(def));
  EXPECT_EQ(def->journalmatch, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");
  MatcherOptions options;
  options.judge.journal_entries = true;
  auto matcher = LogMatcher::create({*def}, options);
  ASSERT_TRUE(ok(matcher));
  // The filter's own journalmatch, as a jail with backend = systemd reads it.
  auto selection = JournalSelection::from(def->journalmatch, {{"journalpath", dir->file("j")}});
  ASSERT_TRUE(ok(selection));
  auto follower = JournalFollower::open(*selection, std::nullopt, 0);
  ASSERT_TRUE(ok(follower));

  std::vector<std::string> lines;
  std::map<uint64_t, std::vector<std::string>> hosts; // by line number (1-based)
  auto n = follower->read_available([&](std::string_view chunk) {
    std::istringstream in{std::string(chunk)};
    for (std::string line; std::getline(in, line);)
      lines.push_back(line.substr(line.find(' ') + 1));
    matcher->scan(chunk, [&](const Match &m) {
      hosts[m.line].push_back(m.host_kind == HostKind::address ? m.address.to_string()
                                                               : std::string(m.host_text));
    });
  });
  ASSERT_TRUE(ok(n));
  ASSERT_EQ(lines.size(), sample.size());
  size_t checked = 0, matched = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    EXPECT_EQ(lines[i], sample[i].line) << "entry " << i << " formatted differently";
    const json &want = sample[i].expected;
    if (!constraint_holds(want, mode))
      continue;
    ++checked;
    const auto &got = hosts[i + 1];
    if (!want.value("match", false)) {
      EXPECT_TRUE(got.empty()) << "matched " << got.front()
                               << " but should not: " << sample[i].line;
      continue;
    }
    ++matched;
    ASSERT_EQ(got.size(), 1u) << "not matched but should: " << sample[i].line;
    if (want.contains("host") && !want["host"].is_null()) {
      std::string host = want["host"];
      std::string normal = host;
      if (auto a = IpAddress::parse(host))
        normal = a->to_string();
      EXPECT_TRUE(got[0] == host || got[0] == normal)
          << "host " << got[0] << " instead of " << host << ": " << sample[i].line;
    }
  }
  std::cout << "sshd-journal (" << (mode.empty() ? "normal" : mode) << "): " << checked
            << " annotated or plain entries checked, " << matched << " failures\n";
  EXPECT_GT(matched, 2u);
}

INSTANTIATE_TEST_SUITE_P(Modes, SshdJournalSample,
                         ::testing::Values("", "ddos", "extra", "aggressive"),
                         [](const auto &test) {
                           return test.param.empty() ? std::string("normal") : test.param;
                         });

} // namespace
