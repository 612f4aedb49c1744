// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/xdp_enforcer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "ban_filter.skel.h"
#include "base/fd.h"
#include "mcf2b_shared.h"
#include "userspace/enforce/bloom_counts.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/host_table.h"
#include "userspace/enforce/mapped_bpf_array.h"
#include "userspace/enforce/prefix_cover.h"
#include "userspace/enforce/tai_clock.h"
#include "userspace/enforce/xdp_link.h"

namespace mcf2b {

// Layout guards: these structs cross the kernel boundary byte for byte.
static_assert(sizeof(mcf2b_expiry) == 8);
static_assert(sizeof(mcf2b_host_value) == 16 && offsetof(mcf2b_host_value, earliest_ns) == 8);
static_assert(sizeof(mcf2b_hjail4_key) == 8 && offsetof(mcf2b_hjail4_key, slot) == 4);
static_assert(sizeof(mcf2b_hjail6_key) == 20 && offsetof(mcf2b_hjail6_key, slot) == 16);
static_assert(sizeof(mcf2b_lpm4_key) == 8 && offsetof(mcf2b_lpm4_key, addr) == 4);
static_assert(sizeof(mcf2b_lpm6_key) == 20 && offsetof(mcf2b_lpm6_key, addr) == 4);
static_assert(sizeof(mcf2b_prefix_value) == 16 && offsetof(mcf2b_prefix_value, effective_ns) == 8);
static_assert(sizeof(mcf2b_allow_value) == 16 && offsetof(mcf2b_allow_value, effective) == 8);
static_assert(sizeof(mcf2b_jail) == 40 && offsetof(mcf2b_jail, all_ports) == 32);
static_assert(sizeof(mcf2b_config) == 64 && offsetof(mcf2b_config, host_jails4) == 16 &&
              offsetof(mcf2b_config, prefix_jails4) == 32 &&
              offsetof(mcf2b_config, bloom_mask) == 48 &&
              offsetof(mcf2b_config, host_buckets4) == 52 &&
              offsetof(mcf2b_config, allow_families) == 60);
static_assert(sizeof(mcf2b_host4_bucket) == 64 && offsetof(mcf2b_host4_bucket, value) == 16);
static_assert(sizeof(mcf2b_host6_bucket) == 64 && offsetof(mcf2b_host6_bucket, value) == 32);
static_assert(sizeof(mcf2b_global_stats) == 32 && offsetof(mcf2b_global_stats, unparsable) == 16);
static_assert(sizeof(mcf2b_packet_count) == 16);
static_assert(kMaxJails == MCF2B_MAX_JAILS);

namespace {

constexpr uint64_t kAllJails = ~uint64_t{0};
constexpr uint32_t kWhitelistCapacity = 65536;

uint64_t bit(JailSlot s) { return uint64_t{1} << s; }
int fam(const IpAddress &a) { return a.is_v4() ? 0 : 1; }
size_t addr_len(int f) { return f == 0 ? 4 : 16; }

// Keys built in byte buffers, laid out as the mcf2b_shared.h structs.
struct HjailKey {
  std::array<uint8_t, 20> b{};
  HjailKey(const IpAddress &a, JailSlot slot) {
    size_t n = addr_len(fam(a));
    std::memcpy(b.data(), a.bytes().data(), n);
    std::memcpy(b.data() + n, &slot, 4);
  }
};

struct LpmKey {
  std::array<uint8_t, 20> b{};
  explicit LpmKey(const IpPrefix &p) {
    uint32_t len = p.length();
    std::memcpy(b.data(), &len, 4);
    std::memcpy(b.data() + 4, p.address().bytes().data(), addr_len(fam(p.address())));
  }
  static IpPrefix decode(const uint8_t *k, int f) {
    uint32_t len;
    std::memcpy(&len, k, 4);
    IpAddress a = f == 0 ? IpAddress::v4_bytes(k + 4) : IpAddress::v6_bytes(k + 4);
    return IpPrefix(a, len);
  }
};

bool valid_jail_name(std::string_view name) {
  if (name.empty() || name.size() > MCF2B_JAIL_NAME_MAX_V6_TWIN)
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

struct SkelDeleter {
  void operator()(ban_filter *s) const { ban_filter__destroy(s); }
};

Status make_dirs(const std::string &path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/')
      continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return Error::sys("create " + part);
  }
  return {};
}

} // namespace

struct XdpEnforcer::State {
  EnforcerOptions opt;
  Fd lock;
  std::unique_ptr<ban_filter, SkelDeleter> skel;
  uint32_t capacity = 0;

  BpfMapRef hjail[2], pfx_outer[2], allow[2], ports_map, slots_map, config_map, stats_map,
      jail_stats_map;
  // The host tables and the Bloom words, written through mmap: no syscall per ban.
  MappedBpfArray host_mem[2], bloom_mem;
  std::optional<HostTable> host[2];

  mcf2b_config config{};
  std::array<std::string, kMaxJails> names;
  std::array<JailPorts, kMaxJails> ports;
  std::array<Fd, kMaxJails> tries[2];
  std::vector<uint64_t> port_masks = std::vector<uint64_t>(MCF2B_PORT_COUNT);
  std::array<uint64_t, kMaxJails> host_count[2]{}, prefix_count[2]{};
  std::unique_ptr<BloomCounts> bloom;
  std::map<IpPrefix, uint64_t> allow_own; // whitelist prefix -> own jail mask
  std::map<std::string, Fd> links;
  uint64_t map_full = 0;

