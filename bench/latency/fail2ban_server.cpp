// SPDX-License-Identifier: GPL-2.0-only
#include "bench/latency/fail2ban_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace mcf2b::bench {
namespace {

constexpr const char *kStockActions = "/etc/fail2ban/action.d";

uint64_t count_after(const std::string &text, const std::string &label) {
  size_t at = text.find(label);
  if (at == std::string::npos)
    return 0;
  return std::strtoull(text.c_str() + at + label.size(), nullptr, 10);
}

} // namespace

std::vector<std::string> Fail2banServer::client(std::vector<std::string> args) const {
  std::vector<std::string> argv = {"fail2ban-client", "-c", dir_.path(), "-s",
                                   dir_.file("fail2ban.sock")};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Fail2banServer> Fail2banServer::start(const std::string &ns,
                                             const std::vector<Fail2banJail> &all) {
  if (all.empty())
    return Error::msg("fail2ban: no jail");
  auto dir = testing::TempDir::create("fail2ban");
  if (!dir)
    return dir.error();
  Fail2banServer f(std::move(*dir));
  f.jails_ = all;
  const Fail2banJail &jail = all.front(); // the filter and backend all jails share
  const auto &d = f.dir_;
  std::error_code ec;
  std::filesystem::create_directory(d.file("filter.d"), ec);
  std::filesystem::copy_file(jail.filter_file, d.file("filter.d/bench-filter.conf"), ec);
  if (ec)
    return Error::msg("copy the filter " + jail.filter_file + ": " + ec.message());
  std::filesystem::create_directory_symlink(kStockActions, d.file("action.d"), ec);
  if (ec)
    return Error::msg("link fail2ban's stock actions: " + ec.message());
  {
    std::ofstream conf(d.file("fail2ban.conf"));
    conf << "[Definition]\nloglevel = INFO\nlogtarget = " << d.file("fail2ban.log")
         << "\nsyslogsocket = auto\nsocket = " << d.file("fail2ban.sock")
         << "\npidfile = " << d.file("fail2ban.pid") << "\ndbfile = " << d.file("fail2ban.sqlite3")
         << "\ndbpurgeage = 1d\nallowipv6 = auto\n";
    std::ofstream jails(d.file("jail.conf"));
    jails << "[DEFAULT]\nbackend = " << jail.backend << "\n";
    for (const auto &j : all) {
      jails << "\n[" << j.name
            << "]\nenabled = true\nfilter = bench-filter\nlogpath = " << f.log_path()
            << "\nmaxretry = " << j.maxretry << "\nfindtime = " << j.findtime
            << "\nbantime = " << j.bantime << "\naction = ";
      if (j.ipset_action)
        jails << "iptables-ipset[name=" << j.name << ", port=\"" << j.port
              << "\", protocol=" << j.protocol << ", chain=INPUT]";
      jails << "\n";
    }
    std::ofstream log(f.log_path());
    if (!conf || !jails || !log)
      return Error::sys("write fail2ban's private config in " + d.path());
  }
  auto child = ChildProcess::spawn({"nsenter", "--net=/run/netns/" + ns, "--", "fail2ban-server",
                                    "-f", "-x", "-c", d.path(), "-s", d.file("fail2ban.sock"),
                                    "-p", d.file("fail2ban.pid")},
                                   d.file("server.out"));
  if (!child)
    return child.error().context("start fail2ban-server");
  f.process_ = std::move(*child);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (f.process_.exited())
      return Error::msg("fail2ban-server exited: " + f.log());
    if (auto r = run_program(f.client({"status", all.back().name})); r && r->exit_code == 0)
      return f;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Error::msg("fail2ban-server did not answer within 60 s: " + f.log());
}

Fail2banServer::~Fail2banServer() {
  if (process_.running()) {
    // Its own stop runs the action's actionstop (rule and set removed); the namespace
    // goes away after anyway.
    (void)run_program(client({"stop"}));
    process_.stop(10000);
  }
}

std::string Fail2banServer::log() const {
  std::stringstream out;
  for (const char *name : {"server.out", "fail2ban.log"}) {
    std::ifstream in(dir_.file(name));
    out << in.rdbuf();
  }
  std::string s = out.str();
  return s.size() > 4000 ? s.substr(s.size() - 4000) : s;
}

Result<Fail2banCounts> Fail2banServer::counts(const std::string &jail) const {
  auto r = run_program_checked(client({"status", jail}));
  if (!r)
    return r.error();
  return Fail2banCounts{count_after(r->out, "Total failed:"), count_after(r->out, "Total banned:")};
}

} // namespace mcf2b::bench
