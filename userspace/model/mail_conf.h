// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace mcf2b {

// Who MailCleaner's ban mails come from and go to: the one row of
// mc_config.fail2ban_conf (src_email, src_name, dest_email), replicated like every
// other setting. An empty dest_email means no mail is sent.
struct MailConf {
  std::string src_email;
  std::string src_name;
  std::string dest_email;

  bool operator==(const MailConf &) const = default;
};

// A mail address fit for an SMTP envelope and a header: local@domain, printable ASCII
// without spaces, angle brackets, quotes, commas or control characters (CR/LF above all),
// at most 150 characters (the column's width). Returns why it is not, as an Error.
Status check_mail_address(std::string_view address);
// A sender display name: printable text (UTF-8 allowed), no control characters, at most
// 150 bytes.
Status check_mail_name(std::string_view name);

} // namespace mcf2b
