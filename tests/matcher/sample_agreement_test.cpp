// SPDX-License-Identifier: GPL-2.0-only
// The annotated sample logs shipped with fail2ban, replayed as fail2ban's own harness
// (tests/samplestestcase.py) does: "# failJSON: {...}" describes the next line (match,
// host, time as Europe/Zurich local time with "now" frozen at 2005-08-14 12:00),
// "# filterOptions:" switches the filter parameters (one filter instance per option
// set), "# fileOptions:" applies to a whole file, "# addFILE:" chains another file.
// Every annotated line must agree with its annotation; the agreement is printed per file.
//
// One test per stock filter that has a sample log, listed by reading the two folders when
// ctest runs (a filter added to the package is tested without a change here). A filter
// that does not agree yet is listed in known_gaps.txt with its exact disagreements: its
// test then asserts exactly those, so a fix and a regression both fail it.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "matcher/log_matcher.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::matcher {
namespace {

using json = nlohmann::json;
using mcf2b::testing::ok;

const char *const kSampleDir = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";
const char *const kStockFilters = "/etc/fail2ban/filter.d";
constexpr int64_t kTestNow = 1124013600; // 2005-08-14 12:00 Europe/Zurich

// Shared by the runs of this process: the daemon-mode run reuses the databases the
// fail2ban-regex-mode run compiled (same filters, same patterns).
const std::string &cache_dir() {
  static auto dir = mcf2b::testing::TempDir::create("hscache");
  EXPECT_TRUE(ok(dir));
  static const std::string path = dir->path();
  return path;
}

struct FilterUnderTest {
  std::string label;
  json options;
  std::unique_ptr<LogMatcher> matcher;
};

// The two kinds of expressions the samples use in "constraint" / "test.condition".
bool eval_condition(const std::string &expr, const std::string &name, const json &opts) {
  std::smatch m;
  static const std::regex name_eq(R"(^\s*name\s*==\s*'([^']*)'\s*$)");
  static const std::regex opt_cmp(R"(^\s*opts\.get\('([^']*)'\)\s*(==|!=)\s*'([^']*)'\s*$)");
  if (std::regex_match(expr, m, name_eq))
    return name == m[1].str();
  if (std::regex_match(expr, m, opt_cmp)) {
    std::string value = opts.contains(m[1].str()) ? opts[m[1].str()].get<std::string>() : "";
    bool eq = value == m[3].str();
    return m[2].str() == "==" ? eq : !eq;
  }
  ADD_FAILURE() << "unknown condition in samples: " << expr;
  return false;
}

std::string spec_of(const std::string &dir, const std::string &name, const json &opts) {
  std::string spec = dir + "/" + name + ".conf";
  std::string params;
  for (auto it = opts.begin(); it != opts.end(); ++it) {
    if (it.key().rfind("test.", 0) == 0)
      continue;
    params += (params.empty() ? "" : ", ") + it.key() + "=\"" + it.value().get<std::string>() +
              "\"";
  }
  return params.empty() ? spec : spec + "[" + params + "]";
}

struct Agreement {
  int checked = 0;
  int agreed = 0;
  std::vector<std::string> disagreements;
};

class SampleRun {
public:
  SampleRun(std::string name, bool check_all, std::string dir)
      : name_(std::move(name)), check_all_(check_all), dir_(std::move(dir)) {
    auto zone = TimeZone::load("Europe/Zurich");
    EXPECT_TRUE(ok(zone));
    zone_ = *zone;
  }

