// SPDX-License-Identifier: GPL-2.0-only
// Host tables that grow with the bans: several doublings with every ban checked through
// the program (BPF_PROG_TEST_RUN), no pass for a source banned before a switch while the
// tables are switched under a running program, a restart adopting grown tables, the
// upgrade from the fixed-size tables of the build before (and the shrink at the start
// after it), and the capacity reached through the doublings (a million bans per address
// family among them). Each test in its own bpffs pin folder.
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <bpf/bpf.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "mcf2b_shared.h"
#include "tests/fixtures/pin_dir_fixture.h"
#include "tests/fixtures/requirements.h"
#include "tests/xdp/test_packet.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/growing_host_table.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/mapped_bpf_array.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr uint32_t kMillion = 1u << 20;
constexpr const char *kJail = "mc-exim-1d";

IpAddress v4_source(uint32_t i) {
  return IpAddress::v4(0xC6120000u + i * 37); // in 198.18.0.0/15
}

IpAddress v6_source(uint32_t i) {
  char text[48];
  std::snprintf(text, sizeof(text), "2001:db8:%x::%x:1", i % 7, i);
  return IpAddress::parse(text).value();
}

std::vector<uint8_t> frame_from(const IpAddress &a, uint16_t port = 25) {
  TestPacket p;
  p.src = a.to_string();
  p.dst = a.is_v4() ? "198.51.100.1" : "2001:db8:ffff::1";
  p.dport = port;
  return p.build();
}

uint32_t verdict(const XdpEnforcer &e, const IpAddress &a, uint16_t port = 25) {
  auto r = bpf_test_run(e.program_fd(), frame_from(a, port));
  return r ? r->verdict : 0xffffffffu;
}

Status ban_all(XdpEnforcer &e, const std::vector<IpAddress> &sources, size_t from, size_t to) {
  std::vector<BanChange> bans;
  for (size_t i = from; i < to; ++i)
    bans.push_back(BanChange::ban(kJail, IpPrefix::host(sources[i]), 0));
  auto report = e.apply(bans);
  if (!report.ok())
    return report.failed.front().second;
  return {};
}

// What the pins say of one address family's host tables: the config word's bucket count,
// and each table in the array of tables (slot, buckets).
struct PinnedTables {
  uint32_t config_buckets = 0;
  std::vector<std::pair<uint32_t, uint32_t>> tables;
};

PinnedTables pinned_tables(const std::string &root, bool v4) {
  PinnedTables out;
  Fd config(bpf_obj_get((root + "/v2/config").c_str()));
  mcf2b_config c{};
  uint32_t zero = 0;
  EXPECT_TRUE(config && bpf_map_lookup_elem(config.get(), &zero, &c) == 0);
  out.config_buckets = v4 ? c.host_buckets4 : c.host_buckets6;
  Fd outer(bpf_obj_get((root + (v4 ? "/v2/ban_host4" : "/v2/ban_host6")).c_str()));
  EXPECT_TRUE(outer);
  for (uint32_t slot = 0; slot < MCF2B_HOST_TABLE_SLOTS; ++slot) {
    uint32_t id = 0;
    if (bpf_map_lookup_elem(outer.get(), &slot, &id) != 0)
      continue;
    Fd inner(bpf_map_get_fd_by_id(id));
    bpf_map_info info{};
    uint32_t len = sizeof(info);
    EXPECT_TRUE(inner && bpf_obj_get_info_by_fd(inner.get(), &info, &len) == 0);
    out.tables.emplace_back(slot, info.max_entries);
  }
  return out;
}

// One table, in the slot of the config word's count, of that count.
void expect_one_table_in_use(const std::string &root, bool v4, uint32_t buckets) {
  PinnedTables t = pinned_tables(root, v4);
  EXPECT_EQ(t.config_buckets, buckets);
  ASSERT_EQ(t.tables.size(), 1u);
  EXPECT_EQ(t.tables[0].first, mcf2b_host_table_slot(buckets));
  EXPECT_EQ(t.tables[0].second, buckets);
}

