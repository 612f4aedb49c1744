// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <optional>

#include "base/elapsed.h"
#include "base/fd.h"
#include "base/log.h"
#include "protocol/control_server.h"
#include "userspace/controller/clock.h"
#include "userspace/daemon/after_commits_store.h"
#include "userspace/daemon/cluster_follower.h"
#include "userspace/daemon/daemon_actions.h"
#include "userspace/daemon/daemon_stats.h"
#include "userspace/daemon/fail2ban_jail.h"
#include "userspace/daemon/kernel_ban_recovery.h"
#include "userspace/daemon/log_sources.h"
#include "userspace/daemon/loop_timers.h"
#include "userspace/daemon/metrics_server.h"
#include "userspace/daemon/read_pacing.h"
#include "userspace/daemon/start_jails.h"
#include "userspace/daemon/store_commits.h"
#include "userspace/daemon/store_writer.h"
#include "userspace/enforce/kernel_enforcer.h"
#include "userspace/notify/ban_mails.h"
#include "userspace/service/command_handler.h"
#include "userspace/service/controller_bootstrap.h"
#include "userspace/service/store_sink.h"
#include "userspace/service/version.h"

namespace mcf2b {
namespace {

// epoll tags; log sources use kSourceBase + index.
constexpr uint64_t kControl = 1, kMetrics = 2, kTick = 3, kSignal = 4, kMirror = 5, kSync = 6,
                   kStop = 7, kPositions = 8, kPacing = 9;
constexpr uint64_t kSourceBase = 1000;
// The ipset mirror trails the maps by at most this long, and by a second while a backlog
// is read (fewer, larger writes). The XDP maps are written at once either way.
constexpr int kMirrorDelayMs = 20, kMirrorDelayCatchingUpMs = 1000;
// A log position that moved without a decision is saved at most this long after: a
// commit and its fsync per loop pass cost small appends a good part of their CPU. Lines
// a crash leaves unsaved are read again; they decided nothing, and the failure windows
// they fill were lost with the process.
constexpr int kPositionDelayMs = 1000;
// Expired map entries are already ignored by the kernel; they are swept this often.
constexpr int kSweepEverySeconds = 60;

// The enforcers' view of decisions: unbans first, then bans, as the controller orders them.
std::vector<BanChange> changes_of(const Decisions &d) {
  std::vector<BanChange> changes;
  changes.reserve(d.unbans.size() + d.bans.size());
  for (const auto &u : d.unbans)
    changes.push_back(BanChange::unban(u.jail, u.prefix));
  for (const auto &b : d.bans)
    changes.push_back(BanChange::ban(b.jail, b.prefix, b.end));
  return changes;
}

} // namespace

struct Daemon::Impl : DecisionSink {
  DaemonConfig config;
  SystemClock clock;
  std::unique_ptr<StateStore> store;      // the commit thread's, and start-up's
  std::unique_ptr<StateStore> loop_store; // everyone else's: after the commits handed over
  std::unique_ptr<JailController> controller;
  std::unique_ptr<Enforcer> enforcement;
  std::unique_ptr<CommandHandler> handler;
  std::unique_ptr<DaemonActions> actions; // fail2ban action.d, told this node's decisions
  std::optional<control::ControlServer> control;
  std::optional<MetricsServer> metrics;
  LogSources sources;
  std::map<std::string, matcher::UseDns> jail_use_dns;        // the jail files' own usedns
  std::map<std::string, JailLocalOptions> jail_local_options; // ... and the rest beyond the row
  std::vector<IpPrefix> global_whitelist;
  Fd epoll, tick_timer, mirror_timer, sync_timer, signals, stop_event, positions_timer;
  bool mirror_armed = false;
  bool positions_armed = false; // positions_timer runs: a position moved, not saved yet
  bool sources_dirty = false;
  // Per source: its last slice stopped at the budget, or it was not read since it was
  // built (the backlog at start). The loop reads one such slice per pass.
  std::vector<char> behind;
  size_t next_behind = 0; // where the round robin over the sources behind resumes
  bool stopping = false;
  std::optional<ClusterFollower> cluster; // set when the store is shared (not sqlite)
  std::optional<StoreWriter> writer;      // every store write of enforced decisions
  std::optional<StoreCommits> commits;    // ... on its own thread, in order
  std::optional<ReadPacing> pacing;       // a log written all the time: read on a timer
  std::unique_ptr<BanMails> mails;        // MailCleaner's ban mails (off the ban path)
  Seconds last_sweep = 0;
  uint64_t store_errors = 0, source_errors = 0, replicated = 0;