  // Per file: agreement figures.
  std::map<std::string, Agreement> run() {
    std::vector<std::string> files{name_};
    std::map<std::string, Agreement> result;
    for (size_t i = 0; i < files.size(); ++i)
      run_file(files[i], files, result[files[i]]);
    return result;
  }
  // The filter instances that did not load or compile, with the reason.
  [[nodiscard]] const std::set<std::string> &refusals() const { return refusals_; }

private:
  // A message without the filter folder's path (it differs between hosts), on one line:
  // a newline inside (several date patterns) is written as "\n".
  std::string without_dir(std::string message) const {
    for (size_t at; (at = message.find(dir_ + "/")) != std::string::npos;)
      message.erase(at, dir_.size() + 1);
    for (size_t at; (at = message.find('\n')) != std::string::npos;)
      message.replace(at, 1, "\\n");
    return message;
  }
  // The filter and its options without the folder (the folder differs between hosts).
  std::string label_of(const json &opts) const {
    std::string spec = spec_of(dir_, name_, opts);
    return spec.substr(dir_.size() + 1);
  }

  FilterUnderTest *filter_for(const json &opts) {
    std::string spec = spec_of(dir_, name_, opts);
    auto it = filters_.find(spec);
    if (it != filters_.end())
      return it->second.get();
    auto def = load_filter(spec, FilterSearchPath{{dir_}});
    if (!def) {
      refusals_.insert("refused: " + label_of(opts) + ": " + without_dir(def.error().message()));
      return nullptr;
    }
    MatcherOptions options;
    options.zone = zone_;
    options.fixed_now = kTestNow;
    options.judge.check_all_rules = check_all_;
    options.cache_dir = cache_dir();
    auto matcher = LogMatcher::create({std::move(*def)}, options);
    if (!matcher) {
      refusals_.insert("refused: " + label_of(opts) + ": " +
                       without_dir(matcher.error().message()));
      return nullptr;
    }
    auto f = std::make_unique<FilterUnderTest>();
    f->label = label_of(opts);
    f->options = opts;
    f->matcher = std::make_unique<LogMatcher>(std::move(*matcher));
    return (filters_[spec] = std::move(f)).get();
  }

  void run_file(const std::string &file, std::vector<std::string> &files, Agreement &agreement) {
    std::ifstream in(std::string(kSampleDir) + "/" + file);
    ASSERT_TRUE(in) << "sample log " << file << " missing: is fail2ban installed?";
    static const std::regex directive(R"(^#+ ?(failJSON|(?:file|filter)Options|addFILE):(.+)$)");
    json file_options = json::object();
    std::vector<FilterUnderTest *> active;
    bool ignore_block = false;
    std::string line;
    int line_no = 0;
    json faildata = json::object();
    bool pending_annotation = false;
    while (std::getline(in, line)) {
      ++line_no;
      // A CRLF file (traefik-auth): the directive regex's '.' does not match '\r'.
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      std::smatch m;
      if (std::regex_match(line, m, directive)) {
        json data = json::parse(m[2].str());
        std::string kind = m[1].str();
        if (kind == "fileOptions") {
          file_options = data;
          continue;
        }
        if (kind == "addFILE") {
          files.push_back(data.get<std::string>());
          continue;
        }
        if (kind == "filterOptions") {
          active.clear();
          ignore_block = false;
          json list = data.is_array() ? data : json::array({data});
          for (const auto &entry : list) {
            json opts = file_options;
            opts.update(entry);
            if (opts.contains("test.condition"))
              ignore_block = !eval_condition(opts["test.condition"], name_, opts);
            if (!ignore_block)
              if (auto *f = filter_for(opts))
                active.push_back(f);
          }
          continue;
        }
        faildata = data; // failJSON: describes the next line
        pending_annotation = true;
        continue;
      }
      if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      json expected = pending_annotation ? faildata : json::object();
      pending_annotation = false;
      if (ignore_block)
        continue;
      if (active.empty()) {
        json opts = file_options;
        if (opts.contains("test.condition") &&
            !eval_condition(opts["test.condition"], name_, opts))
          continue;
        if (auto *f = filter_for(opts))
          active.push_back(f);
      }
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      for (FilterUnderTest *f : active) {
        if (expected.contains("constraint") &&
            !eval_condition(expected["constraint"], name_, f->options))
          continue;
        check_line(*f, file, line_no, line, expected, agreement);
      }
    }
  }

