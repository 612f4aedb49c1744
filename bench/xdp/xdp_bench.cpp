// SPDX-License-Identifier: GPL-2.0-only
// bench xdp: what the ban filter costs per packet with random source addresses, at 0, 1k,
// 100k and 1M bans spread over MailCleaner's 15 jails, next to a bare XDP_PASS program
// and an LPM-only variant (every ban in per-jail tries, no fast path), in one run.
//
// Method. BPF_PROG_TEST_RUN replays one packet, whose lookups then stay in cache, so the
// per-source cost comes from a bpf_loop harness (bpf/ban_filter_bench.bpf.c): the packet
// is parsed once and the decision runs once per source address from a 1M-entry array.
// The same harness without the decision (harness_empty) runs on the same sources and is
// subtracted. A variant's cost per packet at N bans is then
//   whole program on a fixed packet at 0 bans (parse, counters, decision)
//   + decision per random source at N bans - decision per random source at 0 bans.
// Every figure is the median of several rounds in which all variants alternate.
#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "ban_filter_bench.skel.h"
#include "base/fd.h"
#include "mcf2b_shared.h"
#include "bench/ban_filter_support/bench_failure.h"
#include "bench/ban_filter_support/bench_object.h"
#include "bench/ban_filter_support/map_batch.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/model/jail.h"

using namespace mcf2b;
using namespace mcf2b::bench;

namespace {

constexpr uint32_t kSources = 1u << 20;
constexpr uint32_t kLoops = 1u << 18; // per harness run: well under a second of kernel time
constexpr int kRounds = 5;

void remove_tree(const std::string &path) {
  if (DIR *d = ::opendir(path.c_str())) {
    while (dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..")
        continue;
      std::string child = path + "/" + name;
      struct stat st {};
      if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
        remove_tree(child);
      else
        ::unlink(child.c_str());
    }
    ::closedir(d);
  }
  ::rmdir(path.c_str());
}

struct PinRoot {
  std::string path;
  ~PinRoot() { remove_tree(path); }
};

// An IPv4 TCP SYN to port 25; the harness replaces its source.
std::vector<uint8_t> smtp_syn(uint32_t src_be) {
  std::vector<uint8_t> p = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0,
                            40,   0, 1, 0, 0, 64, 6, 0, 0, 0, 0, 0, 0, 198, 51, 100, 1,
                            0x9c, 0x40, 0, 25, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
                            0,    0,    0, 0};
  std::memcpy(&p[26], &src_be, 4);
  p.resize(60, 0);
  return p;
}

