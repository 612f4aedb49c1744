// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include "userspace/actions/tag_substitution.h"

using namespace mcf2b::actions;

namespace {

TagValues sample() {
  TagValues v;
  v.checked = {{"ip", "192.0.2.7"}, {"family", "inet4"}, {"failures", "3"}};
  v.from_logs = {{"matches", "line one\nline two"}};
  v.fields = {{"user", "alice"}};
  return v;
}

TEST(StaticTags, RecursiveConditionalAndAdditional) {
  std::map<std::string, std::string> props{{"name", "sshd"},
                                           {"chain", "f2b-<name>"},
                                           {"blocktype", "REJECT"},
                                           {"blocktype?family=inet6", "REJECT6"},
                                           {"cmd", "x <chain> <blocktype><br>y<sp>z <ip>"}};
  auto v4 = expand_static("<cmd>", props, "inet4");
  ASSERT_TRUE(v4) << v4.error().message();
  EXPECT_EQ(*v4, "x f2b-sshd REJECT\ny z <ip>"); // <ip> is left for the event
  auto v6 = expand_static("<cmd>", props, "inet6");
  ASSERT_TRUE(v6);
  EXPECT_EQ(*v6, "x f2b-sshd REJECT6\ny z <ip>");
}

TEST(StaticTags, SelfReferenceIsAnError) {
  std::map<std::string, std::string> props{{"a", "<b>"}, {"b", "<a>"}};
  EXPECT_FALSE(expand_static("<a>", props, ""));
}

TEST(StaticTags, LogTagsAreNeverTakenFromProperties) {
  // fail2ban's _escapedTags: a property named "matches" does not replace <matches>.
  std::map<std::string, std::string> props{{"matches", "$(reboot)"}};
  auto out = expand_static("echo <matches>", props, "");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "echo <matches>");
}

TEST(DynamicTags, CheckedValuesAreSplicedLogValuesReferenced) {
  BoundCommand b = bind_dynamic_tags("ban <ip> after <failures>: <matches> by <F-USER>", sample());
  EXPECT_EQ(b.script, "ban 192.0.2.7 after 3: \"${MCF2B_MATCHES}\" by \"${MCF2B_F_USER}\"");
  ASSERT_EQ(b.environment.size(), 2u);
  EXPECT_EQ(b.environment[0],
            (std::pair<std::string, std::string>{"MCF2B_MATCHES", "line one\nline two"}));
  EXPECT_EQ(b.environment[1], (std::pair<std::string, std::string>{"MCF2B_F_USER", "alice"}));
}

TEST(DynamicTags, ReferenceFollowsQuotingContext) {
  TagValues v = sample();
  EXPECT_EQ(bind_dynamic_tags("a \"x <F-USER> y\"", v).script, "a \"x ${MCF2B_F_USER} y\"");
  EXPECT_EQ(bind_dynamic_tags("a 'x <F-USER> y'", v).script, "a 'x '\"${MCF2B_F_USER}\"' y'");
  EXPECT_EQ(bind_dynamic_tags("a \"$(f '<F-USER>')\"", v).script,
            "a \"$(f ''\"${MCF2B_F_USER}\"'')\"");
  EXPECT_EQ(bind_dynamic_tags("a \"$(f <F-USER>)\" <F-USER>", v).script,
            "a \"$(f \"${MCF2B_F_USER}\")\" \"${MCF2B_F_USER}\"");
  EXPECT_EQ(bind_dynamic_tags("v=`f <F-USER>`", v).script, "v=`f \"${MCF2B_F_USER}\"`");
  EXPECT_EQ(bind_dynamic_tags("a \\'<F-USER>", v).script, "a \\'\"${MCF2B_F_USER}\"");
  EXPECT_EQ(bind_dynamic_tags("a $'x<F-USER>'", v).script, "a $'x'\"${MCF2B_F_USER}\"$''");
}

TEST(DynamicTags, UnknownFieldIsEmptyUnknownTagStays) {
  BoundCommand b = bind_dynamic_tags("<F-NOPE>|<unknown>|<<ip>>", sample());
  EXPECT_EQ(b.script, "|<unknown>|<192.0.2.7>");
  EXPECT_TRUE(b.environment.empty());
}

TEST(DynamicTags, CheckedValueOfWrongFormIsNotSpliced) {
  TagValues v = sample();
  v.checked["ip"] = "1.2.3.4;reboot";
  BoundCommand b = bind_dynamic_tags("ban <ip>", v);
  EXPECT_EQ(b.script, "ban \"${MCF2B_IP}\"");
}

} // namespace
