// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcf2b {

// The words of a configuration list: items separated by commas, spaces, tabs or newlines
// ("eth0, eth1", "127.0.0.1/8 ::1", multi-line values), empty items dropped.
std::vector<std::string> split_word_list(std::string_view text);

} // namespace mcf2b
