// SPDX-License-Identifier: GPL-2.0-only
// An existing fail2ban configuration tree read as fail2ban reads it. The reference is
// fail2ban 1.0.2's own parse: `fail2ban-client -c DIR -d` over a copy of the installed
// package's /etc/fail2ban, compared jail by jail with what mcf2b reads. Then the stock
// tree alone, fail2ban's time syntax, and hostile trees.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <glob.h>
#include <set>

#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/daemon/fail2ban_jail.h"
#include "userspace/daemon/fail2ban_time.h"
#include "userspace/daemon/fail2ban_tree.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

constexpr const char *kStockTree = "/etc/fail2ban";
// fail2ban-client's own interpreter (the package's modules are installed for it).
constexpr const char *kPython = "/usr/bin/python3";

// Turns `fail2ban-client -c DIR -d` (one Python list per line) into JSON, jail by jail:
// backend, failregex, prefregex, log paths, journal matches, maxretry, maxmatches,
// findtime and bantime (in seconds, by fail2ban's own MyTime.str2seconds), usedns and
// actions with their parameters.
constexpr const char *kDumpToJson = R"PY(
import ast, json, subprocess, sys
from fail2ban.server.mytime import MyTime
out = subprocess.run(["fail2ban-client", "-c", sys.argv[1], "-d"], capture_output=True, text=True)
if out.returncode != 0:
    sys.exit("fail2ban-client -d failed: " + out.stderr)
jails = {}
for line in out.stdout.splitlines():
    cmd = ast.literal_eval(line)
    if cmd[0] == "add":
        jails[cmd[1]] = {"backend": cmd[2], "failregex": [], "logpaths": [], "journalmatch": [],
                         "actions": []}
        continue
    if cmd[0] not in ("set", "multi-set") or cmd[1] not in jails:
        continue
    j = jails[cmd[1]]
    what, args = cmd[2], cmd[3:]
    if what in ("addfailregex", "addignoreregex"):
        j.setdefault(what[3:], [])
        j[what[3:]] += args[0] if cmd[0] == "multi-set" else [args[0]]
    elif what == "addlogpath":
        j["logpaths"].append(args[0])
    elif what == "addjournalmatch":
        j["journalmatch"].append(" ".join(args))
    elif what == "addaction":
        j["actions"].append({"name": args[0], "params": {}})
    elif what == "action" and cmd[0] == "multi-set":
        for k, v in args[1]:
            j["actions"][-1]["params"][k] = v
    elif what == "action":
        j["actions"][-1]["params"][args[1]] = args[2]
    elif what in ("findtime", "bantime"):
        j[what] = int(MyTime.str2seconds(args[0]))
    elif what in ("maxretry", "maxmatches", "usedns", "prefregex", "datepattern"):
        j[what] = args[0]
json.dump(jails, sys.stdout)
)PY";

std::string run(const std::string &command) {
  std::string out;
  FILE *p = ::popen(command.c_str(), "r");
  if (!p)
    return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0)
    out.append(buffer, n);
  ::pclose(p);
  return out;
}

std::set<uint16_t> ports(const std::string &text) {
  std::string why;
  auto list = parse_port_list(text, &why);
  EXPECT_TRUE(list.has_value()) << text << ": " << why;
  return list ? std::set<uint16_t>(list->begin(), list->end()) : std::set<uint16_t>{};
}

std::vector<std::string> expand(const std::vector<std::string> &patterns) {
  std::vector<std::string> out;
  for (const auto &p : patterns) {
    glob_t g{};
    if (::glob(p.c_str(), 0, nullptr, &g) == 0)
      for (size_t i = 0; i < g.gl_pathc; ++i)
        out.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
  }
  return out;
}

