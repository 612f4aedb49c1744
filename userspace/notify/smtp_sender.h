// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <string>

#include "base/result.h"
#include "userspace/notify/mail_message.h"

namespace mcf2b {

struct SmtpOptions {
  std::string relay = "127.0.0.1:25"; // host:port, [v6]:port
  std::string helo = "mcf2b";         // the EHLO name (letters, digits, '.', '-')
  std::chrono::seconds timeout{30};   // for one whole delivery
};

// Parses "host[:port]" / "[v6]:port" into an smtp:// URL; an Error for anything else.
Result<std::string> smtp_url(const std::string &relay, const std::string &helo);

// Delivers one MailMessage to an SMTP relay with libcurl. libcurl builds the MIME
// message (curl_mime: a text/plain part, quoted-printable, so no body line can end the
// headers or the DATA phase); the header lines are made only of checked values (the
// addresses, the sender name, RFC 2047-encoded when it is not plain ASCII, and a subject
// of checked values). Blocking: the mailer's worker thread calls it, never the ban path.
class SmtpSender {
public:
  explicit SmtpSender(SmtpOptions options);
  // Ok once the relay accepted the message (250 after DATA); an Error otherwise, with
  // libcurl's reason.
  Status send(const MailMessage &message);

private:
  SmtpOptions options_;
};

// The From header's value: `"Name" <address>`, or the address alone for an empty name.
std::string from_header_value(const std::string &name, const std::string &address);

} // namespace mcf2b