  void warn(std::string_view msg) const {
    if (opt.log)
      opt.log(msg);
    else
      std::fprintf(stderr, "mcf2b: %.*s\n", static_cast<int>(msg.size()), msg.data());
  }

  BpfMapRef trie(int f, JailSlot s) const {
    return BpfMapRef(tries[f][s].get(), f == 0 ? "ban_pfx4 trie" : "ban_pfx6 trie",
                     f == 0 ? sizeof(mcf2b_lpm4_key) : sizeof(mcf2b_lpm6_key),
                     sizeof(mcf2b_prefix_value));
  }

  std::optional<JailSlot> find(std::string_view name) const {
    for (JailSlot s = 0; s < kMaxJails; ++s)
      if (!names[s].empty() && names[s] == name)
        return s;
    return std::nullopt;
  }

  Result<JailSlot> need(std::string_view name) const {
    if (auto s = find(name))
      return *s;
    return Error::msg("no jail named '" + std::string(name) + "' (set_jail first)");
  }

  Status write_config() const {
    uint32_t zero = 0;
    return config_map.update(&zero, &config);
  }

  // Recomputes the per-family masks from the counts and writes the config when changed.
  Status sync_masks() {
    mcf2b_config c = config;
    c.host_jails4 = c.host_jails6 = c.prefix_jails4 = c.prefix_jails6 = 0;
    for (JailSlot s = 0; s < kMaxJails; ++s) {
      c.host_jails4 |= host_count[0][s] ? bit(s) : 0;
      c.host_jails6 |= host_count[1][s] ? bit(s) : 0;
      c.prefix_jails4 |= prefix_count[0][s] ? bit(s) : 0;
      c.prefix_jails6 |= prefix_count[1][s] ? bit(s) : 0;
    }
    if (std::memcmp(&c, &config, sizeof(c)) == 0)
      return {};
    config = c;
    return write_config();
  }

  // Sets a jail's mask bit before its first ban is written, so the program looks.
  Status announce(__u64 &mask, JailSlot s) {
    if (mask & bit(s))
      return {};
    mask |= bit(s);
    return write_config();
  }

  uint64_t *bloom_words() const { return reinterpret_cast<uint64_t *>(bloom_mem.data()); }

  // The program must see an address's Bloom bits before its table slot: the fence keeps
  // this store ahead of the table's.
  void write_bloom_word(uint32_t w) const {
    std::atomic_ref<uint64_t>(bloom_words()[w]).store(bloom->word(w), std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
  }

  Result<Fd> create_trie(int f, JailSlot s) const {
    LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
    std::string name = std::string(f == 0 ? "ban_pfx4_" : "ban_pfx6_") + std::to_string(s);
    int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name.c_str(),
                            f == 0 ? sizeof(mcf2b_lpm4_key) : sizeof(mcf2b_lpm6_key),
                            sizeof(mcf2b_prefix_value), capacity, &o);
    if (fd < 0)
      return Error::sys("create the prefix trie of jail slot " + std::to_string(s));
    return Fd(fd);
  }

  // Opens the slot's trie of family f when the outer array holds one; false when not.
  Result<bool> open_trie(int f, JailSlot s) {
    if (tries[f][s])
      return true;
    uint32_t id = 0;
    auto found = pfx_outer[f].lookup(&s, &id);
    if (!found)
      return found.error();
    if (!*found)
      return false;
    int fd = bpf_map_get_fd_by_id(id);
    if (fd < 0)
      return Error::sys("open the prefix trie of jail slot " + std::to_string(s));
    tries[f][s].reset(fd);
    return true;
  }

  // The slot's trie of family f, created at its first prefix ban: each update of an
  // outer array waits for an RCU grace period (tens of milliseconds), which every jail
  // paying twice at start would make half a second. The program skips a missing trie.
  Status ensure_trie(int f, JailSlot s) {
    auto opened = open_trie(f, s);
    if (!opened)
      return opened.error();
    if (*opened)
      return {};
    auto fd = create_trie(f, s);
    if (!fd)
      return fd.error();
    int inner = fd->get();
    if (auto st = pfx_outer[f].update(&s, &inner); !st)
      return st;
    tries[f][s] = std::move(*fd);
    return {};
  }

  Result<uint64_t> hjail_expiry(const IpAddress &a, JailSlot s) const {
    HjailKey k(a, s);
    mcf2b_expiry e{};
    auto found = hjail[fam(a)].lookup(k.b.data(), &e);
    if (!found)
      return found.error();
    return *found ? e.expires_ns : uint64_t{0};
  }

  Result<uint64_t> earliest_of(const IpAddress &a, uint64_t jails) const {
    uint64_t e = 0;
    for (JailSlot s = 0; s < kMaxJails; ++s) {
      if (!(jails & bit(s)))
        continue;
      auto x = hjail_expiry(a, s);
      if (!x)
        return x.error();
      e = earlier_expiry(e, *x);
    }
    return e;
  }

  Error full(const Error &e, const std::string &what) {
    ++map_full;
    return Error{what + " is full (capacity " + std::to_string(capacity) + "; " + e.what + ")",
                 e.code};
  }

