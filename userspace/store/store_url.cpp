// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/store_url.h"

#include <charconv>

namespace mcf2b {
namespace {

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= s.size())
      return Error::msg("truncated percent escape");
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc() || p != s.data() + i + 3)
      return Error::msg("invalid percent escape '" + std::string(s.substr(i, 3)) + "'");
    out.push_back(static_cast<char>(value));
    i += 2;
  }
  return out;
}

Error url_error(std::string_view url, const std::string &why) {
  return Error::msg("state URL '" + std::string(url) + "': " + why +
                    " (expected sqlite:PATH or "
                    "mariadb://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?socket=PATH])");
}

Result<StoreUrl> parse_mariadb(std::string_view full, std::string_view rest) {
  MariadbUrl url;
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return url_error(full, "no database name");
  std::string_view authority = rest.substr(0, slash);
  auto db = percent_decode(rest.substr(slash + 1));
  if (!db)
    return url_error(full, db.error().what);
  url.database = std::move(*db);
  if (url.database.empty() || url.database.find('/') != std::string::npos)
    return url_error(full, "invalid database name");

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo, password;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      password = userinfo.substr(colon + 1);
    }
    auto u = percent_decode(user);
    auto p = percent_decode(password);
    if (!u || !p)
      return url_error(full, "invalid percent escape in user or password");
    url.user = std::move(*u);
    url.password = std::move(*p);
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') { // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return url_error(full, "unclosed '[' in host");
    host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority.front() != ':')
      return url_error(full, "unexpected text after ']'");
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    authority = authority.substr(colon);
  } else {
    authority = {};
  }
  if (!authority.empty()) { // ":port"
    std::string_view port = authority.substr(1);
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value == 0 || value > 65535)
      return url_error(full, "invalid port '" + std::string(port) + "'");
    url.port = value;
  }
  if (!host.empty())
    url.host = std::string(host);

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty())
      continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return url_error(full, "parameter '" + std::string(item) + "' has no value");
    auto value = percent_decode(item.substr(eq + 1));
    if (!value)
      return url_error(full, value.error().what);
    std::string_view key = item.substr(0, eq);
    if (key == "socket")
      url.socket = std::move(*value);
    else if (key == "journal")
      url.journal = std::move(*value);
    else
      return url_error(full, "unknown parameter '" + std::string(key) + "'");
  }
  return StoreUrl(std::move(url));
}

} // namespace

std::string MariadbUrl::display() const {
  std::string s = "mariadb://" + user + (password.empty() ? "" : ":***") + "@" + host;
  if (port)
    s += ":" + std::to_string(port);
  s += "/" + database;
  if (!socket.empty())
    s += "?socket=" + socket;
  return s;
}

Result<StoreUrl> parse_store_url(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    std::string_view path = url.substr(7);
    if (path.starts_with("//"))
      path.remove_prefix(2); // sqlite:///var/lib/x and sqlite:/var/lib/x both work
    if (path.empty())
      return url_error(url, "no file path");
    return StoreUrl(SqliteUrl{std::string(path)});
  }
  for (std::string_view scheme : {"mariadb://", "mysql://"})
    if (url.starts_with(scheme))
      return parse_mariadb(url, url.substr(scheme.size()));
  return url_error(url, "unknown scheme");
}

} // namespace mcf2b