uint64_t memlock_of(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string key;
  uint64_t value = 0;
  while (in >> key) {
    if (key == "memlock:") {
      in >> value;
      return value;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

// A map's memlock, with that of the tables in it for an array of maps (the host tables,
// which grow with the bans: one table in use).
uint64_t memlock_with_tables(int fd) {
  uint64_t total = memlock_of(fd);
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0 || info.type != BPF_MAP_TYPE_ARRAY_OF_MAPS)
    return total;
  for (uint32_t slot = 0; slot < info.max_entries; ++slot) {
    uint32_t id = 0;
    if (bpf_map_lookup_elem(fd, &slot, &id) != 0)
      continue;
    Fd table(bpf_map_get_fd_by_id(id));
    if (table)
      total += memlock_of(table.get());
  }
  return total;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

class Bench {
public:
  void run();

private:
  void setup();
  void add_bans(size_t target);
  void fill_lpm_only(const std::vector<size_t> &which, uint64_t expires_ns);
  double make_bans_expire();
  void load_sources(const std::vector<uint32_t> &sources);
  double harness_ns(int prog_fd);
  double program_ns(int prog_fd, uint32_t repeat);
  struct Decision {
    double filter, lpm_only;
  };
  Decision measure_decisions(const std::vector<uint32_t> &sources);
  std::vector<uint32_t> clean_sources();
  std::vector<uint32_t> banned_sources();

  PinRoot pins_{"/sys/fs/bpf/mcf2b-bench-" + std::to_string(::getpid())};
  std::optional<XdpEnforcer> enforcer_;
  ban_filter_bench *skel_ = nullptr;
  std::vector<std::string> jails_;
  std::vector<JailSlot> kernel_slots_;
  std::vector<bool> smtp_jail_; // by index into jails_
  std::vector<Fd> lpm_tries_;
  std::vector<uint32_t> banned_;      // network byte order
  std::vector<uint32_t> banned_jail_; // index into jails_
  std::unordered_set<uint32_t> banned_set_;
  std::mt19937_64 rng_{20250610};
  std::vector<uint8_t> packet_ = smtp_syn(0x010200c0); // 192.0.2.1
  double load_seconds_ = 0;
};

void Bench::setup() {
  std::string root = pins_.path + "/mcf2b";
  enforcer_.emplace(need(XdpEnforcer::open({root, 1u << 20, {}}), "open the enforcer"));
  for (const auto &j : mailcleaner_default_jails(true)) {
    std::string err;
    auto ports = parse_port_list(j.port, &err);
    if (!ports)
      die(err);
    kernel_slots_.push_back(need(enforcer_->set_jail(j.name, JailPorts::from_list(*ports)), "set jail"));
    jails_.push_back(j.name);
    smtp_jail_.push_back(std::find(ports->begin(), ports->end(), 25) != ports->end());
  }

  skel_ = load_bench_object(root);
  skel_->bss->source_mask = kSources - 1;

  int outer = bpf_map__fd(skel_->maps.lpm_only4);
  for (JailSlot s : kernel_slots_) {
    LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
    int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "lpm_only", sizeof(mcf2b_lpm4_key),
                            sizeof(mcf2b_prefix_value), 1u << 20, &o);
    if (fd < 0)
      die("create an LPM-only trie");
    if (bpf_map_update_elem(outer, &s, &fd, 0) != 0)
      die("insert an LPM-only trie");
    lpm_tries_.emplace_back(fd);
  }
}

void Bench::add_bans(size_t target) {
  std::vector<BanChange> changes;
  std::vector<size_t> fresh;
  std::uniform_int_distribution<uint32_t> any;
  while (banned_.size() < target) {
    uint32_t a = any(rng_);
    if ((a & 0xff) == 0 || !banned_set_.insert(a).second)
      continue;
    uint32_t jail = static_cast<uint32_t>(banned_.size() % jails_.size());
    banned_.push_back(a);
    banned_jail_.push_back(jail);
    fresh.push_back(banned_.size() - 1);
    uint8_t b[4];
    std::memcpy(b, &a, 4);
    changes.push_back(BanChange::ban(jails_[jail], IpPrefix::host(IpAddress::v4_bytes(b)), 0));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto report = enforcer_->apply(changes);
  load_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report.ok())
    die("load bans: " + report.failed.front().second.message());
  fill_lpm_only(fresh, 0);
}

// The bans `which` (indexes into banned_) as /32 prefixes in the LPM-only tries, enforced
// until `expires_ns` (TAI, 0 = permanent).
void Bench::fill_lpm_only(const std::vector<size_t> &which, uint64_t expires_ns) {
  std::map<uint32_t, std::vector<mcf2b_lpm4_key>> per_trie;
  for (size_t i : which) {
    mcf2b_lpm4_key key{.prefixlen = 32, .addr = {}};
    std::memcpy(key.addr, &banned_[i], sizeof(key.addr));
    per_trie[banned_jail_[i]].push_back(key);
  }
  for (auto &[jail, keys] : per_trie) {
    std::vector<mcf2b_prefix_value> values(keys.size(), mcf2b_prefix_value{expires_ns, expires_ns});
    BpfMapRef trie(lpm_tries_[jail].get(), "lpm_only trie", sizeof(mcf2b_lpm4_key),
                   sizeof(mcf2b_prefix_value));
    size_t done = 0;
    need(update_many(trie, reinterpret_cast<const uint8_t *>(keys.data()),
                     reinterpret_cast<const uint8_t *>(values.data()), keys.size(), done),
         "fill LPM-only tries");
  }
}

// Bans every banned address again, now expiring in a day, as MailCleaner's bans do: the
// filter then reads the clock for every banned packet. Returns the seconds it took.
double Bench::make_bans_expire() {
  Seconds expiry = unix_now() + 86400;
  std::vector<BanChange> changes;
  std::vector<size_t> all(banned_.size());
  for (size_t i = 0; i < banned_.size(); ++i) {
    all[i] = i;
    uint8_t b[4];
    std::memcpy(b, &banned_[i], 4);
    changes.push_back(
        BanChange::ban(jails_[banned_jail_[i]], IpPrefix::host(IpAddress::v4_bytes(b)), expiry));
  }
  auto t0 = std::chrono::steady_clock::now();
  auto report = enforcer_->apply(changes);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!report.ok())
    die("re-ban with an expiry: " + report.failed.front().second.message());
  fill_lpm_only(all, unix_to_tai_ns(expiry, tai_offset_seconds()));
  return seconds;
}

void Bench::load_sources(const std::vector<uint32_t> &sources) {
  std::vector<uint32_t> keys(sources.size());
  for (uint32_t i = 0; i < keys.size(); ++i)
    keys[i] = i;
  BpfMapRef map(bpf_map__fd(skel_->maps.bench_sources), "bench_sources", 4, 4);
  size_t done = 0;
  need(update_many(map, reinterpret_cast<const uint8_t *>(keys.data()),
                   reinterpret_cast<const uint8_t *>(sources.data()), sources.size(), done),
       "load sources");
}

double Bench::harness_ns(int prog_fd) {
  skel_->bss->loops = kLoops;
  auto r = need(bpf_test_run(prog_fd, packet_, 1), "harness run");
  return static_cast<double>(r.duration_ns) / kLoops;
}

// The kernel reports whole nanoseconds per run, too coarse for a program of a few ns: the
// calling thread's CPU time over all repeats counts the same loop (this thread runs it,
// and time while preempted is not counted) to a fraction of a nanosecond.
double Bench::program_ns(int prog_fd, uint32_t repeat) {
  auto cpu_ns = [] {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
  };
  double t0 = cpu_ns();
  need(bpf_test_run(prog_fd, packet_, repeat), "program run");
  return (cpu_ns() - t0) / repeat;
}

std::vector<uint32_t> Bench::clean_sources() {
  std::vector<uint32_t> out;
  std::uniform_int_distribution<uint32_t> any;
  while (out.size() < kSources) {
    uint32_t a = any(rng_);
    if (!banned_set_.count(a))
      out.push_back(a);
  }
  return out;
}

std::vector<uint32_t> Bench::banned_sources() {
  std::vector<uint32_t> pool;
  for (size_t i = 0; i < banned_.size(); ++i)
    if (smtp_jail_[banned_jail_[i]])
      pool.push_back(banned_[i]);
  std::vector<uint32_t> out;
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  while (out.size() < kSources)
    out.push_back(pool[pick(rng_)]);
  return out;
}

Bench::Decision Bench::measure_decisions(const std::vector<uint32_t> &sources) {
  load_sources(sources);
  int empty = bpf_program__fd(skel_->progs.harness_empty);
  int filter = bpf_program__fd(skel_->progs.harness_filter);
  int lpm = bpf_program__fd(skel_->progs.harness_lpm_only);
  std::vector<double> f, l;
  for (int round = 0; round < kRounds; ++round) {
    double e1 = harness_ns(empty);
    double fv = harness_ns(filter);
    double lv = harness_ns(lpm);
    double e2 = harness_ns(empty);
    double e = (e1 + e2) / 2;
    f.push_back(fv - e);
    l.push_back(lv - e);
  }
  return {median(f), median(l)};
}

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

void Bench::run() {
  setup();
  auto filter_prog = enforcer_->program_fd();
  auto lpm_prog = bpf_program__fd(skel_->progs.lpm_only_filter);
  auto bare_prog = bpf_program__fd(skel_->progs.bare_pass);

  // Whole programs on a fixed clean packet, no bans.
  std::vector<double> bare, filter0, lpm0;
  for (int round = 0; round < 3 * kRounds; ++round) {
    bare.push_back(program_ns(bare_prog, 1u << 20));
    filter0.push_back(program_ns(filter_prog, 1u << 20));
    lpm0.push_back(program_ns(lpm_prog, 1u << 20));
  }
  double bare_ns = median(bare), filter_fixed = median(filter0), lpm_fixed = median(lpm0);
  std::fprintf(stderr, "whole program, fixed packet, 0 bans: bare %.2f ns, filter %.2f ns, "
                       "lpm-only %.2f ns\n",
               bare_ns, filter_fixed, lpm_fixed);

  uint64_t mem_empty = 0;
  std::vector<int> filter_maps = {bpf_map__fd(skel_->maps.ban_host4),
                                  bpf_map__fd(skel_->maps.ban_hjail4),
                                  bpf_map__fd(skel_->maps.ban_bloom)};
  for (int fd : filter_maps)
    mem_empty += memlock_with_tables(fd);

  std::map<std::string, double> out;
  out["bare_pass_ns"] = bare_ns;
  Decision base{};
  for (size_t level : {size_t{0}, size_t{1000}, size_t{100000}, size_t{1000000}}) {
    add_bans(level);
    std::string tag = level == 0 ? "0" : level == 1000 ? "1k" : level == 100000 ? "100k" : "1m";
    std::fprintf(stderr, "%zu bans loaded (%.2f s so far); measuring\n", level, load_seconds_);
    Decision clean = measure_decisions(clean_sources());
    if (level == 0)
      base = clean;
    out["not_banned_" + tag + "_ns"] = filter_fixed + clean.filter - base.filter;
    out["lpm_only_" + tag + "_ns"] = lpm_fixed + clean.lpm_only - base.lpm_only;
    out["decision_not_banned_" + tag + "_ns"] = clean.filter;
    out["decision_lpm_only_" + tag + "_ns"] = clean.lpm_only;
    if (level > 0) {
      Decision banned = measure_decisions(banned_sources());
      out["banned_" + tag + "_ns"] = filter_fixed + banned.filter - base.filter;
      out["lpm_only_banned_" + tag + "_ns"] = lpm_fixed + banned.lpm_only - base.lpm_only;
    }
    std::fprintf(stderr, "  %s: filter clean %.1f ns, lpm-only clean %.1f ns%s\n", tag.c_str(),
                 out["not_banned_" + tag + "_ns"], out["lpm_only_" + tag + "_ns"],
                 level ? (", filter banned " + fmt(out["banned_" + tag + "_ns"]) +
                          " ns, lpm-only banned " + fmt(out["lpm_only_banned_" + tag + "_ns"]) +
                          " ns")
                             .c_str()
                       : "");
  }
  uint64_t mem_full = 0;
  for (int fd : filter_maps)
    mem_full += memlock_with_tables(fd);
  uint64_t mem_all = mem_full; // with the IPv6 twins, whose memory is reserved up front
  for (int fd : {bpf_map__fd(skel_->maps.ban_host6), bpf_map__fd(skel_->maps.ban_hjail6)})
    mem_all += memlock_with_tables(fd);

  double reban_s = make_bans_expire();
  std::fprintf(stderr, "1M bans made to expire in a day (%.2f s); measuring\n", reban_s);
  {
    Decision banned = measure_decisions(banned_sources());
    out["banned_1m_expiring_ns"] = filter_fixed + banned.filter - base.filter;
    out["lpm_only_banned_1m_expiring_ns"] = lpm_fixed + banned.lpm_only - base.lpm_only;
    out["reban_1m_with_expiry_s"] = reban_s;
    std::fprintf(stderr, "  1m expiring: filter banned %.1f ns, lpm-only banned %.1f ns\n",
                 out["banned_1m_expiring_ns"], out["lpm_only_banned_1m_expiring_ns"]);
  }
  uint64_t lpm_mem = 0;
  for (const auto &t : lpm_tries_)
    lpm_mem += memlock_of(t.get());
  double n = static_cast<double>(banned_.size());

  out["not_banned_0_vs_bare"] = out["not_banned_0_ns"] / bare_ns;
  out["banned_1m_vs_lpm_only"] = out["banned_1m_ns"] / out["lpm_only_1m_ns"];
  out["not_banned_1m_vs_lpm_only"] = out["not_banned_1m_ns"] / out["lpm_only_1m_ns"];
  out["banned_1m_vs_lpm_only_banned"] = out["banned_1m_ns"] / out["lpm_only_banned_1m_ns"];
  out["kernel_bytes_per_ban"] = static_cast<double>(mem_full) / n;
  out["kernel_bytes_per_ban_growth"] = static_cast<double>(mem_full - mem_empty) / n;
  out["kernel_bytes_per_ban_both_families"] = static_cast<double>(mem_all) / n;
  out["lpm_only_bytes_per_ban"] = static_cast<double>(lpm_mem) / n;
  out["bulk_load_1m_s"] = load_seconds_;

  std::ostringstream json;
  json << "{";
  bool first = true;
  for (const auto &[k, v] : out) {
    char ratio[32];
    std::snprintf(ratio, sizeof(ratio), "%.3f", v);
    json << (first ? "" : ", ") << "\"" << k
         << "\": " << (k.find("_vs_") != std::string::npos ? std::string(ratio) : fmt(v));
    first = false;
  }
  json << ", \"targets\": {\"not_banned_0_le_1.3x_bare\": "
       << (out["not_banned_0_vs_bare"] <= 1.3 ? "true" : "false")
       << ", \"banned_1m_le_0.25x_lpm_only\": "
       << (out["banned_1m_vs_lpm_only"] <= 0.25 ? "true" : "false")
       << ", \"not_banned_1m_le_0.2x_lpm_only\": "
       << (out["not_banned_1m_vs_lpm_only"] <= 0.2 ? "true" : "false")
       << ", \"kernel_bytes_per_ban_le_150\": "
       << (out["kernel_bytes_per_ban"] <= 150 ? "true" : "false") << "}}";
  std::printf("%s\n", json.str().c_str());
  ban_filter_bench__destroy(skel_);
}

} // namespace

int main() {
  try {
    if (::geteuid() != 0)
      die("needs root (BPF, bpffs)");
    Bench().run();
  } catch (const Fatal &f) {
    std::fprintf(stderr, "xdp_bench: %s\n", f.what.c_str());
    return 1;
  }
  return 0;
}