  void check_line(FilterUnderTest &f, const std::string &file, int line_no,
                  const std::string &line, const json &expected, Agreement &agreement) {
    struct Got {
      std::string host, address;
      int64_t time;
      uint32_t rule;
    };
    std::vector<Got> got;
    f.matcher->scan(line + "\n", [&](const Match &m) {
      got.push_back({std::string(m.host_text),
                     m.host_kind == HostKind::address ? m.address.to_string() : "", m.time,
                     m.rule});
    });
    bool want = expected.value("match", false);
    std::string why;
    if (!want && !got.empty())
      why = "matched (rule " + std::to_string(got[0].rule) + ", host " + got[0].host +
            ") but should not";
    else if (want && got.size() != 1)
      why = got.empty() ? "not matched but should" : "matched by several rules";
    else if (want) {
      const Got &g = got[0];
      if (expected.contains("host") && !expected["host"].is_null()) {
        std::string host = expected["host"];
        if (g.host != host && g.address != host)
          why = "host " + g.host + " instead of " + host;
      }
      if (why.empty() && expected.contains("time")) {
        std::string t = expected["time"];
        int y, mo, d, h, mi, s;
        if (std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) == 6) {
          int64_t local = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) *
                              86400 +
                          h * 3600 + mi * 60 + s;
          int64_t want_time = zone_.to_utc(local);
          if (g.time != want_time)
            why = "time " + std::to_string(g.time) + " instead of " + std::to_string(want_time) +
                  " (" + t + ")";
        }
      }
    }
    ++agreement.checked;
    if (why.empty())
      ++agreement.agreed;
    else
      agreement.disagreements.push_back(file + ":" + std::to_string(line_no) + " [" + f.label +
                                        "] " + why + "\n    " + line);
  }

  std::string name_;
  bool check_all_;
  std::string dir_;
  TimeZone zone_;
  std::map<std::string, std::unique_ptr<FilterUnderTest>> filters_;
  std::set<std::string> refusals_;
};

// Every disagreement of a run, one line each ("refused: ..." or "file:line [filter] what").
std::vector<std::string> disagreements_of(SampleRun &run, bool check_all, const std::string &dir) {
  auto result = run.run();
  std::vector<std::string> all(run.refusals().begin(), run.refusals().end());
  for (const auto &[file, a] : result) {
    double pct = a.checked ? 100.0 * a.agreed / a.checked : 0.0;
    std::cout << "agreement " << file << (check_all ? " (every rule" : " (first rule")
              << (dir == kStockFilters ? ", stock filter" : ", our filter") << "): "
              << a.agreed << "/" << a.checked << " lines (" << pct << "%)\n";
    for (const auto &d : a.disagreements) {
      std::cout << "  disagrees: " << d << "\n";
      all.push_back(d.substr(0, d.find('\n'))); // without the line's text
    }
    if (run.refusals().empty() && a.checked == 0)
      all.push_back(file + ": no annotated line checked");
  }
  for (const auto &r : run.refusals())
    std::cout << "  " << r << "\n";
  return all;
}

void expect_full_agreement(const std::string &name, bool check_all,
                           const std::string &dir = kStockFilters) {
  SampleRun run(name, check_all, dir);
  auto disagreements = disagreements_of(run, check_all, dir);
  EXPECT_TRUE(disagreements.empty()) << name << ": " << disagreements.size()
                                     << " disagreements, the first: " << disagreements[0];
}

