// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/mutation_checks.h"

#include <climits>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>

namespace mcf2b {
namespace {

template <class... F> struct Overloaded : F... { using F::operator()...; };
template <class... F> Overloaded(F...) -> Overloaded<F...>;

Status check_int(std::string_view what, int64_t value) {
  if (value < INT_MIN || value > INT_MAX)
    return Error::msg(std::string(what) + " " + std::to_string(value) + " is out of range");
  return {};
}

} // namespace

Status check_column_text(std::string_view what, std::string_view value, size_t max, bool required) {
  if (required && value.empty())
    return Error::msg(std::string(what) + " is empty");
  if (value.size() > max)
    return Error::msg(std::string(what) + " '" + std::string(value.substr(0, 40)) +
                      "...' is longer than " + std::to_string(max) + " characters");
  return {};
}

Status check_mutation(const Mutation &m) {
  return std::visit(
      Overloaded{
          [](const PutBan &x) -> Status {
            if (auto st = check_column_text("jail name", x.ban.jail, 150, true); !st)
              return st;
            if (auto st = check_column_text("host", x.ban.host, 150, false); !st)
              return st;
            return check_int("ban count", x.ban.count);
          },
          [](const Unban &x) { return check_column_text("jail name", x.jail, 150, true); },
          [](const AddWhitelist &x) { return check_column_text("jail name", x.jail, 150, true); },
          [](const RemoveWhitelist &x) {
            return check_column_text("jail name", x.jail, 150, true);
          },
          [](const PutJail &x) -> Status {
            const JailConfig &j = x.jail;
            for (auto [what, value, max, required] :
                 {std::tuple{"jail name", std::string_view(j.name), size_t{150}, true},
                  std::tuple{"port", std::string_view(j.port), size_t{50}, false},
                  std::tuple{"filter", std::string_view(j.filter), size_t{50}, false},
                  std::tuple{"banaction", std::string_view(j.banaction), size_t{50}, false},
                  std::tuple{"logpath", std::string_view(j.logpath), size_t{250}, false}})
              if (auto st = check_column_text(what, value, max, required); !st)
                return st.error().context("jail " + j.name);
            for (auto [what, value] :
                 {std::pair{"maxretry", int64_t{j.maxretry}}, std::pair{"findtime", j.findtime},
                  std::pair{"bantime", j.bantime}, std::pair{"max_count", int64_t{j.max_count}}})
              if (auto st = check_int(what, value); !st)
                return st.error().context("jail " + j.name);
            return {};
          },
          [](const RemoveJail &x) { return check_column_text("jail name", x.name, 150, true); },
          [](const PutSetting &x) { return check_column_text("setting name", x.key, 100, true); },
          [](const ResetBanCounts &x) { return check_column_text("jail name", x.jail, 150, true); },
          [](const PutMailConf &x) -> Status {
            // Empty means "not set"; anything else must be fit for a mail header.
            for (const std::string *address : {&x.conf.src_email, &x.conf.dest_email})
              if (!address->empty())
                if (auto st = check_mail_address(*address); !st)
                  return st;
            return check_mail_name(x.conf.src_name);
          },
      },
      m);
}

} // namespace mcf2b
