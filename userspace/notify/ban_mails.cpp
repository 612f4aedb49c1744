// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/ban_mails.h"

#include <algorithm>
#include <filesystem>

#include "userspace/notify/ban_mail_policy.h"

namespace mcf2b {
namespace {
// fail2ban's default maxmatches is maxretry; a mail lists no more than this per address.
constexpr size_t kMaxLinesPerAddress = 50;
} // namespace

BanMails::BanMails(MailerOptions options, Mailer::ConfSource conf, Logger log_warning)
    : options_(std::move(options)), conf_(std::move(conf)), log_(std::move(log_warning)) {
  // Notices a previous run spooled go out now, not at the next ban.
  std::error_code ec;
  if (!std::filesystem::is_empty(options_.spool_dir, ec) && !ec)
    ensure_started();
}

bool BanMails::ensure_started() {
  if (mailer_)
    return true;
  if (start_failed_)
    return false;
  auto m = Mailer::start(options_, conf_, log_);
  if (!m) {
    start_failed_ = true; // said once; bans go on without mails
    if (log_)
      log_("ban mails off: " + m.error().message());
    return false;
  }
  mailer_ = std::move(*m);
  return true;
}

void BanMails::configure(const JailController &controller,
                         const std::map<std::string, JailLocalOptions> &local_options) {
  keep_.clear();
  for (const auto &j : controller.jails()) {
    auto family = controller.family(jail_family(j.name));
    if (!family)
      continue;
    int wanted = j.maxretry;
    if (auto it = local_options.find(j.name); it != local_options.end() && it->second.maxmatches > 0)
      wanted = it->second.maxmatches;
    if (keep_.size() <= *family)
      keep_.resize(*family + 1, 0);
    keep_[*family] =
        std::max(keep_[*family], std::min(static_cast<size_t>(std::max(wanted, 1)), kMaxLinesPerAddress));
  }
}

void BanMails::matched(JailFamilyId family, const IpPrefix &address, std::string_view line) {
  size_t keep = family < keep_.size() ? keep_[family] : 0;
  recent_.record(family, address, line, line.empty() ? 0 : keep);
}

void BanMails::banned(const Decisions &decisions, const JailController &controller) {
  for (const auto &b : decisions.bans) {
    const JailConfig *jail = controller.jail(b.jail);
    auto family = controller.family(jail_family(b.jail));
    if (!jail || !family)
      continue;
    auto notice = ban_notice_for(b, *jail, recent_.find(*family, b.prefix));
    if (notice && ensure_started())
      mailer_->notify(std::move(*notice));
  }
}

MailerStats BanMails::stats() const {
  return mailer_ ? mailer_->stats() : MailerStats{};
}

} // namespace mcf2b
