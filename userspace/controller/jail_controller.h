// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/controller/ban_escalation.h"
#include "userspace/controller/ban_table.h"
#include "userspace/controller/clock.h"
#include "userspace/controller/controller_error.h"
#include "userspace/controller/decisions.h"
#include "userspace/controller/failure_windows.h"
#include "userspace/controller/forgiven_failures.h"
#include "userspace/controller/jail_catalog.h"
#include "userspace/controller/prefix_set.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"
#include "userspace/model/jail_local_options.h"

namespace mcf2b {

struct JailControllerOptions {
  // Failure windows kept at most (one per family and address); the least recently
  // failing address is evicted beyond it.
  size_t max_tracked = 1'000'000;
  // This node's name, written into the records of bans it decides (fail2ban_ips.host).
  std::string node;
};

// Counters for metrics and status.
struct JailControllerStats {
  uint64_t failures = 0;           // failure events received
  uint64_t ignored = 0;            // from loopback, own, cluster or ignore-listed addresses
  uint64_t too_old = 0;            // older than every findtime of their family
  uint64_t forgiven = 0;           // from before an admin lifted the address's ban there
  uint64_t whitelisted = 0;        // failures not counted by a jail that whitelists the address
  uint64_t wide_prefixes = 0;      // prefix failures wider than /24 or /48: never auto-banned
  uint64_t already_banned = 0;     // thresholds reached by an address already banned there
  uint64_t evictions = 0;          // failure windows evicted by the max_tracked bound
  uint64_t window_expirations = 0; // failure windows dropped because they aged out
  size_t tracked = 0;              // failure windows held now
};

struct JailStats {
  uint64_t failures = 0; // failures counted by this jail
  uint64_t bans = 0;     // bans decided (by failures, commands or blacklisting)
  size_t active = 0;     // active bans now
};

// Flags of a manual ban request.
struct BanRequest {
  // Required for prefixes wider than /24 (IPv4) or /48 (IPv6).
  bool confirm_wide = false;
  // The ban's length instead of the jail's bantime; -1 = permanent.
  std::optional<Seconds> bantime;
};

struct RestoreSummary {
  size_t restored = 0;                    // records taken
  size_t merged = 0;                      // duplicate (ip, jail) records merged into one
  size_t expired = 0;                     // active records whose ban had ended: unbanned
  std::vector<std::string> unknown_jails; // jails named by records but not configured
};

// MailCleaner's jail logic as a pure, deterministic state machine: failures, commands,
// configuration changes and the passing of time go in; Decisions (bans, unbans, rows to
// persist) come out as values for the daemon to apply. No threads, no I/O, no sleeping:
// time comes from the injected Clock.
//
// - Failure windows per (jail, address), exact sliding windows, bounded memory
//   (FailureWindows). Failures older than findtime relative to now do not count.
// - maxretry within findtime -> a ban for bantime in that jail, unless the address is
//   already banned there. Each tier of a family is an independent jail.
// - Ban counts per (ip, jail); with max_count on (> 0), a ban that makes the count exceed
//   it also bans the address permanently in the family's -bl jail (blacklisted).
// - Never banned: loopback, this host's addresses, the cluster's nodes, the global
//   ignore list, and each jail's whitelist.
// - Every ban has an end; tick() lifts the ended ones.
class JailController {
public:
  explicit JailController(const Clock &clock, JailControllerOptions options = {});

