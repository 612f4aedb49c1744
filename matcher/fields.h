// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mcf2b::matcher {

// A field is a named group of fail2ban's match dict (<F-USER> -> "user", <HOST> ->
// "ip4"/"ip6"/"dns"). Each filter numbers the names its regexes use once, at compile
// time, so that a line's fields are slots indexed by number instead of a dictionary.
using FieldId = uint16_t;

// The names fail2ban's session logic and host extraction read: fixed numbers in every
// filter's schema.
namespace field {
inline constexpr FieldId content = 0, mlfid = 1, user = 2, ip4 = 3, ip6 = 4, dns = 5, fid = 6,
                         nofail = 7, mlfgained = 8, mlfforget = 9, mlfpending = 10;
// What a <F-MLFID> session keeps of its lines' fields: what fail2ban's session logic
// and the host extraction read back from it. Its other fields are never read.
inline constexpr FieldId session_kept[] = {ip4, ip6, dns, fid, nofail, mlfgained, mlfpending};
inline constexpr size_t session_count = mlfpending + 1; // the kept ids are below it
} // namespace field

// The field names of one filter, numbered.
class FieldSchema {
public:
  FieldSchema()
      : names_{"content", "mlfid",  "user",      "ip4",       "ip6",       "dns",
               "fid",     "nofail", "mlfgained", "mlfforget", "mlfpending"} {}

  // The number of `name`, assigned on first use.
  FieldId intern(std::string_view name) {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it != names_.end())
      return static_cast<FieldId>(it - names_.begin());
    names_.emplace_back(name);
    return static_cast<FieldId>(names_.size() - 1);
  }
  [[nodiscard]] size_t size() const { return names_.size(); }
  [[nodiscard]] const std::string &name(FieldId id) const { return names_[id]; }

private:
  std::vector<std::string> names_;
};

// The fields of one line, as views into the line's text: fail2ban's groupdict(), where a
// group that did not take part is absent and a group that matched nothing is present
// and empty. Presence is a bit set whose first word (fields 0 to 63, all of them in any
// filter seen so far) is held in the object itself, so that clearing, copying and merging
// cost a word and no call. Valid while the text it views is.
class Fields {
public:
  void resize(size_t count) {
    values_.assign(count, {});
    present_ = 0;
    more_present_.assign(count > 64 ? (count - 1) / 64 : 0, 0);
  }
  void clear() {
    present_ = 0;
    for (uint64_t &w : more_present_)
      w = 0;
  }
  // The same fields as `other` (of the same schema).
  void assign(const Fields &other) {
    present_ = other.present_;
    for (size_t w = 0; w < more_present_.size(); ++w)
      more_present_[w] = other.more_present_[w];
    other.for_each([this](FieldId id, std::string_view value) { values_[id] = value; });
  }

  [[nodiscard]] bool has(FieldId id) const { return (word(id) >> (id % 64)) & 1; }
  // The value, or a view without data when absent.
  [[nodiscard]] std::string_view get(FieldId id) const {
    return has(id) ? values_[id] : std::string_view{};
  }
  // Present and non-empty: Python's truthiness of fail.get(key).
  [[nodiscard]] bool truthy(FieldId id) const { return has(id) && !values_[id].empty(); }
  void set(FieldId id, std::string_view value) {
    values_[id] = value.data() ? value : std::string_view("", 0); // present: never null
    word(id) |= uint64_t{1} << (id % 64);
  }
  // Removes the field; returns whether it was truthy.
  bool pop(FieldId id) {
    bool was = truthy(id);
    word(id) &= ~(uint64_t{1} << (id % 64));
    return was;
  }
  // dict.update(): every field present in `other` replaces this one's.
  void update_from(const Fields &other) {
    other.for_each([this](FieldId id, std::string_view value) { set(id, value); });
  }
  [[nodiscard]] bool empty() const {
    return present_ == 0 && std::all_of(more_present_.begin(), more_present_.end(),
                                        [](uint64_t w) { return w == 0; });
  }
  // Calls f(id, value) for every present field, in id order.
  template <class F> void for_each(F &&f) const {
    for (uint64_t bits = present_; bits; bits &= bits - 1) {
      auto id = static_cast<FieldId>(std::countr_zero(bits));
      f(id, values_[id]);
    }
    for (size_t w = 0; w < more_present_.size(); ++w)
      for (uint64_t bits = more_present_[w]; bits; bits &= bits - 1) {
        auto id = static_cast<FieldId>((w + 1) * 64 + static_cast<size_t>(std::countr_zero(bits)));
        f(id, values_[id]);
      }
  }

private:
  [[nodiscard]] uint64_t &word(FieldId id) {
    return id < 64 ? present_ : more_present_[id / 64 - 1];
  }
  [[nodiscard]] uint64_t word(FieldId id) const {
    return id < 64 ? present_ : more_present_[id / 64 - 1];
  }

  std::vector<std::string_view> values_;
  uint64_t present_ = 0;               // fields 0 to 63
  std::vector<uint64_t> more_present_; // fields 64 and up, 64 a word
};

// Fields that outlive their line: a session's, with their own copy of the text. The
// values share one buffer, which keeps its capacity when the session is reused, so a
// warm session costs no allocation; a value that fits where the field's previous one
// was is written over it. Views from get() last until the next set() or update_from().
class OwnedFields {
public:
  void resize(size_t count) {
    spans_.assign(count, Span{});
    text_.clear();
  }
  void clear() {
    std::fill(spans_.begin(), spans_.end(), Span{});
    text_.clear();
  }

  [[nodiscard]] bool has(FieldId id) const { return spans_[id].size != kAbsent; }
  [[nodiscard]] std::string_view get(FieldId id) const {
    const Span &span = spans_[id];
    return span.size == kAbsent ? std::string_view{}
                                : std::string_view(text_.data() + span.offset, span.size);
  }
  [[nodiscard]] bool truthy(FieldId id) const {
    return spans_[id].size != kAbsent && spans_[id].size != 0;
  }
  void set(FieldId id, std::string_view value) {
    Span &span = spans_[id];
    auto size = static_cast<uint32_t>(value.size());
    if (span.size == kAbsent || span.size < size) {
      if (text_.size() + size > kCompactAt)
        compact();
      span.offset = static_cast<uint32_t>(text_.size());
      text_.append(value);
    } else {
      std::copy(value.begin(), value.end(), text_.begin() + span.offset);
    }
    span.size = size;
  }
  bool pop(FieldId id) {
    bool was = truthy(id);
    spans_[id].size = kAbsent;
    return was;
  }
  // dict.update() restricted to the fields `ids`.
  template <size_t N> void update_from(const Fields &other, const FieldId (&ids)[N]) {
    for (FieldId id : ids)
      if (other.has(id))
        set(id, other.get(id));
  }

private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  // A session updated by many lines whose values keep growing: its buffer is rewritten
  // with the present values only once it reaches this size.
  static constexpr size_t kCompactAt = 16 * 1024;
  struct Span {
    uint32_t offset = 0;
    uint32_t size = kAbsent;
  };
  void compact() {
    std::string kept;
    for (Span &span : spans_)
      if (span.size != kAbsent) {
        uint32_t offset = static_cast<uint32_t>(kept.size());
        kept.append(text_, span.offset, span.size);
        span.offset = offset;
      }
    text_.swap(kept);
  }

  std::string text_;
  std::vector<Span> spans_;
};

} // namespace mcf2b::matcher
