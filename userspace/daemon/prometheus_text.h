// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mcf2b {

// Builds a Prometheus text exposition (format 0.0.4). Samples of one metric family
// are grouped under a single HELP and TYPE line whatever order they are added in.
class PrometheusText {
public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void counter(const std::string &name, const std::string &help, double value,
               const Labels &labels = {});
  void gauge(const std::string &name, const std::string &help, double value,
             const Labels &labels = {});

  [[nodiscard]] std::string str() const;

private:
  struct Family {
    std::string type, help;
    std::vector<std::string> samples;
  };
  void add(const std::string &name, const char *type, const std::string &help, double value,
           const Labels &labels);
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

} // namespace mcf2b