std::vector<std::string> lines(const std::string &text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      nl = text.size();
    if (nl > pos)
      out.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

class Fail2banTree : public TempDirTest {
protected:
  Fail2banTree() : TempDirTest("f2b-tree") {}
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_TRUE(std::filesystem::is_regular_file(std::string(kStockTree) + "/jail.conf"))
        << "this test needs Debian's fail2ban package installed (" << kStockTree << ")";
    tree = dir->file("fail2ban");
    std::filesystem::copy(kStockTree, tree, std::filesystem::copy_options::recursive);
    options.filters.dirs = {tree + "/filter.d"};
    options.resolve = [](const std::string &name) -> std::optional<std::vector<IpAddress>> {
      if (name == "gw.example.test")
        return std::vector<IpAddress>{IpAddress::parse("192.0.2.7").value()};
      return std::nullopt;
    };
  }
  void write(const std::string &name, const std::string &text) {
    std::filesystem::create_directories(std::filesystem::path(dir->file(name)).parent_path());
    std::ofstream(dir->file(name)) << text;
  }
  const Fail2banJail *find(const Fail2banImport &imported, const std::string &name) {
    for (const auto &j : imported.enabled)
      if (j.config.name == name)
        return &j;
    return nullptr;
  }
  std::string messages(const Fail2banImport &imported) {
    std::string out;
    for (const auto &e : imported.jails.errors)
      out += "error: " + e.message() + "\n";
    for (const auto &w : imported.warnings)
      out += "warning: " + w + "\n";
    return out;
  }

  // Jail by jail, what mcf2b read against what fail2ban dumped for the same tree.
  void compare_with_fail2ban(const json &reference, const Fail2banImport &imported) {
    for (const auto &[name, ref] : reference.items()) {
      SCOPED_TRACE("jail " + name);
      const Fail2banJail *jail = find(imported, name);
      ASSERT_NE(jail, nullptr);
      const JailConfig &row = jail->config;
      const JailLocalOptions &local = jail->local;
      EXPECT_EQ(imported.jails.local_options.at(name), local);

      // The filter: the same failregexes, in order, and the same prefregex.
      std::vector<std::string> failregex;
      for (const auto &r : jail->filter.failregex)
        failregex.push_back(r.text);
      EXPECT_EQ(failregex, ref.at("failregex").get<std::vector<std::string>>());
      EXPECT_FALSE(failregex.empty());
      if (ref.contains("prefregex")) {
        ASSERT_TRUE(jail->filter.prefregex.has_value());
        EXPECT_EQ(jail->filter.prefregex->text, ref.at("prefregex").get<std::string>());
      } else {
        EXPECT_FALSE(jail->filter.prefregex.has_value());
      }
      std::vector<std::string> ignoreregex;
      for (const auto &r : jail->filter.ignoreregex)
        ignoreregex.push_back(r.text);
      EXPECT_EQ(ignoreregex, ref.value("ignoreregex", std::vector<std::string>{}));
      EXPECT_EQ(jail->filter.datepattern, ref.value("datepattern", std::string{}));
      // The row's filter with the jail's filter options is what the daemon loads again:
      // the same regexes.
      auto filter_line = matcher::FilterSpec::parse(row.filter);
      ASSERT_TRUE(ok(filter_line));
      filter_line->add_jail_options(local.filter_options);
      auto again = matcher::load_filter(*filter_line, options.filters);
      ASSERT_TRUE(ok(again)) << again.error().message();
      EXPECT_EQ(again->failregex.size(), failregex.size());

      // Where the jail reads: the journal, or the files (globs expanded as fail2ban does).
      if (ref.at("backend") == "systemd") {
        EXPECT_EQ(local.backend, JailLocalOptions::Backend::systemd);
        EXPECT_TRUE(local.logpaths.empty());
        EXPECT_TRUE(ref.at("logpaths").empty());
      } else {
        EXPECT_EQ(ref.at("backend"), "auto");
        EXPECT_EQ(local.backend, JailLocalOptions::Backend::auto_detect);
        EXPECT_EQ(expand(local.logpaths), ref.at("logpaths").get<std::vector<std::string>>());
        // The row keeps the first file, or the first pattern while none exists.
        if (ref.at("logpaths").empty())
          EXPECT_EQ(row.logpath, local.logpaths.at(0));
        else
          EXPECT_EQ(row.logpath, ref.at("logpaths").at(0).get<std::string>());
      }
      EXPECT_EQ(lines(local.journal_match), ref.at("journalmatch").get<std::vector<std::string>>());

      EXPECT_EQ(row.maxretry, ref.at("maxretry").get<int>());
      EXPECT_EQ(local.maxmatches, ref.at("maxmatches").get<int>());
      EXPECT_EQ(row.findtime, ref.at("findtime").get<Seconds>());
      EXPECT_EQ(row.bantime, ref.at("bantime").get<Seconds>());
      EXPECT_EQ(imported.jails.use_dns.at(name),
                matcher::parse_use_dns(ref.at("usedns").get<std::string>()).value());

      // Actions: the same ones, with the same parameters; the ports are the firewall
      // action's.
      ASSERT_EQ(local.actions.size(), ref.at("actions").size());
      for (size_t i = 0; i < local.actions.size(); ++i) {
        auto spec = parse_fail2ban_action(local.actions[i], name);
        ASSERT_TRUE(ok(spec)) << local.actions[i] << ": " << spec.error().message();
        const json &action = ref.at("actions").at(i);
        EXPECT_EQ(spec->name, action.at("name").get<std::string>());
        for (const auto &[key, value] : spec->params) {
          ASSERT_TRUE(action.at("params").contains(key)) << key;
          const json &theirs = action.at("params").at(key);
          if (theirs.is_boolean()) // fail2ban converts its bool options (actionstart_on_demand)
            EXPECT_EQ(value == "true" || value == "yes" || value == "on" || value == "1",
                      theirs.get<bool>())
                << key;
          else
            EXPECT_EQ(value, theirs.get<std::string>()) << key;
        }
      }
      const json &firewall = ref.at("actions").at(0);
      EXPECT_EQ(row.banaction, parse_fail2ban_action(local.actions.at(0), name)->file);
      EXPECT_EQ(ports(row.port), ports(firewall.at("params").at("port").get<std::string>()));
    }
  }

  std::string tree;
  Fail2banJailOptions options;
};

