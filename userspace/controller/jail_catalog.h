// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "userspace/controller/controller_error.h"
#include "userspace/model/jail.h"

namespace mcf2b {

using JailId = uint16_t;
using JailFamilyId = uint16_t;

// The jails the controller knows, grouped into families ("mc-exim" = mc-exim-1d, -1w,
// -1m, -1y and mc-exim-bl). Within a family, each jail that counts failures has a fixed
// tier (-1d, -1w, -1m, -1y, and a bare custom name "sshd"), so one failure window per
// (family, address) can serve every jail of the family. Jails are never removed: ids
// stay valid for the controller's lifetime.
class JailCatalog {
public:
  static constexpr int kTiers = 5; // -1d, -1w, -1m, -1y, bare name
  static constexpr int kNoTier = -1;

  struct Family {
    std::string name;
    std::array<std::optional<JailId>, kTiers> counting;
    std::optional<JailId> blacklist; // the family's -bl jail
    // Derived from the enabled counting jails: the most timestamps any of them needs
    // (the largest maxretry) and how far back any of them looks (the largest findtime).
    unsigned capacity = 0;
    Seconds horizon = 0;
  };

  // Adds a jail or replaces the one with the same name; returns its id.
  JailId upsert(const JailConfig &config);

  [[nodiscard]] size_t size() const { return jails_.size(); }
  [[nodiscard]] const JailConfig &config(JailId id) const { return jails_[id].config; }
  // Changing a config through here must be followed by refresh(family_of(id)).
  JailConfig &mutable_config(JailId id) { return jails_[id].config; }
  [[nodiscard]] JailFamilyId family_of(JailId id) const { return jails_[id].family; }
  [[nodiscard]] int tier_of(JailId id) const { return jails_[id].tier; }
  [[nodiscard]] bool is_blacklist_jail(JailId id) const {
    return families_[jails_[id].family].blacklist == id;
  }

  [[nodiscard]] size_t family_count() const { return families_.size(); }
  [[nodiscard]] const Family &family(JailFamilyId id) const { return families_[id]; }
  void refresh(JailFamilyId id);

  [[nodiscard]] std::optional<JailId> find(std::string_view name) const;
  [[nodiscard]] std::optional<JailFamilyId> find_family(std::string_view root) const;

  // A jail name, or a family root standing for several jails.
  enum class Scope : uint8_t {
    tiers,               // root -> its counting jails (MailCleaner's ban/unban/jail commands)
    tiers_and_blacklist, // root -> its counting jails and its -bl jail (whitelisting)
  };
  // The jails `name` stands for. Unknown names give an Error naming the closest
  // known jail and family names.
  [[nodiscard]] ControllerResult<std::vector<JailId>> resolve(std::string_view name,
                                                              Scope scope) const;
  // The family a name belongs to: a jail's family, or a family root itself.
  [[nodiscard]] ControllerResult<JailFamilyId> resolve_family(std::string_view name) const;
  [[nodiscard]] ControllerError unknown(std::string_view what, std::string_view name) const;

  // Up to `max` known jail and family names closest to `name` (edit distance).
  [[nodiscard]] std::vector<std::string> closest_names(std::string_view name, size_t max = 3) const;

  // A family without a -bl jail gets one (MailCleaner creates it dynamically for every
  // jail): permanent, on the ports of the family's first counting jail, disabled until
  // blacklisting needs it. Returns the ids created.
  std::vector<JailId> add_missing_blacklist_jails();

private:
  struct Entry {
    JailConfig config;
    JailFamilyId family = 0;
    int tier = kNoTier;
  };
  JailFamilyId family_for(std::string_view root);

  std::vector<Entry> jails_;
  std::vector<Family> families_;
  std::unordered_map<std::string, JailId> by_name_;
  std::unordered_map<std::string, JailFamilyId> family_by_name_;
};

} // namespace mcf2b
