// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <optional>

#include "userspace/controller/decisions.h"
#include "userspace/notify/mail_line_history.h"
#include "userspace/model/jail.h"
#include "userspace/notify/ban_notice.h"

namespace mcf2b {

// Which bans MailCleaner mails, and what their mail says. A ban decided from failures in
// a jail whose send_mail is on; a promotion to the family's -bl jail (cause blacklist)
// when that jail's send_mail_bl is on. Manual bans (the admin did it) and replicated ones
// (the node that decided mails) are not mailed. `matches`: the address's recent lines.
std::optional<BanNotice> ban_notice_for(const BanDecision &ban, const JailConfig &jail,
                                        const MailLineHistory::Entry *matches);

} // namespace mcf2b
