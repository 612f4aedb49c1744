// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mcf2b::testing {

// One ban as every view can show it: the jail and the address.
using BanKey = std::pair<std::string, std::string>;
using BanSet = std::set<BanKey>;

// "mc-exim-1d" -> "mc-exim"; a name without a tier or -bl suffix is its own family.
std::string family_of(const std::string &jail);

// What the soak driver was promised, kept as it goes: every command that answered ok
// (ban, unban, whitelist) and every ban the log must have produced. The final views are
// checked against it.
class SoakModel {
public:
  explicit SoakModel(std::vector<std::string> jails) : jails_(std::move(jails)) {}

  // A ban answered ok (or a log ban due): present until `end` (0: beyond the soak).
  void ban(const std::string &jail, const std::string &ip, int64_t end, std::string why);
  // An unban answered ok: gone from every tier of the family ("" : every jail).
  void unban(const std::string &family, const std::string &ip, std::string why);
  // A whitelist entry answered ok: gone from the family and never banned there again.
  void whitelist_add(const std::string &family, const std::string &ip, std::string why);
  void whitelist_remove(const std::string &family, const std::string &ip);
  // A command whose outcome is unknown (no answer): no promise either way.
  void forget(const std::string &family, const std::string &ip);

  [[nodiscard]] bool whitelisted(const std::string &family, const std::string &ip) const;
  // The latest end of a promised ban that ends during the soak (0: none).
  [[nodiscard]] int64_t last_short_end() const;
  // The addresses with a promise about them (for commands to pick from).
  [[nodiscard]] std::vector<std::string> known_ips() const;

  // Every broken promise in `actual` (taken at `now`), one line each.
  [[nodiscard]] std::vector<std::string> violations(const BanSet &actual, int64_t now) const;

private:
  struct Expect {
    bool present = false;
    int64_t end = 0;
    std::string why;
  };
  std::vector<std::string> jails_of(const std::string &family) const;

  std::vector<std::string> jails_;
  std::map<BanKey, Expect> expect_;
  std::map<std::string, std::set<std::string>> whitelist_; // family -> addresses
};

// "A only: ...; B only: ..." for two views that should agree; empty when equal.
std::string difference(const std::string &a_name, const BanSet &a, const std::string &b_name,
                       const BanSet &b);

} // namespace mcf2b::testing
