// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/host_name_resolver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace mcf2b::matcher {
namespace {

std::optional<std::vector<IpAddress>> getaddrinfo_both_families(const std::string &name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC; // IPv4 and IPv6 answers
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *list = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &list) != 0)
    return std::nullopt;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(list, &::freeaddrinfo);
  std::vector<IpAddress> out;
  for (const addrinfo *a = list; a; a = a->ai_next) {
    if (a->ai_family == AF_INET && a->ai_addrlen >= sizeof(sockaddr_in)) {
      const auto *sin = reinterpret_cast<const sockaddr_in *>(a->ai_addr);
      out.push_back(IpAddress::v4_bytes(reinterpret_cast<const uint8_t *>(&sin->sin_addr)));
    } else if (a->ai_family == AF_INET6 && a->ai_addrlen >= sizeof(sockaddr_in6)) {
      const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(a->ai_addr);
      out.push_back(IpAddress::v6_bytes(sin6->sin6_addr.s6_addr));
    }
  }
  return out;
}

} // namespace

NameLookup system_name_lookup(std::chrono::milliseconds timeout, size_t max_abandoned) {
  auto running = std::make_shared<std::atomic<size_t>>(0);
  return [timeout, max_abandoned, running](const std::string &name)
             -> std::optional<std::vector<IpAddress>> {
    if (running->load() >= max_abandoned)
      return std::nullopt;
    struct Answer {
      std::mutex mutex;
      std::condition_variable ready;
      bool done = false;
      std::optional<std::vector<IpAddress>> addresses;
    };
    auto answer = std::make_shared<Answer>();
    running->fetch_add(1);
    std::thread([answer, running, name] {
      auto found = getaddrinfo_both_families(name);
      {
        std::lock_guard lock(answer->mutex);
        answer->addresses = std::move(found);
        answer->done = true;
      }
      answer->ready.notify_one();
      running->fetch_sub(1);
    }).detach();
    std::unique_lock lock(answer->mutex);
    if (!answer->ready.wait_for(lock, timeout, [&] { return answer->done; }))
      return std::nullopt;
    return std::move(answer->addresses);
  };
}

HostNameResolver::HostNameResolver(NameLookup lookup, HostNameResolverOptions options)
    : lookup_(std::move(lookup)), options_(options) {
  options_.capacity = std::max<size_t>(options_.capacity, 1);
}

const std::vector<IpAddress> &HostNameResolver::resolve(const std::string &name, int64_t now) {
  auto it = cache_.find(name);
  if (it != cache_.end() && it->second.expires > now) {
    ++counters_.cache_hits;
  } else {
    ++counters_.lookups;
    std::optional<std::vector<IpAddress>> found;
    if (lookup_)
      found = lookup_(name);
    std::vector<IpAddress> addresses;
    if (found)
      for (const IpAddress &a : *found)
        if (std::find(addresses.begin(), addresses.end(), a) == addresses.end())
          addresses.push_back(a);
    int64_t ttl = addresses.empty() ? options_.negative_ttl : options_.positive_ttl;
    if (it != cache_.end()) {
      oldest_first_.erase(it->second.age);
    } else {
      while (cache_.size() >= options_.capacity) {
        cache_.erase(oldest_first_.front());
        oldest_first_.pop_front();
      }
      it = cache_.emplace(name, Entry{}).first;
    }
    it->second.addresses = std::move(addresses);
    it->second.expires = now + ttl;
    it->second.age = oldest_first_.insert(oldest_first_.end(), name);
  }
  if (it->second.addresses.empty())
    ++counters_.failures;
  else
    ++counters_.resolved;
  return it->second.addresses;
}

} // namespace mcf2b::matcher
