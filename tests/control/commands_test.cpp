// SPDX-License-Identifier: GPL-2.0-only
// The typed commands of protocol/commands.h: every Request and Result survives a round
// trip through its to_json/from_json, writes exactly the keys its kFields lists, and
// COMMANDS.md documents every command with those keys (and no command that is not one).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "protocol/commands.h"

using namespace mcf2b;
using namespace mcf2b::control;
using nlohmann::json;

namespace {

IpPrefix P(const char *text) {
  return *IpPrefix::parse(text);
}

JailConfig sample_jail() {
  JailConfig j;
  j.name = "mc-dovecot-1d";
  j.maxretry = 5;
  j.findtime = 3600;
  j.bantime = 86400;
  j.port = "143,993";
  j.filter = "dovecot";
  j.logpath = "/var/log/mail.log";
  j.max_count = 3;
  return j;
}

BanRecord sample_ban() {
  BanRecord b;
  b.ip = P("203.0.113.5");
  b.jail = "mc-exim-1d";
  b.count = 2;
  b.active = true;
  b.last_hit = 1700000000;
  b.host = "mx1";
  b.ban_start = 1700000000;
  b.ban_end = 1700086400;
  return b;
}

LiftedBan sample_lifted() {
  return {"mc-exim-1d", "203.0.113.5", "manual"};
}

// One populated value of each request and result type.
NoArgs sample(std::type_identity<NoArgs>) {
  return {};
}
JailTarget sample(std::type_identity<JailTarget>) {
  return {"mc-exim"};
}
JailFilter sample(std::type_identity<JailFilter>) {
  return {"mc-exim"};
}
JailAndIp sample(std::type_identity<JailAndIp>) {
  return {"mc-exim", P("192.0.2.25")};
}
StatusCommand::Request sample(std::type_identity<StatusCommand::Request>) {
  return {"mc-exim", true};
}
BanCommand::Request sample(std::type_identity<BanCommand::Request>) {
  return {"mc-exim-1d", P("198.51.100.0/22"), true, 3600};
}
UnbanCommand::Request sample(std::type_identity<UnbanCommand::Request>) {
  return {P("2001:db8::7"), "mc-ssh"};
}
JailChangeCommand::Request sample(std::type_identity<JailChangeCommand::Request>) {
  return {"mc-exim-1d", "bantime", 7200};
}
JailAddCommand::Request sample(std::type_identity<JailAddCommand::Request>) {
  return {sample_jail()};
}
GeneralEnableBlCommand::Request sample(std::type_identity<GeneralEnableBlCommand::Request>) {
  return {5};
}
BlacklistEnableCommand::Request sample(std::type_identity<BlacklistEnableCommand::Request>) {
  return {"mc-exim", 4};
}
BlacklistAddCommand::Request sample(std::type_identity<BlacklistAddCommand::Request>) {
  return {"mc-exim", P("203.0.113.5"), true};
}
ListCommand::Request sample(std::type_identity<ListCommand::Request>) {
  return {true, "mc-exim", "mx2"};
}
PingCommand::Result sample(std::type_identity<PingCommand::Result>) {
  return {"0.1.0", "mx1", {{"/var/log/exim4/rejectlog", 1 << 20, 5 << 20}}};
}
StatusCommand::Result sample(std::type_identity<StatusCommand::Result>) {
  return {{},
          {{"mc-exim-1d", 3, 40, {"/var/log/exim4/mainlog"}, 1, 7, {"203.0.113.5"}, ""},
           {"custom-smtp", 0, 0, {}, 0, 0, {}, "filter not found"},
           {"sshd", 0, 0, {}, 0, 0, {}, "",
            {{"sendmail-whois-lines", "runs"},
             {"iptables-multiport", "replaced"},
             {"nope", "broken", "action 'nope' not found in /etc/fail2ban/action.d"}}}},
          {{"/var/log/exim4/rejectlog", 1 << 20, 5 << 20}}};
}
BansResult sample(std::type_identity<BansResult>) {
  return {{sample_ban()}};
}
UnbannedResult sample(std::type_identity<UnbannedResult>) {
  return {{sample_lifted()}};
}
JailsResult sample(std::type_identity<JailsResult>) {
  return {{sample_jail()}, {sample_lifted()}};
}
JailRemoveCommand::Result sample(std::type_identity<JailRemoveCommand::Result>) {
  return {"mc-dovecot-1d", {sample_lifted()}};
}
GeneralEnableBlCommand::Result sample(std::type_identity<GeneralEnableBlCommand::Result>) {
  return {5};
}
WhitelistChangeResult sample(std::type_identity<WhitelistChangeResult>) {
  return {{{"192.0.2.25", "mc-exim-1d", ""}}, {sample_lifted()}};
}
WhitelistListCommand::Result sample(std::type_identity<WhitelistListCommand::Result>) {
  return {{{"192.0.2.25", "mc-exim-1d", "mx2"}}};
}
BanImportCommand::Request sample(std::type_identity<BanImportCommand::Request>) {
  return {{{"sshd", P("203.0.113.5"), 1700000000, 1700003600, 2},
           {"sshd", P("2001:db8::5"), 1700000000, 0, 1}}};
}
BanImportCommand::Result sample(std::type_identity<BanImportCommand::Result>) {
  return {{sample_ban()}, {{"recidive", "198.51.100.7", "unknown jail 'recidive'"}}};
}
MailConfResult sample(std::type_identity<MailConfResult>) {
  return {{"fail2ban@mx1.example.com", "MailCleaner mx1", "admin@example.com"}};
}
MailAddressArgs sample(std::type_identity<MailAddressArgs>) {
  return {"admin@example.com"};
}
MailNameCommand::Request sample(std::type_identity<MailNameCommand::Request>) {
  return {"MailCleaner mx1"};
}
MailModifyCommand::Request sample(std::type_identity<MailModifyCommand::Request>) {
  return {true};
}
JailModifyMailCommand::Request sample(std::type_identity<JailModifyMailCommand::Request>) {
  return {"mc-exim-1d", false};
}
StatsCommand::Result sample(std::type_identity<StatsCommand::Result>) {
  StatsCommand::Result r;
  r.jails = std::vector<JailCounters>{{"mc-exim-1d", 12, 3, 2, 1043, 62580, std::nullopt},
                                      {"custom-smtp", 0, 0, 0, 0, 0, "filter not found"}};
  r.xdp = XdpVerdicts{99, 1043, 0, 0};
  r.counters = {{"daemon", {{"lines", 5000}, {"store", "sqlite"}}},
                {"controller", {{"failures", 12}}}};
  return r;
}

std::set<std::string> documented_keys(const std::array<std::string_view, 0> &) {
  return {};
}
template <size_t N>
std::set<std::string> documented_keys(const std::array<std::string_view, N> &f) {
  std::set<std::string> keys;
  for (auto key : f)
    keys.insert(std::string(key.ends_with('?') ? key.substr(0, key.size() - 1) : key));
  return keys;
}

std::set<std::string> keys_of(const json &object) {
  std::set<std::string> keys;
  for (const auto &[key, value] : object.items())
    keys.insert(key);
  return keys;
}

// The value written, read back and written again is the same JSON, holding the keys of
// kFields.
template <class T> void expect_round_trip(const std::string &what) {
  T value = sample(std::type_identity<T>{});
  json written = value.to_json();
  EXPECT_EQ(keys_of(written), documented_keys(T::kFields)) << what << ": " << written.dump();
  auto read = T::from_json(written);
  ASSERT_TRUE(read.ok()) << what << ": " << read.error().message();
  EXPECT_EQ(read->to_json(), written) << what;
}

template <class... Commands> void expect_all_round_trips(std::tuple<Commands...> *) {
  (expect_round_trip<typename Commands::Request>(std::string(Commands::kName) + " request"), ...);
  (expect_round_trip<typename Commands::Result>(std::string(Commands::kName) + " result"), ...);
}

TEST(Commands, EveryRequestAndResultRoundTrips) {
  expect_all_round_trips(static_cast<AllCommands *>(nullptr));
}

TEST(Commands, StatusWithoutJailRoundTripsItsNames) {
  StatusCommand::Result names{{"mc-exim-1d", "mc-ssh-1d"}, {}};
  auto read = StatusCommand::Result::from_json(names.to_json());
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->names, names.names);
  EXPECT_TRUE(read->jails.empty());
}

