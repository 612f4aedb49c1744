// SPDX-License-Identifier: GPL-2.0-only
// bench drop: CPU time per dropped packet on a veth pair, the XDP ban filter against
// iptables (raw PREROUTING) + ipset holding the same 65,536 bans, in one run.
//
// The sender: BPF_PROG_TEST_RUN in live-frames mode in namespace a, a program that gives
// each frame a random banned source (198.19.0.0/16, every host banned in mc-exim-1d) and
// redirects it into a's veth, in runs of 64 frames at a fixed rate. Namespace b receives
// them as xdp_frames, as a NIC driver hands frames to XDP: with the ban filter attached
// they die there; in the iptables mode a bare XDP_PASS program lets them become skbs for
// the stack, where raw PREROUTING drops them through the ipset. (From an AF_PACKET
// sender, veth copies every skb to make XDP headroom, a cost real NICs do not have.)
// This kernel has no separate IRQ time accounting: the softirq work lands on the sender
// thread or in ksoftirqd, so a mode's cost is the sender thread's CPU time plus the
// ksoftirqd threads'. The baseline generates the same frames and drops them at once;
// its cost is subtracted, leaving delivery over the veth, reception and the drop.
// Two more references: delivery (a program that drops every frame: the receive path's
// own cost) and the floor (a program that reads the source's first host-table bucket,
// one random cache line, and drops: what any filter consulting per-ban memory pays).
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <sys/resource.h>
#include <linux/if_link.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <array>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ban_filter_bench.skel.h"
#include "base/fd.h"
#include "base/subprocess.h"
#include "bench/ban_filter_support/bench_failure.h"
#include "bench/ban_filter_support/bench_object.h"
#include "tests/fixtures/netns_pair.h"
#include "userspace/enforce/ipset_mirror.h"
#include "userspace/enforce/iptables_fallback.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using namespace mcf2b::bench;

namespace {

constexpr const char *kJail = "mc-exim-1d";
constexpr uint32_t kBannedBase = 0xC6130000u; // 198.19.0.0/16
uint32_t g_bans = 65536; // --bans
uint32_t g_capacity = 1u << 17; // --capacity
constexpr uint32_t kPackets = 204800;
uint32_t g_rate = 200000; // packets per second (--rate)
constexpr unsigned kBatch = 2048; // frames per live-frames run: its page-pool setup amortised
constexpr int kRounds = 7; // short runs, modes alternating: load changes hit all alike

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// CPU time (ns) of the ksoftirqd threads, which run the softirq work deferred from the
// sender's context: the scheduler's runtime in /proc/PID/schedstat, to the nanosecond
// (utime and stime in /proc/PID/stat count whole ticks).
uint64_t ksoftirqd_ns() {
  uint64_t total = 0;
  DIR *d = ::opendir("/proc");
  while (dirent *e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    std::string dir = std::string("/proc/") + e->d_name;
    if (read_file(dir + "/comm").rfind("ksoftirqd/", 0) != 0)
      continue;
    std::istringstream stat(read_file(dir + "/schedstat"));
    uint64_t runtime_ns = 0;
    if (stat >> runtime_ns)
      total += runtime_ns;
  }
  ::closedir(d);
  return total;
}

uint64_t thread_cpu_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ULL + t.tv_nsec;
}