  // --- DecisionSink: the kernel first (fast), then the store (durable) ---
  Status apply(const Decisions &d) override {
    if (d.empty())
      return {};
    enforce(d);
    return record(d);
  }
  // The maps now, the mirror soon after.
  void enforce(const Decisions &d) {
    auto changes = changes_of(d);
    enforcement->apply(changes);
    arm_mirror();
  }
  void arm_mirror() {
    if (enforcement->pending() && !mirror_armed) {
      arm_once(mirror_timer.get(), catching_up() ? kMirrorDelayCatchingUpMs : kMirrorDelayMs);
      mirror_armed = true;
    }
  }
  // Decisions already enforced, and `positions` (past their lines) in their transaction,
  // to the commit thread (store_commits.h). `mail`: mailed once stored. With `wait`,
  // returns once stored, with the store's error if it refused.
  Status record(Decisions d, std::vector<LogPosition> positions = {}, bool wait = true,
                bool mail = false) {
    if (actions)
      actions->decided(d);
    auto mutations = to_mutations(d);
    if (mutations.empty() && positions.empty())
      return {};
    commits->commit(mail ? std::move(d) : Decisions{}, std::move(mutations), std::move(positions));
    if (!wait)
      return {};
    commits->settle();
    return commits_done();
  }
  // What the commit thread stored: positions saved, stored bans mailed.
  Status commits_done() {
    Status first;
    for (auto &done : commits->take_done()) {
      for (const auto &e : done.errors) {
        ++store_errors;
        log_error("store: " + e.message());
        if (first)
          first = e;
      }
      sources.positions_saved(done.saved);
      for (const auto &[path, why] : done.unsaved)
        sources.position_failed(path, why);
      for (const auto &batch : done.batches) // stored: a restart never mails it twice
        mails->banned(batch, *controller);
    }
    return first;
  }
  // The log positions, once the decisions of the lines before them are stored (or
  // queued by the writer): a restart neither skips a line nor decides one twice.
  void save_positions(bool wait) {
    if (std::exchange(positions_armed, false))
      disarm(positions_timer.get());
    (void)record({}, sources.moved_positions(), wait);
  }
  void jails_changed() override {
    if (auto st = enforcement->configure_jails(controller->jails()); !st)
      log_error("configure jails: " + st.error().message());
    sources_dirty = true;
  }
  void whitelist_changed() override {
    if (auto st = enforcement->sync_whitelist(global_whitelist, controller->whitelist_entries()); !st)
      log_error("kernel whitelist: " + st.error().message());
  }

  Status watch(int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
      return Error::sys("epoll_ctl");
    return {};
  }

  // Source i in the loop: its events polled, its reads paced (read_pacing.h).
  Status follow(size_t i) {
    pacing->track(i, sources.fd(i), kSourceBase + i);
    return watch(sources.fd(i), kSourceBase + i);
  }