TEST(Commands, MailAddressesWithLineBreaksOrWithoutAtAreRefused) {
  for (const char *bad : {"admin@example.com\r\nBcc: x@evil.example", "admin", "a@b@c",
                          "<admin@example.com>", "admin @example.com", "@example.com"})
    EXPECT_EQ(MailAddressArgs::from_json({{"email", bad}}).error().kind, ErrorKind::invalid) << bad;
  EXPECT_EQ(MailNameCommand::Request::from_json({{"name", "x\r\nBcc: y@z"}}).error().kind,
            ErrorKind::invalid);
  EXPECT_EQ(MailModifyCommand::Request::from_json(json::object()).error().kind, ErrorKind::usage);
  EXPECT_TRUE(MailAddressArgs::from_json({{"email", "fail2ban@mx1.example.com"}}).ok());
}

TEST(Commands, RequestsRefuseMalformedArguments) {
  EXPECT_EQ(BanCommand::Request::from_json({{"jail", "mc-exim-1d"}}).error().kind,
            ErrorKind::usage);
  EXPECT_EQ(
      BanCommand::Request::from_json({{"jail", "mc-exim-1d"}, {"ip", "999.1.1.1"}}).error().kind,
      ErrorKind::invalid);
  EXPECT_EQ(
      BanCommand::Request::from_json({{"jail", "mc-exim-1d"}, {"ip", "192.0.2.1"}, {"bantime", 0}})
          .error()
          .kind,
      ErrorKind::usage);
  EXPECT_EQ(JailChangeCommand::Request::from_json(
                {{"jail", "mc-exim-1d"}, {"option", "bantime"}, {"value", "2x"}})
                .error()
                .kind,
            ErrorKind::invalid);
  auto units = JailChangeCommand::Request::from_json(
      {{"jail", "mc-exim-1d"}, {"option", "bantime"}, {"value", "2h"}});
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(units->value, 7200);
  EXPECT_EQ(GeneralEnableBlCommand::Request::from_json({{"value", 0}}).error().kind,
            ErrorKind::usage);
}

