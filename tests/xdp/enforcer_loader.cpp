// SPDX-License-Identifier: GPL-2.0-only
#include "tests/xdp/enforcer_loader.h"

#include <sys/wait.h>
#include <unistd.h>

#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b::testing {

int load_attach_and_exit(const NetnsPair &pair, const std::string &pin_root,
                         const std::string &banned) {
  constexpr const char *kJail = "mc-exim-1d";
  pid_t pid = ::fork();
  if (pid == 0) {
    auto scope = NetnsScope::enter(pair.b().ns);
    if (!scope)
      ::_exit(10);
    auto e = XdpEnforcer::open({pin_root, 4096, {}});
    if (!e)
      ::_exit(11);
    if (!e->set_jail(kJail, JailPorts::from_list({25, 465, 587})))
      ::_exit(12);
    if (!e->ban(kJail, IpPrefix::parse(banned).value(), 0) ||
        !e->ban(kJail, IpPrefix::parse("198.51.100.0/24").value(), 0))
      ::_exit(13);
    if (!e->attach(pair.b().ifname))
      ::_exit(14);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace mcf2b::testing
