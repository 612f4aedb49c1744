// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-packet-counter: attaches the counting XDP program to an interface, runs a
// command (for example a ping from another namespace), and prints the counter before
// and after. The foundation's demonstration that the BPF chain works end to end.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "base/subprocess.h"
#include "demo/packet_counter/packet_counter.h"

int main(int argc, char **argv) {
  CLI::App app{"Count the packets arriving on an interface with an XDP program"};
  std::string interface;
  std::vector<std::string> command;
  app.add_option("-i,--interface", interface, "interface to attach to")->required();
  app.add_option("command", command, "command to run while attached (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  auto counter = mcf2b::PacketCounter::load();
  if (!counter) {
    std::fprintf(stderr, "mcf2b-packet-counter: %s\n", counter.error().message().c_str());
    return 1;
  }
  if (auto st = counter->attach(interface.c_str()); !st) {
    std::fprintf(stderr, "mcf2b-packet-counter: %s\n", st.error().message().c_str());
    return 1;
  }
  auto before = counter->total();
  auto run = mcf2b::run_program(command);
  auto after = counter->total();
  if (!run || !before || !after) {
    std::fprintf(stderr, "mcf2b-packet-counter: %s\n",
                 (!run ? run.error() : !before ? before.error() : after.error()).message().c_str());
    return 1;
  }
  std::fputs(run->out.c_str(), stderr);
  std::string shown;
  for (const auto &arg : command)
    shown += (shown.empty() ? "" : " ") + arg;
  std::printf("XDP counter on %s: %llu packets before, %llu packets (%llu bytes) after '%s'\n",
              interface.c_str(), static_cast<unsigned long long>(before->packets),
              static_cast<unsigned long long>(after->packets),
              static_cast<unsigned long long>(after->bytes), shown.c_str());
  return run->exit_code;
}
