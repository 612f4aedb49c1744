// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/strftime_regex.h"

namespace mcf2b::matcher {

std::string strftime_to_regex(std::string_view p, bool &ok) {
  ok = true;
  std::string out;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] != '%' || i + 1 >= p.size()) {
      out += p[i];
      continue;
    }
    char f = p[++i];
    bool ex = false;
    if (f == 'E' && i + 1 < p.size() && p[i + 1] == 'x' && i + 2 < p.size()) {
      ex = true;
      i += 2;
      f = p[i];
    }
    (void)ex;
    switch (f) {
    case 'Y': out += R"((?P<Y>\d{4}))"; break;
    case 'y': out += R"((?P<y>\d{2}))"; break;
    case 'm': out += R"((?P<m>1[0-2]|0[1-9]|[1-9]))"; break;
    case 'd': out += R"((?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9]))"; break;
    case 'e': out += R"((?P<d>3[01]|[12]\d|0[1-9]|[1-9]| [1-9]))"; break;
    case 'H': out += R"((?P<H>2[0-3]|[0-1]\d|\d))"; break;
    case 'k': out += R"((?P<H>2[0-3]|[0-1]\d|\d| \d))"; break;
    case 'I': out += R"((?P<I>1[0-2]|0[1-9]|[1-9]))"; break;
    case 'M': out += R"((?P<M>[0-5]\d|\d))"; break;
    case 'S': out += R"((?P<S>6[0-1]|[0-5]\d|\d))"; break;
    case 'f': out += R"((?P<f>\d+))"; break;
    case 'b': case 'B': case 'h':
      out += R"((?P<b>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|Jun(?:e)?|Jul(?:y)?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?))";
      break;
    case 'a': case 'A':
      out += R"((?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?))";
      break;
    case 'p': out += R"((?P<p>AM|PM|am|pm))"; break;
    case 'z': out += R"((?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?))"; break;
    case 'Z': out += R"((?:[A-Z]{3,5}))"; break;
    case 's': out += R"((?P<s>\d{10,11}))"; break;
    case '%': out += '%'; break;
    default: ok = false; return out;
    }
  }
  return out;
}

} // namespace mcf2b::matcher
