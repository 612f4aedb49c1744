// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/journal_follower.h"

#include <glob.h>
#include <systemd/sd-journal.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <set>

#include "matcher/journal_entry.h"

namespace mcf2b::matcher {
namespace {

// shlex.split (POSIX mode): words separated by blanks, quotes and backslashes.
Result<std::vector<std::string>> shell_words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      if (in_word)
        words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      size_t end = line.find(c, i + 1);
      if (c == '"') {
        for (end = i + 1; end < line.size() && line[end] != '"'; ++end)
          if (line[end] == '\\' && end + 1 < line.size())
            ++end;
      }
      if (end >= line.size())
        return Error::msg("journalmatch: no closing quotation in '" + std::string(line) + "'");
      for (size_t k = i + 1; k < end; ++k) {
        if (c == '"' && line[k] == '\\' && k + 1 < end &&
            (line[k + 1] == '"' || line[k + 1] == '\\' || line[k + 1] == '$'))
          ++k;
        word += line[k];
      }
      in_word = true;
      i = end;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
      in_word = true;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word)
    words.push_back(std::move(word));
  return words;
}

// Entries are handed out as the journal gives them; these are the fields fail2ban reads,
// copied because sd-journal's data pointers last only until the next field is read.
struct EntryFields {
  std::vector<std::string> messages;
  size_t message_count = 0;
  std::string hostname, syslog_identifier, comm, syslog_pid, pid, source_realtime, source_monotonic;

  void clear() {
    message_count = 0;
    for (std::string *s : {&hostname, &syslog_identifier, &comm, &syslog_pid, &pid,
                           &source_realtime, &source_monotonic})
      s->clear();
  }
  void take(std::string_view datum) {
    size_t eq = datum.find('=');
    if (eq == std::string_view::npos)
      return;
    std::string_view field = datum.substr(0, eq), value = datum.substr(eq + 1);
    auto keep_first = [&](std::string &into) {
      if (into.empty())
        into.assign(value);
    };
    if (field == "MESSAGE") {
      if (message_count == messages.size())
        messages.emplace_back();
      messages[message_count++].assign(value);
    } else if (field == "_HOSTNAME") {
      keep_first(hostname);
    } else if (field == "SYSLOG_IDENTIFIER") {
      keep_first(syslog_identifier);
    } else if (field == "_COMM") {
      keep_first(comm);
    } else if (field == "SYSLOG_PID") {
      keep_first(syslog_pid);
    } else if (field == "_PID") {
      keep_first(pid);
    } else if (field == "_SOURCE_REALTIME_TIMESTAMP") {
      keep_first(source_realtime);
    } else if (field == "_SOURCE_MONOTONIC_TIMESTAMP") {
      keep_first(source_monotonic);
    }
  }
  [[nodiscard]] JournalEntry view() const {
    JournalEntry e;
    for (size_t i = 0; i < message_count; ++i)
      e.messages.push_back(messages[i]);
    e.hostname = hostname;
    e.syslog_identifier = syslog_identifier;
    e.comm = comm;
    e.syslog_pid = syslog_pid;
    e.pid = pid;
    e.source_realtime = source_realtime;
    e.source_monotonic = source_monotonic;
    return e;
  }
};

Error journal_error(const std::string &what, int negative_errno) {
  return Error::sys(what, -negative_errno);
}

// The realtime (t=) of a cursor, in microseconds.
std::optional<uint64_t> cursor_realtime(std::string_view cursor) {
  for (size_t at = 0; at < cursor.size();) {
    size_t end = cursor.find(';', at);
    if (end == std::string_view::npos)
      end = cursor.size();
    std::string_view item = cursor.substr(at, end - at);
    if (item.starts_with("t=")) {
      uint64_t v = 0;
      auto [p, ec] = std::from_chars(item.data() + 2, item.data() + item.size(), v, 16);
      if (ec == std::errc() && p == item.data() + item.size())
        return v;
      return std::nullopt;
    }
    at = end + 1;
  }
  return std::nullopt;
}

} // namespace

