// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mail_digest.h"

#include <algorithm>

namespace mcf2b {

MailDigest::Clock::time_point MailDigest::due(const std::string &jail) const {
  auto it = jails_.find(jail);
  if (it == jails_.end())
    return Clock::time_point::min(); // the first mail goes at once
  Clock::time_point at = Clock::time_point::min();
  if (it->second.last_sent)
    at = *it->second.last_sent + options_.interval;
  if (it->second.retry_at)
    at = std::max(at, *it->second.retry_at);
  return at;
}

void MailDigest::sent(const std::string &jail, Clock::time_point now) {
  JailState &s = jails_[jail];
  s.last_sent = now;
  s.retry_at.reset();
  s.backoff = {};
}

void MailDigest::failed(const std::string &jail, Clock::time_point now) {
  JailState &s = jails_[jail];
  s.backoff = s.backoff == Clock::duration{} ? options_.retry_initial
                                             : std::min(s.backoff * 2, options_.retry_max);
  s.retry_at = now + s.backoff;
}

} // namespace mcf2b