  // ---- configuration -------------------------------------------------------------
  // Takes the jails (fail2ban_jail rows); jails already known are replaced. Families
  // without a -bl jail get one (reported in Decisions::jails, to be stored). Invalid
  // jails are left out and reported in `rejected` (one Error naming each); the others
  // are taken.
  Decisions configure(const std::vector<JailConfig> &jails, std::vector<Error> *rejected = nullptr);
  // Adds or replaces one jail (a jail file imported, a change from the cluster).
  ControllerResult<Decisions> update_jail(const JailConfig &config);
  // jail enable / jail disable; a family root means its four tiers. Disabling lifts the
  // jail's bans and resets its ban counts (MailCleaner deletes its rows; whitelist
  // entries are kept here).
  ControllerResult<Decisions> enable_jail(std::string_view name);
  ControllerResult<Decisions> disable_jail(std::string_view name);
  // general enable / general disable: every jail.
  Decisions enable_all();
  Decisions disable_all();
  // jail change -j NAME --option findtime|bantime|maxretry|max_count -v VALUE. One jail
  // only: a family root is refused (equal values on all tiers break the escalation).
  ControllerResult<Decisions> change_jail(std::string_view name, std::string_view option,
                                          int64_t value);
  // general enable-bl -v N: max_count N (>= 1) on every jail, -bl jails enabled.
  ControllerResult<Decisions> enable_blacklist(int max_count);
  // general disable-bl: max_count off everywhere, -bl jails disabled and their bans
  // lifted, blacklisted rows reset (MailCleaner deletes them).
  Decisions disable_blacklist();
  // blacklist disable -j NAME: max_count off for that jail (or family); the family's -bl
  // jail is disabled and emptied once no jail of the family blacklists any more.
  ControllerResult<Decisions> disable_blacklist(std::string_view name);

  // What a jail file says beyond the stored row; the controller uses its
  // bantime.increment (fail2ban's escalation: the nth ban of an address lasts longer).
  // Refused, and the jail keeps its fixed bantime, for an unknown jail, a formula mcf2b
  // cannot evaluate, and a jail of a MailCleaner family with tiers or its -bl jail (the
  // tiers are that family's escalation). Options without increment clear it.
  ControllerStatus set_local_options(std::string_view name, const JailLocalOptions &options);
  // Where bantime.rndtime's random fraction in [0, 1) comes from (fail2ban's random());
  // unset: a generator seeded at random. Tests inject a fixed one.
  void set_random_source(std::function<double()> fraction) { random_ = std::move(fraction); }

  // Never-ban lists. Own addresses and cluster nodes also make manual bans fail.
  void set_own_addresses(const std::vector<IpAddress> &addresses);
  void set_cluster_nodes(const std::vector<IpAddress> &addresses);
  void set_ignore_list(const std::vector<IpPrefix> &prefixes);

  // ---- events --------------------------------------------------------------------
  // The family a failure source feeds ("mc-exim": its tiers read one log). Resolve once,
  // then pass the id with each failure.
  [[nodiscard]] ControllerResult<JailFamilyId> family(std::string_view name) const;
  // A failure of `address` logged at `time` (the line's own timestamp).
  Decisions failure(JailFamilyId family, const IpAddress &address, Seconds time);
  // A failure of a prefix a log line named (<SUBNET>): counted in a window of its own
  // and banned as a whole at the threshold, like an address. A prefix that covers any
  // never-banned address is ignored; a jail whose whitelist overlaps it does not count
  // it; one wider than /24 (IPv4) or /48 (IPv6) is never banned automatically, since
  // manual bans that wide need a confirmation: it is counted (wide_prefixes) and
  // dropped. A host prefix is the address's failure.
  Decisions failure(JailFamilyId family, const IpPrefix &prefix, Seconds time);
  // Wider than /24 (IPv4) or /48 (IPv6): banned only by hand, with a confirmation.
  [[nodiscard]] static bool needs_confirmation(const IpPrefix &prefix);
  // Whether a failure at `time` is recent enough for some window of the family (one
  // that is not is counted as too old and changes nothing).
  [[nodiscard]] bool within_horizon(JailFamilyId family, Seconds time) const;
  ControllerResult<Decisions> failure(std::string_view family, const IpAddress &address,
                                      Seconds time);