Result<std::vector<std::vector<std::string>>> parse_journal_match(std::string_view text) {
  std::vector<std::vector<std::string>> alternatives;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos)
      end = text.size();
    auto words = shell_words(text.substr(at, end - at));
    if (!words)
      return words.error();
    std::vector<std::vector<std::string>> line{{}};
    for (auto &w : *words) {
      if (w == "+") {
        line.emplace_back();
        continue;
      }
      size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0)
        return Error::msg("journalmatch: '" + w + "' is not FIELD=value");
      line.back().push_back(std::move(w));
    }
    for (auto &alternative : line)
      if (!alternative.empty())
        alternatives.push_back(std::move(alternative));
    at = end + 1;
  }
  return alternatives;
}

Result<JournalSelection> JournalSelection::from(std::string match,
                                                const std::map<std::string, std::string> &options) {
  JournalSelection s;
  s.match = std::move(match);
  for (const auto &[key, value] : options) {
    if (key == "journalpath") {
      s.directory = value;
    } else if (key == "journalfiles") {
      // fail2ban: split into words, each a glob, the union of what they name.
      auto words = shell_words(value);
      if (!words)
        return words.error();
      std::set<std::string> files;
      for (const auto &pattern : *words) {
        glob_t g{};
        if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
          for (size_t i = 0; i < g.gl_pathc; ++i)
            files.insert(g.gl_pathv[i]);
        ::globfree(&g);
      }
      if (files.empty())
        return Error::msg("journalfiles '" + value + "' names no file");
      s.files.assign(files.begin(), files.end());
    } else if (key == "journalflags") {
      int flags = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), flags);
      if (ec != std::errc() || p != value.data() + value.size())
        return Error::msg("journalflags must be a number, not '" + value + "'");
      s.flags = flags;
    } else if (key == "namespace") {
      s.name_space = value;
    } else {
      return Error::msg("unknown systemd backend parameter '" + key + "'");
    }
  }
  if (!s.directory.empty() && !s.files.empty())
    return Error::msg("journalpath and journalfiles cannot both be given");
  if (auto m = parse_journal_match(s.match); !m)
    return m.error();
  return s;
}

std::string JournalSelection::name() const {
  std::string n = "journal:" + (match.empty() ? std::string("*") : match);
  std::replace(n.begin(), n.end(), '\n', ' ');
  std::vector<std::string> params;
  if (!directory.empty())
    params.push_back("journalpath=" + directory);
  if (!files.empty()) {
    std::string joined;
    for (const auto &f : files)
      joined += (joined.empty() ? "" : " ") + f;
    params.push_back("journalfiles=" + joined);
  }
  if (flags)
    params.push_back("journalflags=" + std::to_string(*flags));
  if (!name_space.empty())
    params.push_back("namespace=" + name_space);
  if (!params.empty()) {
    n += " [";
    for (size_t i = 0; i < params.size(); ++i)
      n += (i ? ", " : "") + params[i];
    n += "]";
  }
  return n;
}

void JournalFollower::Close::operator()(sd_journal *j) const {
  sd_journal_close(j);
}

JournalFollower::JournalFollower(JournalFollower &&) noexcept = default;
JournalFollower &JournalFollower::operator=(JournalFollower &&) noexcept = default;
JournalFollower::~JournalFollower() = default;

