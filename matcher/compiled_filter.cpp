// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/compiled_filter.h"

#include "matcher/regex_translation.h"

namespace mcf2b::matcher {
namespace {

std::optional<IpAddress> fallback_parse(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  return parsed ? std::optional<IpAddress>(*parsed) : std::nullopt;
}

// fail2ban's alt_ groups stand in for the field their name ends in: alt_user_1 -> user.
std::string alt_target(const std::string &name) {
  std::string target = name.substr(4);
  if (auto u = target.find_last_of('_');
      u != std::string::npos && u + 1 < target.size() &&
      target.find_first_not_of("0123456789", u + 1) == std::string::npos)
    target.resize(u);
  return target;
}

// The address a failregex captured. Most are plain dotted quads, read here directly;
// anything else (IPv6, brackets, leading zeros, junk) goes through IpAddress::parse,
// which accepts exactly the same dotted quads.
std::optional<IpAddress> parse_address(std::string_view text) {
  uint8_t bytes[4];
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0 && (i >= text.size() || text[i++] != '.'))
      return fallback_parse(text);
    size_t start = i;
    unsigned value = 0;
    while (i < text.size() && i - start < 3 && text[i] >= '0' && text[i] <= '9')
      value = value * 10 + static_cast<unsigned>(text[i++] - '0');
    if (i == start || value > 255 || (text[start] == '0' && i - start > 1))
      return fallback_parse(text);
    bytes[part] = static_cast<uint8_t>(value);
  }
  if (i != text.size())
    return fallback_parse(text);
  return IpAddress::v4_bytes(bytes);
}

// The prefix length captured with an address, in the family of the parsed address:
// decimal digits, at most the address's width. An IPv4-mapped IPv6 address (written
// in IPv6 form, parsed as IPv4) takes an IPv6 length of 96 or more, less 96. Anything
// else is impossible (/33, /129, /abc, ::ffff:c000:201/64).
std::optional<uint8_t> prefix_length_of(std::string_view text, std::string_view host,
                                        const IpAddress &parsed) {
  if (text.empty() || text.size() > 3)
    return std::nullopt;
  unsigned length = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    length = length * 10 + static_cast<unsigned>(c - '0');
  }
  if (parsed.is_v4() && host.find(':') != std::string_view::npos) {
    if (length < 96 || length > 128)
      return std::nullopt;
    length -= 96;
  }
  if (length > parsed.bit_width())
    return std::nullopt;
  return static_cast<uint8_t>(length);
}

} // namespace

CompiledFilter::GroupFields CompiledFilter::bind_groups(const Pcre2Regex &regex) {
  GroupFields g;
  for (const auto &[name, number] : regex.names()) {
    g.named.push_back({number, schema_.intern(name)});
    if (name.rfind("alt_", 0) == 0)
      g.alt.push_back({number, schema_.intern(alt_target(name))});
  }
  return g;
}

// fail2ban's groupdict() with its alt_ merging: alt_user_1 -> user when user is empty.
// `skip` is a field left out (the prefregex's content, which is used in place).
void CompiledFilter::collect(const MatchGroups &groups, const GroupFields &fields, Fields &out,
                             FieldId skip) {
  out.clear();
  for (const auto &b : fields.named)
    if (b.field != skip && groups.group_set(b.group))
      out.set(b.field, groups.group(b.group));
  for (const auto &b : fields.alt) {
    if (!groups.group_set(b.group))
      continue;
    std::string_view value = groups.group(b.group);
    if (!out.truthy(b.field) && !value.empty())
      out.set(b.field, value);
  }
}

