// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mail_message.h"

#include <ctime>

#include "base/json_integer.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {
namespace {

std::string utc_text(Seconds t) {
  if (t <= 0)
    return "never";
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return text;
}

// The length of the UTF-8 sequence starting at s[i], or 0 when it is not a valid one.
size_t utf8_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size())
    return 0;
  for (size_t k = 1; k < n; ++k)
    if ((byte(i + k) & 0xc0) != 0x80)
      return 0;
  return n;
}

} // namespace

std::string escape_log_line(std::string_view line, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(line.size());
  for (size_t i = 0; i < line.size();) {
    if (out.size() >= max_bytes) {
      out += " [...]";
      break;
    }
    auto c = static_cast<unsigned char>(line[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else if (c >= 0x80) {
      size_t n = utf8_length(line, i);
      if (n == 0) {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      } else {
        out.append(line.substr(i, n));
        i += n;
        continue;
      }
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return out;
}

nlohmann::json MailMessage::to_json() const {
  return {{"id", id},           {"from", from}, {"from_name", from_name}, {"to", to},
          {"subject", subject}, {"body", body}, {"created", created}};
}

Result<MailMessage> MailMessage::from_json(const nlohmann::json &j) {
  try {
    MailMessage m;
    m.id = j.at("id").get<std::string>();
    m.from = j.at("from").get<std::string>();
    m.from_name = j.at("from_name").get<std::string>();
    m.to = j.at("to").get<std::string>();
    m.subject = j.at("subject").get<std::string>();
    m.body = j.at("body").get<std::string>();
    auto created = json_integer<Seconds>(j, "created");
    if (!created)
      return created.error();
    m.created = *created;
    // A spool file is input too: what reaches headers is checked again.
    if (auto st = check_mail_address(m.from); !st)
      return st.error();
    if (auto st = check_mail_address(m.to); !st)
      return st.error();
    if (auto st = check_mail_name(m.from_name); !st)
      return st.error();
    if (auto st = check_mail_name(m.subject); !st)
      return Error::msg("the subject holds a control character");
    return m;
  } catch (const nlohmann::json::exception &e) {
    return Error::msg(std::string("malformed spooled mail: ") + e.what());
  }
}

Result<MailMessage> build_ban_mail(const MailConf &conf, const std::string &node,
                                   const std::string &jail, const std::vector<BanNotice> &notices,
                                   Seconds now, const std::string &id) {
  if (auto st = check_mail_address(conf.src_email); !st)
    return st.error().context("sender");
  if (auto st = check_mail_address(conf.dest_email); !st)
    return st.error().context("recipient");
  if (auto st = check_mail_name(conf.src_name); !st)
    return st.error();
  if (auto st = check_jail_name(jail); !st)
    return st.error();
  if (notices.empty())
    return Error::msg("no ban to mail");
  // The node name comes from the host or the configuration: shown escaped all the same.
  std::string host = escape_log_line(node, 100);
  MailMessage m;
  m.id = id;
  m.from = conf.src_email;
  m.from_name = conf.src_name;
  m.to = conf.dest_email;
  m.created = now;
  bool blacklist = notices.front().blacklisted;
  if (notices.size() == 1)
    m.subject = std::string("[mcf2b] ") + (blacklist ? "blacklisted " : "banned ") +
                notices.front().address + " in " + jail;
  else
    m.subject = "[mcf2b] " + std::to_string(notices.size()) + " addresses " +
                (blacklist ? "blacklisted" : "banned") + " in " + jail;
  if (auto st = check_mail_name(m.subject); !st) // an address text is checked; belt and braces
    return Error::msg("a ban mail subject would hold a control character");

  std::string &b = m.body;
  b = "mcf2b on " + host + " " + (notices.size() == 1 ? "banned one address" : "banned " +
      std::to_string(notices.size()) + " addresses") + " in jail " + jail + ".\n\n";
  for (const BanNotice &n : notices) {
    b += "Address:  " + n.address + "\n";
    b += "Jail:     " + n.jail + (n.blacklisted ? " (blacklisted: banned for good)" : "") + "\n";
    b += "Failures: " + std::to_string(n.failures) + "\n";
    b += "Banned:   " + utc_text(n.banned_at) + "\n";
    b += "Until:    " + (n.ban_end == 0 ? std::string("permanent") : utc_text(n.ban_end)) + "\n";
    if (!n.matches.empty()) {
      b += "Matched lines (escaped):\n";
      for (const auto &line : n.matches) {
        // Escaped when handed over (Mailer::notify); a control character left (a spool
        // file edited by hand) is blotted out, never sent.
        std::string shown = line;
        for (char &c : shown)
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
        b += "  | " + shown + "\n";
      }
    }
    b += "\n";
  }
  b += "-- \nmcf2b, the MailCleaner Fail2Ban replacement.\n";
  return m;
}

} // namespace mcf2b