Result<JournalFollower> JournalFollower::open(const JournalSelection &selection,
                                              std::optional<std::string> resume_cursor,
                                              uint64_t start_usec, Options options) {
  auto alternatives = parse_journal_match(selection.match);
  if (!alternatives)
    return alternatives.error();
  JournalFollower f;
  f.options_ = options;
  f.options_.batch_entries = std::max<size_t>(f.options_.batch_entries, 1);
  sd_journal *j = nullptr;
  int r = 0;
  std::string what;
  if (!selection.files.empty()) {
    std::vector<const char *> paths;
    for (const auto &p : selection.files)
      paths.push_back(p.c_str());
    paths.push_back(nullptr);
    r = sd_journal_open_files(&j, paths.data(), selection.flags.value_or(0));
    what = "open the journal files " + selection.files.front() +
           (selection.files.size() > 1 ? " ..." : "");
  } else if (!selection.directory.empty()) {
    r = sd_journal_open_directory(&j, selection.directory.c_str(), selection.flags.value_or(0));
    what = "open the journal in " + selection.directory;
  } else if (!selection.name_space.empty()) {
    r = sd_journal_open_namespace(&j, selection.name_space.c_str(),
                                  selection.flags.value_or(SD_JOURNAL_SYSTEM));
    what = "open the journal namespace " + selection.name_space;
  } else {
    // fail2ban's default: the system journal only (user journals could exhaust fds).
    r = sd_journal_open(&j, selection.flags.value_or(SD_JOURNAL_SYSTEM));
    what = "open the system journal";
  }
  if (r < 0)
    return journal_error(what, r);
  f.journal_.reset(j);
  // Asked at once, so that sd-journal watches from now on (sd_journal_get_fd(3)).
  f.fd_ = sd_journal_get_fd(j);
  if (f.fd_ < 0)
    return journal_error("the journal's wake-up descriptor", f.fd_);
  for (const auto &alternative : *alternatives) {
    for (const auto &term : alternative)
      if (int m = sd_journal_add_match(j, term.data(), term.size()); m < 0)
        return journal_error("journalmatch term '" + term + "'", m);
    if (int d = sd_journal_add_disjunction(j); d < 0)
      return journal_error("journalmatch", d);
  }
  if (auto st = f.seek_start(std::move(resume_cursor), start_usec); !st)
    return st.error();
  return f;
}

Status JournalFollower::seek_start(std::optional<std::string> resume_cursor, uint64_t start_usec) {
  sd_journal *j = journal_.get();
  if (resume_cursor && !resume_cursor->empty()) {
    auto t = cursor_realtime(*resume_cursor);
    if (t && *t >= start_usec) {
      if (int r = sd_journal_seek_cursor(j, resume_cursor->c_str()); r < 0)
        return journal_error("seek the journal to the saved cursor", r);
      int r = sd_journal_next(j);
      if (r < 0)
        return journal_error("read the journal", r);
      cursor_ = *resume_cursor;
      // The saved entry itself was handed out; one found in its place (the saved one
      // was vacuumed) comes after it and was not.
      if (r > 0 && sd_journal_test_cursor(j, resume_cursor->c_str()) <= 0)
        pending_current_ = true;
      return {};
    }
  }
  if (int r = sd_journal_seek_realtime_usec(j, start_usec); r < 0)
    return journal_error("seek the journal", r);
  return {};
}

Result<uint64_t> JournalFollower::read_available(const Sink &sink) {
  sd_journal *j = journal_.get();
  int p = sd_journal_process(j);
  if (p < 0)
    return journal_error("process the journal's changes", p);
  if (p == SD_JOURNAL_INVALIDATE)
    ++counters_.rotations;
  EntryFields fields;
  uint64_t handed = 0;
  for (bool more = true; more;) {
    batch_.clear();
    size_t entries = 0;
    while (entries < options_.batch_entries && batch_.size() < options_.batch_bytes) {
      if (pending_current_) {
        pending_current_ = false;
      } else {
        int r = sd_journal_next(j);
        if (r < 0)
          return journal_error("read the journal", r);
        if (r == 0) {
          more = false;
          break;
        }
      }
      fields.clear();
      const void *data = nullptr;
      size_t length = 0;
      sd_journal_restart_data(j);
      int d;
      while ((d = sd_journal_enumerate_data(j, &data, &length)) > 0)
        fields.take(std::string_view(static_cast<const char *>(data), length));
      if (d < 0) {
        // An entry that cannot be read (corrupt, or its file removed under us) is
        // skipped, as fail2ban does after logging it.
        ++counters_.unreadable;
        continue;
      }
      JournalEntry e = fields.view();
      uint64_t usec = 0, mono = 0;
      sd_journal_get_realtime_usec(j, &usec);
      sd_journal_get_monotonic_usec(j, &mono, nullptr);
      e.realtime_usec = usec;
      e.monotonic_usec = mono;
      append_journal_line(e, batch_);
      ++entries;
    }
    if (entries == 0)
      break;
    char *c = nullptr;
    if (int r = sd_journal_get_cursor(j, &c); r >= 0 && c) {
      cursor_ = c;
      ::free(c);
    }
    sink(batch_);
    counters_.lines += entries;
    counters_.bytes += batch_.size();
    handed += entries;
  }
  return handed;
}

} // namespace mcf2b::matcher