  // ban / unban -j NAME -i PREFIX; a family root means its four tiers. Refuses this
  // host's addresses, cluster nodes and loopback, addresses the jail whitelists, and
  // wide prefixes without confirmation. Banning an already banned address is not an
  // error (it stays as it is); unbanning one that is not banned anywhere named is.
  ControllerResult<Decisions> ban(std::string_view name, const IpPrefix &prefix,
                                  BanRequest request = {});
  ControllerResult<Decisions> unban(std::string_view name, const IpPrefix &prefix);
  // blacklist add / remove -j NAME -i PREFIX: the family's -bl jail, permanently.
  ControllerResult<Decisions> blacklist_add(std::string_view name, const IpPrefix &prefix,
                                            BanRequest request = {});
  ControllerResult<Decisions> blacklist_remove(std::string_view name, const IpPrefix &prefix);
  // whitelist add / remove -j NAME -i PREFIX; a family root means its tiers and its -bl
  // jail. Adding lifts the bans it covers at once.
  // A range wider than /24 (IPv4) or /48 (IPv6) lifts every ban inside it: like a ban
  // of that width it needs `confirm_wide`.
  ControllerResult<Decisions> whitelist_add(std::string_view name, const IpPrefix &prefix,
                                            bool confirm_wide = false);
  ControllerResult<Decisions> whitelist_remove(std::string_view name, const IpPrefix &prefix);

  // A fail2ban_ips row another cluster node wrote (read from the change log): the
  // local state takes it as it is, with its own start and end, so a ban ends at the
  // same moment on every node. Returns only what to enforce; the store has the row.
  Decisions apply_replicated(const BanRecord &record);

  // A ban the kernel enforces that the store lost (a daemon died between enforcing and
  // storing it), found by the start-up reconcile: taken as it is, with its end, without
  // counting a ban or promoting to the -bl jail (nothing was decided now). Returns the
  // row to store; refused (and left to the kernel alone) for an unknown or disabled jail
  // and for a never-banned or whitelisted prefix.
  Result<Decisions> adopt_kernel_ban(std::string_view jail, const IpPrefix &prefix, Seconds end);

  // A ban in force in another tool (fail2ban's database), taken with its own start, end
  // (0 = permanent) and ban count: enforced and stored, but not counted as a ban decided
  // here and never promoted to the -bl jail now; the count carries on from it. One jail,
  // never a family root. Refused, with the reason, for an unknown jail (the closest names)
  // or a disabled one, an end already passed, a never-banned or whitelisted prefix, and
  // an address already banned there.
  ControllerResult<Decisions> import_ban(std::string_view jail, const IpPrefix &prefix,
                                         Seconds start, Seconds end, int count);

  // Time passed: lifts the bans that have ended, drops aged-out failure windows.
  Decisions tick();
  // When tick() next has something to do (for a timer), if anything is scheduled.
  [[nodiscard]] std::optional<Seconds> next_expiry() const;

  // Loads the store's rows at start (before any event), as the store reads them: add()
  // each row, then finish() once. Bans that ended while the daemon was down are lifted
  // in the decisions finish() returns; duplicate rows for one (ip, jail) are merged;
  // rows of unknown jails are left to the store and named.
  class Restorer {
  public:
    void add(const BanRecord &record);
    RestoreSummary finish(Decisions &out);

  private:
    friend class JailController;
    Restorer(JailController &controller, size_t expected_rows);
    JailController &c_;
    Seconds now_;
    RestoreSummary summary_;
    std::vector<BanTable::Entry *> created_; // rows this restore created, in order
    // The previous row's jail and host: a million rows name a handful of each.
    std::string last_jail_;
    std::optional<JailId> last_jail_id_;
    std::string last_host_;
    uint16_t last_host_index_ = 0;
  };
  // `expected_rows`, when known, saves the table its growing.
  Restorer restorer(size_t expected_rows = 0);
  // The same for rows already in memory.
  RestoreSummary restore(const std::vector<BanRecord> &records, Decisions &out);