  Status build_sources() {
    for (size_t i = 0; i < sources.size(); ++i)
      ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, sources.fd(i), nullptr);
    save_positions(true);
    std::vector<Error> errors;
    LogSourceOptions options;
    options.filter_dirs = config.filter_dirs;
    options.cache_dir = config.cache_dir;
    options.timezone = config.log_timezone;
    options.use_dns = config.use_dns;
    options.jail_use_dns = jail_use_dns;
    options.jail_local_options = jail_local_options;
    options.slice_bytes = config.catchup_slice_bytes;
    options.positions = sources.file_positions();
    auto built = LogSources::build(*controller, *loop_store, options, errors);
    for (const auto &e : errors)
      log_error(e.message());
    if (!built)
      return built.error();
    sources = std::move(*built);
    // Every matched line that became a failure recent enough to count: kept for the
    // actions' <matches> and <F-*> and for the ban mails (log text, kept as data only).
    sources.set_matched_line_observer(
        [this](JailFamilyId family, const IpPrefix &prefix, const matcher::Match &m) {
          if (!controller->within_horizon(family, m.time))
            return; // too old for any window: part of no ban (fail2ban drops it too)
          if (actions)
            actions->matched_line(family, prefix, m);
          std::string_view line = m.line_text; // as the log wrote it, without its newline
          while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
            line.remove_suffix(1);
          mails->matched(family, prefix, line);
        });
    mails->configure(*controller, jail_local_options);
    behind.assign(sources.size(), 1);
    pacing->reset();
    for (size_t i = 0; i < sources.size(); ++i) {
      if (auto st = follow(i); !st)
        return st;
      log_info("following " + sources.path(i));
    }
    sources_dirty = false;
    return {};
  }

  // One slice of source i's backlog (or all of what is new, when that is less); the
  // bytes (or journal entries) it read.
  uint64_t process_source(size_t i) {
    Decisions batch;
    // The slice ends at its time, or as soon as a control request waits.
    using Steady = std::chrono::steady_clock;
    const auto deadline = Steady::now() + std::chrono::milliseconds(config.catchup_slice_ms);
    auto enough = [&] { return Steady::now() >= deadline || control_waiting(); };
    auto n = sources.process(
        i,
        [&](JailFamilyId family, const IpPrefix &prefix, Seconds time) {
          if (!prefix.is_host() && JailController::needs_confirmation(prefix))
            log_warning(sources.path(i) + ": a failure of " + prefix.to_string() +
                        " is not banned automatically: wider than /24 (IPv4) or /48 (IPv6)");
          Decisions d = controller->failure(family, prefix, time);
          if (d.empty())
            return;
          enforce(d); // at once: the rest of the slice must not delay the ban
          batch.append(std::move(d));
        },
        enough);
    behind[i] = sources.more(i);
    if (!n) {
      ++source_errors;
      log_error(sources.path(i) + ": " + n.error().message());
    }
    if (!batch.empty()) {
      std::vector<std::string> lines; // one write for the pass, not one per ban
      for (const auto &b : batch.bans)
        lines.push_back("ban " + b.prefix.to_string() + " in " + b.jail + " (" +
                        std::string(to_string(b.cause)) + ", count " + std::to_string(b.count) +
                        ")");
      log_lines(LogLevel::info, lines);
      // The bans and the positions in one commit, off this thread; mailed once stored.
      if (std::exchange(positions_armed, false))
        disarm(positions_timer.get());
      (void)record(std::move(batch), sources.moved_positions(), false, true);
    } else if (!positions_armed && sources.positions_moved()) {
      arm_once(positions_timer.get(), kPositionDelayMs);
      positions_armed = true;
    }
    return sources.last_read(i);
  }
  // Source i's event, or its turn on the pacing timer (read_pacing.h).
  void source_event(size_t i) {
    // A source behind is read slice by slice by the loop, not once more on its event.
    if (i < sources.size() && !behind[i] && pacing->on_event(i, ReadPacing::Clock::now()))
      process_source(i);
  }
  void paced_reads() {
    for (size_t i : pacing->due(ReadPacing::Clock::now())) {
      uint64_t read = behind[i] ? 1 : process_source(i);
      pacing->read_done(i, read, ReadPacing::Clock::now());
    }
  }

