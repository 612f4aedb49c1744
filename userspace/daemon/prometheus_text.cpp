// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace mcf2b {
namespace {

std::string escape_label(const std::string &v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"')
      out += '\\', out += c;
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

} // namespace

void PrometheusText::counter(const std::string &name, const std::string &help, double value,
                             const Labels &labels) {
  add(name, "counter", help, value, labels);
}

void PrometheusText::gauge(const std::string &name, const std::string &help, double value,
                           const Labels &labels) {
  add(name, "gauge", help, value, labels);
}

void PrometheusText::add(const std::string &name, const char *type, const std::string &help,
                         double value, const Labels &labels) {
  auto [it, inserted] = families_.try_emplace(name);
  if (inserted) {
    order_.push_back(name);
    it->second.type = type;
    it->second.help = help;
  }
  std::string sample = name;
  if (!labels.empty()) {
    sample += '{';
    for (size_t i = 0; i < labels.size(); ++i)
      sample += (i ? "," : "") + labels[i].first + "=\"" + escape_label(labels[i].second) + '"';
    sample += '}';
  }
  sample += ' ' + format_value(value);
  it->second.samples.push_back(std::move(sample));
}

std::string PrometheusText::str() const {
  std::string out;
  for (const auto &name : order_) {
    const Family &f = families_.at(name);
    out += "# HELP " + name + ' ' + f.help + '\n';
    out += "# TYPE " + name + ' ' + f.type + '\n';
    for (const auto &s : f.samples)
      out += s + '\n';
  }
  return out;
}

} // namespace mcf2b