Result<CompiledFilter> CompiledFilter::compile(FilterDefinition definition, const TimeZone *zone,
                                               FilterJudgeOptions options) {
  CompiledFilter f;
  f.options_ = options;
  auto fail_at = [&](const FilterDefinition::Regex &r, const std::string &what, const Error &e) {
    return Error::msg(r.where.to_string() + ": " + what + ": " + e.what);
  };
  // fail2ban compiles the failregexes of a multi-line filter with re.MULTILINE (^ and $
  // at every line of the buffer); the prefregex and ignoreregexes without it.
  const bool buffered = definition.maxlines > 1;
  if (buffered)
    f.line_buffer_ = std::make_unique<LineBuffer>(static_cast<size_t>(definition.maxlines));
  if (definition.prefregex) {
    std::string expanded = expand_fail2ban_tags(definition.prefregex->text);
    // "." and "$" as the rewrite reads them: lines end in \n alone.
    uint32_t newline = 0;
    pcre2_config(PCRE2_CONFIG_NEWLINE, &newline);
    std::optional<std::string> to_line_end;
    if (newline == PCRE2_NEWLINE_LF)
      to_line_end = prefregex_with_content_to_line_end(expanded);
    auto re = Pcre2Regex::compile(to_line_end ? *to_line_end : expanded, options.limits);
    if (!re && to_line_end) {
      to_line_end.reset();
      re = Pcre2Regex::compile(expanded, options.limits);
    }
    if (!re)
      return fail_at(*definition.prefregex, "prefregex", re.error());
    f.content_to_line_end_ = to_line_end.has_value();
    f.prefregex_ = std::make_unique<Pcre2Regex>(std::move(*re));
    f.prefregex_fields_ = f.bind_groups(*f.prefregex_);
    // The content group (the last of that name that took part, as Python resolves
    // duplicate names) is read in place.
    for (const auto &[name, number] : f.prefregex_->names())
      if (name == "content")
        f.prefregex_content_.push_back(number);
  }
  for (size_t i = 0; i < definition.failregex.size(); ++i) {
    const auto &src = definition.failregex[i];
    std::string expanded = expand_fail2ban_tags(src.text);
    auto re = Pcre2Regex::compile(expanded, options.limits, buffered ? PCRE2_MULTILINE : 0);
    if (!re)
      return fail_at(src, "failregex " + std::to_string(i), re.error());
    // fail2ban refuses a failregex that can name no failure.
    bool has_id = false;
    for (const auto &[name, number] : re->names())
      has_id |= name == "ip4" || name == "ip6" || name == "dns" || name == "fid" || name == "mlfid";
    if (!has_id && f.prefregex_)
      for (const auto &[name, number] : f.prefregex_->names())
        has_id |= name == "ip4" || name == "ip6" || name == "dns" || name == "fid" ||
                  name == "mlfid";
    if (!has_id)
      return Error::msg(src.where.to_string() + ": failregex " + std::to_string(i) +
                        " has no <HOST>, <ADDR>, <F-ID> or <F-MLFID>: " + src.text);
    GroupFields fields = f.bind_groups(*re);
    // A multi-line rule spans lines: no pre-scan of one line serves it.
    f.rules_.push_back(
        Rule{std::move(*re), std::move(fields),
             buffered ? std::string()
                      : hyperscan_prescan_pattern(expand_fail2ban_tags_for_prescan(src.text))});
    f.slow_.push_back(0);
  }
  for (size_t i = 0; i < definition.ignoreregex.size(); ++i) {
    const auto &src = definition.ignoreregex[i];
    auto re = Pcre2Regex::compile(expand_fail2ban_tags(src.text), options.limits);
    if (!re)
      return fail_at(src, "ignoreregex " + std::to_string(i), re.error());
    f.ignores_.push_back(std::move(*re));
  }
  auto parser = options.journal_entries ? Result<LogTimeParser>(LogTimeParser::journal_entries())
                                         : LogTimeParser::create(definition.datepattern, zone);
  if (!parser)
    return parser.error().context(definition.path);
  f.time_parser_ = std::make_unique<LogTimeParser>(std::move(*parser));
  f.sessions_ = std::make_unique<SessionCache>(options.session_capacity, options.session_max_age,
                                               field::session_count);
  bool has_cidr = false;
  for (const auto &rule : f.rules_)
    for (const auto &[name, number] : rule.regex.names())
      has_cidr |= name == "cidr";
  if (f.prefregex_)
    for (const auto &[name, number] : f.prefregex_->names())
      has_cidr |= name == "cidr";
  if (has_cidr)
    f.cidr_field_ = f.schema_.intern("cidr");
  f.proposed_lines_.resize(f.rules_.size());
  f.fail_.resize(f.schema_.size());
  f.merged_.resize(f.schema_.size());
  f.buffered_pre_.resize(f.schema_.size());
  f.definition_ = std::move(definition);
  return f;
}

