// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/memory_enforcer.h"

#include "base/log.h"

namespace mcf2b {
namespace {

bool live(Seconds end, Seconds now) { return end == 0 || end > now; }

void apply_to(std::map<std::string, MemoryEnforcer::Kernel::Bans> &held, const BanChange &c) {
  if (c.op == BanChange::Op::ban)
    held[c.jail][c.prefix] = c.expires;
  else if (auto it = held.find(c.jail); it != held.end())
    it->second.erase(c.prefix);
}

} // namespace

MemoryEnforcer::Kernel::Bans MemoryEnforcer::Kernel::bans(const std::string &jail) const {
  std::lock_guard lock(mutex_);
  auto it = held_.find(jail);
  return it == held_.end() ? Bans{} : it->second;
}

MemoryEnforcer::Kernel::Bans MemoryEnforcer::Kernel::mirrored(const std::string &jail) const {
  std::lock_guard lock(mutex_);
  auto it = mirror_.find(jail);
  return it == mirror_.end() ? Bans{} : it->second;
}

std::set<std::string> MemoryEnforcer::Kernel::jails() const {
  std::lock_guard lock(mutex_);
  return jails_;
}

std::set<std::pair<std::string, IpPrefix>> MemoryEnforcer::Kernel::whitelist() const {
  std::lock_guard lock(mutex_);
  return whitelist_;
}

std::vector<std::string> MemoryEnforcer::Kernel::attached() const {
  std::lock_guard lock(mutex_);
  return attached_;
}

uint64_t MemoryEnforcer::Kernel::flushes() const {
  std::lock_guard lock(mutex_);
  return flushes_;
}

void MemoryEnforcer::Kernel::hold(const std::string &jail, const IpPrefix &prefix, Seconds end) {
  std::lock_guard lock(mutex_);
  jails_.insert(jail);
  held_[jail][prefix] = end;
}

MemoryEnforcer::MemoryEnforcer(std::shared_ptr<Kernel> kernel) : kernel_(std::move(kernel)) {}

Status MemoryEnforcer::configure_jails(const std::vector<JailConfig> &jails) {
  std::lock_guard lock(kernel_->mutex_);
  for (const auto &j : jails) {
    std::string why;
    if (!parse_port_list(j.port, &why))
      return Error::msg("jail " + j.name + ": " + why);
    if (!kernel_->jails_.count(j.name) && kernel_->jails_.size() >= kMaxJails)
      return Error::msg("jail " + j.name + ": no free kernel slot (at most " +
                        std::to_string(kMaxJails) + " jails)");
    kernel_->jails_.insert(j.name);
  }
  return {};
}

Result<std::vector<std::string>> MemoryEnforcer::attach(const std::vector<std::string> &interfaces) {
  std::lock_guard lock(kernel_->mutex_);
  std::vector<std::string> lines;
  for (const auto &i : interfaces) {
    kernel_->attached_.push_back(i);
    lines.push_back(i + ": in memory");
  }
  return lines;
}

void MemoryEnforcer::apply(std::span<const BanChange> changes) {
  std::lock_guard lock(kernel_->mutex_);
  for (const auto &c : changes) {
    if (!kernel_->jails_.count(c.jail)) {
      ++apply_errors_;
      log_error("enforce " + c.jail + " " + c.prefix.to_string() + ": the jail has no slot");
      continue;
    }
    apply_to(kernel_->held_, c);
    queue_.push_back(c);
  }
}

Status MemoryEnforcer::flush() {
  if (queue_.empty())
    return {};
  std::lock_guard lock(kernel_->mutex_);
  for (const auto &c : queue_)
    apply_to(kernel_->mirror_, c);
  queue_.clear();
  ++kernel_->flushes_;
  return {};
}

Result<std::vector<EnforcedBan>> MemoryEnforcer::reconcile(std::vector<EnforcedBan> active,
                                                           Seconds now) {
  std::lock_guard lock(kernel_->mutex_);
  std::map<std::string, Kernel::Bans> wanted;
  for (const auto &b : active)
    if (live(b.expires, now))
      wanted[b.jail][b.prefix] = b.expires;
  std::vector<EnforcedBan> only_held;
  size_t changes = 0;
  for (auto &[jail, held] : kernel_->held_) {
    const auto &want = wanted[jail];
    for (auto it = held.begin(); it != held.end();) {
      if (want.count(it->first)) {
        ++it;
      } else if (!live(it->second, now)) {
        it = held.erase(it);
        ++changes;
      } else {
        only_held.push_back(EnforcedBan{jail, it->first, it->second});
        ++it;
      }
    }
  }
  for (const auto &[jail, want] : wanted)
    for (const auto &[prefix, end] : want) {
      if (!kernel_->jails_.count(jail)) {
        ++apply_errors_;
        continue;
      }
      auto &slot = kernel_->held_[jail][prefix];
      changes += slot != end;
      slot = end;
    }
  kernel_->mirror_ = kernel_->held_;
  last_reconcile_ = "in memory, " + std::to_string(changes) + " changes";
  return only_held;
}

Status MemoryEnforcer::sync_whitelist(const std::vector<IpPrefix> &global,
                                      const std::vector<std::pair<std::string, IpPrefix>> &per_jail) {
  std::lock_guard lock(kernel_->mutex_);
  kernel_->whitelist_.clear();
  for (const auto &p : global)
    kernel_->whitelist_.insert({"", p});
  for (const auto &[jail, p] : per_jail)
    if (kernel_->jails_.count(jail))
      kernel_->whitelist_.insert({jail, p});
  return {};
}

Status MemoryEnforcer::sweep(Seconds now) {
  std::lock_guard lock(kernel_->mutex_);
  for (auto &[jail, held] : kernel_->held_)
    for (auto it = held.begin(); it != held.end();) {
      if (live(it->second, now)) {
        ++it;
        continue;
      }
      queue_.push_back(BanChange::unban(jail, it->first));
      it = held.erase(it);
    }
  return {};
}

EnforcementCounters MemoryEnforcer::counters() const {
  EnforcementCounters out;
  out.apply_errors = apply_errors_;
  std::lock_guard lock(kernel_->mutex_);
  for (const auto &j : kernel_->jails_)
    out.jails.push_back({j, 0, 0});
  return out;
}

Result<std::vector<IpPrefix>> MemoryEnforcer::bans(const std::string &jail) const {
  std::vector<IpPrefix> out;
  for (const auto &[prefix, end] : kernel_->bans(jail))
    out.push_back(prefix);
  return out;
}

} // namespace mcf2b
