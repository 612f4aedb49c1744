// SPDX-License-Identifier: GPL-2.0-only
// matcher-bench: times the whole matcher pipeline (Hyperscan pre-selection, PCRE2-JIT
// confirmation, host and time extraction) on log files held in memory, and, on the same
// data, the PCRE2-per-line baseline (every line through the filter's regexes, as fail2ban
// does). Prints one JSON object.
//
//   matcher-bench [--reps N] [--baseline-lines N] FILE=FILTER ...
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "matcher/log_matcher.h"

using namespace mcf2b::matcher;
using Clock = std::chrono::steady_clock;

namespace {

struct Input {
  std::string path, filter, data;
  uint64_t lines = 0;
};

std::string read_file(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    std::perror(path.c_str());
    std::exit(1);
  }
  struct stat st {};
  ::fstat(fd, &st);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd, data.data() + done, data.size() - done);
    if (n <= 0)
      break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return data;
}

LogMatcher make(const std::string &filter, bool hyperscan) {
  auto def = load_filter(filter, FilterSearchPath::defaults());
  if (!def) {
    std::fprintf(stderr, "%s\n", def.error().message().c_str());
    std::exit(1);
  }
  MatcherOptions options;
  options.fixed_now = 1741800000;
  options.use_hyperscan = hyperscan;
  auto m = LogMatcher::create({std::move(*def)}, options);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.error().message().c_str());
    std::exit(1);
  }
  return std::move(*m);
}

struct Timing {
  double seconds = 0;
  uint64_t matches = 0;
};

// CPU time of the calling thread: the machines this runs on are shared, and a figure
// "per core" must not count the time other processes held the core.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// One pass of one matcher over one buffer (scan() cuts it in 1 MiB newline-aligned
// pieces, one hs_scan each).
Timing pass(LogMatcher &m, std::string_view data) {
  uint64_t matches = 0;
  auto emit = [&](const Match &) { ++matches; };
  double t0 = thread_cpu_seconds();
  m.scan_all(data, emit);
  return {thread_cpu_seconds() - t0, matches};
}

} // namespace

int main(int argc, char **argv) {
  int reps = 5;
  uint64_t baseline_lines = 200000;
  std::vector<Input> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc)
      reps = std::atoi(argv[++i]);
    else if (a == "--baseline-lines" && i + 1 < argc)
      baseline_lines = std::strtoull(argv[++i], nullptr, 10);
    else {
      size_t eq = a.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "usage: matcher-bench [--reps N] FILE=FILTER ...\n");
        return 2;
      }
      Input in;
      in.path = a.substr(0, eq);
      in.filter = a.substr(eq + 1);
      in.data = read_file(in.path);
      in.lines = count_newlines(in.data.data(), in.data.size());
      inputs.push_back(std::move(in));
    }
  }
  if (inputs.empty())
    return 2;

  std::string json = "{";
  uint64_t total_bytes = 0, total_lines = 0;
  double total_best = 0;
  std::string per_file;
  for (const Input &in : inputs) {
    LogMatcher m = make(in.filter, true);
    (void)pass(m, in.data); // warm-up: page faults, JIT, caches
    Timing best{1e9, 0};
    for (int r = 0; r < reps; ++r) {
      Timing t = pass(m, in.data);
      if (t.seconds < best.seconds)
        best = t;
    }
    // The PCRE2-per-line baseline on the first lines of the same file.
    size_t cut = 0;
    uint64_t n = 0;
    while (cut < in.data.size() && n < baseline_lines) {
      const void *nl = std::memchr(in.data.data() + cut, '\n', in.data.size() - cut);
      cut = nl ? static_cast<size_t>(static_cast<const char *>(nl) - in.data.data()) + 1
               : in.data.size();
      ++n;
    }
    LogMatcher base = make(in.filter, false);
    Timing b = pass(base, std::string_view(in.data).substr(0, cut));
    // Both must find the same failures on the baseline's part.
    LogMatcher check = make(in.filter, true);
    Timing c = pass(check, std::string_view(in.data).substr(0, cut));
    std::fprintf(stderr,
                 "  %s [%s]: %.1f MB, %llu lines, %llu matches: %.0f MB/s, %.2f M lines/s; "
                 "PCRE2 per line %.2f M lines/s (%llu vs %llu matches on %llu lines)\n",
                 in.path.c_str(), in.filter.c_str(), in.data.size() / 1e6,
                 static_cast<unsigned long long>(in.lines),
                 static_cast<unsigned long long>(best.matches),
                 in.data.size() / 1e6 / best.seconds, in.lines / 1e6 / best.seconds,
                 n / 1e6 / b.seconds, static_cast<unsigned long long>(b.matches),
                 static_cast<unsigned long long>(c.matches), static_cast<unsigned long long>(n));
    if (b.matches != c.matches) {
      std::fprintf(stderr, "MISMATCH between the pipeline and the PCRE2 baseline\n");
      return 1;
    }
    total_bytes += in.data.size();
    total_lines += in.lines;
    total_best += best.seconds;
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s\"%s\": {\"bytes\": %zu, \"lines\": %llu, \"matches\": %llu, \"mb_per_s\": "
                  "%.1f, \"lines_per_s\": %.0f, \"pcre2_lines_per_s\": %.0f}",
                  per_file.empty() ? "" : ", ", in.filter.c_str(), in.data.size(),
                  static_cast<unsigned long long>(in.lines),
                  static_cast<unsigned long long>(best.matches), in.data.size() / 1e6 / best.seconds,
                  in.lines / best.seconds, n / b.seconds);
    per_file += buf;
  }

  // Two threads, each with its own matchers (and Hyperscan scratch), built before the
  // clock starts, each scanning its own newline-aligned half of every file. Wall time
  // says what the machine delivered (other processes share its cores); thread CPU time
  // says what each core did.
  auto halves = [](std::string_view data) {
    size_t mid = data.size() / 2;
    const void *nl = std::memchr(data.data() + mid, '\n', data.size() - mid);
    mid = nl ? static_cast<size_t>(static_cast<const char *>(nl) - data.data()) + 1 : data.size();
    return std::array<std::string_view, 2>{data.substr(0, mid), data.substr(mid)};
  };
  double best2 = 1e9, best2_cpu = 1e9;
  for (int r = 0; r < std::max(1, reps / 2); ++r) {
    std::vector<std::vector<LogMatcher>> matchers(2);
    for (auto &per_thread : matchers)
      for (const Input &in : inputs)
        per_thread.push_back(make(in.filter, true));
    std::array<double, 2> cpu{};
    std::vector<std::thread> threads;
    auto t0 = Clock::now();
    for (int t = 0; t < 2; ++t)
      threads.emplace_back([&, t] {
        for (size_t i = 0; i < inputs.size(); ++i)
          cpu[t] += pass(matchers[t][i], halves(inputs[i].data)[t]).seconds;
      });
    for (auto &t : threads)
      t.join();
    best2 = std::min(best2, std::chrono::duration<double>(Clock::now() - t0).count());
    best2_cpu = std::min(best2_cpu, std::max(cpu[0], cpu[1]));
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "\"mb_per_s\": %.1f, \"lines_per_s\": %.0f, \"threads2_mb_per_s\": %.1f, "
                "\"threads2_cpu_mb_per_s\": %.1f, \"files\": {",
                total_bytes / 1e6 / total_best, total_lines / total_best,
                total_bytes / 1e6 / best2, total_bytes / 1e6 / best2_cpu);
  json += buf + per_file + "}}";
  std::printf("%s\n", json.c_str());
  return 0;
}