  [[nodiscard]] bool control_waiting() const {
    pollfd p{control->fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  // After the commits (an answer shows no ban a kill -9 could take from the store), but
  // while a backlog is read, at once (a kill then re-reads a commit delay's lines, their
  // bans pinned). Twice: the second call answers what the connections it accepts sent.
  void serve_control() {
    if (!catching_up()) {
      commits->settle();
      (void)commits_done();
    }
    auto handle = [&](const control::Request &r, const control::PeerCredentials &) {
      return handler->handle(r);
    };
    control->process(handle);
    control->process(handle);
  }

  // Files that appeared under a jail's glob since the last look.
  void pick_up_new_files() {
    for (size_t i : sources.pick_up_new_files()) {
      if (auto st = follow(i); !st)
        log_error("poll " + sources.path(i) + ": " + st.error().message());
      log_info("following " + sources.path(i));
    }
  }

  [[nodiscard]] bool catching_up() const {
    return std::find(behind.begin(), behind.end(), 1) != behind.end();
  }
  // The next slice of a source that is behind, round robin over them.
  void catch_up_slice() {
    for (size_t k = 0; k < behind.size(); ++k) {
      size_t i = (next_behind + k) % behind.size();
      if (behind[i]) {
        next_behind = i + 1;
        process_source(i);
        return;
      }
    }
  }
  // What ping and status say while a backlog is read.
  [[nodiscard]] std::vector<control::LogProgress> progress() const {
    std::vector<control::LogProgress> out;
    if (!catching_up())
      return out;
    auto files = sources.per_file();
    for (size_t i = 0; i < behind.size() && i < files.size(); ++i)
      if (behind[i] && files[i].bytes_behind > 0)
        out.push_back({files[i].path, files[i].follower.bytes, files[i].bytes_behind});
    return out;
  }

  void tick() {
    // Clients that broke a connection limit (idle, slow, never reading) make room.
    if (control)
      control->expire_stale();
    if (metrics)
      metrics->expire_stale();
    pick_up_new_files();
    // Each source is looked at every second too: a folder removed (and made again) sends
    // no further inotify event. Cheap when nothing is new.
    for (size_t i = 0; i < sources.size(); ++i)
      if (!behind[i]) // those are read slice by slice anyway
        process_source(i);
    commits->retry();
    Decisions d = controller->tick();
    if (cluster)
      drop_expiry_records_of_other_nodes(d, store->node());
    for (const auto &u : d.unbans)
      log_info("unban " + u.prefix.to_string() + " in " + u.jail + " (" +
               std::string(to_string(u.reason)) + ")");
    (void)apply(d);
    Seconds now = clock.now();
    if (now - last_sweep >= kSweepEverySeconds) {
      last_sweep = now;
      if (auto st = enforcement->sweep(now); !st)
        log_warning("sweep: " + st.error().message());
      arm_mirror();
    }
  }

  // Cluster: apply what other nodes wrote since the last look, one indexed query per
  // batch. While the master is away the JournalingStore answers from its snapshot and
  // each poll is also its chance to reconnect and replay the journal.
  void sync() {
    for (;;) {
      auto poll = cluster->poll(1000);
      if (!poll) {
        log_debug("cluster sync: " + poll.error().message());
        return;
      }
      replicated += poll->applied;
      // A jail must have its slot before bans in it reach the maps.
      if (poll->jails_changed)
        jails_changed();
      if (!poll->enforce.empty())
        enforce(poll->enforce);
      if (poll->whitelist_changed)
        whitelist_changed();
      if (!poll->more)
        return;
    }
  }

  DaemonStats stats() const {
    DaemonStats s = read_daemon_stats(*controller, *enforcement);
    s.logs = sources.counters();
    for (auto &f : sources.per_file())
      s.log_files.push_back({std::move(f.path), f.counters, f.follower, f.bytes_behind});
    s.resolver = sources.resolver_counters();
    auto w = commits->counters();
    s.store_errors = store_errors + w.failures;
    s.store_pending = w.pending;
    s.store_dropped = w.dropped;
    s.source_errors = source_errors;
    s.replicated = replicated;
    s.ban_capacity = config.ban_capacity;
    s.mail = mails->stats();
    for (auto &j : s.jails)
      if (auto b = sources.broken_jails().find(j.name); b != sources.broken_jails().end())
        j.broken = b->second;
    s.store_backend = std::string(store->backend());
    s.node = store->node();
    if (actions)
      s.actions = actions->counters();
    return s;
  }
};

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() = default;

Result<std::unique_ptr<Enforcer>> Daemon::open_kernel_enforcer(const DaemonConfig &cfg) {
  auto kernel = KernelEnforcer::open({cfg.pin_root, cfg.ban_capacity, cfg.ipset_mirror});
  if (!kernel)
    return kernel.error();
  return std::unique_ptr<Enforcer>(std::move(*kernel));
}

Result<std::unique_ptr<Daemon>> Daemon::start(DaemonConfig config,
                                              const EnforcerFactory &open_enforcer) {
  auto d = std::make_unique<Impl>();
  d->config = std::move(config);
  if (!d->config.fail2ban_dir.empty())
    d->config.filter_dirs = filter_dirs_with_tree(d->config.filter_dirs, d->config.fail2ban_dir);
  const DaemonConfig &cfg = d->config;
  // Start-up phases, logged once ready: with a million bans they take seconds.
  using StartClock = std::chrono::steady_clock;
  const auto started = StartClock::now();

  // Termination is taken through the signalfd from the start: the control socket
  // answers before the rest is up, and a SIGTERM sent then must stop the daemon cleanly,
  // not kill it.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // The sockets first, before anything is written anywhere: a second daemon started by
  // mistake (same socket, another pin root or store) stops here, having changed nothing
  // (no jail written to a shared store, no firewall chain left behind).
  auto control = control::ControlServer::listen(cfg.socket_path);
  if (!control)
    return control.error().context("control socket");
  d->control.emplace(std::move(*control));
  if (cfg.metrics_address) {
    auto metrics = MetricsServer::listen(*cfg.metrics_address, cfg.metrics_port);
    if (!metrics)
      return metrics.error();
    d->metrics.emplace(std::move(*metrics));
    log_info("metrics on " + *cfg.metrics_address + ":" + std::to_string(d->metrics->port()));
  }

  StoreOptions so;
  so.node = cfg.node;
  so.journal_path = cfg.journal_path;
  so.replica_url = cfg.replica_url;
  auto store = open_store(cfg.state_url, so);
  if (!store)
    return store.error().context("open the state store");
  d->store = std::move(*store);
  log_info("state store: " + std::string(d->store->backend()) + ", node " + d->store->node());
  // Changes a previous daemon enforced but could not store go in before the store is read
  // (read without them, it would undo them); they wait beside the control socket.
  d->writer.emplace(*d->store,
                    StoreWriter::Options{.spill_path = std::filesystem::path(cfg.socket_path)
                                                           .replace_filename("unstored-changes")
                                                           .string()});
  if (auto st = recover_before_reading(*d->writer, [&] { return d->clock.now(); }); !st)
    return st.error();
  d->commits.emplace(
      *d->writer, *d->store, [impl = d.get()] { return impl->clock.now(); },
      StoreCommits::Options{std::chrono::milliseconds(cfg.commit_delay_ms)});
  d->loop_store =
      std::make_unique<AfterCommitsStore>(*d->store, [impl = d.get()] { impl->commits->settle(); });

  d->mails = std::make_unique<BanMails>(
      mailer_options(cfg, d->store->node()),
      [store = d->store.get()] { return store->get_mail_conf(); },
      [](const std::string &message) { log_warning(message); });

  JailControllerOptions co;
  co.max_tracked = cfg.max_tracked;
  co.node = d->store->node();
  d->controller = std::make_unique<JailController>(d->clock, co);
  if (d->store->backend() != "sqlite") {
    // The change log's position before the state is read: what others write meanwhile
    // is read again, and taking a row twice changes nothing.
    d->cluster.emplace(*d->loop_store, *d->controller);
    d->cluster->start();
  }
  auto phase = StartClock::now();
  auto boot = bootstrap_controller(*d->controller, *d->store, cfg.enable_default_jails,
                                   cfg.ignore_list, cfg.cluster_nodes);
  if (!boot)
    return boot.error();
  std::string timing = "store read and controller restore " + seconds_since(phase);
  for (const auto &e : boot->rejected)
    log_error("jail rejected: " + e.message());
  if (boot->seeded)
    log_info("seeded MailCleaner's 15 default jails");

  // An existing fail2ban tree's enabled jails, then mcf2b's own jail files, which win
  // where both name a jail (README, "Jail files"): start_jails.h.
  import_start_jails(cfg, *d->controller, boot->decisions, d->jail_use_dns, d->jail_local_options);

  phase = StartClock::now();
  auto enforcement = open_enforcer(cfg);
  if (!enforcement)
    return enforcement.error();
  d->enforcement = std::move(*enforcement);
  if (auto st = d->enforcement->configure_jails(d->controller->jails()); !st)
    return st.error();

  // The store wins; bans only the kernel knew are kept and recorded.
  timing += ", XDP program and ipsets " + seconds_since(phase);
  auto recovered = recover_kernel_bans(*d->controller, *d->enforcement, d->clock.now());
  if (!recovered)
    return recovered.error();
  timing += ", " + recovered->timing;
  const size_t live_count = recovered->active;
  boot->decisions.append(std::move(recovered->adopted));
  d->global_whitelist = cfg.ignore_list;
  for (const auto &a : cfg.cluster_nodes)
    d->global_whitelist.push_back(IpPrefix::host(a));

  d->epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
  d->tick_timer = make_timer(1000);
  d->mirror_timer = make_timer(0);
  d->positions_timer = make_timer(0);
  d->pacing.emplace(d->epoll.get(), std::chrono::milliseconds(cfg.read_interval_ms));
  if (!d->epoll || !d->tick_timer || !d->mirror_timer || !d->positions_timer ||
      !d->pacing->valid())
    return Error::sys("create the event loop");
  if (d->cluster)
    drop_expiry_records_of_other_nodes(boot->decisions, d->store->node());
  if (auto st = d->apply(boot->decisions); !st)
    log_error("could not store the start-up changes; they are enforced and retried by the store");
  d->whitelist_changed();
  d->actions = std::make_unique<DaemonActions>(cfg, *d->controller, d->jail_local_options);
  if (auto st = d->enforcement->flush(); !st)
    log_error(st.error().message());

  auto attached = d->enforcement->attach(cfg.interfaces);
  if (!attached)
    return attached.error();
  for (const auto &line : *attached)
    log_info(line);

  d->signals.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!d->signals)
    return Error::sys("signalfd");
  d->stop_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!d->stop_event)
    return Error::sys("eventfd");

