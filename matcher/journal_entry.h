// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mcf2b::matcher {

// The fields of one journal entry that fail2ban's journal backend reads. Views into the
// journal's data (or a test's strings): valid while the entry is being formatted.
struct JournalEntry {
  std::vector<std::string_view> messages; // MESSAGE, every occurrence (a field may repeat)
  std::string_view hostname;              // _HOSTNAME
  std::string_view syslog_identifier;     // SYSLOG_IDENTIFIER
  std::string_view comm;                  // _COMM
  std::string_view syslog_pid;            // SYSLOG_PID
  std::string_view pid;                   // _PID
  std::string_view source_realtime;       // _SOURCE_REALTIME_TIMESTAMP (microseconds, text)
  std::string_view source_monotonic;      // _SOURCE_MONOTONIC_TIMESTAMP (microseconds, text)
  uint64_t realtime_usec = 0;             // the journal's own timestamps
  uint64_t monotonic_usec = 0;

  // Fills the fields above from one "FIELD=value" datum (sd_journal_enumerate_data's);
  // other fields are ignored.
  void take(std::string_view datum);
};

// The entry as fail2ban's FilterSystemd.formatJournalEntry makes it: "HOST IDENT[PID]:
// MESSAGE" with its handling of missing fields (no host, SYSLOG_IDENTIFIER else _COMM,
// SYSLOG_PID else _PID, a PID that is not a number kept as text, the kernel's monotonic
// time), repeated MESSAGE fields joined by spaces, text that is not UTF-8 decoded with
// replacement characters, and newlines written as "\n".
std::string format_journal_entry(const JournalEntry &entry);

// The entry's time in microseconds: _SOURCE_REALTIME_TIMESTAMP when it is a number, else
// the journal's realtime (fail2ban's getJrnEntTime).
uint64_t journal_entry_time_usec(const JournalEntry &entry);

// Appends the entry as one line for the matcher: "SECONDS.MICROSECONDS " then the
// formatted entry and a newline. LogTimeParser::journal_entries() reads that time.
void append_journal_line(const JournalEntry &entry, std::string &out);

// Text as Python's bytes.decode("utf-8", "replace") gives it: each maximal ill-formed
// subsequence becomes U+FFFD.
std::string utf8_with_replacements(std::string_view bytes);

} // namespace mcf2b::matcher