  Status host_ban(const IpAddress &a, JailSlot s, uint64_t expiry) {
    int f = fam(a);
    HostTable &table = *host[f];
    auto found = table.find(a);
    if (auto st = announce(f == 0 ? config.host_jails4 : config.host_jails6, s); !st)
      return st;
    if (!found) {
      // Bloom bits first: the program must never see the entry without them.
      if (auto w = bloom->add(a))
        write_bloom_word(*w);
      if (auto st = table.insert(a, mcf2b_host_value{bit(s), expiry}); !st) {
        if (auto w = bloom->remove(a))
          write_bloom_word(*w);
        return full(st.error(), f == 0 ? "ban_host4_v2" : "ban_host6_v2");
      }
      ++host_count[f][s];
      return {};
    }
    mcf2b_host_value v = *found;
    if (v.jails == bit(s)) { // banned again in its only jail: new expiry
      v.earliest_ns = expiry;
      table.update(a, v);
      return {};
    }
    // Two or more jails: each jail's expiry lives in the per-jail map.
    bool was_single = std::has_single_bit(v.jails);
    JailSlot other = static_cast<JailSlot>(std::countr_zero(v.jails));
    if (was_single) {
      HjailKey k(a, other);
      mcf2b_expiry e{v.earliest_ns};
      if (auto st = hjail[f].update(k.b.data(), &e); !st)
        return is_map_full(st.error()) ? full(st.error(), hjail[f].name()) : st;
    }
    HjailKey k(a, s);
    mcf2b_expiry e{expiry};
    if (auto st = hjail[f].update(k.b.data(), &e); !st) {
      if (was_single)
        (void)hjail[f].erase(HjailKey(a, other).b.data());
      return is_map_full(st.error()) ? full(st.error(), hjail[f].name()) : st;
    }
    bool is_new = !(v.jails & bit(s));
    v.jails |= bit(s);
    auto earliest = earliest_of(a, v.jails);
    if (!earliest)
      return earliest.error();
    v.earliest_ns = *earliest;
    table.update(a, v);
    if (is_new)
      ++host_count[f][s];
    return {};
  }

  Status host_unban(const IpAddress &a, JailSlot s) {
    int f = fam(a);
    HostTable &table = *host[f];
    auto found = table.find(a);
    if (!found || !(found->jails & bit(s)))
      return {};
    mcf2b_host_value v = *found;
    uint64_t rest = v.jails & ~bit(s);
    if (rest == 0) {
      table.erase(a);
      if (auto w = bloom->remove(a))
        write_bloom_word(*w);
    } else if (std::has_single_bit(rest)) {
      JailSlot r = static_cast<JailSlot>(std::countr_zero(rest));
      auto er = hjail_expiry(a, r);
      if (!er)
        return er.error();
      table.update(a, mcf2b_host_value{rest, *er});
      if (auto st = hjail[f].erase(HjailKey(a, r).b.data()); !st)
        return st;
    } else {
      auto earliest = earliest_of(a, rest);
      if (!earliest)
        return earliest.error();
      table.update(a, mcf2b_host_value{rest, *earliest});
    }
    if (!std::has_single_bit(v.jails))
      if (auto st = hjail[f].erase(HjailKey(a, s).b.data()); !st)
        return st;
    if (host_count[f][s] > 0)
      --host_count[f][s];
    return {};
  }

  Status prefix_ban(const IpPrefix &p, JailSlot s, uint64_t expiry, bool refresh = true) {
    int f = fam(p.address());
    if (auto st = ensure_trie(f, s); !st)
      return st;
    auto t = trie(f, s);
    LpmKey k(p);
    mcf2b_prefix_value v{};
    auto found = t.lookup(k.b.data(), &v);
    if (!found)
      return found.error();
    if (auto st = announce(f == 0 ? config.prefix_jails4 : config.prefix_jails6, s); !st)
      return st;
    // Enforce at once; refresh_prefixes() then folds in the covering prefixes.
    mcf2b_prefix_value nv{expiry, expiry};
    if (auto st = t.update(k.b.data(), &nv); !st)
      return is_map_full(st.error()) ? full(st.error(), "the prefix trie of " + names[s]) : st;
    if (!*found)
      ++prefix_count[f][s];
    return refresh ? refresh_prefixes(f, s) : Status{};
  }

  Status prefix_unban(const IpPrefix &p, JailSlot s, bool refresh = true) {
    int f = fam(p.address());
    if (!tries[f][s])
      return {};
    auto t = trie(f, s);
    LpmKey k(p);
    mcf2b_prefix_value v{};
    auto found = t.lookup(k.b.data(), &v);
    if (!found)
      return found.error();
    if (!*found)
      return {};
    if (auto st = t.erase(k.b.data()); !st)
      return st;
    if (prefix_count[f][s] > 0)
      --prefix_count[f][s];
    return refresh ? refresh_prefixes(f, s) : Status{};
  }

  // Rewrites each prefix's effective expiry from the prefixes covering it.
  Status refresh_prefixes(int f, JailSlot s) {
    if (!tries[f][s])
      return {};
    auto t = trie(f, s);
    std::vector<std::pair<IpPrefix, uint64_t>> own;
    std::vector<uint64_t> current;
    auto st = t.for_each([&](const uint8_t *k, const uint8_t *v) {
      mcf2b_prefix_value pv;
      std::memcpy(&pv, v, sizeof(pv));
      own.emplace_back(LpmKey::decode(k, f), pv.expires_ns);
      current.push_back(pv.effective_ns);
    });
    if (!st)
      return st;
    auto effective = covering_latest_expiry(own);
    for (size_t i = 0; i < own.size(); ++i) {
      if (effective[i] == current[i])
        continue;
      LpmKey k(own[i].first);
      mcf2b_prefix_value nv{own[i].second, effective[i]};
      if (auto u = t.update(k.b.data(), &nv, BPF_EXIST); !u && u.error().code != ENOENT)
        return u;
    }
    return {};
  }

