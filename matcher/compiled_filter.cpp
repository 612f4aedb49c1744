// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/compiled_filter.h"

#include "matcher/regex_translation.h"

namespace mcf2b::matcher {
namespace {

// fail2ban's groupdict() with its alt_ merging: alt_user_1 -> user when user is empty.
// `skip` names a group left out (the prefregex's content, which is used in place).
Fields collect(const Pcre2Regex &re, std::string_view skip = {}) {
  Fields f;
  for (const auto &[name, number] : re.names())
    if (re.group_set(number) && name != skip)
      f.set(name, std::string(re.group(number)));
  for (const auto &[name, number] : re.names()) {
    if (name.rfind("alt_", 0) != 0 || !re.group_set(number))
      continue;
    std::string target = name.substr(4);
    if (auto u = target.find_last_of('_');
        u != std::string::npos && u + 1 < target.size() &&
        target.find_first_not_of("0123456789", u + 1) == std::string::npos)
      target.resize(u);
    if (!f.truthy(target) && !re.group(number).empty())
      f.set(target, std::string(re.group(number)));
  }
  return f;
}

bool add_user(Fields &f, const std::string *user) {
  if (user && !user->empty()) {
    f.users.insert(*user);
    f.has_users = true;
  }
  return f.has_users;
}

} // namespace

Result<CompiledFilter> CompiledFilter::compile(FilterDefinition definition, const TimeZone *zone,
                                               FilterJudgeOptions options) {
  CompiledFilter f;
  f.options_ = options;
  auto fail_at = [&](const FilterDefinition::Regex &r, const std::string &what, const Error &e) {
    return Error::msg(r.where.to_string() + ": " + what + ": " + e.what);
  };
  if (definition.maxlines > 1)
    return Error::msg(definition.path + ": maxlines = " + std::to_string(definition.maxlines) +
                      " (multi-line buffers) is not supported; only <F-MLFID> sessions are");
  if (definition.prefregex) {
    auto re = Pcre2Regex::compile(expand_fail2ban_tags(definition.prefregex->text),
                                  options.limits);
    if (!re)
      return fail_at(*definition.prefregex, "prefregex", re.error());
    f.prefregex_ = std::make_unique<Pcre2Regex>(std::move(*re));
    // The content group (the last of that name that took part, as Python resolves
    // duplicate names) is read in place.
    for (const auto &[name, number] : f.prefregex_->names())
      if (name == "content")
        f.prefregex_content_.push_back(number);
  }
  for (size_t i = 0; i < definition.failregex.size(); ++i) {
    const auto &src = definition.failregex[i];
    std::string expanded = expand_fail2ban_tags(src.text);
    auto re = Pcre2Regex::compile(expanded, options.limits);
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
    f.rules_.push_back(
        Rule{std::move(*re), hyperscan_prescan_pattern(expand_fail2ban_tags_for_prescan(src.text)),
             false});
  }
  for (size_t i = 0; i < definition.ignoreregex.size(); ++i) {
    const auto &src = definition.ignoreregex[i];
    auto re = Pcre2Regex::compile(expand_fail2ban_tags(src.text), options.limits);
    if (!re)
      return fail_at(src, "ignoreregex " + std::to_string(i), re.error());
    f.ignores_.push_back(std::move(*re));
  }
  auto parser = LogTimeParser::create(definition.datepattern, zone);
  if (!parser)
    return parser.error().context(definition.path);
  f.time_parser_ = std::make_unique<LogTimeParser>(std::move(*parser));
  f.sessions_ = std::make_unique<SessionCache>(options.session_capacity, options.session_max_age);
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

// fail2ban's Filter._mergeFailure. Flags: 1 nofail, 2 forget, 4 the session had a nofail
// or gain, 8 gained. The returned fields may be the cached session itself (fail2ban
// shares the dict), so later changes (mlfpending) stay in the session.
std::shared_ptr<Fields> CompiledFilter::merge_session(std::string_view mlfid, Fields &&fail_in,
                                                      uint32_t &nf, int64_t now) {
  auto fail = std::make_shared<Fields>(std::move(fail_in));
  std::shared_ptr<Fields> session = sessions_->get(mlfid, now);
  nf = 0;
  if (fail->truthy("mlfgained")) {
    nf |= 8 | 1;
    if (!fail->truthy("nofail"))
      fail->set("nofail", *fail->get("mlfgained"));
  } else if (fail->truthy("nofail")) {
    nf |= 1;
  }
  if (fail->pop("mlfforget"))
    nf |= 2;
  bool users_many = false;
  if (session) {
    add_user(*session, fail->get("user"));
    users_many = session->users.size() > 1;
    if (session->pop("nofail"))
      nf |= 4;
    if (session->pop("mlfgained"))
      nf |= 4;
    if (nf & 8)
      session->pop("mlfpending");
    session->update_from(*fail);
    fail = session;
    if (nf & 2)
      sessions_->unset(mlfid);
  } else if (!(nf & 2)) {
    add_user(*fail, fail->get("user"));
    users_many = fail->users.size() > 1;
    sessions_->set(mlfid, fail, now);
  }
  if (fail->pop("mlfpending") || users_many) {
    fail->pop("nofail");
    fail->pop("mlfgained");
    nf &= ~(8u | 1u);
  }
  return fail;
}

void CompiledFilter::judge(uint32_t filter_index, uint64_t line_no, std::string_view line,
                           const std::vector<uint8_t> &proposed, int64_t now,
                           MatcherCounters &counters, const Emit &emit) {
  if (line.size() > options_.max_line) {
    ++counters.truncated;
    return;
  }
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);

  // The timestamp is cut out first; what remains (plus fail2ban's trailing newline) is
  // what the prefregex and failregexes see.
  std::optional<LogTime> t = time_parser_->find(line, now);
  int64_t time = 0;
  bool dated = true;
  buffer_.clear();
  if (t) {
    if (!t->valid) {
      // Checked before any regex: an impossible date never yields a failure.
      ++counters.bad_dates;
      return;
    }
    buffer_.append(line.substr(0, t->begin));
    buffer_.append(line.substr(t->end));
    time = t->epoch;
    last_time_ = time;
    have_last_time_ = true;
  } else {
    if (definition_.require_date) {
      ++counters.undated;
      return;
    }
    buffer_.append(line);
    dated = false;
    time = have_last_time_ && last_time_ > now - 60 ? last_time_ : now;
  }
  buffer_ += '\n';
  std::string_view subject = buffer_;

  if (!ignores_.empty() && ignores_.size() + 2 < rules_.size() && ignored(subject, counters)) {
    ++counters.ignored;
    return;
  }

  Fields pre;
  if (prefregex_) {
    auto outcome = prefregex_->search(subject);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome != Pcre2Regex::Outcome::matched)
      return;
    pre = collect(*prefregex_, "content");
    std::string_view content = prefregex_group(prefregex_content_);
    if (const std::string *alt = pre.get("content"); content.empty() && alt)
      content = *alt; // an alt_content group stood in for an empty content
    if (!content.empty()) {
      content_.assign(content);
      content_ += '\n';
      subject = content_;
    }
    pre.pop("content");
  }

