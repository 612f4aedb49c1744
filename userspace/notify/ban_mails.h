// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "userspace/controller/jail_controller.h"
#include "userspace/notify/mail_line_history.h"
#include "userspace/model/jail_local_options.h"
#include "userspace/notify/mailer.h"

namespace mcf2b {

// The daemon's one handle on MailCleaner's ban mails: it keeps the matched lines of
// failing addresses, picks the bans a jail mails (ban_mail_policy.h) and hands them to
// the Mailer, started on the first such ban (or at once when the spool holds notices a
// previous run left). Everything here runs on the daemon's thread and does no I/O but
// the mailer's start; delivery happens on the mailer's own thread.
class BanMails {
public:
  using Logger = Mailer::Logger;
  BanMails(MailerOptions options, Mailer::ConfSource conf, Logger log_warning);

  // How many matched lines each family keeps per address: the largest maxmatches (or
  // maxretry) of its jails. Call whenever the jails change.
  void configure(const JailController &controller,
                 const std::map<std::string, JailLocalOptions> &local_options);
  // A failure and the log line it came from (empty when the line is not known).
  void matched(JailFamilyId family, const IpPrefix &address, std::string_view line);
  // Bans decided from the logs: the ones their jail mails go to the mailer.
  void banned(const Decisions &decisions, const JailController &controller);

  [[nodiscard]] MailerStats stats() const;
  // The matched lines kept per (family, address), for whoever else reports bans.
  [[nodiscard]] const MailLineHistory &recent() const { return recent_; }

private:
  bool ensure_started();

  MailerOptions options_;
  Mailer::ConfSource conf_;
  Logger log_;
  std::unique_ptr<Mailer> mailer_;
  bool start_failed_ = false;
  MailLineHistory recent_;
  std::vector<size_t> keep_; // lines kept per family id
};

} // namespace mcf2b