  // Families whose whitelist holds entries (config.allow_families): the program skips
  // the trie of an empty one.
  uint32_t allow_families() const {
    uint32_t families = 0;
    for (const auto &[prefix, mask] : allow_own)
      families |= prefix.address().is_v4() ? 1u : 2u;
    return families;
  }

  // Writes the whitelist entries. A family's flag is set before its first entry is
  // written and cleared after its last was removed, so no whitelisted source is dropped.
  Status write_allow() {
    uint32_t families = allow_families();
    if (families & ~config.allow_families) {
      config.allow_families |= families;
      if (auto st = write_config(); !st)
        return st;
    }
    std::vector<std::pair<IpPrefix, uint64_t>> entries(allow_own.begin(), allow_own.end());
    auto effective = covering_union(entries);
    for (size_t i = 0; i < entries.size(); ++i) {
      int f = fam(entries[i].first.address());
      LpmKey k(entries[i].first);
      mcf2b_allow_value v{entries[i].second, effective[i]};
      if (auto st = allow[f].update(k.b.data(), &v); !st)
        return is_map_full(st.error()) ? full(st.error(), allow[f].name()) : st;
    }
    if (config.allow_families != families) {
      config.allow_families = families;
      return write_config();
    }
    return {};
  }

  Status load(uint32_t requested);
  Status rebuild();

  // Maps of the layouts before this one, left pinned by an older build: unpinned, so they
  // are freed once no program uses them (an attached older program keeps its maps, and
  // enforces, until attach() replaces it). Their bans are not carried over: the
  // controller restores bans from its store.
  void unpin_older_layouts() const {
    static constexpr const char *kV1[] = {
        "ban_host4_v1",  "ban_host6_v1", "ban_hjail4_v1", "ban_hjail6_v1", "ban_pfx4_v1",
        "ban_pfx6_v1",   "ban_bloom_v1", "allow4_v1",     "allow6_v1",     "jail_ports_v1",
        "jail_slots_v1", "config_v1",    "stats_v1",      "jail_stats_v1"};
    std::string removed;
    for (const char *name : kV1)
      if (::unlink((opt.pin_root + "/" + name).c_str()) == 0)
        removed += std::string(removed.empty() ? "" : ", ") + name;
    if (!removed.empty())
      warn("unpinned maps of an older layout under " + opt.pin_root + ": " + removed);
  }
};

Status XdpEnforcer::State::load(uint32_t requested) {
  capacity = requested;
  // The per-jail expiry hash is sized by the capacity itself (the host tables by buckets).
  std::string hjail4_pin = opt.pin_root + "/ban_hjail4_v2";
  if (int fd = bpf_obj_get(hjail4_pin.c_str()); fd >= 0) {
    Fd pinned(fd);
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(pinned.get(), &info, &len) == 0 && info.max_entries != requested) {
      warn("pinned maps under " + opt.pin_root + " hold " + std::to_string(info.max_entries) +
           " bans per family; keeping that capacity instead of " + std::to_string(requested));
      capacity = info.max_entries;
    }
  }

  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = opt.pin_root.c_str());
  skel.reset(ban_filter__open_opts(&open_opts));
  if (!skel)
    return Error::sys("open the ban filter BPF object");
  auto &m = skel->maps;
  for (bpf_map *map : {m.ban_hjail4_v2, m.ban_hjail6_v2})
    bpf_map__set_max_entries(map, capacity);
  bpf_map__set_max_entries(m.ban_host4_v2, HostTable::buckets_for(true, capacity));
  bpf_map__set_max_entries(m.ban_host6_v2, HostTable::buckets_for(false, capacity));
  // The tries' template keeps max_entries 1: the kernel does not compare max_entries
  // of LPM inner maps, and each slot's trie is created with the capacity (create_trie).
  bpf_map__set_max_entries(m.allow4_v2, kWhitelistCapacity);
  bpf_map__set_max_entries(m.allow6_v2, kWhitelistCapacity);
  // A pinned Bloom array keeps its size; it must match for libbpf to reuse it.
  uint32_t words = BloomCounts::words_for_capacity(capacity);
  if (int fd = bpf_obj_get((opt.pin_root + "/ban_bloom_v2").c_str()); fd >= 0) {
    Fd pinned(fd);
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(pinned.get(), &info, &len) == 0 &&
        std::has_single_bit(info.max_entries))
      words = info.max_entries;
  }
  bpf_map__set_max_entries(m.ban_bloom_v2, words);
  if (int err = ban_filter__load(skel.get()); err != 0)
    return Error::sys("load the ban filter (are the maps pinned under " + opt.pin_root +
                          " from an incompatible build?)",
                      -err);

  auto ref = [](bpf_map *map, const char *name) {
    return BpfMapRef(bpf_map__fd(map), name, bpf_map__key_size(map), bpf_map__value_size(map));
  };
  for (int f = 0; f < 2; ++f) {
    const char *name = f == 0 ? "ban_host4_v2" : "ban_host6_v2";
    int fd = bpf_map__fd(f == 0 ? m.ban_host4_v2 : m.ban_host6_v2);
    auto mapped = MappedBpfArray::map(fd, name);
    if (!mapped)
      return mapped.error();
    host_mem[f] = std::move(*mapped);
    host[f].emplace(f == 0, host_mem[f].data(), host_mem[f].entries(), capacity);
  }
  auto bloom_mapped = MappedBpfArray::map(bpf_map__fd(m.ban_bloom_v2), "ban_bloom_v2");
  if (!bloom_mapped)
    return bloom_mapped.error();
  bloom_mem = std::move(*bloom_mapped);
  hjail[0] = ref(m.ban_hjail4_v2, "ban_hjail4_v2");
  hjail[1] = ref(m.ban_hjail6_v2, "ban_hjail6_v2");
  pfx_outer[0] = ref(m.ban_pfx4_v2, "ban_pfx4_v2");
  pfx_outer[1] = ref(m.ban_pfx6_v2, "ban_pfx6_v2");
  allow[0] = ref(m.allow4_v2, "allow4_v2");
  allow[1] = ref(m.allow6_v2, "allow6_v2");
  ports_map = ref(m.jail_ports_v2, "jail_ports_v2");
  slots_map = ref(m.jail_slots_v2, "jail_slots_v2");
  config_map = ref(m.config_v2, "config_v2");
  stats_map = ref(m.stats_v2, "stats_v2");
  jail_stats_map = ref(m.jail_stats_v2, "jail_stats_v2");
  bloom = std::make_unique<BloomCounts>(bpf_map__max_entries(m.ban_bloom_v2));
  return rebuild();
}