  // ---- queries -------------------------------------------------------------------
  [[nodiscard]] std::optional<BanRecord> record(std::string_view jail,
                                                const IpPrefix &prefix) const;
  [[nodiscard]] std::vector<BanRecord> records() const;
  [[nodiscard]] std::vector<BanRecord> active_bans(std::string_view jail) const;
  // Every active ban, as the enforcers must hold it (without a record per ban).
  [[nodiscard]] std::vector<EnforcedBan> enforced_bans() const;
  [[nodiscard]] bool is_banned(std::string_view jail, const IpPrefix &prefix) const;
  [[nodiscard]] const JailConfig *jail(std::string_view name) const;
  [[nodiscard]] std::vector<JailConfig> jails() const;
  [[nodiscard]] std::vector<IpPrefix> whitelist(std::string_view jail) const;
  // Every jail's whitelist, as (jail, prefix) pairs.
  [[nodiscard]] std::vector<std::pair<std::string, IpPrefix>> whitelist_entries() const;
  // The jails a name stands for (errors name the closest known names).
  [[nodiscard]] ControllerResult<std::vector<std::string>> resolve(std::string_view name) const;
  [[nodiscard]] JailControllerStats stats() const;
  [[nodiscard]] ControllerResult<JailStats> jail_stats(std::string_view name) const;
  [[nodiscard]] const FailureWindows &windows() const { return windows_; }
  // Whether automatic bans skip this address whatever the jail.
  [[nodiscard]] bool never_banned(const IpAddress &address) const;
  // A prefix covering any never-banned address is never banned either.
  [[nodiscard]] bool never_banned(const IpPrefix &prefix) const;

private:
  struct JailRuntime {
    PrefixSet whitelist;
    JailStats stats;
    std::optional<BanEscalation> escalation; // bantime.increment, when the jail has it
  };

  // The length of the next ban of `prefix` in `jail`: its bantime, escalated by the
  // jail's bantime.increment over the address's earlier bans (jail_escalation.cpp).
  Seconds escalated_bantime(JailId jail, const IpPrefix &prefix, Seconds bantime);

  void sync_family(JailFamilyId family);
  // The whitelist, window and threshold part of a failure (Target: IpAddress or
  // IpPrefix) in each enabled jail of its family.
  template <class Target>
  void count_failure(JailFamilyId family, const Target &target, Seconds time, Decisions &out);
  unsigned tier_mask(JailFamilyId family) const;
  // Applies a ban to an inactive row; counts it and promotes to the -bl jail when the
  // count passes max_count. Returns false when the row was already active.
  bool apply_ban(JailId jail, const IpPrefix &prefix, Seconds now, Seconds bantime, BanCause cause,
                 Decisions &out);
  void blacklist(JailFamilyId family, const IpPrefix &prefix, Seconds now, Decisions &out);
  void lift(const BanTable::Key &key, BanTable::Row &row, UnbanReason reason, Decisions &out);
  void emit_record(const BanTable::Key &key, const BanTable::Row &row, Decisions &out) const;
  BanRecord to_record(const BanTable::Key &key, const BanTable::Row &row) const;
  void emit_jail(JailId jail, Decisions &out) const;
  ControllerStatus check_manual(JailId jail, const IpPrefix &prefix,
                                const BanRequest &request) const;
  ControllerStatus check_target(const IpPrefix &prefix, const BanRequest &request) const;
  void set_enabled(const std::vector<JailId> &jails, bool enabled, Decisions &out);
  void disable_blacklisting(const std::vector<JailId> &jails, Decisions &out);
  static ControllerStatus validate(const JailConfig &config);

  const Clock &clock_;
  JailControllerOptions options_;
  uint16_t node_host_ = 0;
  JailCatalog catalog_;
  std::vector<JailRuntime> runtime_; // by JailId
  FailureWindows windows_;
  ForgivenFailures forgiven_; // failures from before an admin's unban
  BanTable table_;
  PrefixSet own_, cluster_, ignore_;
  JailControllerStats stats_;
  std::function<double()> random_;
};

} // namespace mcf2b
