// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/zone_abbreviations.h"

#include <algorithm>

namespace mcf2b::matcher {

std::optional<int32_t> zone_abbreviation_minutes(std::string_view name) {
  struct Zone {
    int32_t minutes;
    const char *names;
  };
  static const Zone zones[] = {
      {-720, "Y"},
      {-660, "X NUT SST"},
      {-600, "W CKT HAST HST TAHT TKT"},
      {-540, "V AKST GAMT GIT HADT HNY"},
      {-480, "U AKDT CIST HAY HNP PST PT"},
      {-420, "T HAP HNR MST PDT"},
      {-360, "S CST EAST GALT HAR HNC MDT"},
      {-300, "R CDT COT EASST ECT EST ET HAC HNE PET"},
      {-240, "Q AST BOT CLT COST EDT FKT GYT HAE HNA PYT"},
      {-180, "P ADT ART BRT CLST FKST GFT HAA PMST PYST SRT UYT WGT"},
      {-120, "O BRST FNT PMDT UYST WGST"},
      {-60, "N AZOT CVT EGT"},
      {0, "Z EGST GMT UTC WET WT"},
      {60, "A CET DFT WAT WEDT WEST"},
      {120, "B CAT CEDT CEST EET SAST WAST"},
      {180, "C EAT EEDT EEST IDT MSK"},
      {240, "D AMT AZT GET GST KUYT MSD MUT RET SAMT SCT"},
      {300, "E AMST AQTT AZST HMT MAWT MVT PKT TFT TJT TMT UZT YEKT"},
      {360, "F ALMT BIOT BTT IOT KGT NOVT OMST YEKST"},
      {420, "G CXT DAVT HOVT ICT KRAT NOVST OMSST THA WIB"},
      {480, "H ACT AWST BDT BNT CAST HKT IRKT KRAST MYT PHT SGT ULAT WITA WST"},
      {540, "I AWDT IRKST JST KST PWT TLT WDT WIT YAKT"},
      {600, "K AEST ChST PGT VLAT YAKST YAPT"},
      {660, "L AEDT LHDT MAGT NCT PONT SBT VLAST VUT"},
      {720, "M ANAST ANAT FJT GILT MAGST MHT NZST PETST PETT TVT WFT"},
      {780, "FJST NZDT"},
      {690, "NFT"},
      {630, "ACDT LHST"},
      {570, "ACST"},
      {390, "CCT MMT"},
      {345, "NPT"},
      {330, "SLT"},
      {270, "AFT IRDT"},
      {210, "IRST"},
      {-150, "HAT NDT"},
      {-210, "HNT NST NT"},
      {-270, "HLV VET"},
      {-570, "MART MIT"},
  };
  for (const Zone &z : zones) {
    std::string_view names = z.names;
    for (size_t at = 0; at < names.size();) {
      size_t stop = std::min(names.find(' ', at), names.size());
      if (names.substr(at, stop - at) == name)
        return z.minutes;
      at = stop + 1;
    }
  }
  return std::nullopt;
}

} // namespace mcf2b::matcher
