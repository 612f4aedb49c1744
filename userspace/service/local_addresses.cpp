// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/service/local_addresses.h"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <memory>

namespace mcf2b {

Result<std::vector<IpAddress>> local_addresses() {
  ifaddrs *list = nullptr;
  if (::getifaddrs(&list) != 0)
    return Error::sys("getifaddrs");
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> guard(list, ::freeifaddrs);
  std::vector<IpAddress> out;
  for (ifaddrs *i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr)
      continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto *sin = reinterpret_cast<const sockaddr_in *>(i->ifa_addr);
      out.push_back(IpAddress::v4_bytes(reinterpret_cast<const uint8_t *>(&sin->sin_addr)));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(i->ifa_addr);
      out.push_back(IpAddress::v6_bytes(sin6->sin6_addr.s6_addr));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace mcf2b