std::string_view CompiledFilter::prefregex_group(const std::vector<uint32_t> &numbers) const {
  std::string_view value;
  for (uint32_t number : numbers)
    if (prefregex_->group_set(number))
      value = prefregex_->group(number);
  return value;
}

bool CompiledFilter::ignored(std::string_view subject, MatcherCounters &counters) {
  for (auto &re : ignores_) {
    auto outcome = re.search(subject);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome == Pcre2Regex::Outcome::matched)
      return true;
  }
  return false;
}

// fail2ban's Filter._mergeFailure. The session is the dict fail2ban shares between the
// cache and the result, so later changes (mlfpending) stay in the session.
Session *CompiledFilter::merge_session(std::string_view mlfid, Fields &fail, int64_t line_time) {
  bool gained = fail.truthy(field::mlfgained);
  if (gained && !fail.truthy(field::nofail))
    fail.set(field::nofail, fail.get(field::mlfgained));
  bool forget = fail.pop(field::mlfforget);
  bool users_many = false;
  SessionCache::Key key = sessions_->key(mlfid);
  Session *session = sessions_->find(key, line_time);
  if (session) {
    session->add_user(fail.get(field::user));
    users_many = session->many_users;
    session->fields.pop(field::nofail);
    session->fields.pop(field::mlfgained);
    if (gained)
      session->fields.pop(field::mlfpending);
    session->fields.update_from(fail, field::session_kept);
    if (forget)
      sessions_->erase(*session); // still read below, as fail2ban's dict outlives the cache
  } else if (!forget) {
    session = &sessions_->insert(key, line_time);
    session->fields.update_from(fail, field::session_kept);
    session->add_user(fail.get(field::user));
  }
  if (session) {
    if (session->fields.pop(field::mlfpending) || users_many) {
      session->fields.pop(field::nofail);
      session->fields.pop(field::mlfgained);
    }
  } else if (fail.pop(field::mlfpending)) {
    fail.pop(field::nofail);
    fail.pop(field::mlfgained);
  }
  return session;
}

void CompiledFilter::begin_batch() {
  batch_size_ = 0;
  for (auto &lines : proposed_lines_)
    lines.clear();
  batch_matches_.clear();
  batch_offsets_.clear();
}

size_t CompiledFilter::add_line(uint64_t line_no, std::string_view line) {
  if (batch_size_ == batch_.size()) {
    batch_.emplace_back();
    batch_.back().pre.resize(schema_.size());
  }
  BatchLine &b = batch_[batch_size_];
  b.line_no = line_no;
  b.line = line;
  b.first_match = b.last_match = kNoMatch;
  b.decided = false;
  return batch_size_++;
}

void CompiledFilter::propose(size_t line, size_t rule) {
  // A rule reported several times on one line is tried once.
  auto &lines = proposed_lines_[rule];
  if (lines.empty() || lines.back() != line)
    lines.push_back(static_cast<uint32_t>(line));
}

bool CompiledFilter::cut_date(BatchLine &b, int64_t now, MatcherCounters &counters,
                              std::string_view &subject) {
  std::string_view line = b.line;
  // A line given with its newline can be read in place: fail2ban's subject is the line
  // without its timestamp, plus a newline.
  bool newline_follows = !line.empty() && line.back() == '\n';
  if (newline_follows)
    line.remove_suffix(1);
  if (line.size() > options_.max_line) {
    ++counters.truncated;
    return false;
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    newline_follows = false;
  }
  if (options_.skip_comment_lines) {
    std::string_view text = line;
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n'))
      text.remove_suffix(1);
    if (text.empty() || text.front() == '#')
      return false;
  }

  // The timestamp is cut out first; what remains (plus fail2ban's trailing newline) is
  // what the prefregex and failregexes see.
  std::optional<LogTime> t = time_parser_->find(line, now);
  size_t cut_begin = 0, cut_end = 0;
  b.dated = true;
  if (t && t->absent) {
    b.time = have_last_time_ && last_time_ > now - 60 ? last_time_ : now;
  } else if (t) {
    if (!t->valid) {
      // Checked before any regex: an impossible date never yields a failure.
      ++counters.bad_dates;
      return false;
    }
    cut_begin = t->begin;
    cut_end = t->end;
    b.time = t->epoch;
    last_time_ = b.time;
    have_last_time_ = true;
  } else {
    if (definition_.require_date) {
      ++counters.undated;
      return false;
    }
    b.dated = false;
    b.time = have_last_time_ && last_time_ > now - 60 ? last_time_ : now;
  }
  if (cut_begin == 0 && newline_follows) {
    subject = std::string_view(line.data() + cut_end, line.size() - cut_end + 1);
  } else {
    b.buffer.assign(line.substr(0, cut_begin));
    b.buffer.append(line.substr(cut_end));
    b.buffer += '\n';
    subject = b.buffer;
  }
  return true;
}

