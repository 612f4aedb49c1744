// SPDX-License-Identifier: GPL-2.0-only
// The CommandHandler's mail commands: MailCleaner's `mail dest|src|name|modify` and
// `jail modify-mail`. The addresses and the name were checked when the request was read.
#include <algorithm>

#include "userspace/service/command_handler.h"

namespace mcf2b {

using namespace control;

CommandHandler::Answer<MailConfResult>
CommandHandler::change_mail_conf(const std::function<void(MailConf &)> &change) {
  auto conf = store_.get_mail_conf();
  if (!conf)
    return CommandError(ErrorKind::unavailable, conf.error().message());
  change(*conf);
  if (auto st = store_.put_mail_conf(*conf); !st)
    return CommandError(ErrorKind::unavailable, st.error().message());
  return MailConfResult{*conf};
}

CommandHandler::Answer<MailConfResult> CommandHandler::run(MailDestCommand,
                                                           const MailAddressArgs &r) {
  return change_mail_conf([&](MailConf &c) { c.dest_email = r.email; });
}

CommandHandler::Answer<MailConfResult> CommandHandler::run(MailSrcCommand,
                                                           const MailAddressArgs &r) {
  return change_mail_conf([&](MailConf &c) { c.src_email = r.email; });
}

CommandHandler::Answer<MailConfResult> CommandHandler::run(MailNameCommand,
                                                           const MailNameCommand::Request &r) {
  return change_mail_conf([&](MailConf &c) { c.src_name = r.name; });
}

CommandHandler::Answer<MailConfResult> CommandHandler::run(MailShowCommand, const NoArgs &) {
  auto conf = store_.get_mail_conf();
  if (!conf)
    return CommandError(ErrorKind::unavailable, conf.error().message());
  return MailConfResult{*conf};
}

CommandHandler::Answer<JailsResult>
CommandHandler::set_mail_flag(const std::vector<std::string> &names, bool JailConfig::*flag,
                              bool send, const std::string &what) {
  bool all_so = std::all_of(names.begin(), names.end(), [&](const std::string &n) {
    const JailConfig *j = controller_.jail(n);
    return j && j->*flag == send;
  });
  if (all_so)
    return CommandError(ErrorKind::already,
                        what + " already " + (send ? "sends" : "does not send") + " these mails");
  Decisions all;
  for (const auto &name : names) {
    const JailConfig *j = controller_.jail(name);
    if (!j || j->*flag == send)
      continue;
    JailConfig changed = *j;
    changed.*flag = send;
    auto d = controller_.update_jail(changed);
    if (!d)
      return CommandError(ErrorKind::invalid, d.error().message());
    all.append(std::move(*d));
  }
  return changed_jails(all);
}

CommandHandler::Answer<JailsResult> CommandHandler::run(MailModifyCommand,
                                                        const MailModifyCommand::Request &r) {
  std::vector<std::string> names;
  for (const auto &j : controller_.jails())
    names.push_back(j.name);
  return set_mail_flag(names, &JailConfig::send_mail_bl, r.send, "every jail");
}

CommandHandler::Answer<JailsResult>
CommandHandler::run(JailModifyMailCommand, const JailModifyMailCommand::Request &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  return set_mail_flag(*names, &JailConfig::send_mail, r.send, r.jail);
}

} // namespace mcf2b