  CommandContext ctx{d->store->node(), kVersion,
                     [impl = d.get()] { return to_json(impl->stats()); },
                     [impl = d.get()](const std::string &jail) {
                       const auto &broken = impl->sources.broken_jails();
                       auto it = broken.find(jail);
                       return it == broken.end() ? std::string() : it->second;
                     },
                     [impl = d.get()](const std::string &jail) {
                       std::vector<control::JailActionState> out;
                       for (const auto &a : impl->actions->status(jail))
                         out.push_back({a.action, std::string(actions::to_string(a.mode)), a.reason});
                       return out;
                     },
                     [impl = d.get()] { return impl->progress(); }};
  d->handler = std::make_unique<CommandHandler>(*d->controller, *d->loop_store, *d, ctx);

  for (auto [fd, tag] :
       {std::pair{d->control->fd(), kControl}, std::pair{d->tick_timer.get(), kTick},
        std::pair{d->mirror_timer.get(), kMirror}, std::pair{d->signals.get(), kSignal},
        std::pair{d->positions_timer.get(), kPositions}, std::pair{d->stop_event.get(), kStop},
        std::pair{d->pacing->timer_fd(), kPacing}})
    if (auto st = d->watch(fd, tag); !st)
      return st.error();
  if (d->metrics)
    if (auto st = d->watch(d->metrics->fd(), kMetrics); !st)
      return st.error();
  if (d->cluster) {
    d->sync_timer = make_timer(cfg.sync_interval_ms);
    if (auto st = d->watch(d->sync_timer.get(), kSync); !st)
      return st.error();
  }
  if (auto st = d->build_sources(); !st)
    return st.error();
  log_info("start-up: " + std::to_string(live_count) + " active bans; " + timing + "; total " +
           seconds_since(started));
  log_info("mcf2bd " + std::string(kVersion) +
           " ready: " + std::to_string(d->controller->jails().size()) + " jails, " +
           std::to_string(d->sources.size()) + " log file(s), " +
           std::to_string(d->sources.broken_jails().size()) +
           " broken jail(s) (see status), control socket " + cfg.socket_path);
  return std::unique_ptr<Daemon>(new Daemon(std::move(d)));
}

