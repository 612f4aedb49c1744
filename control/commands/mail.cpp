// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/mail.h"

#include "control/arguments.h"
#include "control/commands/shared_options.h"

namespace mcf2b::control {
namespace {

void print_conf(CtlSession &session, const MailConf &c) {
  session.print("sender:    " + (c.src_email.empty() ? std::string("(none)") : c.src_email) +
                "\nname:      " + (c.src_name.empty() ? std::string("(none)") : c.src_name) +
                "\nrecipient: " +
                (c.dest_email.empty() ? std::string("(none: no mail is sent)") : c.dest_email) +
                "\n");
}

// `mail dest -e` and `mail src -e`: one address, checked here before anything is asked.
template <class Command>
void register_address(CLI::App &group, CtlSession &session, const char *name,
                      const char *description, const char *what) {
  auto email = std::make_shared<std::string>();
  CLI::App *cmd = group.add_subcommand(name, description);
  cmd->add_option("-e,--email", *email, "the address (local@domain)")->required();
  session.add_json_flag(*cmd);
  cmd->footer(std::string("Example:\n  mcf2b-ctl mail ") + name + " -e postmaster@example.com");
  cmd->callback([email, what, &session] {
    if (!session.check(check_mail_address(*email)))
      return;
    auto result = session.call<Command>({*email});
    if (!result)
      return;
    session.confirm(std::string(what) + " set to " + *email);
  });
}

void register_send_flags(CLI::App &cmd, bool &send, bool &no_send) {
  auto *on = cmd.add_flag("--send", send, "send the mails");
  auto *off = cmd.add_flag("--no-send", no_send, "do not send them");
  on->excludes(off);
  off->excludes(on);
}

// Exactly one of --send and --no-send.
std::optional<bool> chosen(CtlSession &session, bool send, bool no_send) {
  if (send == no_send) {
    session.fail("give --send or --no-send", kExitUsage);
    return std::nullopt;
  }
  return send;
}

} // namespace

void register_mail(CLI::App &app, CtlSession &session) {
  CLI::App *group =
      app.add_subcommand("mail", "Who the ban mails go to and come from, and the -bl mails");
  group->require_subcommand(1);
  group->footer("Examples:\n"
                "  mcf2b-ctl mail dest -e admin@example.com\n"
                "  mcf2b-ctl mail src -e fail2ban@mx1.example.com\n"
                "  mcf2b-ctl mail name -n 'MailCleaner mx1'\n"
                "  mcf2b-ctl mail modify --no-send   # no mail when an address is blacklisted");
  register_address<MailDestCommand>(*group, session, "dest", "Set the recipient of the ban mails",
                                    "Recipient");
  register_address<MailSrcCommand>(*group, session, "src", "Set the sender of the ban mails",
                                   "Sender");

  auto name = std::make_shared<std::string>();
  CLI::App *name_cmd = group->add_subcommand("name", "Set the sender name of the ban mails");
  name_cmd->add_option("-n,--name", *name, "the name shown with the sender")->required();
  session.add_json_flag(*name_cmd);
  name_cmd->footer("Example:\n  mcf2b-ctl mail name -n 'MailCleaner mx1'");
  name_cmd->callback([name, &session] {
    if (!session.check(check_mail_name(*name)))
      return;
    auto result = session.call<MailNameCommand>({*name});
    if (!result)
      return;
    session.confirm("Sender name set to " + *name);
  });

  CLI::App *show = group->add_subcommand("show", "Show the sender, its name and the recipient");
  session.add_json_flag(*show);
  show->footer("Example:\n  mcf2b-ctl mail show --json");
  show->callback([&session] {
    auto result = session.call<MailShowCommand>({});
    if (result)
      print_conf(session, result->conf);
  });

  struct Flags {
    bool send = false, no_send = false;
  };
  auto modify_flags = std::make_shared<Flags>();
  CLI::App *modify = group->add_subcommand(
      "modify", "Mail (or not) when an address is blacklisted, in every jail (send_mail_bl)");
  register_send_flags(*modify, modify_flags->send, modify_flags->no_send);
  session.add_json_flag(*modify);
  modify->footer("Examples:\n  mcf2b-ctl mail modify --send\n  mcf2b-ctl mail modify --no-send");
  modify->callback([modify_flags, &session] {
    auto send = chosen(session, modify_flags->send, modify_flags->no_send);
    if (!send)
      return;
    auto result = session.call<MailModifyCommand>({*send});
    if (!result)
      return;
    session.confirm(std::string("Blacklist mails ") + (*send ? "on" : "off") + " in " +
                    std::to_string(result->jails.size()) + " jail(s)");
  });

  CLI::App *jail_group = app.get_subcommand("jail");
  auto jail = std::make_shared<std::string>();
  auto jail_flags = std::make_shared<Flags>();
  CLI::App *jail_cmd = jail_group->add_subcommand(
      "modify-mail", "Mail (or not) on every ban of a jail (send_mail)");
  add_jail_option(*jail_cmd, *jail);
  register_send_flags(*jail_cmd, jail_flags->send, jail_flags->no_send);
  session.add_json_flag(*jail_cmd);
  jail_cmd->footer("Examples:\n  mcf2b-ctl jail modify-mail -j mc-exim-1d --send\n"
                   "  mcf2b-ctl jail modify-mail -j mc-exim --no-send   # its four tiers");
  jail_cmd->callback([jail, jail_flags, &session] {
    if (!session.check(check_jail_name(*jail)))
      return;
    auto send = chosen(session, jail_flags->send, jail_flags->no_send);
    if (!send)
      return;
    auto result = session.call<JailModifyMailCommand>({*jail, *send});
    if (!result)
      return;
    for (const auto &j : result->jails)
      session.confirm(std::string("Ban mails ") + (*send ? "on" : "off") + " in jail " + j.name);
  });
}

} // namespace mcf2b::control
