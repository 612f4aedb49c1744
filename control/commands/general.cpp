// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/general.h"

#include "control/arguments.h"

namespace mcf2b::control {
namespace {

void register_all_jails(CLI::App &group, CtlSession &session, bool enable) {
  const char *name = enable ? "enable" : "disable";
  CLI::App *cmd = group.add_subcommand(name, enable ? "Enable every jail" : "Disable every jail");
  session.add_json_flag(*cmd);
  cmd->footer(std::string("Example:\n  mcf2b-ctl general ") + name);
  cmd->callback([enable, &session] {
    auto result =
        enable ? session.call<GeneralEnableCommand>({}) : session.call<GeneralDisableCommand>({});
    if (!result)
      return;
    std::string names;
    for (const auto &j : result->jails)
      names += (names.empty() ? "" : ", ") + j.name;
    session.confirm(std::string(enable ? "Enabled " : "Disabled ") +
                    std::to_string(result->jails.size()) + " jails" +
                    (names.empty() ? "" : ": " + names));
  });
}

} // namespace

void register_general(CLI::App &app, CtlSession &session) {
  CLI::App *group = app.add_subcommand("general", "Every jail at once: enable, disable, "
                                                  "blacklisting on or off");
  group->require_subcommand(1);
  group->footer("Examples:\n"
                "  mcf2b-ctl general enable\n"
                "  mcf2b-ctl general enable-bl -v 5\n"
                "  mcf2b-ctl general disable-bl");
  register_all_jails(*group, session, true);
  register_all_jails(*group, session, false);

  auto value = std::make_shared<std::string>("3");
  CLI::App *enable_bl = group->add_subcommand(
      "enable-bl", "Blacklist for good, in every jail, an address banned more than N times");
  enable_bl->add_option("-v,--value", *value, "bans before the blacklist, at least 1")
      ->capture_default_str();
  session.add_json_flag(*enable_bl);
  enable_bl->footer("Examples:\n  mcf2b-ctl general enable-bl        # after 3 bans\n"
                    "  mcf2b-ctl general enable-bl -v 5");
  enable_bl->callback([value, &session] {
    auto n = parse_count_argument("value", *value, 1);
    if (!session.check(n))
      return;
    auto result = session.call<GeneralEnableBlCommand>({*n});
    if (!result)
      return;
    int64_t max_count = result->max_count;
    session.confirm("Blacklisting on in every jail: an address banned more than " +
                    std::to_string(max_count) + " times is blacklisted");
  });

  CLI::App *disable_bl =
      group->add_subcommand("disable-bl", "Turn blacklisting off in every jail (lifts "
                                          "blacklist bans)");
  session.add_json_flag(*disable_bl);
  disable_bl->footer("Example:\n  mcf2b-ctl general disable-bl");
  disable_bl->callback([&session] {
    auto result = session.call<GeneralDisableBlCommand>({});
    if (!result)
      return;
    session.confirm("Blacklisting off in every jail");
  });
}

} // namespace mcf2b::control
