// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/mutation_codec.h"

#include <charconv>

namespace mcf2b {
namespace {

template <class... F> struct Overloaded : F... {
  using F::operator()...;
};
template <class... F> Overloaded(F...) -> Overloaded<F...>;

class LineWriter {
public:
  explicit LineWriter(std::string &out, std::string_view kind) : out_(out) { out_ += kind; }
  LineWriter &text(std::string_view s) {
    out_ += '\t';
    for (char c : s) {
      switch (c) {
      case '\\': out_ += "\\\\"; break;
      case '\t': out_ += "\\t"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      default: out_ += c;
      }
    }
    return *this;
  }
  LineWriter &number(int64_t n) { return text(std::to_string(n)); }
  ~LineWriter() { out_ += '\n'; }

private:
  std::string &out_;
};

class LineReader {
public:
  LineReader(std::string_view line, size_t line_no) : line_no_(line_no) {
    size_t start = 0;
    for (;;) {
      size_t tab = line.find('\t', start);
      fields_.push_back(line.substr(start, tab - start));
      if (tab == std::string_view::npos)
        break;
      start = tab + 1;
    }
  }
  [[nodiscard]] std::string_view kind() const { return fields_.front(); }
  Status expect(size_t count) const {
    if (fields_.size() != count + 1)
      return fail("expected " + std::to_string(count) + " fields, found " +
                  std::to_string(fields_.size() - 1));
    return {};
  }
  Result<std::string> text(size_t i) const {
    std::string out;
    std::string_view s = fields_[i + 1];
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] != '\\') {
        out += s[k];
        continue;
      }
      if (++k == s.size())
        return fail("dangling backslash");
      switch (s[k]) {
      case '\\': out += '\\'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      default: return fail("unknown escape \\" + std::string(1, s[k]));
      }
    }
    return out;
  }
  Result<int64_t> number(size_t i) const {
    std::string_view s = fields_[i + 1];
    int64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty())
      return fail("field " + std::to_string(i + 1) + " is not a number");
    return n;
  }
  Result<IpPrefix> prefix(size_t i) const {
    auto p = IpPrefix::parse(fields_[i + 1]);
    if (!p)
      return fail(p.error().what);
    return *p;
  }
  [[nodiscard]] Error fail(const std::string &why) const {
    return Error::msg("journal line " + std::to_string(line_no_) + ": " + why);
  }

private:
  std::vector<std::string_view> fields_;
  size_t line_no_;
};

// Collects the first error of a run of field reads.
class Fields {
public:
  explicit Fields(const LineReader &r) : r_(r) {}
  std::string text(size_t i) { return take(r_.text(i), std::string()); }
  int64_t number(size_t i) { return take(r_.number(i), int64_t{0}); }
  IpPrefix prefix(size_t i) { return take(r_.prefix(i), IpPrefix()); }
  Result<Mutation> done(Mutation m) {
    if (error_)
      return *error_;
    return m;
  }

private:
  template <class T> T take(Result<T> r, T fallback) {
    if (r)
      return std::move(r).value();
    if (!error_)
      error_ = r.error();
    return fallback;
  }
  const LineReader &r_;
  std::optional<Error> error_;
};

