// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/ban_mail_policy.h"

namespace mcf2b {

std::optional<BanNotice> ban_notice_for(const BanDecision &ban, const JailConfig &jail,
                                        const MailLineHistory::Entry *matches) {
  bool promoted = ban.cause == BanCause::blacklist && jail.name.ends_with(kBlacklistSuffix);
  bool wanted = promoted ? jail.send_mail_bl : ban.cause == BanCause::failures && jail.send_mail;
  if (!wanted)
    return std::nullopt;
  BanNotice n;
  n.jail = ban.jail;
  n.address = ban.prefix.to_string();
  n.banned_at = ban.start;
  n.ban_end = ban.end;
  n.blacklisted = promoted;
  if (matches) {
    n.failures = matches->failures;
    n.matches = matches->lines();
  }
  return n;
}

} // namespace mcf2b
