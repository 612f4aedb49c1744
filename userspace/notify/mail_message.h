// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "userspace/model/mail_conf.h"
#include "userspace/notify/ban_notice.h"

namespace mcf2b {

// One mail as the spool keeps it and the sender sends it: the envelope and the parts
// that become headers (each a checked value: addresses, a jail name, an IP, the
// configured sender name) and a plain-text body. The MIME form is built from it by
// libcurl at send time (smtp_sender.h); nothing here is ever joined into header text.
struct MailMessage {
  std::string id;         // unique; the spool file's name and the Message-ID's left side
  std::string from;       // checked address
  std::string from_name;  // checked name (no control characters)
  std::string to;         // checked address
  std::string subject;    // built from checked values only
  std::string body;       // UTF-8 text, log lines escaped; may hold anything printable
  Seconds created = 0;

  [[nodiscard]] nlohmann::json to_json() const;
  static Result<MailMessage> from_json(const nlohmann::json &j);
};

// A log line made safe to show: control characters (CR, LF, ESC, NUL...) become visible
// escapes (\r, \n, \x1b), invalid UTF-8 bytes \xNN, and the line is cut at `max_bytes`.
std::string escape_log_line(std::string_view line, size_t max_bytes = 1000);

// The digest mail of one jail: every notice, its address, failures, ban end and its
// matched lines, which must be escaped already (escape_log_line; Mailer::notify does it). `conf` must carry a sender and a recipient (checked again
// here: a conf that is not fit for headers is an Error, never sent).
Result<MailMessage> build_ban_mail(const MailConf &conf, const std::string &node,
                                   const std::string &jail, const std::vector<BanNotice> &notices,
                                   Seconds now, const std::string &id);

} // namespace mcf2b
