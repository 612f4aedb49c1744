// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "protocol/protocol.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"
#include "userspace/model/mail_conf.h"

namespace mcf2b::control {

// The commands of COMMANDS.md as types: per command, its name, the Request its args
// carry and the Result it answers with, each read and written by one to_json/from_json
// pair. mcf2b-ctl builds Requests and reads Results; the service's CommandHandler reads
// Requests and builds Results; nobody else touches the JSON. Commands of the same shape
// share a struct (jail.enable and jail.disable both take a JailTarget).
//
// kFields lists the JSON keys of each struct, "?" marking a key that may be absent; a
// unit test holds it against to_json and against COMMANDS.md.

// A malformed request, with the kind to answer (usage; invalid for a bad value).
struct CommandError : Error {
  ErrorKind kind = ErrorKind::usage;
  CommandError(ErrorKind k, std::string message) : Error(Error::msg(std::move(message))), kind(k) {}
};
template <class T> using Parsed = mcf2b::Result<T, CommandError>;

// ---- shapes shared by several commands ---------------------------------------------

struct NoArgs {
  static constexpr std::array<std::string_view, 0> kFields{};
  [[nodiscard]] nlohmann::json to_json() const { return nlohmann::json::object(); }
  static Parsed<NoArgs> from_json(const nlohmann::json &) { return NoArgs{}; }
};

// One jail or family root, required.
struct JailTarget {
  std::string jail;
  static constexpr std::array<std::string_view, 1> kFields{"jail"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<JailTarget> from_json(const nlohmann::json &args);
};

// A listing narrowed to a jail or family, or not.
struct JailFilter {
  std::optional<std::string> jail;
  static constexpr std::array<std::string_view, 1> kFields{"jail?"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<JailFilter> from_json(const nlohmann::json &args);
};

// An address or prefix in a jail or family (blacklist.remove, whitelist.add/remove).
struct JailAndIp {
  std::string jail;
  IpPrefix ip;
  static constexpr std::array<std::string_view, 2> kFields{"jail", "ip"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<JailAndIp> from_json(const nlohmann::json &args);
};

// An address or prefix in a jail or family, with `yes` confirming a range wider than
// /24 or /48 (blacklist.add, whitelist.add: a whitelisted range lifts every ban in it).
struct ConfirmedJailAndIp {
  std::string jail;
  IpPrefix ip;
  bool yes = false;
  static constexpr std::array<std::string_view, 3> kFields{"jail", "ip", "yes?"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<ConfirmedJailAndIp> from_json(const nlohmann::json &args);
};

// A ban lifted: where, what, and why (to_string(UnbanReason)).
struct LiftedBan {
  std::string jail;
  std::string ip;
  std::string reason;
};

// A whitelist entry; `host`, the node that wrote it, when known.
struct WhitelistRow {
  std::string ip;
  std::string jail;
  std::string host;
};

// One fail2ban action.d action of a jail, as `status` shows it: `mode` is "runs",
// "replaced" (a firewall action whose work mcf2b's enforcement does) or "broken" (could
// not be loaded; `reason` says why).
struct JailActionState {
  std::string action;
  std::string mode;
  std::string reason = {};
};

// What `fail2ban-client status JAIL` shows of one jail (the STATUS object).
struct JailStatus {
  std::string name;
  int64_t currently_failed = 0;
  int64_t total_failed = 0;
  std::vector<std::string> file_list;
  int64_t currently_banned = 0;
  int64_t total_banned = 0;
  std::vector<std::string> banned;
  // Why the jail reads no log (its filter or log could not be used); empty when it reads.
  std::string broken = {};
  // Its action.d actions (only from a running daemon).
  std::vector<JailActionState> actions = {};
};
nlohmann::json to_json(const JailStatus &status);
Result<JailStatus> jail_status_from_json(const nlohmann::json &j);
Result<std::vector<JailStatus>> jail_statuses_from_json(const nlohmann::json &list);
Result<std::vector<WhitelistRow>> whitelist_rows_from_json(const nlohmann::json &list);

// Bans (the BAN shape of model_json.h, the same for every command).
struct BansResult {
  std::vector<BanRecord> bans;
  static constexpr std::array<std::string_view, 1> kFields{"bans"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<BansResult> from_json(const nlohmann::json &result);
};

// Lifted bans.
struct UnbannedResult {
  std::vector<LiftedBan> unbanned;
  static constexpr std::array<std::string_view, 1> kFields{"unbanned"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<UnbannedResult> from_json(const nlohmann::json &result);
};

// Jails as they are after a change (or all of them); the bans the change lifted, if any.
struct JailsResult {
  std::vector<JailConfig> jails;
  std::vector<LiftedBan> unbanned; // left out of the JSON when empty
  static constexpr std::array<std::string_view, 2> kFields{"jails", "unbanned?"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<JailsResult> from_json(const nlohmann::json &result);
};

// A log the daemon is catching up on (a backlog read in slices, between which it answers):
// what it has read of it and what the files still hold past its position.
struct LogProgress {
  std::string log;
  uint64_t bytes_read = 0;
  uint64_t bytes_behind = 0;
};
nlohmann::json to_json(const std::vector<LogProgress> &logs);
Result<std::vector<LogProgress>> log_progress_from_json(const nlohmann::json &list);

// ---- the commands ------------------------------------------------------------------

struct PingCommand {
  static constexpr std::string_view kName = "ping";
  using Request = NoArgs;
  struct Result {
    std::string version, node;
    // The logs still being caught up on (absent when none): the daemon answers while it
    // reads a backlog.
    std::vector<LogProgress> catching_up = {};
    static constexpr std::array<std::string_view, 3> kFields{"version", "node", "catching_up?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

struct StatusCommand {
  static constexpr std::string_view kName = "status";
  struct Request {
    std::optional<std::string> jail; // absent: the names of the enabled jails
    bool all = false;                // every enabled jail's STATUS
    static constexpr std::array<std::string_view, 2> kFields{"jail?", "all?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  // "jails" holds names (status without a jail) or STATUS objects.
  struct Result {
    std::vector<std::string> names;
    std::vector<JailStatus> jails;
    std::vector<LogProgress> catching_up = {}; // as ping's
    static constexpr std::array<std::string_view, 2> kFields{"jails", "catching_up?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

struct BanCommand {
  static constexpr std::string_view kName = "ban";
  struct Request {
    std::string jail;
    IpPrefix ip;
    bool yes = false;               // confirms a range wider than /24 or /48
    std::optional<Seconds> bantime; // seconds, or -1 for permanent
    static constexpr std::array<std::string_view, 4> kFields{"jail", "ip", "yes?", "bantime?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = BansResult;
};

struct UnbanCommand {
  static constexpr std::string_view kName = "unban";
  struct Request {
    IpPrefix ip;
    std::optional<std::string> jail; // absent: every jail
    static constexpr std::array<std::string_view, 2> kFields{"ip", "jail?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = UnbannedResult;
};

struct JailEnableCommand {
  static constexpr std::string_view kName = "jail.enable";
  using Request = JailTarget;
  using Result = JailsResult;
};

struct JailDisableCommand {
  static constexpr std::string_view kName = "jail.disable";
  using Request = JailTarget;
  using Result = JailsResult;
};

struct JailChangeCommand {
  static constexpr std::string_view kName = "jail.change";
  struct Request {
    std::string jail;
    std::string option; // findtime, bantime, maxretry or max_count
    int64_t value = 0;  // seconds or a count; a string with units is read as a duration
    static constexpr std::array<std::string_view, 3> kFields{"jail", "option", "value"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = JailsResult;
};

struct JailAddCommand {
  static constexpr std::string_view kName = "jail.add";
  // The JAIL object.
  struct Request {
    JailConfig jail;
    static constexpr std::array<std::string_view, 12> kFields{
        "name",    "enabled?",   "maxretry?", "findtime?",  "bantime?",   "port?",
        "filter?", "banaction?", "logpath?",  "max_count?", "send_mail?", "send_mail_bl?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = JailsResult;
};

struct JailRemoveCommand {
  static constexpr std::string_view kName = "jail.remove";
  using Request = JailTarget;
  struct Result {
    std::string removed;
    std::vector<LiftedBan> unbanned;
    static constexpr std::array<std::string_view, 2> kFields{"removed", "unbanned"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

struct JailListCommand {
  static constexpr std::string_view kName = "jail.list";
  using Request = NoArgs;
  using Result = JailsResult;
};

struct GeneralEnableCommand {
  static constexpr std::string_view kName = "general.enable";
  using Request = NoArgs;
  using Result = JailsResult;
};

struct GeneralDisableCommand {
  static constexpr std::string_view kName = "general.disable";
  using Request = NoArgs;
  using Result = JailsResult;
};

struct GeneralEnableBlCommand {
  static constexpr std::string_view kName = "general.enable-bl";
  struct Request {
    std::optional<int> value;
    static constexpr std::array<std::string_view, 1> kFields{"value?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  struct Result {
    int max_count = 0;
    static constexpr std::array<std::string_view, 1> kFields{"max_count"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

struct GeneralDisableBlCommand {
  static constexpr std::string_view kName = "general.disable-bl";
  using Request = NoArgs;
  using Result = UnbannedResult;
};

struct BlacklistEnableCommand {
  static constexpr std::string_view kName = "blacklist.enable";
  struct Request {
    std::string jail;
    std::optional<int> value;
    static constexpr std::array<std::string_view, 2> kFields{"jail", "value?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = JailsResult;
};

struct BlacklistDisableCommand {
  static constexpr std::string_view kName = "blacklist.disable";
  using Request = JailTarget;
  using Result = JailsResult;
};

struct BlacklistAddCommand {
  static constexpr std::string_view kName = "blacklist.add";
  using Request = ConfirmedJailAndIp;
  using Result = BansResult;
};

struct BlacklistRemoveCommand {
  static constexpr std::string_view kName = "blacklist.remove";
  using Request = JailAndIp;
  using Result = UnbannedResult;
};

struct BlacklistListCommand {
  static constexpr std::string_view kName = "blacklist.list";
  using Request = JailFilter;
  using Result = BansResult;
};

// The whitelist entries a change touched, and the bans it lifted.
struct WhitelistChangeResult {
  std::vector<WhitelistRow> whitelist;
  std::vector<LiftedBan> unbanned;
  static constexpr std::array<std::string_view, 2> kFields{"whitelist", "unbanned"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<WhitelistChangeResult> from_json(const nlohmann::json &result);
};

struct WhitelistAddCommand {
  static constexpr std::string_view kName = "whitelist.add";
  using Request = ConfirmedJailAndIp;
  using Result = WhitelistChangeResult;
};

struct WhitelistRemoveCommand {
  static constexpr std::string_view kName = "whitelist.remove";
  using Request = JailAndIp;
  using Result = WhitelistChangeResult;
};

struct WhitelistListCommand {
  static constexpr std::string_view kName = "whitelist.list";
  using Request = JailFilter;
  struct Result {
    std::vector<WhitelistRow> whitelist;
    static constexpr std::array<std::string_view, 1> kFields{"whitelist"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

struct ListCommand {
  static constexpr std::string_view kName = "list";
  struct Request {
    bool active = false;
    std::optional<std::string> jail;
    std::optional<std::string> node; // rows this cluster node wrote
    static constexpr std::array<std::string_view, 3> kFields{"active?", "jail?", "node?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = BansResult;
};

// One ban carried over from another tool (fail2ban's database): where, what, from when
// until when (end 0 = permanent), and how many times the address was banned there.
struct ImportedBan {
  std::string jail;
  IpPrefix ip;
  Seconds start = 0;
  Seconds end = 0;
  int count = 1;
};

// A ban an import left out, and why.
struct SkippedBan {
  std::string jail;
  std::string ip;
  std::string reason;
};

// Bans in force elsewhere, taken with their own end and count: enforced, stored, never
// counted as new bans (no -bl promotion now; the count carries on from there).
struct BanImportCommand {
  static constexpr std::string_view kName = "ban.import";
  struct Request {
    std::vector<ImportedBan> bans;
    static constexpr std::array<std::string_view, 1> kFields{"bans"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  struct Result {
    std::vector<BanRecord> bans; // the rows as they are now, one per ban taken
    std::vector<SkippedBan> skipped;
    static constexpr std::array<std::string_view, 2> kFields{"bans", "skipped"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

// One jail's counters in `stats`; the XDP ones only when the daemon runs.
struct JailCounters {
  std::string jail;
  std::optional<uint64_t> failures, bans, active, dropped_packets, dropped_bytes;
  std::optional<std::string> broken; // why the jail reads no log, when it reads none
};

// The XDP program's verdicts, and the bans its maps had no room for.
struct XdpVerdicts {
  std::optional<uint64_t> passed, dropped, unparsable, map_full;
};

struct StatsCommand {
  static constexpr std::string_view kName = "stats";
  using Request = NoArgs;
  struct Result {
    std::optional<std::vector<JailCounters>> jails;
    std::optional<XdpVerdicts> xdp;
    // Every other group of counters by name ("daemon", "controller"): objects of
    // numbers, nested at will; the daemon adds groups without a protocol change.
    nlohmann::json counters = nlohmann::json::object();
    static constexpr std::array<std::string_view, 4> kFields{"jails?", "xdp?", "daemon?",
                                                             "controller?"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Result> from_json(const nlohmann::json &result);
  };
};

// ---- MailCleaner's ban mails (mail dest|src|name|modify, jail modify-mail) ----------

// The one fail2ban_conf row, after a change (or as it is).
struct MailConfResult {
  MailConf conf;
  static constexpr std::array<std::string_view, 3> kFields{"src_email", "src_name",
                                                           "dest_email"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<MailConfResult> from_json(const nlohmann::json &result);
};

// A mail address (checked: local@domain, no CR/LF, no spaces or brackets).
struct MailAddressArgs {
  std::string email;
  static constexpr std::array<std::string_view, 1> kFields{"email"};
  [[nodiscard]] nlohmann::json to_json() const;
  static Parsed<MailAddressArgs> from_json(const nlohmann::json &args);
};

struct MailDestCommand {
  static constexpr std::string_view kName = "mail.dest";
  using Request = MailAddressArgs;
  using Result = MailConfResult;
};

struct MailSrcCommand {
  static constexpr std::string_view kName = "mail.src";
  using Request = MailAddressArgs;
  using Result = MailConfResult;
};

struct MailNameCommand {
  static constexpr std::string_view kName = "mail.name";
  struct Request {
    std::string name;
    static constexpr std::array<std::string_view, 1> kFields{"name"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = MailConfResult;
};

struct MailShowCommand {
  static constexpr std::string_view kName = "mail.show";
  using Request = NoArgs;
  using Result = MailConfResult;
};

// send_mail_bl of every jail.
struct MailModifyCommand {
  static constexpr std::string_view kName = "mail.modify";
  struct Request {
    bool send = false;
    static constexpr std::array<std::string_view, 1> kFields{"send"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = JailsResult;
};

// send_mail of one jail (or of a family's tiers).
struct JailModifyMailCommand {
  static constexpr std::string_view kName = "jail.modify-mail";
  struct Request {
    std::string jail;
    bool send = false;
    static constexpr std::array<std::string_view, 2> kFields{"jail", "send"};
    [[nodiscard]] nlohmann::json to_json() const;
    static Parsed<Request> from_json(const nlohmann::json &args);
  };
  using Result = JailsResult;
};

// Every command, in the order of COMMANDS.md.
using AllCommands = std::tuple<
    PingCommand, StatusCommand, BanCommand, UnbanCommand, JailEnableCommand, JailDisableCommand,
    JailChangeCommand, JailAddCommand, JailRemoveCommand, JailListCommand, GeneralEnableCommand,
    GeneralDisableCommand, GeneralEnableBlCommand, GeneralDisableBlCommand, BlacklistEnableCommand,
    BlacklistDisableCommand, BlacklistAddCommand, BlacklistRemoveCommand, BlacklistListCommand,
    WhitelistAddCommand, WhitelistRemoveCommand, WhitelistListCommand, ListCommand, StatsCommand,
    BanImportCommand, MailDestCommand, MailSrcCommand, MailNameCommand, MailShowCommand, MailModifyCommand,
    JailModifyMailCommand>;

// The request envelope of a typed request.
template <class Command> control::Request request_for(const typename Command::Request &request) {
  return control::Request{std::string(Command::kName), request.to_json()};
}

// Whether a command only reads: the store can answer it without changing anything.
bool is_read_command(std::string_view command);

} // namespace mcf2b::control
