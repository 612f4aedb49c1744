// SPDX-License-Identifier: GPL-2.0-only
// The filter loader's interpolation: %(known/x)s as fail2ban resolves it, and every
// expansion bounded in depth and in size, failing fast with a clear error.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "matcher/fail2ban_config.h"
#include "matcher/filter_definition.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::matcher {
namespace {

using mcf2b::testing::ok;

class FilterLoader : public ::testing::Test {
protected:
  void SetUp() override {
    auto dir = mcf2b::testing::TempDir::create("filters");
    ASSERT_TRUE(ok(dir));
    dir_.emplace(std::move(*dir));
  }
  void write(const std::string &name, const std::string &text) {
    std::ofstream(dir_->file(name)) << text;
  }
  Result<FilterDefinition> load(const std::string &spec) {
    return load_filter(spec, FilterSearchPath{{dir_->path()}});
  }
  std::optional<mcf2b::testing::TempDir> dir_;
};

// sendmail-auth's form: [Definition]'s __prefix_line extends the one common.conf sets in
// [DEFAULT] through %(known/__prefix_line)s. Nothing in [Definition] was overridden, so
// fail2ban takes [DEFAULT]'s value, never [Definition]'s own (which refers back here).
TEST_F(FilterLoader, KnownFallsBackToTheDefaultSectionNotToItself) {
  write("base.conf", "[DEFAULT]\n__prefix_line = \\s*host\\s+\n");
  write("f.conf", "[INCLUDES]\nbefore = base.conf\n[Definition]\n"
                  "__prefix_line = %(known/__prefix_line)s(?:\\w{14,20}: )?\n"
                  "failregex = ^%(__prefix_line)sfailed from <HOST>$\n");
  auto def = load("f");
  ASSERT_TRUE(ok(def));
  ASSERT_EQ(def->failregex.size(), 1u);
  EXPECT_EQ(def->failregex[0].text, "^\\s*host\\s+(?:\\w{14,20}: )?failed from <HOST>$");
}

// An override within one section keeps the earlier value as known/.
TEST_F(FilterLoader, KnownIsTheOverriddenValueOfTheSameSection) {
  write("base.conf", "[Definition]\n_daemon = sshd\n");
  write("f.conf", "[INCLUDES]\nbefore = base.conf\n[Definition]\n"
                  "_daemon = (?:%(known/_daemon)s|dropbear)\n"
                  "failregex = ^%(_daemon)s: failed from <HOST>$\n");
  auto def = load("f");
  ASSERT_TRUE(ok(def));
  EXPECT_EQ(def->failregex[0].text, "^(?:sshd|dropbear): failed from <HOST>$");
}

// An include or a filter path may name any file: a file that is no configuration is
// refused with its name and line, never with its content (a secret must not reach an
// error message or the daemon's log).
TEST_F(FilterLoader, AFileThatIsNoConfigurationIsNeverQuoted) {
  const std::string secret = "root:$y$j9T$SECRETHASH:20228:0:99999:7:::";
  write("secret", secret + "\n");
  write("via-before.conf", "[INCLUDES]\nbefore = secret\n[Definition]\nfailregex = ^x <HOST>$\n");
  write("via-after.conf", "[INCLUDES]\nafter = secret\n[Definition]\nfailregex = ^x <HOST>$\n");
  for (const std::string &spec :
       {dir_->file("secret"), std::string("via-before"), std::string("via-after")}) {
    auto def = load(spec);
    ASSERT_FALSE(ok(def)) << spec;
    const std::string message = def.error().message();
    EXPECT_EQ(message.find("SECRETHASH"), std::string::npos) << message;
    EXPECT_EQ(message.find("root:"), std::string::npos) << message;
    EXPECT_NE(message.find(":1:"), std::string::npos) << "no line in: " << message;
  }
}

// Python's configparser stops at ten levels; so does the loader.
TEST_F(FilterLoader, InterpolationLoopIsRefused) {
  write("f.conf", "[Definition]\na = %(b)s\nb = %(a)s\nfailregex = %(a)s <HOST>\n");
  auto def = load("f");
  ASSERT_FALSE(ok(def));
  EXPECT_NE(def.error().message().find("nested too deeply"), std::string::npos)
      << def.error().message();
}

std::string doubling(const std::string &open, const std::string &close, int levels) {
  std::string text = "[Definition]\n";
  for (int i = 0; i < levels; ++i)
    text += "v" + std::to_string(i) + " = " + open + "v" + std::to_string(i + 1) + close + open +
            "v" + std::to_string(i + 1) + close + "\n";
  text += "v" + std::to_string(levels) + " = " + std::string(64, 'x') + "\n";
  text += "failregex = ^" + open + "v0" + close + " <HOST>$\n";
  return text;
}

// A <tag> that doubles 24 times (2^24 copies) stops at the size bound, fast.
TEST_F(FilterLoader, DoublingTagsFailFastWithAClearError) {
  write("f.conf", doubling("<", ">", 24));
  auto def = load("f"); // unbounded, it would need a gigabyte per value
  ASSERT_FALSE(ok(def));
  EXPECT_NE(def.error().message().find("expands beyond"), std::string::npos)
      << def.error().message();
}

// The same with %(...)s, ten levels of a value referring to the next one 16 times.
TEST_F(FilterLoader, WideInterpolationFailsWithAClearError) {
  std::string text = "[Definition]\n";
  for (int i = 0; i < 9; ++i) {
    text += "v" + std::to_string(i) + " = ";
    for (int k = 0; k < 16; ++k)
      text += "%(v" + std::to_string(i + 1) + ")s";
    text += "\n";
  }
  text += "v9 = xxxxxxxx\nfailregex = ^%(v0)s <HOST>$\n";
  write("f.conf", text);
  auto def = load("f");
  ASSERT_FALSE(ok(def));
  EXPECT_NE(def.error().message().find("expands beyond"), std::string::npos)
      << def.error().message();
}

// A bounded expansion that stays below the bound still loads.
TEST_F(FilterLoader, ModestDoublingLoads) {
  write("f.conf", doubling("<", ">", 6));
  auto def = load("f");
  ASSERT_TRUE(ok(def));
  EXPECT_EQ(def->failregex[0].text, "^" + std::string(64 * 64, 'x') + " <HOST>$");
}

// A tag whose value holds itself twice doubles at each round of substitution: refused at
// the size limit. (Found by fuzz/filter_file: replacing each occurrence in place made
// that take seconds; the regression input is in fuzz/regressions/filter_file.)
TEST(TagSubstitution, ASelfDoublingTagIsRefusedAtTheSizeLimit) {
  std::map<std::string, std::string> opts{{"failregex", "^<a1> <HOST>$"}};
  TagSubstitution how;
  how.lookup = [](const std::string &name) -> Result<std::optional<std::string>> {
    if (name == "a1")
      return std::optional<std::string>("<a0><a0>");
    if (name == "a0")
      return std::optional<std::string>("xx <a0><a0>");
    return std::optional<std::string>();
  };
  auto st = substitute_recursive_tags(opts, how);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("expands beyond"), std::string::npos)
      << st.error().message();
}

} // namespace
} // namespace mcf2b::matcher