TEST_F(Fail2banTree, StockJailsReadAsFail2banItselfDumpsThem) {
  // Logs the jails read (fail2ban's -d wants at least one file per file jail).
  for (const char *log : {"logs/mail.warn", "logs/exim/mainlog", "logs/fail2ban.log",
                          "logs/nginx/site-error.log", "logs/nginx/other.log"})
    write(log, "");
  const std::string logs = dir->file("logs");
  // The paths through the tree's own variables (paths-common.conf's postfix_log is
  // %(syslog_mail_warn)s), nginx-http-auth with a glob and a second line, and its
  // port extended through %(known/port)s.
  write("fail2ban/jail.local",
        "[DEFAULT]\n"
        "syslog_mail_warn = " +
            logs +
            "/mail.warn\n"
            "exim_main_log = " +
            logs +
            "/exim/mainlog\n"
            "nginx_error_log = " +
            logs +
            "/nginx/*error.log\n"
            "\n[sshd]\nbackend = systemd\n"
            "\n[postfix]\nenabled = true\n"
            "\n[dovecot]\nenabled = true\n"
            "\n[exim]\nenabled = true\n"
            "\n[recidive]\nenabled = true\nlogpath = " +
            logs +
            "/fail2ban.log\n"
            "\n[nginx-http-auth]\nenabled = true\nport = %(known/port)s,8080\n"
            "logpath = %(nginx_error_log)s\n"
            "          " +
            logs + "/nginx/other.log\n");
  write("dump.py", kDumpToJson);
  std::string dumped = run(std::string(kPython) + " " + dir->file("dump.py") + " " + tree);
  json reference = json::parse(dumped, nullptr, false);
  ASSERT_FALSE(reference.is_discarded()) << "fail2ban-client -d gave: " << dumped;

  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  EXPECT_TRUE(imported.jails.errors.empty()) << messages(imported);

  std::set<std::string> theirs, ours;
  for (const auto &[name, j] : reference.items())
    theirs.insert(name);
  for (const auto &j : imported.enabled)
    ours.insert(j.config.name);
  EXPECT_EQ(ours, (std::set<std::string>{"sshd", "postfix", "dovecot", "exim", "recidive",
                                         "nginx-http-auth"}));
  EXPECT_EQ(ours, theirs);

  compare_with_fail2ban(reference, imported);
  // Spot checks that the comparison above is not vacuous.
  EXPECT_EQ(find(imported, "postfix")->config.port, "smtp,465,submission");
  EXPECT_EQ(find(imported, "recidive")->config.port, ""); // 0:65535, every port
  EXPECT_EQ(find(imported, "recidive")->config.bantime, 604800);
  EXPECT_EQ(find(imported, "nginx-http-auth")->local.logpaths.size(), 2u);
  EXPECT_EQ(find(imported, "nginx-http-auth")->config.port, "http,https,8080"); // known/
  EXPECT_EQ(find(imported, "sshd")->config.filter, "sshd[logtype=journal, mode=normal]");
  EXPECT_EQ(find(imported, "postfix")->config.filter, "postfix[mode=more]");
}

