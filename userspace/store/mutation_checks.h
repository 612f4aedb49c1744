// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"
#include "userspace/store/mutation.h"

namespace mcf2b {

// Whether MailCleaner's tables can hold a mutation's values (column widths, int ranges):
// MariaDB enforces them and SQLite would not, so both back ends check before writing and
// refuse the same values the same way.
Status check_mutation(const Mutation &m);
// One text column: not empty where `required`, at most `max` characters.
Status check_column_text(std::string_view what, std::string_view value, size_t max, bool required);

} // namespace mcf2b