// Reads back what the pinned maps hold (a restart) and derives the userspace view:
// slots, ports, ban counts, Bloom counts, whitelist. Fresh maps read back as empty.
Status XdpEnforcer::State::rebuild() {
  uint32_t zero = 0;
  if (auto r = config_map.lookup(&zero, &config); !r)
    return r.error();
  for (JailSlot s = 0; s < kMaxJails; ++s) {
    mcf2b_jail j{};
    if (auto r = slots_map.lookup(&s, &j); !r)
      return r.error();
    j.name[sizeof(j.name) - 1] = '\0';
    names[s] = j.name;
    ports[s] = JailPorts{j.all_ports != 0, {}};
    for (int f = 0; f < 2 && !names[s].empty(); ++f)
      if (auto opened = open_trie(f, s); !opened)
        return opened.error();
  }
  if (auto st = ports_map.for_each([&](const uint8_t *k, const uint8_t *v) {
        uint32_t port;
        uint64_t mask;
        std::memcpy(&port, k, 4);
        std::memcpy(&mask, v, 8);
        if (port < MCF2B_PORT_COUNT)
          port_masks[port] = mask;
      });
      !st)
    return st;
  for (uint32_t port = 0; port < MCF2B_PORT_COUNT; ++port)
    for (JailSlot s = 0; s < kMaxJails; ++s)
      if (port_masks[port] & bit(s))
        ports[s].ports.push_back(static_cast<uint16_t>(port));

  for (int f = 0; f < 2; ++f) {
    host[f]->for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      for (JailSlot s = 0; s < kMaxJails; ++s)
        host_count[f][s] += (hv.jails >> s) & 1;
      bloom->add(a);
    });
    for (JailSlot s = 0; s < kMaxJails; ++s) {
      if (!tries[f][s])
        continue;
      if (auto st = trie(f, s).for_each([&](const uint8_t *, const uint8_t *) {
            ++prefix_count[f][s];
          });
          !st)
        return st;
    }
    if (auto st = allow[f].for_each([&](const uint8_t *k, const uint8_t *v) {
          mcf2b_allow_value av;
          std::memcpy(&av, v, sizeof(av));
          allow_own[LpmKey::decode(k, f)] = av.jails;
        });
        !st)
      return st;
  }
  // Make the kernel's Bloom words exactly what the host maps need (a crash between two
  // writes could have left a word behind).
  for (uint32_t w = 0; w < bloom->size(); ++w)
    if (bloom_words()[w] != bloom->word(w))
      write_bloom_word(w);

  config.bloom_mask = bloom->mask();
  config.host_buckets4 = host[0]->buckets();
  config.host_buckets6 = host[1]->buckets();
  config.allow_families = allow_families();
  config.active_jails = config.all_ports_jails = 0;
  for (JailSlot s = 0; s < kMaxJails; ++s) {
    if (names[s].empty())
      continue;
    config.active_jails |= bit(s);
    config.all_ports_jails |= ports[s].all ? bit(s) : 0;
  }
  if (auto st = write_config(); !st)
    return st;
  return sync_masks();
}

XdpEnforcer::XdpEnforcer(std::unique_ptr<State> state) : s_(std::move(state)) {}
XdpEnforcer::~XdpEnforcer() = default;
XdpEnforcer::XdpEnforcer(XdpEnforcer &&) noexcept = default;
XdpEnforcer &XdpEnforcer::operator=(XdpEnforcer &&) noexcept = default;