// known_gaps.txt: "sample FILTER DISAGREEMENT" lines, the current exact disagreements of
// the stock filters that do not agree yet.
std::map<std::string, std::vector<std::string>> known_sample_gaps() {
  std::map<std::string, std::vector<std::string>> gaps;
  std::ifstream in(MCF2B_KNOWN_GAPS);
  EXPECT_TRUE(in) << "cannot read " << MCF2B_KNOWN_GAPS;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("sample ", 0) != 0)
      continue;
    size_t name_end = line.find(' ', 7);
    gaps[line.substr(7, name_end - 7)].push_back(line.substr(name_end + 1));
  }
  return gaps;
}

// Every stock filter (filter.d/NAME.conf) that has a sample log of the same name.
std::vector<std::string> stock_filters_with_samples() {
  std::vector<std::string> names;
  DIR *dir = ::opendir(kStockFilters);
  if (!dir)
    return names; // the test below then fails with the reason
  while (dirent *entry = ::readdir(dir)) {
    std::string file = entry->d_name;
    if (file.size() <= 5 || file.compare(file.size() - 5, 5, ".conf") != 0)
      continue;
    std::string name = file.substr(0, file.size() - 5);
    if (std::ifstream(std::string(kSampleDir) + "/" + name))
      names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

class StockFilter : public ::testing::TestWithParam<std::string> {};

// fail2ban-regex's mode (every failregex tried), as the samples are annotated for.
TEST_P(StockFilter, AgreesWithItsSampleLog) {
  const std::string &name = GetParam();
  SampleRun run(name, true, kStockFilters);
  std::vector<std::string> got = disagreements_of(run, true, kStockFilters);
  std::vector<std::string> known = known_sample_gaps()[name];
  std::sort(got.begin(), got.end());
  std::sort(known.begin(), known.end());
  if (known.empty()) {
    EXPECT_TRUE(got.empty()) << name << ": " << got.size() << " disagreements (listed above)";
    return;
  }
  std::string diff;
  for (const auto &g : got)
    if (!std::binary_search(known.begin(), known.end(), g))
      diff += "\n  new:  " + g;
  for (const auto &k : known)
    if (!std::binary_search(got.begin(), got.end(), k))
      diff += "\n  gone: " + k;
  EXPECT_TRUE(diff.empty()) << name << ": the disagreements differ from known_gaps.txt (a fix "
                            << "or a regression; update the file when it is a fix):" << diff;
}

std::string test_name(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = info.param;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(SampleAgreement, StockFilter,
                         ::testing::ValuesIn(stock_filters_with_samples()), test_name);

TEST(SampleAgreement, TheStockFiltersAreFound) {
  EXPECT_GT(stock_filters_with_samples().size(), 0u)
      << "no filter of " << kStockFilters << " has a sample log in " << kSampleDir
      << ": is fail2ban installed?";
}

// The filters mcf2b users depend on most, named (also covered by the suite above).
TEST(SampleAgreement, Sshd) { expect_full_agreement("sshd", true); }
TEST(SampleAgreement, Exim) { expect_full_agreement("exim", true); }
TEST(SampleAgreement, EximSpam) { expect_full_agreement("exim-spam", true); }
TEST(SampleAgreement, ApacheAuth) { expect_full_agreement("apache-auth", true); }

// The daemon's mode (the first failregex that matches decides) agrees as well.
TEST(SampleAgreement, SshdFirstRule) { expect_full_agreement("sshd", false); }
TEST(SampleAgreement, EximFirstRule) { expect_full_agreement("exim", false); }
TEST(SampleAgreement, EximSpamFirstRule) { expect_full_agreement("exim-spam", false); }
TEST(SampleAgreement, ApacheAuthFirstRule) { expect_full_agreement("apache-auth", false); }

// Our sshd (modern OpenSSH additions) still agrees with every stock sample.
TEST(SampleAgreement, OurSshd) { expect_full_agreement("sshd", true, MCF2B_TEST_FILTER_DIR); }
TEST(SampleAgreement, OurSshdFirstRule) {
  expect_full_agreement("sshd", false, MCF2B_TEST_FILTER_DIR);
}

} // namespace
} // namespace mcf2b::matcher
