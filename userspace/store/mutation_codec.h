// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "userspace/store/mutation.h"

namespace mcf2b {

// The journal's text form of a batch of mutations: one line per mutation, fields
// separated by tabs, with backslash escapes for tab, newline, CR and backslash, the
// first field naming the kind ("ban", "unban", "jail_put", ...). Readable with sqlite3
// when an admin inspects a journal.
std::string encode_batch(std::span<const Mutation> batch);
// Strict inverse of encode_batch; malformed text is an Error naming the line.
Result<std::vector<Mutation>> decode_batch(std::string_view text);

} // namespace mcf2b