  for (size_t i = 0; i < rules_.size(); ++i) {
    Rule &rule = rules_[i];
    if (!rule.slow && !proposed[i])
      continue; // the superset pre-scan did not propose it: it cannot match
    auto outcome = rule.regex.search(subject);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome != Pcre2Regex::Outcome::matched)
      continue;
    Fields fail = collect(rule.regex);
    if (!ignores_.empty() && ignored(subject, counters)) {
      ++counters.ignored;
      if (!options_.check_all_rules)
        break;
      continue;
    }
    if (!pre.items().empty()) {
      Fields merged = pre;
      merged.update_from(fail);
      // A group the failregex declares but did not set overrides the prefregex's (None).
      for (const auto &[name, number] : rule.regex.names())
        if (!rule.regex.group_set(number) && !fail.get(name))
          merged.pop(name);
      fail = std::move(merged);
    }
    std::shared_ptr<Fields> merged;
    const Fields *f = &fail;
    if (const std::string *mlfid = fail.get("mlfid")) {
      uint32_t nf = 0;
      session_key_.assign(*mlfid); // `fail` moves into the session: keep the key apart
      merged = merge_session(session_key_, std::move(fail), nf, now);
      f = merged.get();
      if (f->truthy("nofail")) {
        if (!options_.check_all_rules)
          return;
        continue; // fail2ban-regex drops nofail results
      }
    }
    const std::string *host = nullptr;
    HostKind kind = HostKind::none;
    Match m;
    if ((host = f->get("ip4")) || (host = f->get("ip6"))) {
      auto parsed = IpAddress::parse(*host);
      kind = parsed ? HostKind::address : HostKind::invalid_address;
      if (parsed)
        m.address = *parsed;
    } else if ((host = f->get("dns")) || (host = f->get("fid"))) {
      auto parsed = IpAddress::parse(*host);
      kind = parsed ? HostKind::address : HostKind::name;
      if (parsed)
        m.address = *parsed;
    }
    if (!host) {
      // A session line without an address yet: pending until the session names one.
      if (merged)
        merged->set("mlfpending", "1");
      if (!options_.check_all_rules)
        return;
      continue;
    }
    m.filter = filter_index;
    m.rule = static_cast<uint32_t>(i);
    m.line = line_no;
    m.host_kind = kind;
    m.host_text = *host;
    m.time = time;
    m.dated = dated;
    ++counters.matched;
    if (!dated)
      ++counters.undated;
    if (kind == HostKind::name)
      ++counters.host_names;
    else if (kind == HostKind::invalid_address)
      ++counters.invalid_hosts;
    emit(m);
    if (!options_.check_all_rules)
      break;
  }
}

} // namespace mcf2b::matcher