void Daemon::request_stop() {
  uint64_t one = 1;
  (void)!::write(impl_->stop_event.get(), &one, sizeof one);
}

int Daemon::run() {
  Impl &d = *impl_;
  // What was written while the daemon was away is read in slices by the loop below,
  // which answers between two: nothing waits for a whole backlog.
  epoll_event events[64];
  while (!d.stopping) {
    int n = ::epoll_wait(d.epoll.get(), events, 64, d.catching_up() ? 0 : -1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      log_error("epoll_wait: " + Error::sys("").message());
      return 1;
    }
    // Control requests first: they wait for nothing else in this pass.
    for (int i = 0; i < n; ++i)
      if (events[i].data.u64 == kControl)
        d.serve_control();
    for (int i = 0; i < n && !d.stopping; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag >= kSourceBase) {
        d.source_event(tag - kSourceBase);
      } else if (tag == kPacing) {
        d.paced_reads();
      } else if (tag == kMetrics) {
        d.metrics->process([&] { return to_prometheus(d.stats()); });
      } else if (tag == kTick) {
        drain(d.tick_timer.get());
        d.tick();
      } else if (tag == kMirror) {
        drain(d.mirror_timer.get());
        d.mirror_armed = false;
        if (auto st = d.enforcement->flush(); !st)
          log_error(st.error().message());
      } else if (tag == kPositions) {
        drain(d.positions_timer.get());
        d.save_positions(false);
      } else if (tag == kStop) {
        drain(d.stop_event.get());
        log_info("stopping on request");
        d.stopping = true;
      } else if (tag == kSync) {
        drain(d.sync_timer.get());
        d.sync();
      } else if (tag == kSignal) {
        signalfd_siginfo si;
        while (::read(d.signals.get(), &si, sizeof si) == sizeof si) {
          if (si.ssi_signo == SIGHUP) {
            log_info("SIGHUP: re-reading log sources");
            d.sources_dirty = true;
          } else {
            log_info("stopping on signal " + std::to_string(si.ssi_signo));
            d.stopping = true;
          }
        }
      }
    }
    if (d.sources_dirty && !d.stopping) {
      if (auto st = d.build_sources(); !st)
        log_error("log sources: " + st.error().message());
    }
    if (d.commits->done()) // what was stored meanwhile: positions saved, bans mailed
      (void)d.commits_done();
    if (!d.stopping)
      d.catch_up_slice();
  }
  d.save_positions(true);
  if (auto st = d.enforcement->flush(); !st)
    log_error(st.error().message());
  d.enforcement->wait_idle();
  if (d.actions)
    d.actions->stop();
  // The XDP program and its maps stay pinned: bans hold while no daemon runs.
  log_info("stopped; bans stay enforced by the pinned XDP program");
  return 0;
}

} // namespace mcf2b
