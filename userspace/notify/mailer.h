// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "userspace/model/mail_conf.h"
#include "userspace/notify/ban_notice.h"
#include "userspace/notify/mail_digest.h"
#include "userspace/notify/notice_spool.h"
#include "userspace/notify/smtp_sender.h"

namespace mcf2b {

struct MailerOptions {
  SmtpOptions smtp;
  std::string spool_dir;
  size_t queue_max = 10000; // notices kept at most (spool and hand-over each)
  MailDigest::Options digest;
  size_t max_per_mail = 10000; // notices one mail lists at most
  std::string node;            // shown in the mails
};

// The mailer's counters, one reading.
struct MailerStats {
  uint64_t sent = 0;     // mails the relay accepted
  uint64_t deferred = 0; // delivery attempts that failed (retried later)
  uint64_t dropped = 0;  // notices dropped: queue full, or no recipient configured
  uint64_t queued = 0;   // notices waiting now (spooled and handed over)
};

// MailCleaner's ban mails, off the ban path. notify() only appends to a bounded
// hand-over queue and wakes the worker thread; the worker spools each notice durably
// (notice_spool.h), and mails each jail's waiting notices when MailDigest says the jail
// is due, reading the sender and the recipient from `conf` (the store's fail2ban_conf)
// at that moment. A failed delivery leaves the notices spooled for a retry with
// back-off; a mailer started on the same spool after a crash sends what was left.
class Mailer {
public:
  using ConfSource = std::function<Result<MailConf>()>;
  using Logger = std::function<void(const std::string &)>;

  static Result<std::unique_ptr<Mailer>> start(MailerOptions options, ConfSource conf,
                                               Logger log_warning = {});
  ~Mailer(); // stops the worker; what is spooled stays for the next start
  Mailer(const Mailer &) = delete;
  Mailer &operator=(const Mailer &) = delete;

  // Hands a notice over; never blocks on I/O. Beyond queue_max waiting hand-overs the
  // oldest is dropped and counted.
  void notify(BanNotice notice);
  [[nodiscard]] MailerStats stats() const;

private:
  Mailer(MailerOptions options, ConfSource conf, Logger log, NoticeSpool spool);
  void run();
  // Mails every due jail; returns when the next jail is due (max() for none).
  MailDigest::Clock::time_point deliver_due();
  void warn(const std::string &message);

  MailerOptions options_;
  ConfSource conf_;
  Logger log_;
  NoticeSpool spool_; // the worker's only
  MailDigest digest_; // the worker's only
  SmtpSender sender_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<BanNotice> handover_;
  bool stopping_ = false;
  std::atomic<uint64_t> sent_{0}, deferred_{0}, dropped_{0}, spooled_{0};
  uint64_t id_seq_ = 0;
  std::thread worker_;
};

} // namespace mcf2b