void CompiledFilter::prepare(BatchLine &b, int64_t now, MatcherCounters &counters) {
  b.live = false;
  std::string_view subject;
  if (!cut_date(b, now, counters, subject))
    return;

  if (!ignores_.empty() && ignores_.size() + 2 < rules_.size() && ignored(subject, counters)) {
    ++counters.ignored;
    note(b.line_no, CountedLine::ignored);
    return;
  }

  b.have_pre = false;
  if (prefregex_) {
    auto outcome = prefregex_->search(subject);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome != Pcre2Regex::Outcome::matched)
      return;
    collect(prefregex_->groups(), prefregex_fields_, b.pre, field::content);
    std::string_view content;
    if (content_to_line_end_) {
      // The rest of the line, which the regex checked is not empty.
      std::string_view whole = prefregex_->group(0);
      size_t from = static_cast<size_t>(whole.data() + whole.size() - subject.data());
      content = subject.substr(from, subject.size() - 1 - from);
    } else {
      content = prefregex_group(prefregex_content_);
    }
    if (content.empty() && b.pre.has(field::content))
      content = b.pre.get(field::content); // an alt_content group stood in for an empty one
    if (!content.empty()) {
      if (content.data() + content.size() + 1 == subject.data() + subject.size()) {
        subject = std::string_view(content.data(), content.size() + 1); // "content\n" in place
      } else {
        b.content.assign(content);
        b.content += '\n';
        subject = b.content;
      }
    }
    b.pre.pop(field::content);
    b.have_pre = !b.pre.empty();
  }
  b.subject = subject;
  b.live = true;
}

void CompiledFilter::judge_batch(int64_t now, MatcherCounters &counters) {
  if (line_buffer_) {
    // Only the timestamps here: the buffer is judged line by line, in finish_line.
    for (size_t i = 0; i < batch_size_; ++i) {
      BatchLine &b = batch_[i];
      b.live = cut_date(b, now, counters, b.subject);
    }
    return;
  }
  for (size_t i = 0; i < batch_size_; ++i)
    prepare(batch_[i], now, counters);
  // Rule by rule, in order. Judging as the daemon, the first failregex that matches a
  // line decides it (a failure, an ignored line, a nofail or a pending session line): the
  // later ones are not tried on it, as when the rules are tried line by line.
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule &rule = rules_[r];
    auto try_line = [&](uint32_t i) {
      BatchLine &b = batch_[i];
      if (!b.live || b.decided)
        return;
      auto outcome = rule.regex.search(b.subject);
      if (outcome == Pcre2Regex::Outcome::limit_hit)
        ++counters.regex_limit_hits;
      if (outcome != Pcre2Regex::Outcome::matched)
        return;
      auto m = static_cast<uint32_t>(batch_matches_.size());
      batch_matches_.push_back({static_cast<uint32_t>(r),
                                static_cast<uint32_t>(batch_offsets_.size()), kNoMatch});
      rule.regex.save_match(batch_offsets_);
      (b.last_match == kNoMatch ? b.first_match : batch_matches_[b.last_match].next) = m;
      b.last_match = m;
      b.decided = !options_.check_all_rules;
    };
    if (slow_[r]) {
      for (uint32_t i = 0; i < batch_size_; ++i)
        try_line(i);
    } else {
      for (uint32_t i : proposed_lines_[r])
        try_line(i);
    }
  }
}