class HostTableGrowth : public PinDirTest {
protected:
  void SetUp() override {
    PinDirTest::SetUp();
    if (HasFatalFailure())
      return;
    root_ = pins_->path() + "/mcf2b";
  }

  std::string root_;
};

TEST_F(HostTableGrowth, BansHoldAcrossSeveralDoublings) {
  auto e = XdpEnforcer::open({root_, kMillion, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
  uint32_t first4 = GrowingHostTable::initial_buckets(true, kMillion);
  uint32_t first6 = GrowingHostTable::initial_buckets(false, kMillion);
  expect_one_table_in_use(root_, true, first4);
  expect_one_table_in_use(root_, false, first6);

  // 20,000 IPv4 sources take four doublings from 2,048 bans; 6,000 IPv6 ones two.
  std::vector<IpAddress> v4, v6;
  for (uint32_t i = 0; i < 20000; ++i)
    v4.push_back(v4_source(i));
  for (uint32_t i = 0; i < 6000; ++i)
    v6.push_back(v6_source(i));
  std::set<uint32_t> sizes4;
  for (size_t done = 0; done < v4.size(); done += 1000) {
    ASSERT_TRUE(ok(ban_all(*e, v4, done, done + 1000)));
    sizes4.insert(pinned_tables(root_, true).config_buckets);
    // Every ban so far, the ones placed before each switch included.
    for (size_t i = 0; i < done + 1000; i += 7)
      ASSERT_EQ(verdict(*e, v4[i]), static_cast<uint32_t>(XDP_DROP)) << v4[i].to_string();
    ASSERT_EQ(verdict(*e, v4_source(30000 + static_cast<uint32_t>(done))),
              static_cast<uint32_t>(XDP_PASS));
  }
  for (size_t done = 0; done < v6.size(); done += 1000)
    ASSERT_TRUE(ok(ban_all(*e, v6, done, done + 1000)));
  EXPECT_EQ(sizes4, (std::set<uint32_t>{first4, first4 * 2, first4 * 4, first4 * 8, first4 * 16}));
  expect_one_table_in_use(root_, true, first4 * 16);
  expect_one_table_in_use(root_, false, first6 * 4);
  for (const auto &a : v4) {
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
    ASSERT_EQ(verdict(*e, a, 22), static_cast<uint32_t>(XDP_PASS)) << a.to_string();
  }
  for (const auto &a : v6)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  auto listed = e->list_bans(kJail);
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->size(), v4.size() + v6.size());

  // Unbans and re-bans in the grown tables.
  std::vector<BanChange> unbans;
  for (size_t i = 0; i < v4.size(); i += 2)
    unbans.push_back(BanChange::unban(kJail, IpPrefix::host(v4[i])));
  ASSERT_TRUE(e->apply(unbans).ok());
  for (size_t i = 0; i < v4.size(); ++i)
    ASSERT_EQ(verdict(*e, v4[i]), static_cast<uint32_t>(i % 2 ? XDP_DROP : XDP_PASS));
}

// The program runs on sources banned before the switches, in a second thread, while the
// tables double under it: its own counters must show no pass.
TEST_F(HostTableGrowth, NoBannedSourcePassesWhileTheTablesAreSwitched) {
  auto e = XdpEnforcer::open({root_, kMillion, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
  std::vector<IpAddress> v4, v6;
  for (uint32_t i = 0; i < 40000; ++i)
    v4.push_back(v4_source(i));
  for (uint32_t i = 0; i < 12000; ++i)
    v6.push_back(v6_source(i));
  ASSERT_TRUE(ok(ban_all(*e, v4, 0, 64)));
  ASSERT_TRUE(ok(ban_all(*e, v6, 0, 64)));
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < 64; ++i) {
    frames.push_back(frame_from(v4[i]));
    frames.push_back(frame_from(v6[i]));
  }
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    for (size_t n = 0; !done.load(); ++n)
      if (!bpf_test_run(e->program_fd(), frames[n % frames.size()], 64))
        failed = true;
  });
  uint32_t before4 = pinned_tables(root_, true).config_buckets;
  uint32_t before6 = pinned_tables(root_, false).config_buckets;
  // In batches of 1,000, so the tables double one step at a time (a batch grows them
  // once to hold it all).
  Status banned;
  for (size_t from = 64; banned && from < v4.size(); from += 1000)
    banned = ban_all(*e, v4, from, std::min(from + 1000, v4.size()));
  for (size_t from = 64; banned && from < v6.size(); from += 1000)
    banned = ban_all(*e, v6, from, std::min(from + 1000, v6.size()));
  done = true;
  reader.join();
  ASSERT_TRUE(ok(banned));
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(pinned_tables(root_, true).config_buckets, before4 * 32);
  EXPECT_EQ(pinned_tables(root_, false).config_buckets, before6 * 8);
  auto c = e->counters();
  ASSERT_TRUE(ok(c));
  EXPECT_GT(c->dropped, 0u);
  EXPECT_EQ(c->passed, 0u) << "a source banned before a switch passed during it";
}