std::array<uint8_t, 6> mac_of(const NetnsHost &h) {
  auto out = need(NetnsPair::exec(h, {"cat", "/sys/class/net/" + h.ifname + "/address"}), "mac");
  std::array<uint8_t, 6> mac{};
  unsigned b[6];
  if (std::sscanf(out.out.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    die("parse MAC " + out.out);
  for (int i = 0; i < 6; ++i)
    mac[i] = static_cast<uint8_t>(b[i]);
  return mac;
}

// An IPv4 UDP frame to b's port 25; the sender program fills in the source.
std::vector<uint8_t> udp_frame(const std::array<uint8_t, 6> &dst_mac) {
  std::vector<uint8_t> f(60, 0);
  std::memcpy(&f[0], dst_mac.data(), 6);
  f[6] = 0x02;
  f[12] = 0x08;
  const uint8_t ip[] = {0x45, 0, 0, 46, 0, 1, 0, 0, 64, 17, 0, 0, 198, 19, 0, 1, 198, 18, 0, 2};
  std::memcpy(&f[14], ip, sizeof(ip));
  const uint8_t udp[] = {0x9c, 0x40, 0, 25, 0, 26, 0, 0};
  std::memcpy(&f[34], udp, sizeof(udp));
  return f;
}

// Sends kPackets at g_rate (or generates and drops them for the baseline); returns this
// thread's CPU time.
uint64_t send_packets(const NetnsPair &pair, ban_filter_bench *skel,
                      const std::array<uint8_t, 6> &dst_mac, bool redirect) {
  auto scope = need(NetnsScope::enter(pair.a().ns), "enter namespace a");
  skel->bss->send_ifindex = ::if_nametoindex(pair.a().ifname.c_str());
  skel->bss->send_redirect = redirect ? 1 : 0;
  skel->data->send_mask = g_bans - 1;
  int prog = bpf_program__fd(skel->progs.live_sender);
  auto frame = udp_frame(dst_mac);
  timespec start{};
  ::clock_gettime(CLOCK_MONOTONIC, &start);
  uint64_t cpu0 = thread_cpu_ns();
  for (uint32_t sent = 0; sent < kPackets; sent += kBatch) {
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                .data_size_in = static_cast<__u32>(frame.size()), .repeat = kBatch,
                .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
    if (bpf_prog_test_run_opts(prog, &opts) != 0)
      die(std::string("live-frames test run: ") + std::strerror(errno));
    // Hold the fixed rate: sleep until this batch's due time.
    uint64_t due_ns = static_cast<uint64_t>(sent + kBatch) * 1'000'000'000ULL / g_rate;
    timespec due = start;
    due.tv_sec += static_cast<time_t>(due_ns / 1'000'000'000ULL);
    due.tv_nsec += static_cast<long>(due_ns % 1'000'000'000ULL);
    if (due.tv_nsec >= 1'000'000'000L) {
      due.tv_sec += 1;
      due.tv_nsec -= 1'000'000'000L;
    }
    ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, nullptr);
  }
  return thread_cpu_ns() - cpu0;
}

enum class Mode { baseline, delivery, floor, xdp, ipset };
constexpr Mode kModes[] = {Mode::baseline, Mode::delivery, Mode::floor, Mode::xdp, Mode::ipset};

// The mode's --only key and its name in the progress lines.
struct ModeText {
  const char *key, *name;
};
ModeText text(Mode m) {
  static constexpr ModeText texts[] = {{"baseline", "baseline (generate, drop)"},
                                       {"delivery", "delivery (XDP_DROP all)"},
                                       {"floor", "floor (one bucket read)"},
                                       {"xdp", "xdp ban filter"},
                                       {"ipset", "iptables+ipset"}};
  return texts[static_cast<int>(m)];
}
const char *name(Mode m) { return text(m).name; }
const char *key(Mode m) { return text(m).key; }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int run(int argc, char **argv) {
  // --only MODE (baseline, delivery, floor, xdp, ipset): run one mode, for profiling; no JSON.
  // --rate PPS: another offered load than the default 200,000 packets per second.
  // --bans N, --capacity N: a smaller banned set (the sources follow it) or another map
  // capacity than the default 65,536 bans in maps for 131,072, to see how cost grows.
  std::optional<Mode> only;
  for (int i = 1; i < argc; i += 2) {
    std::string arg = argv[i], value = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--only") {
      for (Mode m : kModes)
        if (value == key(m))
          only = m;
      if (!only)
        die("unknown mode '" + value + "'");
    } else if (arg == "--bans" && !value.empty()) {
      g_bans = static_cast<uint32_t>(std::stoul(value));
      if (g_bans == 0 || g_bans > 65536 || (g_bans & (g_bans - 1)) != 0)
        die("--bans: a power of two from 1 to 65536 (the sources are 198.19.0.0/16)");
    } else if (arg == "--capacity" && !value.empty()) {
      g_capacity = static_cast<uint32_t>(std::stoul(value));
    } else if (arg == "--rate" && !value.empty() && std::stoul(value) > 0) {
      g_rate = static_cast<uint32_t>(std::stoul(value));
    } else {
      die("usage: drop_bench [--only baseline|delivery|floor|xdp|ipset] [--rate PPS] "
          "[--bans N (a power of two, at most 65536)] [--capacity N]");
    }
  }
  if (::geteuid() != 0)
    die("needs root (namespaces, XDP, iptables)");
  auto pair = need(NetnsPair::create(), "create the namespace pair");
  auto dst_mac = mac_of(pair.b());
  std::string pin_root = "/sys/fs/bpf/mcf2b-drop-" + std::to_string(::getpid());
  // Removed however the run ends (declared before what uses the pins: destroyed after).
  struct PinsGone {
    std::string path;
    ~PinsGone() { (void)run_program({"rm", "-rf", path}); }
  } pins_gone{pin_root};
  std::vector<IptablesFallback::Jail> jails = {{kJail, JailPorts::from_list({25, 465, 587})}};

  std::optional<XdpEnforcer> enforcer;
  {
    auto scope = need(NetnsScope::enter(pair.b().ns), "enter namespace b");
    enforcer.emplace(need(XdpEnforcer::open({pin_root, g_capacity, {}}), "open the enforcer"));
    need(enforcer->set_jail(kJail, JailPorts::from_list({25, 465, 587})), "set jail");
    std::vector<BanChange> bans;
    for (uint32_t i = 0; i < g_bans; ++i)
      bans.push_back(BanChange::ban(kJail, IpPrefix::host(IpAddress::v4(kBannedBase + i)), 0));
    auto report = enforcer->apply(bans);
    if (!report.ok())
      die("ban: " + report.failed.front().second.message());
    IpsetMirror mirror(1u << 17);
    need(mirror.ensure_jail(kJail), "create the ipsets");
    need(mirror.apply(bans), "fill the ipset");
  }
  // The sender and the bare XDP_PASS program; the object binds the enforcer's pinned maps.
  ban_filter_bench *skel = load_bench_object(pin_root);
  Fd pass_link;
  std::fprintf(stderr, "%u bans in the maps and in ipset %s; %u packets per run at %u pps\n",
               g_bans, kJail, kPackets, g_rate);

  auto in_b = [&](auto fn) {
    auto scope = need(NetnsScope::enter(pair.b().ns), "enter namespace b");
    fn();
  };
  auto set_mode = [&](Mode m) {
    in_b([&] {
      pass_link.reset();
      (void)enforcer->detach(pair.b().ifname);
      need(IptablesFallback().remove(), "remove iptables rules");
      if (m == Mode::xdp) {
        auto mode = need(enforcer->attach(pair.b().ifname), "attach XDP");
        if (mode != XdpMode::native)
          std::fprintf(stderr, "warning: generic XDP\n");
      } else {
        int ifindex = static_cast<int>(::if_nametoindex(pair.b().ifname.c_str()));
        LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = XDP_FLAGS_DRV_MODE);
        auto *prog = m == Mode::delivery ? skel->progs.drop_all
                     : m == Mode::floor  ? skel->progs.drop_after_one_bucket
                                         : skel->progs.bare_pass;
        pass_link.reset(bpf_link_create(bpf_program__fd(prog), ifindex, BPF_XDP, &lo));
        if (!pass_link)
          die(std::string("attach XDP_PASS: ") + std::strerror(errno));
        if (m == Mode::ipset)
          need(IptablesFallback().install(jails), "install iptables rules");
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  };

  std::map<Mode, std::vector<double>> cost; // ns per packet
  uint64_t xdp_dropped_before = 0;
  {
    auto c = need(enforcer->counters(), "counters");
    xdp_dropped_before = c.dropped;
  }
  for (int round = 0; round < kRounds; ++round) {
    for (Mode m : kModes) {
      if (only && m != *only)
        continue;
      set_mode(m);
      uint64_t soft0 = ksoftirqd_ns();
      uint64_t sender = 0;
      std::thread t([&] { sender = send_packets(pair, skel, dst_mac, m != Mode::baseline); });
      t.join();
      uint64_t soft = ksoftirqd_ns() - soft0;
      double per = static_cast<double>(sender + soft) / kPackets;
      cost[m].push_back(per);
      std::fprintf(stderr, "round %d %-26s %.0f ns/packet (sender %.0f, ksoftirqd %.0f)\n", round,
                   name(m), per, static_cast<double>(sender) / kPackets,
                   static_cast<double>(soft) / kPackets);
    }
  }
  auto c = need(enforcer->counters(), "counters");
  uint64_t xdp_dropped = c.dropped - xdp_dropped_before;
  std::string ipt;
  in_b([&] {
    if (!only || *only == Mode::ipset)
      ipt = need(run_program_checked({"iptables", "-t", "raw", "-L", "MCF2B", "-v", "-x", "-n"}),
                 "iptables -L")
                .out;
    pass_link.reset();
    need(IptablesFallback().remove(), "remove iptables rules");
    (void)IpsetMirror(1u << 17).remove_jail(kJail);
  });
  {
    auto scope = need(NetnsScope::enter(pair.b().ns), "enter namespace b");
    enforcer.reset();
  }
  ban_filter_bench__destroy(skel);

  if (only) {
    std::fprintf(stderr, "%s only: %.1f ns/packet (median, baseline not subtracted)\n",
                 key(*only), median(cost[*only]));
    return 0;
  }
  double base = median(cost[Mode::baseline]);
  double delivery = median(cost[Mode::delivery]) - base;
  double floor_cost = median(cost[Mode::floor]) - base;
  double xdp = median(cost[Mode::xdp]) - base;
  double ipset = median(cost[Mode::ipset]) - base;
  std::fprintf(stderr, "XDP dropped %llu of %u packets sent in XDP mode\n",
               static_cast<unsigned long long>(xdp_dropped), kPackets * kRounds);
  std::fprintf(stderr, "iptables MCF2B chain after the last iptables+ipset run:\n%s", ipt.c_str());
  // Beyond the headline (everything after generation, veth delivery included, as a NIC
  // driver's receive work is in both), what each adds on top of delivery to XDP, and the
  // ratio a filter would reach if it cost no more than the floor.
  double xdp_over = xdp - delivery, ipset_over = ipset - delivery;
  std::printf("{\"xdp_ns_per_pkt\": %.1f, \"ipset_ns_per_pkt\": %.1f, \"ratio\": %.2f, "
              "\"delivery_ns_per_pkt\": %.1f, \"xdp_over_delivery_ns\": %.1f, "
              "\"ipset_over_delivery_ns\": %.1f, \"ratio_over_delivery\": %.2f, "
              "\"floor_ns_per_pkt\": %.1f, \"ratio_at_floor\": %.2f, "
              "\"baseline_ns_per_pkt\": %.1f, \"packets_per_run\": %u, \"rate_pps\": %u, "
              "\"bans\": %u, \"xdp_dropped\": %llu, \"target_ratio_ge_5\": %s}\n",
              xdp, ipset, ipset / xdp, delivery, xdp_over, ipset_over, ipset_over / xdp_over,
              floor_cost, ipset / floor_cost, base,
              kPackets, g_rate, g_bans, static_cast<unsigned long long>(xdp_dropped),
              ipset / xdp >= 5 ? "true" : "false");
  return 0;
}

int main(int argc, char **argv) {
  try {
    return run(argc, argv);
  } catch (const Fatal &f) {
    std::fprintf(stderr, "drop_bench: %s\n", f.what.c_str());
    return 1;
  }
}