void CompiledFilter::finish_line(size_t line, uint32_t filter_index, MatcherCounters &counters,
                                 const Emit &emit) {
  const BatchLine &b = batch_[line];
  if (line_buffer_) {
    judge_buffered(b, filter_index, counters, emit);
    return;
  }
  constexpr FieldId no_skip = UINT16_MAX;
  for (uint32_t at = b.first_match; at != kNoMatch; at = batch_matches_[at].next) {
    const BatchMatch &match = batch_matches_[at];
    const Rule &rule = rules_[match.rule];
    MatchGroups groups(b.subject, &batch_offsets_[match.offsets], rule.regex.group_count());
    collect(groups, rule.fields, fail_, no_skip);
    if (!ignores_.empty() && ignored(b.subject, counters)) {
      ++counters.ignored;
      note(b.line_no, CountedLine::ignored);
      if (!options_.check_all_rules)
        break;
      continue;
    }
    // Judging as the daemon, the first failregex that matched decides, whatever it found.
    report_failure(b, groups, rule, match.rule, b.have_pre ? &b.pre : nullptr, filter_index,
                   counters, emit);
    if (!options_.check_all_rules)
      break;
  }
}

// fail2ban's findFailure after a failregex matched (fail holds its groups): fail2ban-regex
// drops a nofail result; a session line without an address marks the session pending.
void CompiledFilter::report_failure(const BatchLine &b, const MatchGroups &groups, const Rule &rule,
                                    uint32_t rule_index, const Fields *pre, uint32_t filter_index,
                                    MatcherCounters &counters, const Emit &emit) {
  Fields *fail = &fail_;
  if (pre) {
    merged_.assign(*pre);
    merged_.update_from(fail_);
    // A group the failregex declares but did not set overrides the prefregex's (None).
    for (const auto &g : rule.fields.named)
      if (!groups.group_set(g.group) && !fail_.has(g.field))
        merged_.pop(g.field);
    fail = &merged_;
  }
  Session *session = nullptr;
  if (fail->has(field::mlfid)) {
    session = merge_session(fail->get(field::mlfid), *fail, b.time);
    if (session ? session->fields.truthy(field::nofail) : fail->truthy(field::nofail)) {
      note(b.line_no, CountedLine::ignored); // fail2ban-regex drops nofail results
      return;
    }
  }
  auto value = [&](FieldId id) { return session ? session->fields.get(id) : fail->get(id); };
  std::string_view host;
  HostKind kind = HostKind::none;
  Match m;
  if ((host = value(field::ip4)).data() || (host = value(field::ip6)).data()) {
    auto parsed = parse_address(host);
    kind = parsed ? HostKind::address : HostKind::invalid_address;
    if (parsed)
      m.address = *parsed;
    // A prefix length the line itself captured (sessions do not keep it).
    if (parsed && !session && cidr_field_ != kNoField && fail->truthy(cidr_field_)) {
      m.prefix_length = prefix_length_of(fail->get(cidr_field_), host, *parsed);
      if (m.prefix_length)
        m.address = parsed->masked(*m.prefix_length);
      else
        kind = HostKind::invalid_address;
    }
  } else if ((host = value(field::dns)).data() || (host = value(field::fid)).data()) {
    auto parsed = parse_address(host);
    kind = parsed ? HostKind::address : HostKind::name;
    if (parsed)
      m.address = *parsed;
  }
  if (!host.data()) {
    // A session line without an address yet: pending until the session names one.
    if (session)
      session->fields.set(field::mlfpending, "1");
    if (options_.check_all_rules)
      note(b.line_no, CountedLine::pending);
    return;
  }
  m.filter = filter_index;
  m.rule = rule_index;
  m.line = b.line_no;
  m.host_kind = kind;
  m.host_text = host;
  m.line_text = b.line;
  m.fields = fail; // the line's own (a session keeps only what host extraction reads)
  m.field_names = &schema_;
  m.time = b.time;
  m.dated = b.dated;
  ++counters.matched;
  if (!b.dated)
    ++counters.undated;
  if (kind == HostKind::name)
    ++counters.host_names;
  else if (kind == HostKind::invalid_address)
    ++counters.invalid_hosts;
  emit(m);
}

} // namespace mcf2b::matcher