TEST_F(Fail2banTree, FilterOptionsSetInAJailReachItsFilterAsFail2banReadsThem) {
  // sshd: its own failregex list, the filter's kept through %(known/failregex)s, an
  // ignoreregex and a datepattern. postfix: a rule list given both on the filter line and
  // in the jail (fail2ban adds both), and a jail rule in place of the filter's.
  write("logs/mail.log", "");
  write("fail2ban/jail.local",
        "[sshd]\nbackend = systemd\n"
        "failregex = ^extra rule from <HOST>$\n"
        "            %(known/failregex)s\n"
        "ignoreregex = ^.*for user root.*$\n"
        "datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S\n"
        "\n[postfix]\nenabled = true\nlogpath = " +
            dir->file("logs/mail.log") +
            "\n"
            "filter = postfix[mode=more, ignoreregex=\"^line$\"]\n"
            "ignoreregex = ^from the jail$\n"
            "failregex = ^jail rule <HOST>$\n");
  write("dump.py", kDumpToJson);
  std::string dumped = run(std::string(kPython) + " " + dir->file("dump.py") + " " + tree);
  json reference = json::parse(dumped, nullptr, false);
  ASSERT_FALSE(reference.is_discarded()) << "fail2ban-client -d gave: " << dumped;

  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  EXPECT_TRUE(imported.jails.errors.empty()) << messages(imported);
  EXPECT_EQ(messages(imported).find("not applied"), std::string::npos) << messages(imported);
  compare_with_fail2ban(reference, imported);
  // Not vacuous: fail2ban itself read these.
  EXPECT_EQ(reference["sshd"]["failregex"][0], "^extra rule from <HOST>$");
  EXPECT_GT(reference["sshd"]["failregex"].size(), 10u);
  EXPECT_EQ(reference["sshd"]["datepattern"], "^%Y-%m-%d %H:%M:%S");
  EXPECT_EQ(reference["postfix"]["ignoreregex"],
            json::parse(R"(["^line$", "^from the jail$"])"));
  EXPECT_EQ(reference["postfix"]["failregex"], json::parse(R"(["^jail rule <HOST>$"])"));
}