Result<XdpEnforcer> XdpEnforcer::open(EnforcerOptions options) {
  if (options.capacity == 0)
    return Error::msg("enforcer capacity must be at least 1");
  auto s = std::make_unique<State>();
  s->opt = std::move(options);
  while (s->opt.pin_root.size() > 1 && s->opt.pin_root.back() == '/')
    s->opt.pin_root.pop_back();
  if (auto st = make_dirs(s->opt.pin_root); !st)
    return st.error();
  s->lock.reset(::open(s->opt.pin_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!s->lock)
    return Error::sys("open " + s->opt.pin_root);
  if (::flock(s->lock.get(), LOCK_EX | LOCK_NB) != 0)
    return Error::sys("lock " + s->opt.pin_root + " (another enforcer has it open?)");
  if (auto st = s->load(s->opt.capacity); !st)
    return st.error();
  s->unpin_older_layouts();
  return XdpEnforcer(std::move(s));
}

const std::string &XdpEnforcer::pin_root() const { return s_->opt.pin_root; }
uint32_t XdpEnforcer::capacity() const { return s_->capacity; }
int XdpEnforcer::program_fd() const { return bpf_program__fd(s_->skel->progs.ban_filter); }

Result<JailSlot> XdpEnforcer::set_jail(std::string_view name, const JailPorts &ports) {
  auto &s = *s_;
  if (!valid_jail_name(name))
    return Error::msg("invalid jail name '" + std::string(name) +
                      "': 1 to 28 characters of letters, digits, '-', '_', '.'");
  auto slot = s.find(name);
  bool fresh = !slot;
  if (!slot) {
    for (JailSlot i = 0; i < kMaxJails && !slot; ++i)
      if (s.names[i].empty())
        slot = i;
    if (!slot)
      return Error::msg("no free jail slot for '" + std::string(name) + "' (at most 64 jails)");
  }
  JailSlot j = *slot;
  if (fresh) {
    mcf2b_jail rec{};
    std::memcpy(rec.name, name.data(), name.size());
    rec.all_ports = ports.all ? 1 : 0;
    if (auto st = s.slots_map.update(&j, &rec); !st)
      return st.error();
    s.names[j] = std::string(name);
  } else if (s.ports[j].all != ports.all) {
    mcf2b_jail rec{};
    std::memcpy(rec.name, name.data(), name.size());
    rec.all_ports = ports.all ? 1 : 0;
    if (auto st = s.slots_map.update(&j, &rec); !st)
      return st.error();
  }
  std::set<uint16_t> want(ports.ports.begin(), ports.ports.end());
  if (ports.all)
    want.clear();
  for (uint32_t port = 0; port < MCF2B_PORT_COUNT; ++port) {
    bool has = s.port_masks[port] & bit(j);
    bool should = want.count(static_cast<uint16_t>(port)) != 0;
    if (has == should)
      continue;
    uint64_t mask = should ? (s.port_masks[port] | bit(j)) : (s.port_masks[port] & ~bit(j));
    if (auto st = s.ports_map.update(&port, &mask); !st)
      return st.error();
    s.port_masks[port] = mask;
  }
  s.ports[j] = JailPorts{ports.all, std::vector<uint16_t>(want.begin(), want.end())};
  s.config.active_jails |= bit(j);
  s.config.all_ports_jails =
      ports.all ? (s.config.all_ports_jails | bit(j)) : (s.config.all_ports_jails & ~bit(j));
  if (auto st = s.write_config(); !st)
    return st.error();
  return j;
}

Status XdpEnforcer::remove_jail(std::string_view name) {
  auto &s = *s_;
  auto slot = s.find(name);
  if (!slot)
    return {};
  JailSlot j = *slot;
  // Stop enforcing first, then clear the jail's entries.
  s.config.active_jails &= ~bit(j);
  s.config.all_ports_jails &= ~bit(j);
  if (auto st = s.write_config(); !st)
    return st;
  for (int f = 0; f < 2; ++f) {
    std::vector<IpAddress> banned;
    s.host[f]->for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      if (hv.jails & bit(j))
        banned.push_back(a);
    });
    for (const auto &a : banned)
      if (auto st = s.host_unban(a, j); !st)
        return st;
    s.host_count[f][j] = 0;
    if (s.tries[f][j]) {
      std::vector<IpPrefix> prefixes;
      if (auto st = s.trie(f, j).for_each([&](const uint8_t *k, const uint8_t *) {
            prefixes.push_back(LpmKey::decode(k, f));
          });
          !st)
        return st;
      for (const auto &p : prefixes)
        if (auto st = s.trie(f, j).erase(LpmKey(p).b.data()); !st)
          return st;
    }
    s.prefix_count[f][j] = 0;
  }
  for (auto it = s.allow_own.begin(); it != s.allow_own.end();) {
    if (it->second != kAllJails && (it->second & bit(j))) {
      it->second &= ~bit(j);
      if (it->second == 0) {
        (void)s.allow[fam(it->first.address())].erase(LpmKey(it->first).b.data());
        it = s.allow_own.erase(it);
        continue;
      }
    }
    ++it;
  }
  if (auto st = s.write_allow(); !st)
    return st;
  for (uint32_t port = 0; port < MCF2B_PORT_COUNT; ++port) {
    if (!(s.port_masks[port] & bit(j)))
      continue;
    uint64_t mask = s.port_masks[port] & ~bit(j);
    if (auto st = s.ports_map.update(&port, &mask); !st)
      return st;
    s.port_masks[port] = mask;
  }
  int ncpu = libbpf_num_possible_cpus();
  std::vector<mcf2b_packet_count> zeros(static_cast<size_t>(std::max(ncpu, 1)));
  if (auto st = s.jail_stats_map.update(&j, zeros.data()); !st)
    return st;
  mcf2b_jail empty{};
  if (auto st = s.slots_map.update(&j, &empty); !st)
    return st;
  s.names[j].clear();
  s.ports[j] = JailPorts{};
  return s.sync_masks();
}

