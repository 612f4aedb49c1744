// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/notice_spool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/json_integer.h"

namespace mcf2b {
namespace {

constexpr std::string_view kSuffix = ".notice";

nlohmann::json notice_json(const BanNotice &n) {
  return {{"jail", n.jail},           {"address", n.address},     {"failures", n.failures},
          {"matches", n.matches},     {"banned_at", n.banned_at}, {"ban_end", n.ban_end},
          {"blacklisted", n.blacklisted}};
}

Result<BanNotice> notice_from(const std::string &text) {
  try {
    auto j = nlohmann::json::parse(text);
    BanNotice n;
    n.jail = j.at("jail").get<std::string>();
    n.address = j.at("address").get<std::string>();
    auto failures = json_integer<uint64_t>(j, "failures");
    if (!failures)
      return failures.error();
    n.failures = *failures;
    n.matches = j.at("matches").get<std::vector<std::string>>();
    for (auto [key, field] : {std::pair{"banned_at", &n.banned_at}, std::pair{"ban_end", &n.ban_end}}) {
      auto v = json_integer<Seconds>(j, key);
      if (!v)
        return v.error();
      *field = *v;
    }
    n.blacklisted = j.at("blacklisted").get<bool>();
    return n;
  } catch (const nlohmann::json::exception &e) {
    return Error::msg(e.what());
  }
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

Status fsync_dir(const std::string &dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd)
    return Error::sys("open " + dir);
  if (::fsync(fd.get()) != 0)
    return Error::sys("fsync " + dir);
  return {};
}

} // namespace

Result<NoticeSpool> NoticeSpool::open(const std::string &dir, size_t max_notices) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return Error::msg("mail spool " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  NoticeSpool spool(dir, max_notices == 0 ? 1 : max_notices);
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) { // a write a crash interrupted: never promised
      fs::remove(entry.path(), ec);
      continue;
    }
    if (!name.ends_with(kSuffix))
      continue;
    uint64_t id = 0;
    std::string_view digits(name.data(), name.size() - kSuffix.size());
    auto [p, err] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    auto notice = notice_from(text.str());
    if (err != std::errc() || p != digits.data() + digits.size() || !notice) {
      fs::rename(entry.path(), entry.path().string() + ".bad", ec);
      ++spool.unreadable_;
      continue;
    }
    spool.pending_.emplace(id, std::move(*notice));
    spool.next_id_ = std::max(spool.next_id_, id + 1);
  }
  if (ec)
    return Error::msg("mail spool " + dir + ": " + ec.message());
  return spool;
}

std::string NoticeSpool::path_of(uint64_t id) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(id));
  return dir_ + "/" + name + std::string(kSuffix);
}

Status NoticeSpool::write_one(uint64_t id, const BanNotice &notice) {
  std::string path = path_of(id);
  std::string tmp = path + ".tmp";
  std::string text = notice_json(notice).dump();
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd)
      return Error::sys("create " + tmp);
    if (auto st = write_all(fd.get(), text); !st)
      return st;
    if (::fsync(fd.get()) != 0)
      return Error::sys("fsync " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error::sys("rename " + tmp);
  return {};
}

Result<size_t> NoticeSpool::add(const std::vector<BanNotice> &notices) {
  size_t dropped = 0;
  for (const auto &n : notices) {
    uint64_t id = next_id_++;
    if (auto st = write_one(id, n); !st)
      return st.error().context("mail spool");
    pending_.emplace(id, n);
    while (pending_.size() > max_) {
      ::unlink(path_of(pending_.begin()->first).c_str());
      pending_.erase(pending_.begin());
      ++dropped;
    }
  }
  dropped_ += dropped;
  if (!notices.empty())
    if (auto st = fsync_dir(dir_); !st)
      return st.error().context("mail spool");
  return dropped;
}

Status NoticeSpool::remove(const std::vector<uint64_t> &ids) {
  for (uint64_t id : ids) {
    if (::unlink(path_of(id).c_str()) != 0 && errno != ENOENT)
      return Error::sys("mail spool: remove " + path_of(id));
    pending_.erase(id);
  }
  // The removals must be durable too, or a crash would send the mail again.
  return fsync_dir(dir_);
}

void NoticeSpool::drop(const std::vector<uint64_t> &ids) {
  for (uint64_t id : ids) {
    ::unlink(path_of(id).c_str());
    if (pending_.erase(id))
      ++dropped_;
  }
  (void)fsync_dir(dir_);
}

} // namespace mcf2b