TEST_F(HostTableGrowth, ARestartAdoptsTheGrownTables) {
  std::vector<IpAddress> v4, v6;
  for (uint32_t i = 0; i < 10000; ++i)
    v4.push_back(v4_source(i));
  for (uint32_t i = 0; i < 3000; ++i)
    v6.push_back(v6_source(i));
  uint32_t grown4 = 0, grown6 = 0;
  {
    auto e = XdpEnforcer::open({root_, kMillion, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
    ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
    ASSERT_TRUE(ok(ban_all(*e, v6, 0, v6.size())));
    grown4 = pinned_tables(root_, true).config_buckets;
    grown6 = pinned_tables(root_, false).config_buckets;
    EXPECT_GT(grown4, GrowingHostTable::initial_buckets(true, kMillion));
    EXPECT_GT(grown6, GrowingHostTable::initial_buckets(false, kMillion));
  }
  // The pinned tables enforce with no process around.
  expect_one_table_in_use(root_, true, grown4);
  expect_one_table_in_use(root_, false, grown6);

  auto e = XdpEnforcer::open({root_, kMillion, {}});
  ASSERT_TRUE(ok(e));
  expect_one_table_in_use(root_, true, grown4);
  expect_one_table_in_use(root_, false, grown6);
  auto listed = e->list_bans(kJail);
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->size(), v4.size() + v6.size());
  for (const auto &a : v4)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  for (const auto &a : v6)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  // And they keep growing from there.
  std::vector<IpAddress> more;
  for (uint32_t i = 10000; i < 30000; ++i)
    more.push_back(v4_source(i));
  ASSERT_TRUE(ok(ban_all(*e, more, 0, more.size())));
  EXPECT_GT(pinned_tables(root_, true).config_buckets, grown4);
  for (const auto &a : v4)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  for (const auto &a : more)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
}

// The table of an address family as it is in use, mapped, and a view over it.
struct MappedTable {
  MappedBpfArray memory;
  std::optional<HostTable> view;
};

// Turns the pins of one address family into what the build before growing tables left:
// ban_host4 / ban_host6 a fixed-size mmapable array of `buckets` (its table for the
// capacity) holding the same bans, and the config word's count that size.
void lay_out_as_fixed_table(const std::string &root, bool v4, uint32_t capacity) {
  std::string pin = root + (v4 ? "/v2/ban_host4" : "/v2/ban_host6");
  PinnedTables t = pinned_tables(root, v4);
  ASSERT_EQ(t.tables.size(), 1u);
  Fd outer(bpf_obj_get(pin.c_str()));
  uint32_t slot = t.tables[0].first, id = 0;
  ASSERT_EQ(bpf_map_lookup_elem(outer.get(), &slot, &id), 0);
  Fd in_use(bpf_map_get_fd_by_id(id));
  auto in_use_memory = MappedBpfArray::map(in_use.get(), "in use");
  ASSERT_TRUE(ok(in_use_memory));
  HostTable current(v4, in_use_memory->data(), in_use_memory->entries(), capacity);

  uint32_t buckets = HostTable::buckets_for(v4, capacity);
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
  Fd fixed(
      bpf_map_create(BPF_MAP_TYPE_ARRAY, v4 ? "ban_host4" : "ban_host6", 4, 64, buckets, &opts));
  ASSERT_TRUE(fixed);
  auto memory = MappedBpfArray::map(fixed.get(), "fixed");
  ASSERT_TRUE(ok(memory));
  HostTable old(v4, memory->data(), buckets, capacity);
  current.for_each(
      [&](const IpAddress &a, const mcf2b_host_value &v) { ASSERT_TRUE(ok(old.insert(a, v))); });
  ASSERT_EQ(old.size(), current.size());

  Fd config(bpf_obj_get((root + "/v2/config").c_str()));
  mcf2b_config c{};
  uint32_t zero = 0;
  ASSERT_EQ(bpf_map_lookup_elem(config.get(), &zero, &c), 0);
  (v4 ? c.host_buckets4 : c.host_buckets6) = buckets;
  ASSERT_EQ(bpf_map_update_elem(config.get(), &zero, &c, 0), 0);
  outer.reset();
  ASSERT_EQ(::unlink(pin.c_str()), 0);
  ASSERT_EQ(bpf_obj_pin(fixed.get(), pin.c_str()), 0);
}

std::set<std::string> entries_of(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &entry : std::filesystem::directory_iterator(dir))
    out.insert(entry.path().filename().string());
  return out;
}

