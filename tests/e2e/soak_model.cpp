// SPDX-License-Identifier: GPL-2.0-only
#include "tests/e2e/soak_model.h"

#include <algorithm>

namespace mcf2b::testing {

std::string family_of(const std::string &jail) {
  for (const char *suffix : {"-1d", "-1w", "-1m", "-1y", "-bl"}) {
    std::string s(suffix);
    if (jail.size() > s.size() && jail.compare(jail.size() - s.size(), s.size(), s) == 0)
      return jail.substr(0, jail.size() - s.size());
  }
  return jail;
}

std::vector<std::string> SoakModel::jails_of(const std::string &family) const {
  std::vector<std::string> out;
  for (const auto &j : jails_)
    if (family.empty() || family_of(j) == family)
      out.push_back(j);
  return out;
}

void SoakModel::ban(const std::string &jail, const std::string &ip, int64_t end, std::string why) {
  expect_[{jail, ip}] = Expect{true, end, std::move(why)};
}

void SoakModel::unban(const std::string &family, const std::string &ip, std::string why) {
  for (const auto &j : jails_of(family))
    expect_[{j, ip}] = Expect{false, 0, why};
}

void SoakModel::whitelist_add(const std::string &family, const std::string &ip, std::string why) {
  whitelist_[family].insert(ip);
  unban(family, ip, std::move(why));
}

void SoakModel::whitelist_remove(const std::string &family, const std::string &ip) {
  whitelist_[family].erase(ip);
}

void SoakModel::forget(const std::string &family, const std::string &ip) {
  for (const auto &j : jails_of(family))
    expect_.erase({j, ip});
}

bool SoakModel::whitelisted(const std::string &family, const std::string &ip) const {
  auto it = whitelist_.find(family);
  return it != whitelist_.end() && it->second.count(ip) > 0;
}

int64_t SoakModel::last_short_end() const {
  int64_t last = 0;
  for (const auto &[key, e] : expect_)
    if (e.present)
      last = std::max(last, e.end);
  return last;
}

std::vector<std::string> SoakModel::known_ips() const {
  std::set<std::string> ips;
  for (const auto &[key, e] : expect_)
    ips.insert(key.second);
  return {ips.begin(), ips.end()};
}

std::vector<std::string> SoakModel::violations(const BanSet &actual, int64_t now) const {
  std::vector<std::string> out;
  for (const auto &[key, e] : expect_) {
    bool there = actual.count(key) > 0;
    bool due = e.present && (e.end == 0 || e.end > now);
    std::string what = key.first + " " + key.second + " (" + e.why + ")";
    if (due && !there)
      out.push_back("promised ban lost: " + what);
    else if (e.present && !due && there)
      out.push_back("expired ban still in force: " + what);
    else if (!e.present && there)
      out.push_back("unban undone: " + what);
  }
  for (const auto &[family, ips] : whitelist_)
    for (const auto &[jail, ip] : actual)
      if (family_of(jail) == family && ips.count(ip))
        out.push_back("whitelisted address banned: " + jail + " " + ip);
  return out;
}

std::string difference(const std::string &a_name, const BanSet &a, const std::string &b_name,
                       const BanSet &b) {
  std::string only_a, only_b;
  for (const auto &k : a)
    if (!b.count(k))
      only_a += " " + k.first + "/" + k.second;
  for (const auto &k : b)
    if (!a.count(k))
      only_b += " " + k.first + "/" + k.second;
  if (only_a.empty() && only_b.empty())
    return {};
  return a_name + " only:" + (only_a.empty() ? " -" : only_a) + "; " + b_name +
         " only:" + (only_b.empty() ? " -" : only_b);
}

} // namespace mcf2b::testing
