// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/smtp_sender.h"

#include <curl/curl.h>

#include <charconv>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

#include "base/ip_address.h"

namespace mcf2b {
namespace {

struct CurlDeleter {
  void operator()(CURL *c) const { curl_easy_cleanup(c); }
};
struct MimeDeleter {
  void operator()(curl_mime *m) const { curl_mime_free(m); }
};
struct SlistDeleter {
  void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using MimeHandle = std::unique_ptr<curl_mime, MimeDeleter>;

// A curl_slist owned by RAII; append() keeps the list valid when curl fails to grow it.
class HeaderList {
public:
  bool append(const std::string &line) {
    curl_slist *grown = curl_slist_append(list_.get(), line.c_str());
    if (!grown)
      return false;
    (void)list_.release();
    list_.reset(grown);
    return true;
  }
  [[nodiscard]] curl_slist *get() const { return list_.get(); }

private:
  std::unique_ptr<curl_slist, SlistDeleter> list_;
};

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) |
                 uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0})
      out += kAlphabet[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size())
      v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string rfc5322_date(std::time_t t) {
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  static constexpr const char *kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char *kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char text[64];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return text;
}

bool helo_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

} // namespace

Result<std::string> smtp_url(const std::string &relay, const std::string &helo) {
  std::string host = relay, port = "25";
  if (!relay.empty() && relay.front() == '[') {
    size_t close = relay.find(']');
    if (close == std::string::npos)
      return Error::msg("mail_relay '" + relay + "': unclosed [");
    host = relay.substr(1, close - 1);
    if (close + 1 < relay.size()) {
      if (relay[close + 1] != ':')
        return Error::msg("mail_relay '" + relay + "': expected :PORT after ]");
      port = relay.substr(close + 2);
    }
    if (!IpAddress::parse(host))
      return Error::msg("mail_relay '" + relay + "': not an IPv6 address in []");
    host = "[" + host + "]";
  } else if (size_t colon = relay.rfind(':'); colon != std::string::npos) {
    host = relay.substr(0, colon);
    port = relay.substr(colon + 1);
  }
  uint16_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0)
    return Error::msg("mail_relay '" + relay + "': bad port");
  if (host.empty())
    return Error::msg("mail_relay '" + relay + "': no host");
  for (char c : host)
    if (!helo_char(c) && c != '[' && c != ']' && c != ':')
      return Error::msg("mail_relay '" + relay + "': bad host name");
  std::string ehlo;
  for (char c : helo)
    if (helo_char(c))
      ehlo += c;
  return "smtp://" + host + ":" + std::to_string(p) + "/" + (ehlo.empty() ? "mcf2b" : ehlo);
}

std::string from_header_value(const std::string &name, const std::string &address) {
  if (name.empty())
    return "<" + address + ">";
  bool ascii = true;
  for (unsigned char c : name)
    ascii = ascii && c >= 0x20 && c < 0x7f;
  if (!ascii) // RFC 2047: the bytes travel base64-encoded, never raw
    return "=?UTF-8?B?" + base64(name) + "?= <" + address + ">";
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  return quoted + "\" <" + address + ">";
}

SmtpSender::SmtpSender(SmtpOptions options) : options_(std::move(options)) { init_curl_once(); }

Status SmtpSender::send(const MailMessage &m) {
  // Checked when the message was built or read from the spool; checked again where it
  // matters, right before the values become header lines.
  for (const std::string *address : {&m.from, &m.to})
    if (auto st = check_mail_address(*address); !st)
      return st;
  if (auto st = check_mail_name(m.from_name); !st)
    return st;
  if (auto st = check_mail_name(m.subject); !st)
    return st;
  auto url = smtp_url(options_.relay, options_.helo);
  if (!url)
    return url.error();

  CurlHandle curl(curl_easy_init());
  if (!curl)
    return Error::msg("curl_easy_init failed");
  MimeHandle mime(curl_mime_init(curl.get()));
  if (!mime)
    return Error::msg("curl_mime_init failed");
  curl_mimepart *part = curl_mime_addpart(mime.get());
  if (!part || curl_mime_data(part, m.body.data(), m.body.size()) != CURLE_OK ||
      curl_mime_type(part, "text/plain; charset=utf-8") != CURLE_OK ||
      curl_mime_encoder(part, "quoted-printable") != CURLE_OK)
    return Error::msg("could not build the MIME body");

  HeaderList headers;
  std::string message_id = "<" + m.id + "@" + options_.helo + ".mcf2b.invalid>";
  for (const std::string &line :
       {"Date: " + rfc5322_date(static_cast<std::time_t>(m.created)),
        "From: " + from_header_value(m.from_name, m.from), "To: <" + m.to + ">",
        "Subject: " + m.subject, "Message-ID: " + message_id, std::string("Auto-Submitted: auto-generated")})
    if (!headers.append(line))
      return Error::msg("out of memory building the headers");
  HeaderList recipients;
  if (!recipients.append("<" + m.to + ">"))
    return Error::msg("out of memory building the envelope");
  std::string mail_from = "<" + m.from + ">";

  char error[CURL_ERROR_SIZE] = {};
  CURL *c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url->c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_MIMEPOST, mime.get());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  // The relay is local (exim on the host, by default): plain SMTP over loopback.
  curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    return Error::msg("SMTP to " + options_.relay + ": " +
                      (error[0] ? std::string(error) : std::string(curl_easy_strerror(rc))));
  return {};
}

} // namespace mcf2b