std::vector<JailInfo> XdpEnforcer::jails() const {
  std::vector<JailInfo> out;
  for (JailSlot j = 0; j < kMaxJails; ++j) {
    if (s_->names[j].empty())
      continue;
    out.push_back(JailInfo{s_->names[j], j, s_->ports[j],
                           s_->host_count[0][j] + s_->host_count[1][j],
                           s_->prefix_count[0][j] + s_->prefix_count[1][j]});
  }
  return out;
}

std::optional<JailSlot> XdpEnforcer::slot_of(std::string_view name) const {
  return s_->find(name);
}

Result<XdpMode> XdpEnforcer::attach(const std::string &ifname) {
  auto &s = *s_;
  auto log = [&](std::string_view msg) { s.warn(msg); };
  auto att =
      attach_pinned_xdp_link(program_fd(), ifname, s.opt.pin_root + "/xdp_link_" + ifname, log);
  if (!att)
    return att.error();
  s.links[ifname] = std::move(att->link);
  return att->mode;
}

Status XdpEnforcer::detach(const std::string &ifname) {
  auto &s = *s_;
  Fd link;
  if (auto it = s.links.find(ifname); it != s.links.end()) {
    link = std::move(it->second);
    s.links.erase(it);
  }
  return detach_pinned_xdp_link(std::move(link), s.opt.pin_root + "/xdp_link_" + ifname);
}

Status XdpEnforcer::ban(std::string_view jail, const IpPrefix &prefix, UnixTime expires) {
  BanChange c = BanChange::ban(std::string(jail), prefix, expires);
  auto report = apply(std::span<const BanChange>(&c, 1));
  if (!report.ok())
    return report.failed.front().second;
  return {};
}

Status XdpEnforcer::unban(std::string_view jail, const IpPrefix &prefix) {
  BanChange c = BanChange::unban(std::string(jail), prefix);
  auto report = apply(std::span<const BanChange>(&c, 1));
  if (!report.ok())
    return report.failed.front().second;
  return {};
}

ApplyReport XdpEnforcer::apply(std::span<const BanChange> changes) {
  auto &s = *s_;
  ApplyReport report;
  int64_t offset = tai_offset_seconds();
  std::set<std::pair<int, JailSlot>> touched_tries;
  // Bulk changes come jail after jail: the slot is looked up when the jail changes.
  std::string_view jail;
  Result<JailSlot> slot = Error::msg("no jail");
  for (size_t i = 0; i < changes.size(); ++i) {
    const auto &c = changes[i];
    if (i == 0 || c.jail != jail) {
      jail = c.jail;
      slot = s.need(jail);
    }
    if (!slot) {
      report.failed.emplace_back(i, slot.error());
      continue;
    }
    if (c.op == BanChange::Op::ban && c.expires < 0) {
      report.failed.emplace_back(i, Error::msg("negative expiry for " + c.prefix.to_string()));
      continue;
    }
    uint64_t expiry = unix_to_tai_ns(c.expires, offset);
    Status st;
    if (c.prefix.is_host()) {
      st = c.op == BanChange::Op::ban ? s.host_ban(c.prefix.address(), *slot, expiry)
                                      : s.host_unban(c.prefix.address(), *slot);
    } else {
      touched_tries.emplace(fam(c.prefix.address()), *slot);
      st = c.op == BanChange::Op::ban ? s.prefix_ban(c.prefix, *slot, expiry, false)
                                      : s.prefix_unban(c.prefix, *slot, false);
    }
    if (st)
      ++report.applied;
    else
      report.failed.emplace_back(i, st.error().context(c.jail + " " + c.prefix.to_string()));
  }
  for (auto [f, trie_slot] : touched_tries)
    if (auto st = s.refresh_prefixes(f, trie_slot); !st)
      report.failed.emplace_back(changes.size(), st.error());
  if (auto st = s.sync_masks(); !st)
    report.failed.emplace_back(changes.size(), st.error());
  return report;
}

Result<std::vector<BanEntry>> XdpEnforcer::list_bans(std::string_view jail) const {
  auto &s = *s_;
  auto slot = s.need(jail);
  if (!slot)
    return slot.error();
  JailSlot j = *slot;
  int64_t offset = tai_offset_seconds();
  std::vector<BanEntry> out;
  for (int f = 0; f < 2; ++f) {
    std::vector<std::pair<IpAddress, mcf2b_host_value>> hits;
    if (s.host_count[f][j]) {
      s.host[f]->for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
        if (hv.jails & bit(j))
          hits.emplace_back(a, hv);
      });
    }
    for (const auto &[a, hv] : hits) {
      uint64_t e = hv.earliest_ns;
      if (!std::has_single_bit(hv.jails)) {
        auto x = s.hjail_expiry(a, j);
        if (!x)
          return x.error();
        e = *x;
      }
      out.push_back(BanEntry{std::string(jail), IpPrefix::host(a), tai_ns_to_unix(e, offset)});
    }
    if (s.tries[f][j]) {
      if (auto st = s.trie(f, j).for_each([&](const uint8_t *k, const uint8_t *v) {
            mcf2b_prefix_value pv;
            std::memcpy(&pv, v, sizeof(pv));
            out.push_back(BanEntry{std::string(jail), LpmKey::decode(k, f),
                                   tai_ns_to_unix(pv.expires_ns, offset)});
          });
          !st)
        return st.error();
    }
  }
  return out;
}

