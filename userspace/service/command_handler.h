// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "protocol/commands.h"
#include "protocol/protocol.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/service/decision_sink.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

struct CommandContext {
  std::string node;
  std::string version;
  // The daemon's counters for `stats`, as the stats result's JSON (null offline: only
  // the store's view is known).
  std::function<nlohmann::json()> stats;
  // Why a jail reads no log, "" when it reads one (null offline: not known).
  std::function<std::string(const std::string &jail)> broken;
  // The jail's action.d actions and whether each runs (null offline: not known).
  std::function<std::vector<control::JailActionState>(const std::string &jail)> actions;
  // The logs a running daemon is catching up on (empty offline, or when none).
  std::function<std::vector<control::LogProgress>()> catching_up = {};
};

// Carries out the control protocol's commands (protocol/COMMANDS.md): reads the typed
// request, asks the jail logic for decisions, hands them to the sink (which enforces and
// persists them before the answer goes out) and answers with the typed result. The
// daemon and mcf2b-ctl's offline mode share it, so a command means the same with or
// without a running daemon.
class CommandHandler {
public:
  CommandHandler(JailController &controller, StateStore &store, DecisionSink &sink,
                 CommandContext context);

  control::Response handle(const control::Request &request);

  // A command's answer: its result, or the error to send.
  template <class T> using Answer = Result<T, control::CommandError>;

  // One per command; the first argument picks the command where two share a shape.
  Answer<control::PingCommand::Result> run(control::PingCommand, const control::NoArgs &);
  Answer<control::StatusCommand::Result> run(control::StatusCommand,
                                             const control::StatusCommand::Request &r);
  Answer<control::BansResult> run(control::BanCommand, const control::BanCommand::Request &r);
  Answer<control::UnbannedResult> run(control::UnbanCommand,
                                      const control::UnbanCommand::Request &r);
  Answer<control::JailsResult> run(control::JailEnableCommand, const control::JailTarget &r);
  Answer<control::JailsResult> run(control::JailDisableCommand, const control::JailTarget &r);
  Answer<control::JailsResult> run(control::JailChangeCommand,
                                   const control::JailChangeCommand::Request &r);
  Answer<control::JailsResult> run(control::JailAddCommand,
                                   const control::JailAddCommand::Request &r);
  Answer<control::JailRemoveCommand::Result> run(control::JailRemoveCommand,
                                                 const control::JailTarget &r);
  Answer<control::JailsResult> run(control::JailListCommand, const control::NoArgs &);
  Answer<control::JailsResult> run(control::GeneralEnableCommand, const control::NoArgs &);
  Answer<control::JailsResult> run(control::GeneralDisableCommand, const control::NoArgs &);
  Answer<control::GeneralEnableBlCommand::Result>
  run(control::GeneralEnableBlCommand, const control::GeneralEnableBlCommand::Request &r);
  Answer<control::UnbannedResult> run(control::GeneralDisableBlCommand, const control::NoArgs &);
  Answer<control::JailsResult> run(control::BlacklistEnableCommand,
                                   const control::BlacklistEnableCommand::Request &r);
  Answer<control::JailsResult> run(control::BlacklistDisableCommand, const control::JailTarget &r);
  Answer<control::BansResult> run(control::BlacklistAddCommand,
                                  const control::BlacklistAddCommand::Request &r);
  Answer<control::UnbannedResult> run(control::BlacklistRemoveCommand, const control::JailAndIp &r);
  Answer<control::BansResult> run(control::BlacklistListCommand, const control::JailFilter &r);
  Answer<control::WhitelistChangeResult> run(control::WhitelistAddCommand,
                                             const control::ConfirmedJailAndIp &r);
  Answer<control::WhitelistChangeResult> run(control::WhitelistRemoveCommand,
                                             const control::JailAndIp &r);
  Answer<control::WhitelistListCommand::Result> run(control::WhitelistListCommand,
                                                    const control::JailFilter &r);
  Answer<control::BansResult> run(control::ListCommand, const control::ListCommand::Request &r);
  Answer<control::StatsCommand::Result> run(control::StatsCommand, const control::NoArgs &);
  Answer<control::BanImportCommand::Result> run(control::BanImportCommand,
                                                const control::BanImportCommand::Request &r);
  // MailCleaner's ban mails (command_handler_mail.cpp).
  Answer<control::MailConfResult> run(control::MailDestCommand, const control::MailAddressArgs &r);
  Answer<control::MailConfResult> run(control::MailSrcCommand, const control::MailAddressArgs &r);
  Answer<control::MailConfResult> run(control::MailNameCommand,
                                      const control::MailNameCommand::Request &r);
  Answer<control::MailConfResult> run(control::MailShowCommand, const control::NoArgs &);
  Answer<control::JailsResult> run(control::MailModifyCommand,
                                   const control::MailModifyCommand::Request &r);
  Answer<control::JailsResult> run(control::JailModifyMailCommand,
                                   const control::JailModifyMailCommand::Request &r);

private:
  // Applies decisions through the sink; the error when that failed.
  std::optional<control::CommandError> commit(const Decisions &d);
  // The same for a controller call, whose refusal is the error then.
  std::optional<control::CommandError> commit(const ControllerResult<Decisions> &d);
  Answer<control::JailsResult> changed_jails(const Decisions &d);
  Answer<control::JailsResult> changed_jails(const ControllerResult<Decisions> &d);
  control::JailStatus jail_status(const std::string &jail) const;
  Answer<std::vector<std::string>> resolve(const std::string &jail) const;
  // The answer to a ban decided (or refused): the rows of its bans once committed.
  Answer<control::BansResult> committed_bans(const ControllerResult<Decisions> &d);
  // Reads fail2ban_conf, lets `change` edit it and writes it back.
  Answer<control::MailConfResult> change_mail_conf(const std::function<void(MailConf &)> &change);
  // Sets send_mail (or send_mail_bl) on `names`; `already` when every one is so.
  Answer<control::JailsResult> set_mail_flag(const std::vector<std::string> &names,
                                             bool JailConfig::*flag, bool send,
                                             const std::string &what);

  JailController &controller_;
  StateStore &store_;
  DecisionSink &sink_;
  CommandContext context_;
};

} // namespace mcf2b