// Any argument of any request with a value of the wrong type or out of range is a usage
// or invalid-value error naming it: never an exception, never kind "internal".
template <class Request> void expect_wrong_types_refused(const std::string &what) {
  const json wrong[] = {nullptr, true,         1,    -1,          4294967301LL, 1e300,
                        "",      "x",          "-1", json::array(), json::object(),
                        json::array({1, 2})};
  json valid = sample(std::type_identity<Request>{}).to_json();
  for (const auto &[key, value] : valid.items()) {
    for (const json &bad : wrong) {
      json args = valid;
      args[key] = bad;
      try {
        auto read = Request::from_json(args);
        if (!read.ok()) {
          EXPECT_NE(read.error().kind, ErrorKind::internal)
              << what << " " << args.dump() << ": " << read.error().message();
        }
      } catch (const std::exception &e) {
        ADD_FAILURE() << what << " " << args.dump() << " threw: " << e.what();
      }
    }
  }
}

template <class... Commands> void expect_all_wrong_types_refused(std::tuple<Commands...> *) {
  (expect_wrong_types_refused<typename Commands::Request>(std::string(Commands::kName)), ...);
}

TEST(Commands, ArgumentsOfTheWrongTypeAreRefusedNeverInternal) {
  expect_all_wrong_types_refused(static_cast<AllCommands *>(nullptr));
}

// ---- COMMANDS.md -----------------------------------------------------------------

struct DocRow {
  std::string args, result;
};

std::string trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '`'))
    s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '`'))
    s.pop_back();
  return s;
}

std::vector<std::string> cells(const std::string &line) {
  std::vector<std::string> out;
  std::stringstream in(line.substr(1));
  std::string cell;
  while (std::getline(in, cell, '|'))
    out.push_back(cell);
  return out;
}

// "`a, b?`" -> "a, b?"; the documented field list as commands.h spells it.
template <size_t N> std::string field_list(const std::array<std::string_view, N> &f) {
  std::string out;
  for (auto key : f)
    out += (out.empty() ? "" : ", ") + std::string(key);
  return out;
}

std::map<std::string, DocRow> documented_commands() {
  std::ifstream file(MCF2B_COMMANDS_MD);
  EXPECT_TRUE(file.good()) << "cannot read " << MCF2B_COMMANDS_MD;
  std::map<std::string, DocRow> rows;
  std::string line;
  while (std::getline(file, line)) {
    if (line.rfind("| `", 0) != 0)
      continue;
    auto c = cells(line);
    if (c.size() < 3)
      continue;
    // "`jail.enable` / `jail.disable`": one row for commands of the same shape.
    std::stringstream names(c[0]);
    std::string name;
    while (std::getline(names, name, '/')) {
      EXPECT_EQ(rows.count(trim(name)), 0u) << trim(name) << " is documented twice";
      rows[trim(name)] = {trim(c[1]), trim(c[2])};
    }
  }
  return rows;
}

template <class... Commands> void expect_documented(std::tuple<Commands...> *) {
  auto rows = documented_commands();
  std::set<std::string> typed;
  auto check = [&](std::string name, std::string args, std::string result) {
    typed.insert(name);
    auto row = rows.find(name);
    if (row == rows.end()) {
      ADD_FAILURE() << name << " is not in COMMANDS.md";
      return;
    }
    EXPECT_EQ(row->second.args, args) << name << ": args";
    EXPECT_EQ(row->second.result, result) << name << ": result";
  };
  (check(std::string(Commands::kName), field_list(Commands::Request::kFields),
         field_list(Commands::Result::kFields)),
   ...);
  for (const auto &[name, row] : rows)
    EXPECT_EQ(typed.count(name), 1u) << name << " is documented but no command";
}

TEST(Commands, CommandsMdDocumentsEveryCommandWithItsFields) {
  expect_documented(static_cast<AllCommands *>(nullptr));
}

} // namespace
