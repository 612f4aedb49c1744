// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/journal_entry.h"

#include <cinttypes>
#include <cstdio>

namespace mcf2b::matcher {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_digit_in(char c, int base) {
  if (c >= '0' && c <= '9')
    return c - '0' < base;
  char l = static_cast<char>(c | 0x20);
  return base == 16 && l >= 'a' && l <= 'f';
}
int digit_value(char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

// Python's int(text, base) for base 10 or 0 (0x / 0o / 0b prefixes): the value as
// decimal text, or nullopt where Python raises ValueError.
std::optional<std::string> python_int(std::string_view s, bool base0) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (base0 && s.size() >= 2 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
    if (base != 10) {
      s.remove_prefix(2);
      if (!s.empty() && s.front() == '_') // Python allows "0x_1f"
        s.remove_prefix(1);
    }
  }
  if (s.empty())
    return std::nullopt;
  std::string digits;
  bool last_underscore = true; // no leading underscore
  for (char c : s) {
    if (c == '_') {
      if (last_underscore)
        return std::nullopt;
      last_underscore = true;
      continue;
    }
    if (!is_digit_in(c, base))
      return std::nullopt;
    digits += c;
    last_underscore = false;
  }
  if (last_underscore)
    return std::nullopt;
  if (base == 10) {
    size_t nz = digits.find_first_not_of('0');
    // Base 0 refuses a decimal with leading zeros ("010"), but not "00".
    if (base0 && nz != std::string::npos && nz > 0)
      return std::nullopt;
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
  } else {
    uint64_t v = 0;
    for (char c : digits) {
      if (v > (UINT64_MAX - static_cast<uint64_t>(digit_value(c))) / static_cast<uint64_t>(base))
        return std::nullopt; // beyond what any process id is
      v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit_value(c));
    }
    digits = std::to_string(v);
  }
  if (negative && digits != "0")
    digits.insert(0, "-");
  return digits;
}

// Python's repr() of a bytes object, which fail2ban prints for a process id that is not
// a number ("[%s]" % b'...').
std::string bytes_repr(std::string_view b) {
  bool has_single = b.find('\'') != std::string_view::npos;
  char quote = has_single && b.find('"') == std::string_view::npos ? '"' : '\'';
  std::string out = "b";
  out += quote;
  for (unsigned char c : b) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

// The "[PID]" fail2ban appends to the identifier, or nothing for a false value. The
// journal reader converts SYSLOG_PID and _PID with int(); what int() refuses stays bytes.
std::string pid_suffix(const JournalEntry &e) {
  auto converted = [](std::string_view raw) -> std::optional<std::string> {
    if (raw.empty())
      return std::nullopt; // b'' is false
    if (auto v = python_int(raw, false))
      return *v == "0" ? std::nullopt : std::optional<std::string>("[" + *v + "]");
    // "[%i]" % bytes fails; int(bytes, 0) is tried, then the bytes are printed.
    if (auto v = python_int(raw, true))
      return "[" + *v + "]";
    return "[" + bytes_repr(raw) + "]";
  };
  if (auto v = converted(e.syslog_pid))
    return *v;
  return converted(e.pid).value_or("");
}

std::optional<uint64_t> unsigned_number(std::string_view s) {
  auto v = python_int(s, false);
  if (!v || v->front() == '-' || v->size() > 19)
    return std::nullopt;
  return std::stoull(*v);
}

} // namespace

void JournalEntry::take(std::string_view datum) {
  size_t eq = datum.find('=');
  if (eq == std::string_view::npos)
    return;
  std::string_view field = datum.substr(0, eq), value = datum.substr(eq + 1);
  if (field == "MESSAGE")
    messages.push_back(value);
  else if (field == "_HOSTNAME" && hostname.empty())
    hostname = value;
  else if (field == "SYSLOG_IDENTIFIER" && syslog_identifier.empty())
    syslog_identifier = value;
  else if (field == "_COMM" && comm.empty())
    comm = value;
  else if (field == "SYSLOG_PID" && syslog_pid.empty())
    syslog_pid = value;
  else if (field == "_PID" && pid.empty())
    pid = value;
  else if (field == "_SOURCE_REALTIME_TIMESTAMP" && source_realtime.empty())
    source_realtime = value;
  else if (field == "_SOURCE_MONOTONIC_TIMESTAMP" && source_monotonic.empty())
    source_monotonic = value;
}

std::string utf8_with_replacements(std::string_view b) {
  std::string out;
  out.reserve(b.size());
  const auto *p = reinterpret_cast<const unsigned char *>(b.data());
  const size_t n = b.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    size_t need = 0;
    unsigned char lo = 0x80, hi = 0xbf; // the allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      lo = c == 0xe0 ? 0xa0 : 0x80;
      hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      lo = c == 0xf0 ? 0x90 : 0x80;
      hi = c == 0xf4 ? 0x8f : 0xbf;
    }
    size_t k = 1;
    bool ok = need > 0;
    for (; ok && k <= need; ++k) {
      if (i + k >= n) {
        ok = false;
        break;
      }
      unsigned char cc = p[i + k];
      bool in_range = k == 1 ? cc >= lo && cc <= hi : cc >= 0x80 && cc <= 0xbf;
      if (!in_range) {
        ok = false;
        break;
      }
    }
    if (ok) {
      out.append(b.substr(i, need + 1));
      i += need + 1;
    } else {
      out += "\xef\xbf\xbd"; // one U+FFFD per maximal ill-formed subsequence
      i += need > 0 ? k : 1;
    }
  }
  return out;
}

uint64_t journal_entry_time_usec(const JournalEntry &e) {
  if (!e.source_realtime.empty())
    if (auto v = unsigned_number(e.source_realtime))
      return *v;
  return e.realtime_usec;
}

std::string format_journal_entry(const JournalEntry &e) {
  std::string line;
  auto add = [&](std::string_view text) {
    if (!line.empty())
      line += ' ';
    line += utf8_with_replacements(text);
  };
  if (!e.hostname.empty())
    add(e.hostname);
  std::string_view ident = !e.syslog_identifier.empty() ? e.syslog_identifier : e.comm;
  if (!ident.empty()) {
    add(ident);
    line += pid_suffix(e);
    line += ':';
    if (line == "kernel:" || line.ends_with(" kernel:")) {
      uint64_t mono = e.monotonic_usec;
      if (!e.source_monotonic.empty())
        if (auto v = unsigned_number(e.source_monotonic))
          mono = *v;
      char stamp[48];
      std::snprintf(stamp, sizeof stamp, "[%12.6f]", static_cast<double>(mono) / 1e6);
      add(stamp);
    }
  }
  std::string message;
  for (size_t i = 0; i < e.messages.size(); ++i) {
    if (i)
      message += ' ';
    message += utf8_with_replacements(e.messages[i]);
  }
  // " ".join() of the elements: the message follows even when empty.
  if (!line.empty())
    line += ' ';
  line += message;
  std::string out;
  out.reserve(line.size());
  for (char c : line) {
    if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void append_journal_line(const JournalEntry &entry, std::string &out) {
  uint64_t usec = journal_entry_time_usec(entry);
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%010" PRIu64 ".%06" PRIu64 " ", usec / 1000000,
                usec % 1000000);
  out += stamp;
  out += format_journal_entry(entry);
  out += '\n';
}

} // namespace mcf2b::matcher
