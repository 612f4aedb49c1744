// SPDX-License-Identifier: GPL-2.0-only
// The mail commands' requests and results (commands.h): MailCleaner's `mail ...` and
// `jail modify-mail`.
#include "protocol/commands.h"
#include "protocol/json_fields.h"

namespace mcf2b::control {

using nlohmann::json;

namespace {

// A boolean that must be there (`--send` or `--no-send`).
Parsed<bool> required_flag(const json &args, const char *key) {
  if (!args.is_object() || !args.contains(key))
    return CommandError(ErrorKind::usage, std::string("missing argument '") + key + "'");
  if (!args.at(key).is_boolean())
    return CommandError(ErrorKind::usage, std::string("'") + key + "' must be true or false");
  return args.at(key).get<bool>();
}

Parsed<std::string> text_member(const json &object, const char *key) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_string())
    return CommandError(ErrorKind::usage, std::string("missing or malformed '") + key + "'");
  return object.at(key).get<std::string>();
}

} // namespace

json MailConfResult::to_json() const {
  return {{"src_email", conf.src_email},
          {"src_name", conf.src_name},
          {"dest_email", conf.dest_email}};
}

Parsed<MailConfResult> MailConfResult::from_json(const json &result) {
  MailConfResult out;
  for (auto [key, field] : {std::pair{"src_email", &out.conf.src_email},
                            std::pair{"src_name", &out.conf.src_name},
                            std::pair{"dest_email", &out.conf.dest_email}}) {
    auto text = text_member(result, key);
    if (!text)
      return text.error();
    *field = std::move(*text);
  }
  return out;
}

json MailAddressArgs::to_json() const {
  return {{"email", email}};
}

Parsed<MailAddressArgs> MailAddressArgs::from_json(const json &args) {
  auto email = fields::required_text(args, "email");
  if (!email)
    return email.error();
  if (auto st = check_mail_address(*email); !st)
    return CommandError(ErrorKind::invalid, st.error().message());
  return MailAddressArgs{*email};
}

json MailNameCommand::Request::to_json() const {
  return {{"name", name}};
}

Parsed<MailNameCommand::Request> MailNameCommand::Request::from_json(const json &args) {
  auto name = fields::required_text(args, "name");
  if (!name)
    return name.error();
  if (auto st = check_mail_name(*name); !st)
    return CommandError(ErrorKind::invalid, st.error().message());
  return Request{*name};
}

json MailModifyCommand::Request::to_json() const {
  return {{"send", send}};
}

Parsed<MailModifyCommand::Request> MailModifyCommand::Request::from_json(const json &args) {
  auto send = required_flag(args, "send");
  if (!send)
    return send.error();
  return Request{*send};
}

json JailModifyMailCommand::Request::to_json() const {
  return {{"jail", jail}, {"send", send}};
}

Parsed<JailModifyMailCommand::Request>
JailModifyMailCommand::Request::from_json(const json &args) {
  auto jail = fields::required_text(args, "jail");
  if (!jail)
    return jail.error();
  auto send = required_flag(args, "send");
  if (!send)
    return send.error();
  return Request{*jail, *send};
}

} // namespace mcf2b::control