Result<std::vector<BanEntry>> XdpEnforcer::sweep_expired(UnixTime now) {
  auto &s = *s_;
  int64_t offset = tai_offset_seconds();
  uint64_t now_ns = unix_to_tai_ns(now, offset);
  std::vector<BanChange> expired;
  std::vector<BanEntry> removed;
  auto note = [&](JailSlot j, const IpPrefix &p, uint64_t e) {
    expired.push_back(BanChange::unban(s.names[j], p));
    removed.push_back(BanEntry{s.names[j], p, tai_ns_to_unix(e, offset)});
  };
  for (int f = 0; f < 2; ++f) {
    std::vector<std::pair<IpAddress, mcf2b_host_value>> due;
    s.host[f]->for_each([&](const IpAddress &a, const mcf2b_host_value &hv) {
      if (hv.earliest_ns != 0 && hv.earliest_ns <= now_ns)
        due.emplace_back(a, hv);
    });
    for (const auto &[a, hv] : due) {
      for (JailSlot j = 0; j < kMaxJails; ++j) {
        if (!(hv.jails & bit(j)) || s.names[j].empty())
          continue;
        uint64_t e = hv.earliest_ns;
        if (!std::has_single_bit(hv.jails)) {
          auto x = s.hjail_expiry(a, j);
          if (!x)
            return x.error();
          e = *x;
        }
        if (e != 0 && e <= now_ns)
          note(j, IpPrefix::host(a), e);
      }
    }
    for (JailSlot j = 0; j < kMaxJails; ++j) {
      if (!s.tries[f][j] || s.names[j].empty() || !s.prefix_count[f][j])
        continue;
      if (auto st = s.trie(f, j).for_each([&](const uint8_t *k, const uint8_t *v) {
            mcf2b_prefix_value pv;
            std::memcpy(&pv, v, sizeof(pv));
            if (pv.expires_ns != 0 && pv.expires_ns <= now_ns)
              note(j, LpmKey::decode(k, f), pv.expires_ns);
          });
          !st)
        return st.error();
    }
  }
  auto report = apply(expired);
  if (!report.ok())
    return report.failed.front().second.context("sweep expired bans");
  return removed;
}

Status XdpEnforcer::whitelist_add(const IpPrefix &prefix, std::optional<std::string_view> jail) {
  auto &s = *s_;
  uint64_t mask = kAllJails;
  if (jail) {
    auto slot = s.need(*jail);
    if (!slot)
      return slot.error();
    mask = bit(*slot);
  }
  auto [it, inserted] = s.allow_own.emplace(prefix, 0);
  uint64_t before = it->second;
  it->second |= mask;
  if (auto st = s.write_allow(); !st) {
    if (inserted)
      s.allow_own.erase(it);
    else
      it->second = before;
    return st;
  }
  return {};
}

Status XdpEnforcer::whitelist_remove(const IpPrefix &prefix,
                                     std::optional<std::string_view> jail) {
  auto &s = *s_;
  auto it = s.allow_own.find(prefix);
  if (it == s.allow_own.end())
    return {};
  if (jail) {
    auto slot = s.find(*jail);
    if (!slot)
      return {};
    it->second &= ~bit(*slot);
  } else {
    it->second = 0;
  }
  if (it->second == 0) {
    if (auto st = s.allow[fam(prefix.address())].erase(LpmKey(prefix).b.data()); !st)
      return st;
    s.allow_own.erase(it);
  }
  return s.write_allow();
}

std::vector<WhitelistEntry> XdpEnforcer::whitelist() const {
  std::vector<WhitelistEntry> out;
  for (const auto &[prefix, mask] : s_->allow_own) {
    WhitelistEntry e{prefix, mask == kAllJails, {}};
    if (!e.global)
      for (JailSlot j = 0; j < kMaxJails; ++j)
        if ((mask & bit(j)) && !s_->names[j].empty())
          e.jails.push_back(s_->names[j]);
    out.push_back(std::move(e));
  }
  return out;
}

Result<EnforcerCounters> XdpEnforcer::counters() const {
  auto &s = *s_;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0)
    return Error::sys("count possible CPUs", -ncpu);
  EnforcerCounters out;
  out.map_full = s.map_full;
  std::vector<mcf2b_global_stats> g(static_cast<size_t>(ncpu));
  uint32_t zero = 0;
  if (auto r = s.stats_map.lookup(&zero, g.data()); !r)
    return r.error();
  for (const auto &c : g) {
    out.passed += c.passed;
    out.dropped += c.dropped;
    out.unparsable += c.unparsable;
    out.slow_path += c.slow_path;
  }
  std::vector<mcf2b_packet_count> per_cpu(static_cast<size_t>(ncpu));
  for (JailSlot j = 0; j < kMaxJails; ++j) {
    if (s.names[j].empty())
      continue;
    if (auto r = s.jail_stats_map.lookup(&j, per_cpu.data()); !r)
      return r.error();
    JailCounters jc{s.names[j], j, 0, 0};
    for (const auto &c : per_cpu) {
      jc.packets += c.packets;
      jc.bytes += c.bytes;
    }
    out.jails.push_back(std::move(jc));
  }
  return out;
}

} // namespace mcf2b
