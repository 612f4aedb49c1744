// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mailer.h"

#include <cstdio>
#include <ctime>
#include <map>
#include <vector>

namespace mcf2b {

Result<std::unique_ptr<Mailer>> Mailer::start(MailerOptions options, ConfSource conf,
                                              Logger log_warning) {
  auto spool = NoticeSpool::open(options.spool_dir, options.queue_max);
  if (!spool)
    return spool.error();
  std::unique_ptr<Mailer> m(
      new Mailer(std::move(options), std::move(conf), std::move(log_warning), std::move(*spool)));
  if (m->spool_.unreadable() > 0)
    m->warn("mail spool: " + std::to_string(m->spool_.unreadable()) +
            " unreadable file(s) set aside as *.bad");
  m->spooled_ = m->spool_.size();
  m->worker_ = std::thread([raw = m.get()] { raw->run(); });
  return m;
}

Mailer::Mailer(MailerOptions options, ConfSource conf, Logger log, NoticeSpool spool)
    : options_(std::move(options)), conf_(std::move(conf)), log_(std::move(log)),
      spool_(std::move(spool)), digest_(options_.digest), sender_(options_.smtp) {}

Mailer::~Mailer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable())
    worker_.join();
}

void Mailer::warn(const std::string &message) {
  if (log_)
    log_(message);
}

void Mailer::notify(BanNotice notice) {
  // Log text is made safe once, here: the spool (JSON, UTF-8) and the body hold it escaped.
  for (auto &line : notice.matches)
    line = escape_log_line(line);
  {
    std::lock_guard lock(mutex_);
    handover_.push_back(std::move(notice));
    if (handover_.size() > options_.queue_max) {
      handover_.pop_front();
      ++dropped_;
    }
  }
  wake_.notify_one();
}

MailerStats Mailer::stats() const {
  MailerStats s;
  s.sent = sent_;
  s.deferred = deferred_;
  s.dropped = dropped_;
  std::lock_guard lock(mutex_);
  s.queued = spooled_ + handover_.size();
  return s;
}

MailDigest::Clock::time_point Mailer::deliver_due() {
  using Clock = MailDigest::Clock;
  auto next = Clock::time_point::max();
  // The waiting notices by jail, oldest first.
  std::map<std::string, std::vector<uint64_t>> by_jail;
  for (const auto &[id, n] : spool_.pending())
    by_jail[n.jail].push_back(id);
  for (auto &[jail, ids] : by_jail) {
    auto now = Clock::now();
    auto due = digest_.due(jail);
    if (due > now) {
      next = std::min(next, due);
      continue;
    }
    if (ids.size() > options_.max_per_mail)
      ids.resize(options_.max_per_mail);
    auto conf = conf_ ? conf_() : Result<MailConf>(MailConf{});
    if (!conf) { // the store is away: try again as after a failed delivery
      warn("ban mail for " + jail + ": cannot read fail2ban_conf: " + conf.error().message());
      ++deferred_;
      digest_.failed(jail, now);
      next = std::min(next, digest_.due(jail));
      continue;
    }
    if (conf->dest_email.empty() || conf->src_email.empty()) {
      warn("ban mail for " + jail + " dropped: no " +
           (conf->dest_email.empty() ? "recipient (mcf2b-ctl mail dest -e ADDRESS)"
                                     : "sender (mcf2b-ctl mail src -e ADDRESS)"));
      spool_.drop(ids);
      dropped_ += ids.size();
      continue;
    }
    std::vector<BanNotice> notices;
    for (uint64_t id : ids)
      notices.push_back(spool_.pending().at(id));
    char id_text[48];
    std::snprintf(id_text, sizeof id_text, "%lld.%llu.%llu",
                  static_cast<long long>(std::time(nullptr)),
                  static_cast<unsigned long long>(ids.front()),
                  static_cast<unsigned long long>(++id_seq_));
    auto message = build_ban_mail(*conf, options_.node, jail, notices,
                                  static_cast<Seconds>(std::time(nullptr)), id_text);
    if (!message) { // a conf unfit for headers: never sent as it is
      warn("ban mail for " + jail + " dropped: " + message.error().message());
      spool_.drop(ids);
      dropped_ += ids.size();
      continue;
    }
    if (auto st = sender_.send(*message); !st) {
      ++deferred_;
      digest_.failed(jail, Clock::now());
      warn("ban mail for " + jail + " deferred: " + st.error().message());
      next = std::min(next, digest_.due(jail));
      continue;
    }
    ++sent_;
    digest_.sent(jail, Clock::now());
    if (auto st = spool_.remove(ids); !st)
      warn("ban mail for " + jail + " sent, but its notices stay spooled: " +
           st.error().message());
    // Notices left over (more than one mail's worth) wait for the next turn.
    next = std::min(next, digest_.due(jail));
  }
  return next;
}

void Mailer::run() {
  auto next = MailDigest::Clock::time_point::min();
  for (;;) {
    std::vector<BanNotice> arrived;
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return stopping_ || !handover_.empty(); };
      if (next == MailDigest::Clock::time_point::max())
        wake_.wait(lock, ready);
      else if (next > MailDigest::Clock::now())
        wake_.wait_until(lock, next, ready);
      if (stopping_)
        return;
      arrived.assign(std::make_move_iterator(handover_.begin()),
                     std::make_move_iterator(handover_.end()));
      handover_.clear();
      // Counted as queued from here on, spooled or not yet.
      spooled_ += arrived.size();
    }
    if (!arrived.empty()) {
      auto dropped = spool_.add(arrived);
      if (!dropped)
        warn("ban mails: " + dropped.error().message());
      else
        dropped_ += *dropped;
    }
    next = deliver_due();
    spooled_ = spool_.size();
  }
}

} // namespace mcf2b