// Drops CAP_SYS_ADMIN from this process (the service's unit does not grant it): what
// the daemon can do under the unit. False when the capabilities cannot be set.
bool drop_cap_sys_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0)
    return false;
  for (auto *set : {&data[0].effective, &data[0].permitted, &data[0].inheritable})
    *set &= ~(1u << CAP_SYS_ADMIN);
  return ::syscall(SYS_capset, &header, data) == 0;
}

// The maps the arrays of maps hold are opened by id only with CAP_SYS_ADMIN: a start under
// the unit opens them through their pins. Grown host tables and a jail's prefix trie,
// reopened by a child process without CAP_SYS_ADMIN, hold every ban.
TEST_F(HostTableGrowth, AStartWithoutCapSysAdminReopensGrownTablesAndTries) {
  std::vector<IpAddress> v4;
  for (uint32_t i = 0; i < 5000; ++i)
    v4.push_back(v4_source(i));
  {
    auto e = XdpEnforcer::open({root_, kMillion, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
    ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
    ASSERT_TRUE(ok(e->ban(kJail, IpPrefix::parse("203.0.113.0/24").value(), 0)));
    ASSERT_TRUE(ok(e->ban(kJail, IpPrefix::parse("2001:db8:77::/48").value(), 0)));
    EXPECT_GT(pinned_tables(root_, true).config_buckets,
              GrowingHostTable::initial_buckets(true, kMillion));
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit codes: 2 capabilities not dropped, 3 open failed, 4 bans missing, 5 not dropped.
    if (!drop_cap_sys_admin())
      ::_exit(2);
    auto e = XdpEnforcer::open({root_, kMillion, {}});
    if (!e) {
      std::fprintf(stderr, "open without CAP_SYS_ADMIN: %s\n", e.error().message().c_str());
      ::_exit(3);
    }
    auto listed = e->list_bans(kJail);
    if (!listed || listed->size() != v4.size() + 2)
      ::_exit(4);
    bool all_dropped = verdict(*e, v4.front()) == XDP_DROP && verdict(*e, v4.back()) == XDP_DROP &&
                       verdict(*e, IpAddress::parse("203.0.113.9").value()) == XDP_DROP &&
                       verdict(*e, IpAddress::parse("2001:db8:77::9").value()) == XDP_DROP;
    ::_exit(all_dropped ? 0 : 5);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "2: capabilities not dropped, 3: open failed (stderr), 4: bans missing, 5: a ban "
         "not enforced";
}

TEST_F(HostTableGrowth, TheFixedSizeTablesOfTheBuildBeforeAreTakenOverWithTheirBans) {
  constexpr uint32_t kCapacity = 100000;
  std::vector<IpAddress> v4, v6;
  for (uint32_t i = 0; i < 5000; ++i)
    v4.push_back(v4_source(i));
  for (uint32_t i = 0; i < 500; ++i)
    v6.push_back(v6_source(i));
  std::set<std::string> maps;
  {
    auto e = XdpEnforcer::open({root_, kCapacity, {}});
    ASSERT_TRUE(ok(e));
    ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
    ASSERT_TRUE(ok(e->set_jail("mc-ssh-1d", JailPorts::from_list({22}))));
    ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
    ASSERT_TRUE(ok(ban_all(*e, v6, 0, v6.size())));
    // In two jails: each jail's expiry in the per-jail map.
    ASSERT_TRUE(ok(e->ban("mc-ssh-1d", IpPrefix::host(v4[0]), unix_now() + 86400)));
    maps = entries_of(root_ + "/v2");
  }
  for (bool v4_family : {true, false}) {
    lay_out_as_fixed_table(root_, v4_family, kCapacity);
    if (HasFatalFailure())
      return;
  }
  uint32_t fixed4 = HostTable::buckets_for(true, kCapacity);
  uint32_t fixed6 = HostTable::buckets_for(false, kCapacity);

  std::vector<std::string> logged;
  auto e =
      XdpEnforcer::open({root_, kCapacity, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(e));
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_NE(logged[0].find("took over the bans of " + root_ + "/v2/ban_host4_fixed"),
            std::string::npos)
      << logged[0];
  // The count the old program reads stays right: the same bucket count, in its slot.
  expect_one_table_in_use(root_, true, fixed4);
  expect_one_table_in_use(root_, false, fixed6);
  EXPECT_EQ(entries_of(root_ + "/v2"), maps);

  auto listed = e->list_bans(kJail);
  ASSERT_TRUE(ok(listed));
  EXPECT_EQ(listed->size(), v4.size() + v6.size());
  for (const auto &a : v4)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  for (const auto &a : v6)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  EXPECT_EQ(verdict(*e, v4[0], 22), static_cast<uint32_t>(XDP_DROP));
  EXPECT_EQ(verdict(*e, v4[1], 22), static_cast<uint32_t>(XDP_PASS));
  ASSERT_TRUE(ok(e->unban(kJail, IpPrefix::host(v4[0]))));
  EXPECT_EQ(verdict(*e, v4[0], 25), static_cast<uint32_t>(XDP_PASS));
  EXPECT_EQ(verdict(*e, v4[0], 22), static_cast<uint32_t>(XDP_DROP));

  // A later start has nothing to take over, and only this build's program reads the
  // tables: they shrink to fit their bans (at half the load limit), which all still drop.
  { XdpEnforcer closed = std::move(*e); }
  logged.clear();
  auto again =
      XdpEnforcer::open({root_, kCapacity, [&](std::string_view m) { logged.emplace_back(m); }});
  ASSERT_TRUE(ok(again));
  EXPECT_TRUE(logged.empty()) << logged.front();
  // The sizes for 100,000 bans: 50,000 IPv4 buckets >> 3 (6,250: 12,500 bans for 5,000),
  // and the initial 75,000 IPv6 buckets >> 6 (1,171: 1,561 bans for 500).
  expect_one_table_in_use(root_, true, fixed4 >> 3);
  expect_one_table_in_use(root_, false, fixed6 >> 6);
  EXPECT_EQ(GrowingHostTable::initial_buckets(false, kCapacity), fixed6 >> 6);
  auto relisted = again->list_bans(kJail);
  ASSERT_TRUE(ok(relisted));
  EXPECT_EQ(relisted->size(), v4.size() + v6.size() - 1);
  for (size_t i = 1; i < v4.size(); ++i)
    ASSERT_EQ(verdict(*again, v4[i]), static_cast<uint32_t>(XDP_DROP)) << v4[i].to_string();
  for (const auto &a : v6)
    ASSERT_EQ(verdict(*again, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
  EXPECT_EQ(verdict(*again, v4[0], 22), static_cast<uint32_t>(XDP_DROP));
}

// A batch of new addresses grows the table once, straight to the size that holds them,
// and every ban of the batch and before it drops.
TEST_F(HostTableGrowth, ABatchGrowsTheTableOnceToHoldItAll) {
  auto e = XdpEnforcer::open({root_, kMillion, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
  std::vector<IpAddress> v4;
  for (uint32_t i = 0; i < 30000; ++i)
    v4.push_back(v4_source(i));
  ASSERT_TRUE(ok(ban_all(*e, v4, 0, 1000)));
  uint32_t first = GrowingHostTable::initial_buckets(true, kMillion);
  expect_one_table_in_use(root_, true, first);
  // 29,000 more: 30,000 in all need 16 times the buckets (32,768 bans at two thirds).
  ASSERT_TRUE(ok(ban_all(*e, v4, 1000, v4.size())));
  expect_one_table_in_use(root_, true, first * 16);
  // Bans again of addresses held count for nothing.
  ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
  expect_one_table_in_use(root_, true, first * 16);
  for (const auto &a : v4)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
}

// The doublings end at the table for the capacity, which holds exactly the capacity;
// one more is refused as full. 50,000 bans: a full count (25,000 IPv4 buckets) that is
// no power of two.
TEST_F(HostTableGrowth, TheCapacityIsReachedThroughTheDoublings) {
  constexpr uint32_t kCapacity = 50000;
  auto e = XdpEnforcer::open({root_, kCapacity, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
  std::vector<IpAddress> v4;
  for (uint32_t i = 0; i < kCapacity; ++i)
    v4.push_back(v4_source(i));
  ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
  expect_one_table_in_use(root_, true, HostTable::buckets_for(true, kCapacity));
  auto more = e->ban(kJail, IpPrefix::parse("203.0.113.1").value(), 0);
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.error().what.find("full"), std::string::npos) << more.error().what;
  for (const auto &a : v4)
    ASSERT_EQ(verdict(*e, a), static_cast<uint32_t>(XDP_DROP)) << a.to_string();
}

// The default capacity, reached in both address families through every doubling: the
// tables end at the sizes the fixed-size ones had (524,288 IPv4 and 786,432 IPv6
// buckets), every one of the 2,097,152 bans drops, and one more is refused as full.
TEST_F(HostTableGrowth, AMillionBansPerAddressFamilyAllDrop) {
  auto e = XdpEnforcer::open({root_, kMillion, {}});
  ASSERT_TRUE(ok(e));
  ASSERT_TRUE(ok(e->set_jail(kJail, JailPorts::from_list({25}))));
  std::vector<IpAddress> v4, v6;
  for (uint32_t i = 0; i < kMillion; ++i) {
    v4.push_back(IpAddress::v4(0x0A000000u + i * 3)); // in 10.0.0.0/8
    char text[48];
    std::snprintf(text, sizeof(text), "2001:db8:%x:%x::1", i >> 16, i & 0xffff);
    v6.push_back(IpAddress::parse(text).value());
  }
  ASSERT_TRUE(ok(ban_all(*e, v4, 0, v4.size())));
  ASSERT_TRUE(ok(ban_all(*e, v6, 0, v6.size())));
  expect_one_table_in_use(root_, true, HostTable::buckets_for(true, kMillion));
  expect_one_table_in_use(root_, false, HostTable::buckets_for(false, kMillion));
  for (uint32_t i = 0; i < kMillion; ++i) {
    ASSERT_EQ(verdict(*e, v4[i]), static_cast<uint32_t>(XDP_DROP)) << v4[i].to_string();
    ASSERT_EQ(verdict(*e, v6[i]), static_cast<uint32_t>(XDP_DROP)) << v6[i].to_string();
  }
  for (const char *one_more : {"203.0.113.1", "2001:db8:ffff::1"}) {
    auto more = e->ban(kJail, IpPrefix::parse(one_more).value(), 0);
    ASSERT_FALSE(more.ok()) << one_more;
    EXPECT_NE(more.error().what.find("full"), std::string::npos) << more.error().what;
  }
}

} // namespace
