// SPDX-License-Identifier: GPL-2.0-only
#include "tests/cluster/two_node_cluster.h"

#include <ctime>

#include "tests/fixtures/tcp_probe.h"

namespace mcf2b::testing {

const char *TwoNodeCluster::jail_file() {
  return R"([mc-exim]
enabled = true
logpath = {logs}/exim.log

[mc-exim-bl]
enabled = true

[mc-ssh]
enabled = true
logpath = {logs}/auth.log
)";
}

bool TwoNodeCluster::banned(const DaemonProcess &d, const std::string &jail,
                            const std::string &ip) {
  auto r = d.call("status", {{"jail", jail}});
  if (!r || !r->ok)
    return false;
  for (const auto &j : r->result["jails"])
    for (const auto &b : j["banned"])
      if (b == ip)
        return true;
  return false;
}

Result<std::unique_ptr<TwoNodeCluster>> TwoNodeCluster::create(Options options) {
  std::unique_ptr<TwoNodeCluster> c(new TwoNodeCluster());
  c->options_ = std::move(options);
  auto server = MariadbServer::create();
  if (!server)
    return server.error().context("start the cluster's MariaDB");
  c->server_.emplace(std::move(*server));
  auto journals = TempDir::create("journals");
  if (!journals)
    return journals.error();
  c->journals_.emplace(std::move(*journals));
  for (int i = 0; i < kNodes; ++i) {
    auto link = NetnsPair::create();
    if (!link)
      return link.error();
    c->links_[i].emplace(std::move(*link));
    for (const auto &a : c->options_.attackers)
      if (auto st = c->links_[i]->add_address(c->links_[i]->a(), a + "/32"); !st)
        return st.error();
    for (uint16_t port : {25, 22}) {
      auto l = tcp_listen_in(c->links_[i]->b().ns, port);
      if (!l)
        return l.error();
      c->listeners_.push_back(std::move(*l));
    }
  }
  // One after the other, as nodes usually come up: the first one migrates and seeds.
  for (int i = 0; i < kNodes; ++i)
    if (auto st = c->start_node(i, true); !st)
      return st.error().context("start " + node_name(i));
  return c;
}

TwoNodeCluster::~TwoNodeCluster() = default;

Status TwoNodeCluster::start_node(int i, bool fresh_pins) {
  if (!fresh_pins && daemons_[i])
    return daemons_[i]->restart();
  daemons_[i].reset();
  pins_[i].reset(); // unpins the maps and the XDP link: the program leaves the interface
  auto pins = BpffsPinDir::create();
  if (!pins)
    return pins.error();
  pins_[i].emplace(std::move(*pins));
  pin_roots_[i] = pins_[i]->path() + "/mcf2b";
  DaemonOptions o;
  o.netns = links_[i]->b().ns;
  o.interfaces = {links_[i]->b().ifname};
  o.pin_root = pin_roots_[i];
  o.state_url = server_->url("mc_config");
  o.node = node_name(i);
  o.journal_path = journals_->file(node_name(i) + ".sqlite3");
  o.jail_file = jail_file();
  o.config_lines = options_.config_lines;
  auto d = DaemonProcess::start(o);
  if (!d)
    return d.error();
  daemons_[i].emplace(std::move(*d));
  return {};
}

Status TwoNodeCluster::stop_node(int i) {
  if (!daemons_[i])
    return {};
  return daemons_[i]->stop();
}

bool TwoNodeCluster::connects(int i, const std::string &source, uint16_t port) {
  auto r = tcp_connects(links_[i]->a().ns, source, links_[i]->b().addr4, port);
  return r.ok() && *r;
}

std::string TwoNodeCluster::ipset_list(int i, const std::string &set) {
  auto r = NetnsPair::exec(links_[i]->b(), {"ipset", "list", set});
  return r ? r->out : std::string();
}

Result<std::vector<std::vector<std::string>>> TwoNodeCluster::select(const std::string &sql) {
  auto conn = server_->connect("mc_config");
  if (!conn)
    return conn.error();
  if (mysql_query(conn->get(), sql.c_str()) != 0)
    return Error::msg(sql + ": " + mysql_error(conn->get()));
  MYSQL_RES *res = mysql_store_result(conn->get());
  if (!res)
    return Error::msg(sql + ": no result: " + mysql_error(conn->get()));
  std::vector<std::vector<std::string>> rows;
  unsigned columns = mysql_num_fields(res);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    std::vector<std::string> values;
    for (unsigned k = 0; k < columns; ++k)
      values.emplace_back(row[k] ? row[k] : "NULL");
    rows.push_back(std::move(values));
  }
  mysql_free_result(res);
  return rows;
}

} // namespace mcf2b::testing
