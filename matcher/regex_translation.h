// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mcf2b::matcher {

// fail2ban's Regex._resolveHostTag: <HOST>, <ADDR>, <IP4>, <IP6>, <CIDR>, <SUBNET>,
// <DNS>, <F-ID/>, <F-PORT/> become their regexes with the named groups ip4, ip6, dns,
// cidr, fid, fport; <F-NAME>...</F-NAME> becomes the group (?P<name>...) (id -> fid,
// port -> fport); <SKIPLINES> becomes \n(?P<skiplinesN>(?:(?:.*\n)*?)), N counting from 0. Other tags are left as they are. Python-only syntax PCRE2 reads
// otherwise ("{,n}") is rewritten.
std::string expand_fail2ban_tags(std::string_view regex);

// The same expansion for the Hyperscan pre-selection: every host-like tag becomes \S+
// (a superset of what it matches: addresses and host names hold no space), which
// Hyperscan scans several times faster than the exact address regexes.
std::string expand_fail2ban_tags_for_prescan(std::string_view regex);

// A pattern for Hyperscan that matches, on one line of raw log text, every line on
// which `pcre_regex` (a failregex applied to the part of the line after the date) can
// match: a superset. Anchors (^ $), look-arounds and named groups are dropped, and
// conditionals (?(c)a|b) become (?:a|b), and fail2ban's "\[\]" (where a bracketed
// timestamp was cut out) accepts the bracketed timestamp. Back-references are left for Hyperscan's
// prefilter mode. The result is wrapped as (?:...).*$ so that a line is reported once,
// at its end.
std::string hyperscan_superset(std::string_view pcre_regex);

// What the Hyperscan pre-scan runs for a failregex: the longest run of literals (and
// alternations of literals) that every match of hyperscan_superset(pcre_regex) holds,
// when it has at least `min_factor` characters, else that whole superset. Hyperscan
// finds a few literals several times faster than it runs the whole patterns; the lines
// it proposes are confirmed by PCRE2 in any case. A literal factor is reported where it
// ends, possibly several times per line.
std::string hyperscan_prescan_pattern(std::string_view pcre_regex, size_t min_factor = 4);

// What Hyperscan scans for a pre-scan pattern: a literal factor without the spaces it
// ends in, when at least `min_factor` characters remain. Hyperscan's literal matcher
// checks every position whose last bytes match a literal's, and logs are full of "x "
// pairs; the shorter factor still holds on every line the longer one does.
std::string prescan_pattern_for_scanning(std::string_view prescan_pattern,
                                         size_t min_factor = 4);

// fail2ban's prefregexes end in <F-CONTENT>.+</F-CONTENT>$: on one line plus its
// newline, the content is the non-empty rest of the line, wherever the part before it
// ends. For such an expanded prefregex, the same regex with that tail replaced by a
// look-ahead for one character, so that PCRE2 need not walk the content: the content
// then runs from the end of the match to the line's newline. nullopt when the regex
// does not end so, names another content group, or sets options or verbs that could
// change what "." or "$" mean.
std::optional<std::string> prefregex_with_content_to_line_end(std::string_view expanded);

} // namespace mcf2b::matcher
