// SPDX-License-Identifier: GPL-2.0-only
#include <bpf/bpf.h>
#include <sys/stat.h>

#include <cstring>
#include <gtest/gtest.h>

#include "base/fd.h"
#include "tests/fixtures/bpffs_pin_dir.h"
#include "tests/fixtures/netns_pair.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

bool namespace_exists(const std::string &ns) {
  struct stat st{};
  return ::stat(("/run/netns/" + ns).c_str(), &st) == 0;
}

TEST(NetnsPair, ConnectsBothFamiliesAndIsRemoved) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ping"));
  std::string ns_a;
  {
    auto pair = NetnsPair::create();
    ASSERT_TRUE(ok(pair));
    ns_a = pair->a().ns;
    EXPECT_TRUE(namespace_exists(ns_a));
    for (const auto &addr : {pair->b().addr4, pair->b().addr6}) {
      auto ping = NetnsPair::exec(pair->a(), {"ping", "-c", "1", "-W", "2", addr});
      ASSERT_TRUE(ok(ping));
      EXPECT_EQ(ping->exit_code, 0) << addr << ": " << ping->out << ping->err;
    }
    ASSERT_TRUE(ok(pair->add_address(pair->a(), "203.0.113.5/32")));
    auto ping = NetnsPair::exec(pair->a(), {"ping", "-c", "1", "-W", "2", "-I", "203.0.113.5",
                                            pair->b().addr4});
    ASSERT_TRUE(ok(ping));
    EXPECT_EQ(ping->exit_code, 0) << ping->out << ping->err;
  }
  EXPECT_FALSE(namespace_exists(ns_a));
}

TEST(NetnsPair, IpsetsArePerNamespace) {
  ASSERT_TRUE(require_root());
  ASSERT_TRUE(require_program("ipset"));
  auto pair = NetnsPair::create();
  ASSERT_TRUE(ok(pair));
  std::string set = unique_name("mc-t");
  auto create = NetnsPair::exec(pair->a(), {"ipset", "create", set, "hash:net"});
  ASSERT_TRUE(ok(create));
  ASSERT_EQ(create->exit_code, 0) << create->err;
  auto add = NetnsPair::exec(pair->a(), {"ipset", "add", set, "203.0.113.0/24"});
  ASSERT_TRUE(ok(add));
  ASSERT_EQ(add->exit_code, 0) << add->err;
  auto list_a = NetnsPair::exec(pair->a(), {"ipset", "list", set});
  ASSERT_TRUE(ok(list_a));
  EXPECT_NE(list_a->out.find("203.0.113.0/24"), std::string::npos);
  auto list_b = NetnsPair::exec(pair->b(), {"ipset", "list", set});
  ASSERT_TRUE(ok(list_b));
  EXPECT_NE(list_b->exit_code, 0) << "the set leaked into the other namespace";
  auto list_host = run_program({"ipset", "list", set});
  ASSERT_TRUE(ok(list_host));
  EXPECT_NE(list_host->exit_code, 0) << "the set leaked into the host namespace";
}

TEST(BpffsPinDir, PinsAreReachableAndRemoved) {
  ASSERT_TRUE(require_root());
  std::string pin;
  {
    auto dir = BpffsPinDir::create();
    ASSERT_TRUE(ok(dir));
    Fd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, "mcf2b_test", 4, 8, 1, nullptr));
    ASSERT_TRUE(map.valid()) << "bpf_map_create: " << std::strerror(errno);
    pin = dir->path() + "/m";
    ASSERT_EQ(bpf_obj_pin(map.get(), pin.c_str()), 0) << std::strerror(errno);
    Fd again(bpf_obj_get(pin.c_str()));
    EXPECT_TRUE(again.valid());
  }
  EXPECT_LT(bpf_obj_get(pin.c_str()), 0);
}

} // namespace