TEST_F(Fail2banTree, AJournalJailsFilterKeepsALogtypeItsDefinitionSets) {
  // fail2ban's applyAutoOptions gives logtype=journal only to a filter that sets none in
  // its own [Definition] (common.conf's [DEFAULT] logtype = file does not count).
  write("fail2ban/filter.d/own-logtype.conf",
        "[INCLUDES]\nbefore = common.conf\n[Definition]\nlogtype = short\n"
        "failregex = ^probe from <HOST>$\n");
  write("fail2ban/filter.d/default-logtype.conf",
        "[INCLUDES]\nbefore = common.conf\n[Definition]\nfailregex = ^probe from <HOST>$\n");
  write("fail2ban/jail.local",
        "[own]\nenabled = true\nbackend = systemd\nfilter = own-logtype\n"
        "journalmatch = _SYSTEMD_UNIT=probe.service\n"
        "[inherited]\nenabled = true\nbackend = systemd\nfilter = default-logtype\n"
        "journalmatch = _SYSTEMD_UNIT=probe.service\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  EXPECT_TRUE(imported.jails.errors.empty()) << messages(imported);
  ASSERT_NE(find(imported, "own"), nullptr) << messages(imported);
  ASSERT_NE(find(imported, "inherited"), nullptr) << messages(imported);
  EXPECT_EQ(find(imported, "own")->config.filter, "own-logtype");
  EXPECT_EQ(find(imported, "inherited")->config.filter, "default-logtype[logtype=journal]");
}

TEST_F(Fail2banTree, EveryStockJailEnabledReadsAsFail2banDumpsIt) {
  // fail2ban's whole jail.conf at once: every filter, log path variable and action of
  // the package, whether or not its logs exist here.
  write("fail2ban/jail.local", "[DEFAULT]\nenabled = true\n");
  write("dump.py", kDumpToJson);
  std::string dumped = run(std::string(kPython) + " " + dir->file("dump.py") + " " + tree);
  json reference = json::parse(dumped, nullptr, false);
  ASSERT_FALSE(reference.is_discarded()) << "fail2ban-client -d gave: " << dumped;
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  std::set<std::string> theirs, ours;
  for (const auto &[name, j] : reference.items())
    theirs.insert(name);
  for (const auto &j : imported.enabled)
    ours.insert(j.config.name);
  EXPECT_GT(theirs.size(), 80u);
  EXPECT_EQ(ours, theirs) << messages(imported);
  compare_with_fail2ban(reference, imported);
}

TEST_F(Fail2banTree, TheStockTreeAloneLoadsSshdWithoutErrors) {
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  EXPECT_TRUE(imported.jails.errors.empty()) << messages(imported);
  ASSERT_EQ(imported.enabled.size(), 1u) << messages(imported);
  const Fail2banJail &sshd = imported.enabled.front();
  EXPECT_EQ(sshd.config.name, "sshd");
  EXPECT_EQ(sshd.config.port, "ssh");
  EXPECT_EQ(sshd.config.logpath, "/var/log/auth.log");
  EXPECT_EQ(sshd.local.logpaths, std::vector<std::string>{"/var/log/auth.log"});
  EXPECT_EQ(sshd.local.backend, JailLocalOptions::Backend::auto_detect);
  EXPECT_EQ(sshd.local.journal_match, "_SYSTEMD_UNIT=sshd.service + _COMM=sshd");
  EXPECT_EQ(sshd.local.actions,
            std::vector<std::string>{"iptables-multiport[port=\"ssh\", protocol=\"tcp\", "
                                     "chain=\"<known/chain>\"]"});
  // The only warning allowed is the one fail2ban gives too: no /var/log/auth.log here
  // ("Have not found any log file for sshd jail").
  for (const auto &w : imported.warnings)
    EXPECT_NE(w.find("logpath: no file found"), std::string::npos) << w;
  EXPECT_EQ(imported.jails.files.front(), tree + "/paths-common.conf");
  EXPECT_EQ(imported.jails.files.back(), tree + "/jail.d/defaults-debian.conf");
}

TEST_F(Fail2banTree, TimesAreReadAsFail2bansStr2seconds) {
  const std::vector<std::string> values = {
      "600",    "10m", "1h",          "1d",        "5w",        "1mo",   "1y",
      "1h 30m", "-1",  "1d12h",       "6 months",  "1year-6mo", "1 h",   "1.5h",
      "2W",     "90s", "1hour+30min", "0d 1h 30m", "48h",       "3 days"};
  std::string script = "from fail2ban.server.mytime import MyTime\n";
  for (const auto &v : values)
    script += "print(int(MyTime.str2seconds('" + v + "')))\n";
  write("str2sec.py", script);
  auto theirs = lines(run(std::string(kPython) + " " + dir->file("str2sec.py")));
  ASSERT_EQ(theirs.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto ours = fail2ban_seconds(values[i]);
    ASSERT_TRUE(ours.has_value()) << values[i];
    EXPECT_EQ(std::to_string(*ours), theirs[i]) << values[i];
  }
  for (const char *bad : {"", "10 parsecs", "1h;rm", "__import__('os')", "1e9999", "1/0"})
    EXPECT_FALSE(fail2ban_seconds(bad).has_value()) << bad;
}

TEST_F(Fail2banTree, FailTwoBanOptionsBeyondTheRowAreRead) {
  write("fail2ban/jail.local",
        "[sshd]\n"
        "backend = systemd[journalpath=/run/log/journal/x.journal, journalflags=1]\n"
        "journalmatch = _COMM=sshd-session\n"
        "maxmatches = 3\n"
        "ignoreip = 192.0.2.0/24 2001:db8::/32, gw.example.test nowhere.example.test\n"
        "ignoreself = false\n"
        "usedns = no\n"
        "bantime.increment = true\n"
        "bantime.factor = 2\n"
        "bantime.multipliers = 1 5 30 60\n"
        "bantime.maxtime = 5w\n"
        "bantime.rndtime = 10m\n"
        "bantime.overalljails = yes\n"
        "action = %(action_mw)s\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.enabled.size(), 1u) << messages(imported);
  const Fail2banJail &sshd = imported.enabled.front();
  EXPECT_EQ(sshd.local.backend, JailLocalOptions::Backend::systemd);
  EXPECT_EQ(sshd.local.journal_options.at("journalpath"), "/run/log/journal/x.journal");
  EXPECT_EQ(sshd.local.journal_options.at("journalflags"), "1");
  EXPECT_EQ(sshd.local.journal_match, "_COMM=sshd-session");
  EXPECT_EQ(sshd.local.maxmatches, 3);
  EXPECT_FALSE(sshd.local.ignore_self);
  EXPECT_EQ(imported.jails.use_dns.at("sshd"), matcher::UseDns::no);
  std::vector<std::string> ignored;
  for (const auto &p : sshd.ignoreip)
    ignored.push_back(p.to_string());
  EXPECT_EQ(ignored, (std::vector<std::string>{"192.0.2.0/24", "2001:db8::/32", "192.0.2.7"}));
  EXPECT_EQ(imported.jails.whitelist.size(), 3u);
  std::string warned;
  for (const auto &w : imported.warnings)
    warned += w + "\n";
  EXPECT_NE(warned.find("gw.example.test resolved once, at load, to 192.0.2.7"), std::string::npos)
      << warned;
  EXPECT_NE(warned.find("nowhere.example.test does not resolve"), std::string::npos) << warned;
  ASSERT_TRUE(sshd.local.increment.has_value());
  EXPECT_EQ(sshd.local.increment->factor, 2);
  EXPECT_EQ(sshd.local.increment->multipliers, (std::vector<Seconds>{1, 5, 30, 60}));
  EXPECT_EQ(sshd.local.increment->maxtime, 5 * 604800);
  EXPECT_EQ(sshd.local.increment->rndtime, 600);
  EXPECT_TRUE(sshd.local.increment->overall_jails);
  // action_mw: the firewall action and the mail, every %(...)s resolved.
  ASSERT_EQ(sshd.local.actions.size(), 2u);
  EXPECT_EQ(sshd.local.actions[1], "sendmail-whois[sender=\"root@<fq-hostname>\", "
                                   "dest=\"root@localhost\", protocol=\"tcp\", "
                                   "chain=\"<known/chain>\"]");
  EXPECT_EQ(sshd.config.banaction, "iptables-multiport");
  ASSERT_EQ(imported.notes.size(), 1u);
  EXPECT_EQ(imported.notes[0], "[sshd] actions: iptables-multiport carried out by mcf2b's "
                               "enforcement; sendmail-whois kept for mcf2b's action runner");
}

TEST_F(Fail2banTree, IncludesNestedTooDeeplyAreRefused) {
  std::string chain = "[INCLUDES]\nbefore = inc1.conf\n\n[sshd]\nmaxretry = 3\n";
  write("fail2ban/jail.local", chain);
  for (int i = 1; i <= 12; ++i)
    write("fail2ban/inc" + std::to_string(i) + ".conf",
          "[INCLUDES]\nbefore = inc" + std::to_string(i + 1) + ".conf\n[DEFAULT]\nv" +
              std::to_string(i) + " = 1\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 1u) << messages(imported);
  EXPECT_NE(imported.jails.errors[0].message().find("includes nested more than 8 levels deep"),
            std::string::npos)
      << messages(imported);
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.maxretry, 3);
}

// --- hostile trees ----------------------------------------------------------------

TEST_F(Fail2banTree, AnIncludeLoopIsRefusedAndTheRestLoads) {
  write("fail2ban/jail.local", "[INCLUDES]\nbefore = loop-a.conf\n\n[sshd]\nmaxretry = 3\n");
  write("fail2ban/loop-a.conf", "[INCLUDES]\nbefore = loop-b.conf\n[DEFAULT]\na = 1\n");
  write("fail2ban/loop-b.conf", "[INCLUDES]\nafter = loop-a.conf\n[DEFAULT]\nb = 2\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 1u) << messages(imported);
  EXPECT_NE(imported.jails.errors[0].message().find("loop-b.conf: include loop"), std::string::npos)
      << messages(imported);
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.maxretry, 3);
}

TEST_F(Fail2banTree, SelfReferencesAndDoublingInterpolationsStopTheJailOnly) {
  std::string doubling =
      "[DEFAULT]\nx0 = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
  for (int i = 1; i <= 8; ++i) // 64 * 4^8 bytes: 4 MiB, 9 levels deep
    doubling += "x" + std::to_string(i) + " = %(x" + std::to_string(i - 1) + ")s%(x" +
                std::to_string(i - 1) + ")s%(x" + std::to_string(i - 1) + ")s%(x" +
                std::to_string(i - 1) + ")s\n";
  write("fail2ban/jail.local", doubling +
                                   "\n[sshd]\nport = %(port)s\n"
                                   "\n[postfix]\nenabled = true\nlogpath = %(x8)s\n"
                                   "\n[dovecot]\nenabled = true\nlogpath = /var/log/mail.log\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 2u) << messages(imported);
  std::string all = messages(imported);
  EXPECT_NE(all.find("jail.local:13: interpolation nested too deeply"), std::string::npos) << all;
  EXPECT_NE(all.find("expands beyond 1024 KiB"), std::string::npos) << all;
  EXPECT_EQ(all.find("AAAAAAAA"), std::string::npos) << "file content echoed back";
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.name, "dovecot");
}

TEST_F(Fail2banTree, AHugeFileIsRefusedWithAClearError) {
  options.limits.max_file_size = 64 * 1024;
  write("fail2ban/jail.d/huge.local", "[sshd]\nmaxretry = 2\n# " + std::string(100000, 'x') + "\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 1u) << messages(imported);
  EXPECT_NE(imported.jails.errors[0].message().find(
                "huge.local: not read: 100023 bytes, more than the 64 KiB"),
            std::string::npos)
      << messages(imported);
  ASSERT_EQ(imported.enabled.size(), 1u); // sshd from the stock files, maxretry theirs
  EXPECT_EQ(imported.enabled[0].config.maxretry, 5);
}

TEST_F(Fail2banTree, TooManyJailSectionsAreRefusedBeyondTheLimit) {
  options.limits.max_jails = 50; // the stock jail.conf alone has more
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 1u) << messages(imported);
  EXPECT_NE(imported.jails.errors[0].message().find("more than 50 jail sections"),
            std::string::npos)
      << messages(imported);
  EXPECT_EQ(imported.enabled.size(), 1u); // sshd comes early in jail.conf
}

TEST_F(Fail2banTree, AFloodOfFilesIsCutAtTheLimitWithOneError) {
  for (int i = 0; i < 300; ++i)
    write("fail2ban/jail.d/flood-" + std::to_string(1000 + i) + ".conf", "[sshd]\nmaxretry = 4\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  ASSERT_EQ(imported.jails.errors.size(), 1u) << messages(imported);
  EXPECT_NE(imported.jails.errors[0].message().find("the tree already has 256 files"),
            std::string::npos)
      << messages(imported);
  EXPECT_EQ(imported.jails.files.size(), 256u);
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.maxretry, 4);
}

TEST_F(Fail2banTree, AnUnknownKeyWarnsWithFileAndLineAndTheJailLoads) {
  write("fail2ban/jail.local", "[sshd]\nmaxretyr = 3\nport = 2222\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  EXPECT_TRUE(imported.jails.errors.empty()) << messages(imported);
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.port, "2222");
  EXPECT_EQ(imported.enabled[0].config.maxretry, 5);
  std::string all = messages(imported);
  EXPECT_NE(all.find(tree + "/jail.local:2: [sshd] maxretyr: unknown jail option"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("port: unknown"), std::string::npos) << all;
}

TEST_F(Fail2banTree, BadValuesAreReportedWithFileAndLineAndOthersGoOn) {
  write("fail2ban/jail.local", "[sshd]\nmaxretry = lots\n"
                               "\n[postfix]\nenabled = true\nlogpath = /var/log/mail.log\n"
                               "bantime = 10 parsecs\n"
                               "\n[dovecot]\nenabled = true\nfilter = no-such-filter\n"
                               "\n[exim]\nenabled = true\nport = smtp,no-such-service\n"
                               "\n[this-jail-name-is-far-too-long-for-ipset]\nenabled = true\n"
                               "\n[recidive]\nenabled = true\nlogpath = /var/log/fail2ban.log\n");
  Fail2banImport imported = import_fail2ban_tree(tree, {}, options);
  std::string all = messages(imported);
  ASSERT_EQ(imported.jails.errors.size(), 5u) << all;
  EXPECT_NE(all.find(tree + "/jail.local:2: [sshd] maxretry: not a whole number"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(tree + "/jail.local:7: [postfix] bantime: not a time fail2ban reads"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find(tree + "/jail.local:11: [dovecot] filter no-such-filter:"), std::string::npos)
      << all;
  EXPECT_NE(all.find(tree + "/jail.local:15: [exim] port:"), std::string::npos) << all;
  EXPECT_NE(all.find("[this-jail-name-is-far-too-long-for-ipset]"), std::string::npos) << all;
  EXPECT_EQ(all.find("lots"), std::string::npos) << "a value echoed back";
  EXPECT_EQ(all.find("parsecs"), std::string::npos) << "a value echoed back";
  ASSERT_EQ(imported.enabled.size(), 1u);
  EXPECT_EQ(imported.enabled[0].config.name, "recidive");
}

TEST_F(Fail2banTree, ADisabledJailTheStoreHasEnabledIsTurnedOff) {
  JailConfig stored;
  stored.name = "postfix";
  stored.filter = "postfix";
  stored.logpath = "/var/log/mail.log";
  Fail2banImport imported = import_fail2ban_tree(tree, {stored}, options);
  ASSERT_EQ(imported.jails.jails.size(), 2u) << messages(imported); // sshd, postfix off
  EXPECT_EQ(imported.jails.jails[1].name, "postfix");
  EXPECT_FALSE(imported.jails.jails[1].enabled);
}

} // namespace
