// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/jail_catalog.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace mcf2b {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The tier of a jail inside its family, from its suffix.
int tier_for(std::string_view name, std::string_view root) {
  std::string_view suffix = name.substr(root.size());
  for (int i = 0; i < 4; ++i)
    if (suffix == kTierSuffixes[i])
      return i;
  if (suffix.empty())
    return 4;
  return JailCatalog::kNoTier; // -bl
}

} // namespace

JailFamilyId JailCatalog::family_for(std::string_view root) {
  auto it = family_by_name_.find(std::string(root));
  if (it != family_by_name_.end())
    return it->second;
  if (families_.size() >= std::numeric_limits<JailFamilyId>::max())
    throw std::length_error("too many jail families");
  auto id = static_cast<JailFamilyId>(families_.size());
  Family family;
  family.name = std::string(root);
  families_.push_back(std::move(family));
  family_by_name_.emplace(std::string(root), id);
  return id;
}

JailId JailCatalog::upsert(const JailConfig &config) {
  if (auto existing = find(config.name)) {
    jails_[*existing].config = config;
    refresh(jails_[*existing].family);
    return *existing;
  }
  if (jails_.size() >= std::numeric_limits<JailId>::max())
    throw std::length_error("too many jails");
  auto id = static_cast<JailId>(jails_.size());
  std::string_view root = jail_family(config.name);
  JailFamilyId family = family_for(root);
  int tier = tier_for(config.name, root);
  jails_.push_back(Entry{config, family, tier});
  by_name_.emplace(config.name, id);
  if (tier == kNoTier)
    families_[family].blacklist = id;
  else
    families_[family].counting[static_cast<size_t>(tier)] = id;
  refresh(family);
  return id;
}

void JailCatalog::refresh(JailFamilyId id) {
  Family &f = families_[id];
  f.capacity = 0;
  f.horizon = 0;
  for (const auto &jail : f.counting) {
    if (!jail || !jails_[*jail].config.enabled)
      continue;
    const JailConfig &c = jails_[*jail].config;
    f.capacity = std::max(f.capacity, static_cast<unsigned>(std::max(c.maxretry, 1)));
    f.horizon = std::max(f.horizon, c.findtime);
  }
}

std::optional<JailId> JailCatalog::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end())
    return std::nullopt;
  return it->second;
}

std::optional<JailFamilyId> JailCatalog::find_family(std::string_view root) const {
  auto it = family_by_name_.find(std::string(root));
  if (it == family_by_name_.end())
    return std::nullopt;
  return it->second;
}

ControllerResult<std::vector<JailId>> JailCatalog::resolve(std::string_view name,
                                                           Scope scope) const {
  if (auto id = find(name))
    return std::vector<JailId>{*id};
  auto family = find_family(name);
  if (!family)
    return unknown("jail", name);
  std::vector<JailId> ids;
  const Family &f = families_[*family];
  for (const auto &jail : f.counting)
    if (jail)
      ids.push_back(*jail);
  if (scope == Scope::tiers_and_blacklist && f.blacklist)
    ids.push_back(*f.blacklist);
  if (ids.empty())
    return unknown("jail", name);
  return ids;
}

ControllerResult<JailFamilyId> JailCatalog::resolve_family(std::string_view name) const {
  if (auto id = find(name))
    return jails_[*id].family;
  if (auto family = find_family(name))
    return *family;
  return unknown("jail or family", name);
}

ControllerError JailCatalog::unknown(std::string_view what, std::string_view name) const {
  std::string message = "unknown " + std::string(what) + " '" + std::string(name) + "'";
  auto closest = closest_names(name);
  if (!closest.empty()) {
    message += "; closest: ";
    for (size_t i = 0; i < closest.size(); ++i)
      message += (i ? ", " : "") + closest[i];
  }
  return ControllerError::not_found(message);
}

std::vector<std::string> JailCatalog::closest_names(std::string_view name, size_t max) const {
  std::vector<std::pair<size_t, std::string>> scored;
  for (const auto &e : jails_)
    scored.emplace_back(edit_distance(name, e.config.name), e.config.name);
  for (const auto &f : families_)
    if (!find(f.name)) // a root that is not itself a jail
      scored.emplace_back(edit_distance(name, f.name), f.name);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> names;
  for (auto &[distance, n] : scored) {
    if (names.size() == max)
      break;
    names.push_back(std::move(n));
  }
  return names;
}

std::vector<JailId> JailCatalog::add_missing_blacklist_jails() {
  std::vector<JailId> created;
  for (JailFamilyId id = 0; id < families_.size(); ++id) {
    if (families_[id].blacklist)
      continue;
    const JailConfig *model = nullptr;
    for (const auto &jail : families_[id].counting)
      if (jail && !model)
        model = &jails_[*jail].config;
    if (!model)
      continue;
    JailConfig bl;
    bl.name = families_[id].name + std::string(kBlacklistSuffix);
    bl.enabled = false;
    bl.maxretry = 1;
    bl.findtime = 1;
    bl.bantime = -1;
    bl.port = model->port;
    bl.filter = model->filter;
    bl.banaction = model->banaction;
    bl.logpath = model->logpath;
    bl.max_count = -1;
    created.push_back(upsert(bl)); // invalidates `model`, which is not used after this
  }
  return created;
}

} // namespace mcf2b