Result<Mutation> decode_line(const LineReader &r) {
  std::string_view kind = r.kind();
  Fields f(r);
  auto with = [&](size_t count, auto build) -> Result<Mutation> {
    if (auto st = r.expect(count); !st)
      return st.error();
    Mutation m = build();
    return f.done(std::move(m));
  };
  if (kind == "ban")
    return with(10, [&] {
      BanRecord b;
      b.ip = f.prefix(0);
      b.jail = f.text(1);
      b.count = static_cast<int>(f.number(2));
      b.active = f.number(3) != 0;
      b.blacklisted = f.number(4) != 0;
      b.whitelisted = f.number(5) != 0;
      b.last_hit = f.number(6);
      b.host = f.text(7);
      b.ban_start = f.number(8);
      b.ban_end = f.number(9);
      return Mutation(PutBan{b});
    });
  if (kind == "unban")
    return with(2, [&] { return Mutation(Unban{f.prefix(0), f.text(1)}); });
  if (kind == "whitelist_add")
    return with(2, [&] { return Mutation(AddWhitelist{f.prefix(0), f.text(1)}); });
  if (kind == "whitelist_remove")
    return with(2, [&] { return Mutation(RemoveWhitelist{f.prefix(0), f.text(1)}); });
  if (kind == "jail_put")
    return with(12, [&] {
      JailConfig j;
      j.name = f.text(0);
      j.enabled = f.number(1) != 0;
      j.maxretry = static_cast<int>(f.number(2));
      j.findtime = f.number(3);
      j.bantime = f.number(4);
      j.port = f.text(5);
      j.filter = f.text(6);
      j.banaction = f.text(7);
      j.logpath = f.text(8);
      j.max_count = static_cast<int>(f.number(9));
      j.send_mail = f.number(10) != 0;
      j.send_mail_bl = f.number(11) != 0;
      return Mutation(PutJail{j});
    });
  if (kind == "jail_remove")
    return with(1, [&] { return Mutation(RemoveJail{f.text(0)}); });
  if (kind == "setting_put")
    return with(2, [&] { return Mutation(PutSetting{f.text(0), f.text(1)}); });
  if (kind == "counts_reset")
    return with(1, [&] { return Mutation(ResetBanCounts{f.text(0)}); });
  if (kind == "mail_conf_put")
    return with(3, [&] { return Mutation(PutMailConf{MailConf{f.text(0), f.text(1), f.text(2)}}); });
  return r.fail("unknown mutation kind '" + std::string(kind) + "'");
}

} // namespace

std::string encode_batch(std::span<const Mutation> batch) {
  std::string out;
  for (const Mutation &m : batch) {
    std::visit(Overloaded{
                   [&](const PutBan &x) {
                     const BanRecord &b = x.ban;
                     LineWriter(out, "ban")
                         .text(b.ip.to_string())
                         .text(b.jail)
                         .number(b.count)
                         .number(b.active)
                         .number(b.blacklisted)
                         .number(b.whitelisted)
                         .number(b.last_hit)
                         .text(b.host)
                         .number(b.ban_start)
                         .number(b.ban_end);
                   },
                   [&](const Unban &x) {
                     LineWriter(out, "unban").text(x.ip.to_string()).text(x.jail);
                   },
                   [&](const AddWhitelist &x) {
                     LineWriter(out, "whitelist_add").text(x.ip.to_string()).text(x.jail);
                   },
                   [&](const RemoveWhitelist &x) {
                     LineWriter(out, "whitelist_remove").text(x.ip.to_string()).text(x.jail);
                   },
                   [&](const PutJail &x) {
                     const JailConfig &j = x.jail;
                     LineWriter(out, "jail_put")
                         .text(j.name)
                         .number(j.enabled)
                         .number(j.maxretry)
                         .number(j.findtime)
                         .number(j.bantime)
                         .text(j.port)
                         .text(j.filter)
                         .text(j.banaction)
                         .text(j.logpath)
                         .number(j.max_count)
                         .number(j.send_mail)
                         .number(j.send_mail_bl);
                   },
                   [&](const RemoveJail &x) { LineWriter(out, "jail_remove").text(x.name); },
                   [&](const PutSetting &x) {
                     LineWriter(out, "setting_put").text(x.key).text(x.value);
                   },
                   [&](const ResetBanCounts &x) { LineWriter(out, "counts_reset").text(x.jail); },
                   [&](const PutMailConf &x) {
                     LineWriter(out, "mail_conf_put")
                         .text(x.conf.src_email)
                         .text(x.conf.src_name)
                         .text(x.conf.dest_email);
                   },
               },
               m);
  }
  return out;
}

Result<std::vector<Mutation>> decode_batch(std::string_view text) {
  std::vector<Mutation> batch;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos)
      return Error::msg("journal line " + std::to_string(line_no) + ": not terminated");
    LineReader reader(text.substr(0, nl), line_no);
    text.remove_prefix(nl + 1);
    auto m = decode_line(reader);
    if (!m)
      return m.error();
    batch.push_back(std::move(*m));
  }
  return batch;
}

} // namespace mcf2b
