#include "sim.hpp"

#include <pusher/auth.hpp>
#include <pusher/channel.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <utility>

#include "manager/manager_core.hpp"
#include "manual_scheduler.hpp"

namespace pusher::sim {
namespace {

using namespace std::chrono_literals;
using detail::Subscription;
using detail::ManagerCore;
using Clock = detail::net::Scheduler::Clock;

constexpr int kClients = 3;
#if PUSHER_HAVE_SODIUM
const char* const kChannels[] = {"room",         "news",        "private-room",
                                 "presence-room", "private-desk", "private-encrypted-vault"};
constexpr int kChannelCount = 6;
#else
const char* const kChannels[] = {"room", "news", "private-room", "presence-room", "private-desk"};
constexpr int kChannelCount = 5;
#endif
const char* const kEvents[] = {"ev-a", "ev-b"};

enum Kind {
  // public API
  k_subscribe, k_unsubscribe, k_resubscribe, k_bind, k_unbind, k_bind_self_destroying,
  k_bind_destroying_other, k_trigger, k_trigger_stale, k_bind_stale, k_connect, k_disconnect,
  k_signin, k_destroy, k_create, k_destroy_from_callback,
  // server
  s_publish, s_member_join, s_member_leave, s_text_ping, s_ping_flood, s_error, s_error_drop,
  s_drop_tcp, s_stop_reading, s_resume_reading, s_down, s_up, s_auth_mode, s_signin_unsolicited,
  s_reject_all, s_accept_all, s_rotate_key,
  // time
  t_advance,
  k_count
};

const char* const kKindNames[] = {
    "subscribe", "unsubscribe", "resubscribe", "bind", "unbind", "bind_self_destroying",
    "bind_destroying_other", "trigger", "trigger_stale", "bind_stale", "connect", "disconnect",
    "signin", "destroy", "create", "destroy_from_callback", "server_publish",
    "server_member_join", "server_member_leave", "server_text_ping", "server_ping_flood",
    "server_error", "server_error_then_drop", "server_drop_tcp", "server_stop_reading",
    "server_resume_reading", "server_down", "server_up", "auth_mode", "server_signin_unsolicited",
    "server_reject_all", "server_accept_all", "server_rotate_key",
    "advance"};

const int kWeights[k_count] = {12, 6, 5, 10, 5, 2, 2, 10, 2, 2, 3, 2, 1, 1, 2, 1,
                               15, 3, 2, 2, 1, 3, 1, 3, 1, 2, 1, 2, 3, 1, 1, 2, 2, 12};

// A channel-less 4009 comes from the server's own signature check (auth_mode garbage): injected
// at random it would refuse a subscription the server in fact made.
const int kErrorCodes[] = {4001, 4301, 4100, 4200, 4201};
const std::chrono::milliseconds kJumps[] = {1ms, 5ms, 20ms, 100ms, 1s, 5s, 30s, 130s};

enum AuthMode { auth_ok, auth_slow, auth_403, auth_503, auth_garbage, auth_never, auth_modes };
const char* const kAuthNames[] = {"ok", "slow", "403", "503", "garbage", "never"};

enum TriggerKind { tr_valid, tr_oversize, tr_bad_utf8, tr_lone_surrogate, tr_public, tr_kinds };

// ---- the authorizer the simulated app runs --------------------------------------------------

class SimAuthorizer final : public Authorizer {
 public:
  SimAuthorizer(detail::net::Scheduler& clock, ModelServer& server, const int& mode, int client)
      : clock_(clock), server_(server), mode_(mode), client_(client) {}
  ~SimAuthorizer() override {
    for (auto id : timers_) clock_.cancel_timer(id);
  }

  void authorize(const AuthRequest& r, AuthCallback done) override {
    AuthResult result = sign(r);
    switch (mode_) {
      case auth_ok: done(std::move(result)); return;
      case auth_slow:
        timers_.push_back(clock_.add_timer(std::chrono::milliseconds(1500 + 97 * (++count_ % 20)),
                                           [done, result] { done(result); }));
        return;
      case auth_403: done(failure(403)); return;
      case auth_503: done(failure(503)); return;
      case auth_garbage: {
        switch (++count_ % 4) {
          case 0: result.auth.clear(); break;
          case 1: result.channel_data = r.channel_name.rfind("presence-", 0) == 0 ? "not json" : ""; break;
          case 2: result.channel_data = r.channel_name.rfind("presence-", 0) == 0 ? "{\"user_id\":\"\xff\"}" : ""; break;
          default: result.auth += "\xc3"; break;
        }
        done(std::move(result));
        return;
      }
      default: never_.push_back(std::move(done)); return;  // never answers
    }
  }

 private:
  AuthResult sign(const AuthRequest& r) const {
    AuthResult out;
    std::string user = "user-" + std::to_string(client_);
    if (r.channel_name.empty()) {
      out.user_data = "{\"id\":\"" + user + "\"}";
      out.auth = sign_auth("app-key", "app-secret", r.socket_id + "::user::" + out.user_data);
      return out;
    }
    std::string to_sign = r.socket_id + ":" + r.channel_name;
    if (r.channel_name.rfind("presence-", 0) == 0) {
      out.channel_data = "{\"user_id\":\"" + user + "\",\"user_info\":{\"name\":\"C" +
                         std::to_string(client_) + "\"}}";
      to_sign += ":" + out.channel_data;
    }
    out.auth = sign_auth("app-key", "app-secret", to_sign);
    if (r.channel_name.rfind("private-encrypted-", 0) == 0) {
      out.shared_secret = server_.shared_secret(r.channel_name);
    }
    return out;
  }
  static AuthResult failure(int status) {
    AuthResult out;
    out.error = Error{ErrorCode::auth_failed, "HTTP " + std::to_string(status), status, {}};
    return out;
  }

  detail::net::Scheduler& clock_;
  ModelServer& server_;
  const int& mode_;
  int client_;
  int count_ = 0;
  std::vector<detail::net::Scheduler::TimerId> timers_;
  std::vector<AuthCallback> never_;
};

// ---- the reference model ------------------------------------------------------------------

struct BindingRec {
  int id = 0;
  int client = 0;
  std::string channel;
  std::shared_ptr<Subscription> core;
  std::string filter;
  Binding handle;
  bool unbound = false;
  std::uint64_t last_seq = 0;
  std::set<std::uint64_t> seqs;
  std::set<std::uint64_t> pending;  // encrypted events owed: they may wait for a fresh key
  int destroys = -1;  // -2: itself on its first event; >= 0: that binding on its first event
};

struct ClientRec {
  int id = 0;
  std::shared_ptr<detail::LoopRef> ref;
  std::shared_ptr<ManagerCore> core;
  std::shared_ptr<Authorizer> authorizer;
  std::map<std::string, std::shared_ptr<Subscription>> wanted;
  std::vector<std::shared_ptr<Subscription>> stale;
  std::set<std::string> written;
  std::vector<std::string> triggers;  // accepted client events, by unique name
  std::vector<Error> errors;
  Binding error_binding;
  Binding state_binding;
  int destroy_victim = -1;
  bool alive() const { return core != nullptr; }
};

class World {
 public:
  World(Mode mode, std::uint64_t seed, bool trace)
      : mode_(mode), seed_(seed), trace_(trace),
        server_(mode, clock_, "app-key", "app-secret",
                [this](const std::string& inv, const std::string& what) { violate(inv, what); }) {
    loop_.drive_from_this_thread();
    server_.before_deliver = [this](int client, const std::string& text) { before(client, text); };
    server_.after_deliver = [this] { after(); };
    for (int i = 0; i < kClients; ++i) {
      clients_[i].id = i;
      if (i < 2) create(i);
    }
  }

  ~World() {
    for (auto& b : bindings_) b.handle.release();
    for (auto& c : clients_) destroy(c.id);
    drain();
  }

  void step(const Step& s, std::size_t index);
  void settle();
  bool failed() const { return !violations_.empty(); }
  std::vector<Violation>& violations() { return violations_; }

 private:
  // --- plumbing ---
  void drain() {
    for (int i = 0; i < 100000; ++i) {
      std::size_t ran = loop_.run_posted();
      clock_.run_due();
      if (ran == 0 && clock_.next_in() != Clock::duration::zero()) return;
    }
    violate("I5", "the loop never went quiet (a task or zero-delay timer that reposts itself)");
  }
  void advance(Clock::duration d) {
    const Clock::time_point end = clock_.now() + d;
    for (int i = 0; i < 1000000; ++i) {
      drain();
      auto next = clock_.next_in();
      if (next < Clock::duration::zero() || clock_.now() + next > end) break;
      clock_.advance(next);
    }
    clock_.advance(end - clock_.now());
    drain();
  }
  void violate(const std::string& inv, const std::string& what) {
    if (violations_.size() < 10) violations_.push_back(Violation{inv, what, step_});
  }
  void log(const std::string& line) {
    if (trace_) std::fprintf(stderr, "  [%zu] %s\n", step_, line.c_str());
  }

  // --- clients ---
  void create(int i);
  void destroy(int i);
  std::shared_ptr<Subscription> subscribe(ClientRec& c, const std::string& name);
  void add_binding(ClientRec& c, const std::string& channel, const std::string& filter, int destroys);
  void unbind(BindingRec& b);
  void trigger(ClientRec& c, int channel_index, int kind);
  void on_receipt(int binding, const Event& e);
  void check_bounds();

  // --- I2 around each delivery ---
  void before(int client, const std::string& text);
  void after();

  Mode mode_;
  std::uint64_t seed_;
  bool trace_;
  detail::net::EventLoop loop_;
  test::ManualScheduler clock_;
  ModelServer server_;
  std::array<ClientRec, kClients> clients_{};
  std::deque<BindingRec> bindings_;
  std::vector<Violation> violations_;
  std::size_t step_ = 0;
  int auth_mode_ = auth_ok;
  int trigger_count_ = 0;
  // the delivery under way: which bindings must see which sequence number
  std::uint64_t delivering_seq_ = 0;
  bool delivering_sealed_ = false;
  std::set<std::uint64_t> sealed_seen_;  // encrypted events that reached the client
  std::vector<int> expected_;
};

pusher::Options sim_options() {
  pusher::Options o;
  o.key = "app-key";
  o.host = "127.0.0.1";
  o.port = 6001;
  o.tls = false;
  o.outbound_queue_limit = 10;
  o.history_capacity = 20;
  o.history_max_bytes = 4096;
  o.max_presence_members = 8;
  o.write_buffer_limit = 32 * 1024;
  return o;
}

void World::create(int i) {
  ClientRec& c = clients_[i];
  if (c.alive()) return;
  c = ClientRec{};
  c.id = i;
  pusher::Options o = sim_options();
  c.authorizer = std::make_shared<SimAuthorizer>(clock_, server_, auth_mode_, i);
  o.authorizer = c.authorizer;
  c.ref = std::make_shared<detail::LoopRef>(loop_);
  auto* written = &c.written;
  c.core = std::make_shared<ManagerCore>(
      o, loop_, c.ref,
      [this, i, written](detail::net::WebSocketListener& listener) {
        auto t = std::make_unique<SimTransport>(server_, listener, i);
        t->written = written;
        return t;
      },
      &clock_, seed_ * 31 + static_cast<std::uint64_t>(i) + 1);
  c.core->start();
  loop_.post([this, i] {
    ClientRec& me = clients_[i];
    me.error_binding = Binding(me.core->error_handlers.add(me.ref, "", [this, i](const Error& e) {
      clients_[i].errors.push_back(e);
      log("client " + std::to_string(i) + " error " + to_string(e.code) + ": " + e.message);
      if (e.code == ErrorCode::internal_error) violate("I5", "an exception escaped: " + e.message);
      if (e.code == ErrorCode::callback_exception) violate("I5", "a callback threw: " + e.message);
    }));
    me.state_binding = Binding(me.core->state_handlers.add(me.ref, "", [this, i](const StateChange&) {
      int victim = clients_[i].destroy_victim;
      if (victim < 0) return;
      clients_[i].destroy_victim = -1;
      log("client " + std::to_string(i) + " destroys client " + std::to_string(victim) + " in its state callback");
      destroy(victim);
    }));
  });
  drain();
  c.core->connect();
  drain();
}

void World::destroy(int i) {
  ClientRec& c = clients_[i];
  if (!c.alive()) return;
  for (auto& b : bindings_) {
    if (b.client == i) b.unbound = true;  // no callback after the destructor returned
  }
  auto core = std::move(c.core);
  c.core.reset();
  core->shutdown();  // as ~Manager does; here always on the loop thread
  core.reset();
  c.error_binding.release();
  c.state_binding.release();
  c.wanted.clear();
  c.stale.clear();
  c.triggers.clear();
}

std::shared_ptr<Subscription> World::subscribe(ClientRec& c, const std::string& name) {
  auto core = c.core->subscribe(name);
  if (c.wanted.count(name) != 0 && c.wanted[name] != core) {
    violate("I1", "subscribe(" + name + ") on a subscribed name gave another Channel");
  }
  c.wanted[name] = core;
  return core;
}

void World::add_binding(ClientRec& c, const std::string& channel, const std::string& filter,
                        int destroys) {
  auto it = c.wanted.find(channel);
  if (it == c.wanted.end()) return;
  BindingRec rec;
  rec.id = static_cast<int>(bindings_.size());
  rec.client = c.id;
  rec.channel = channel;
  rec.core = it->second;
  rec.filter = filter;
  rec.destroys = destroys;
  int id = rec.id;
  bindings_.push_back(std::move(rec));
  pusher::Channel handle(it->second);
  auto fn = [this, id](const Event& e) { on_receipt(id, e); };
  bindings_.back().handle = filter.empty() ? handle.bind_global(fn) : handle.bind(filter, fn);
}

void World::unbind(BindingRec& b) {
  b.handle.unbind();
  b.unbound = true;
}

void World::on_receipt(int id, const Event& e) {
  BindingRec& b = bindings_[static_cast<std::size_t>(id)];
  auto pos = e.data.find("\"seq\":");
  if (pos == std::string::npos) return;  // a notice or a client event: not a checked event
  std::uint64_t seq = std::stoull(e.data.substr(pos + 6));
  if (b.unbound) violate("I2", "binding " + std::to_string(id) + " got seq " + std::to_string(seq) + " after unbind or unsubscribe");
  // An encrypted event may come later than its frame: held while a fresh key is fetched.
  // A binding made while the event waited is served too: the event is dispatched when it can
  // be read, and the binding was live then.
  bool owed = b.pending.erase(seq) != 0;
  bool held = sealed_seen_.count(seq) != 0;
  if (seq != delivering_seq_ && !owed && !held) violate("I2", "binding got seq " + std::to_string(seq) + " outside its delivery");
  if (!b.seqs.insert(seq).second) violate("I2", "binding " + std::to_string(id) + " got seq " + std::to_string(seq) + " twice");
  if (seq <= b.last_seq) violate("I2", "binding " + std::to_string(id) + " got seq " + std::to_string(seq) + " after " + std::to_string(b.last_seq));
  b.last_seq = seq;
  if (b.destroys == -2) {
    b.destroys = -1;
    unbind(b);  // a Binding destroyed inside its own callback
  } else if (b.destroys >= 0) {
    int other = b.destroys;
    b.destroys = -1;
    if (static_cast<std::size_t>(other) < bindings_.size()) unbind(bindings_[static_cast<std::size_t>(other)]);
  }
}

void World::before(int client, const std::string& text) {
  expected_.clear();
  delivering_seq_ = 0;
  delivering_sealed_ = false;
  if (text.rfind("{\"event\":\"ev-", 0) != 0) return;
  if (std::uint64_t sealed = server_.sealed_seq(text)) {
    delivering_seq_ = sealed;
    delivering_sealed_ = true;
    sealed_seen_.insert(sealed);
  } else {
    auto pos = text.find("\\\"seq\\\":");
    if (pos == std::string::npos) return;
    delivering_seq_ = std::stoull(text.substr(pos + 8));
  }
  std::string event = text.substr(10, text.find('"', 10) - 10);
  auto ch_pos = text.find("\"channel\":\"") + 11;
  std::string channel = text.substr(ch_pos, text.find('"', ch_pos) - ch_pos);
  ClientRec& c = clients_[client];
  if (!c.alive()) return;
  auto it = c.wanted.find(channel);
  if (it == c.wanted.end()) return;
  for (auto& b : bindings_) {
    if (b.client == client && !b.unbound && b.core == it->second &&
        (b.filter.empty() || b.filter == event)) {
      expected_.push_back(b.id);
      if (delivering_sealed_) b.pending.insert(delivering_seq_);
    }
  }
}

void World::after() {
  for (int id : delivering_sealed_ ? std::vector<int>{} : expected_) {
    BindingRec& b = bindings_[static_cast<std::size_t>(id)];
    if (b.seqs.count(delivering_seq_) == 0 && !b.unbound) {
      violate("I2", "binding " + std::to_string(id) + " on " + b.channel + " (client " +
                        std::to_string(b.client) + ") missed seq " + std::to_string(delivering_seq_));
    }
  }
  expected_.clear();
  delivering_seq_ = 0;
}

void World::trigger(ClientRec& c, int channel_index, int kind) {
  std::string name = kChannels[channel_index % kChannelCount];
  bool client_channel = (name.rfind("private-", 0) == 0 || name.rfind("presence-", 0) == 0) &&
                        name.rfind("private-encrypted-", 0) != 0;
  if (kind == tr_public) name = "room";
  if (kind != tr_public && !client_channel) name = "private-room";
  auto it = c.wanted.find(name);
  if (it == c.wanted.end()) return;
  std::string event = "client-t" + std::to_string(++trigger_count_);
  std::string data = "{\"n\":" + std::to_string(trigger_count_) + "}";
  if (kind == tr_oversize) data = "{\"big\":\"" + std::string(12000, 'x') + "\"}";
  if (kind == tr_bad_utf8) data = "{\"t\":\"\xff\xfe\"}";
  if (kind == tr_lone_surrogate) data = "{\"t\":\"\\udc00\"}";
  pusher::Channel handle(it->second);
  bool threw = false;
  try {
    handle.trigger(event, data);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  if (kind == tr_valid && threw) violate("I3", "a valid client event threw");
  if (kind != tr_valid && !threw) violate("I3", "an invalid client event (kind " + std::to_string(kind) + ") was accepted");
  if (!threw) c.triggers.push_back(event);
}

void World::check_bounds() {
  pusher::Options o = sim_options();
  for (auto& c : clients_) {
    if (!c.alive()) continue;
    if (Conn* conn = server_.conn_of(c.id)) {
      if (conn->unread > o.write_buffer_limit + o.max_client_event_size) {
        violate("I4", "client " + std::to_string(c.id) + " has " + std::to_string(conn->unread) + " bytes unread by the server");
      }
    }
    auto channels = c.core->channels_snapshot();
    if (c.core->queued_client_events() > o.outbound_queue_limit * channels.size()) {
      violate("I4", "queued client events over their bound");
    }
    // I6 (internal): the subscription state machine agrees with itself and the connection.
    using SubState = detail::Subscription::State;
    const bool connected = c.core->state() == ConnectionState::connected;
    for (auto& ch : channels) {
      if (ch->subscribed() != (ch->state() == SubState::subscribed)) {
        violate("I6", ch->name() + ": subscribed() disagrees with its state");
      }
      if (ch->state() == SubState::unsubscribing && !ch->stale()) {
        violate("I6", ch->name() + " is unsubscribing but its handle is not stale");
      }
      if (!connected && ch->state() != SubState::idle) {
        violate("I6", ch->name() + " is not idle while the connection is down");
      }
    }
    for (auto& ch : channels) {
      if (static_cast<std::size_t>(ch->members().count()) > o.max_presence_members) {
        violate("I4", ch->name() + " holds " + std::to_string(ch->members().count()) + " members");
      }
    }
    if (c.core->history_bytes() > o.history_max_bytes) violate("I4", "history over its byte budget");
    auto& times = server_.connect_times[c.id];
    std::size_t recent = 0;
    for (auto t : times) recent += clock_.now() - t <= 10s ? 1 : 0;
    // An unreachable server is retried after retry_interval / 2 (150 ms) at the soonest.
    if (recent > 70) violate("I4", "client " + std::to_string(c.id) + " opened " + std::to_string(recent) + " connections in 10 s");
  }
}

void World::step(const Step& s, std::size_t index) {
  step_ = index;
  log(describe(s));
  ClientRec& c = clients_[s.client % kClients];
  bool alive = c.alive();
  std::string channel = kChannels[s.a % kChannelCount];
  Conn* conn = alive ? server_.conn_of(c.id) : nullptr;
  switch (s.kind) {
    case k_subscribe: if (alive) subscribe(c, channel); break;
    case k_unsubscribe:
      if (!alive) break;
      c.core->unsubscribe(channel);
      if (c.wanted.count(channel) != 0) {
        c.stale.push_back(c.wanted[channel]);
        c.wanted.erase(channel);
      }
      for (auto& b : bindings_) {
        if (b.client == c.id && b.channel == channel) b.unbound = true;  // unsubscribe drops them
      }
      break;
    case k_resubscribe: {
      if (!alive || c.wanted.count(channel) == 0) break;
      c.core->unsubscribe(channel);
      c.stale.push_back(c.wanted[channel]);
      c.wanted.erase(channel);
      for (auto& b : bindings_) {
        if (b.client == c.id && b.channel == channel) b.unbound = true;
      }
      subscribe(c, channel);
      add_binding(c, channel, kEvents[s.b % 2], -1);
      break;
    }
    case k_bind: if (alive) add_binding(c, channel, s.b % 3 == 2 ? "" : kEvents[s.b % 2], -1); break;
    case k_unbind: {
      std::vector<BindingRec*> mine;
      for (auto& b : bindings_) if (b.client == c.id && !b.unbound) mine.push_back(&b);
      if (!mine.empty()) unbind(*mine[static_cast<std::size_t>(s.b) % mine.size()]);
      break;
    }
    case k_bind_self_destroying: if (alive) add_binding(c, channel, "", -2); break;
    case k_bind_destroying_other: {
      if (!alive || bindings_.empty()) break;
      add_binding(c, channel, "", s.b % static_cast<int>(bindings_.size()));
      break;
    }
    case k_trigger: if (alive) trigger(c, s.a, s.b % tr_kinds); break;
    case k_trigger_stale: {
      if (!alive || c.stale.empty()) break;
      auto core = c.stale[static_cast<std::size_t>(s.b) % c.stale.size()];
      if (core->kind() == detail::protocol::ChannelKind::public_channel ||
          core->kind() == detail::protocol::ChannelKind::private_encrypted) {
        break;
      }
      std::string event = "client-t" + std::to_string(++trigger_count_);
      pusher::Channel(core).trigger(event, "{}");
      c.triggers.push_back(event);  // must be reported: written or an error naming it
      break;
    }
    case k_bind_stale: {
      if (!alive || c.stale.empty()) break;
      auto b = pusher::Channel(c.stale[static_cast<std::size_t>(s.b) % c.stale.size()])
                   .bind("ev-a", [this](const Event&) { violate("I2", "a binding on a stale handle ran"); });
      if (b.active()) violate("I3", "bind on a stale handle gave an active binding");
      b.release();
      break;
    }
    case k_connect: if (alive) c.core->connect(); break;
    case k_disconnect: if (alive) c.core->disconnect(); break;
    case k_signin: if (alive && mode_ != Mode::reverb) c.core->signin(); break;
    case k_destroy: destroy(c.id); break;
    case k_create: create(c.id); break;
    case k_destroy_from_callback: {
      int victim = (c.id + 1 + s.b % (kClients - 1)) % kClients;
      if (!alive || !clients_[victim].alive()) break;
      c.destroy_victim = victim;
      c.core->disconnect();
      c.core->connect();
      break;
    }
    case s_publish:  // now and then a burst: several events in flight at once
      for (int i = 0; i < (s.b % 4 == 0 ? 3 : 1); ++i) server_.publish(channel, kEvents[s.b % 2]);
      break;
    case s_member_join: server_.member_join("presence-room", "v" + std::to_string(s.b % 20)); break;
    case s_member_leave: server_.member_leave("presence-room", "v" + std::to_string(s.b % 20)); break;
    case s_text_ping: if (conn) server_.text_ping(*conn); break;
    case s_ping_flood:
      if (!conn) break;
      server_.set_reading(*conn, false);
      for (int i = 0; i < 3000; ++i) server_.text_ping(*conn);
      break;
    case s_error: if (conn) server_.error(*conn, kErrorCodes[s.b % 5]); break;
    case s_error_drop: if (conn) server_.error_then_drop(*conn, kErrorCodes[s.b % 5]); break;
    case s_drop_tcp: if (conn) server_.drop_tcp(*conn); break;
    case s_stop_reading: if (conn) server_.set_reading(*conn, false); break;
    case s_resume_reading: if (conn) server_.set_reading(*conn, true); break;
    case s_down: server_.up = false; break;
    case s_up: server_.up = true; break;
    case s_auth_mode: auth_mode_ = s.b % auth_modes; break;
    case s_signin_unsolicited: if (conn) server_.signin_success_unsolicited(*conn); break;
    case s_reject_all: server_.reject_code = s.b % 2 == 0 ? 4200 : 4100; break;
    case s_accept_all: server_.reject_code = 0; break;
    case s_rotate_key: server_.rotate_key("private-encrypted-vault"); break;
    case t_advance: advance(kJumps[s.b % 8]); break;
    default: break;
  }
  drain();
  check_bounds();
}

void World::settle() {
  step_ = SIZE_MAX;
  log("settle: faults stop");
  server_.up = true;
  server_.reject_code = 0;
  auth_mode_ = auth_ok;
  for (Conn* conn : server_.conns()) server_.set_reading(*conn, true);
  // Let what is in flight land, and get past the window in which a pusher:error explains a
  // code-less close (a 4001 followed by a drop is a refusal, rightly final).
  advance(5s);
  // A drop makes every subscription start again with a healthy authorizer: failures before
  // this point may be final (401/403) until the next reconnect.
  for (auto& c : clients_) {
    if (!c.alive()) continue;
    c.destroy_victim = -1;
    c.core->connect();
    drain();
    if (Conn* conn = server_.conn_of(c.id)) server_.drop_tcp(*conn);
    drain();
  }
  advance(180s);
  // I1: every wanted channel subscribed once at the server, and nothing else.
  for (auto& c : clients_) {
    if (!c.alive()) continue;
    Conn* conn = server_.conn_of(c.id);
    if (conn == nullptr || !conn->open) {
      violate("I1", "client " + std::to_string(c.id) + " is not connected after the faults stopped");
      continue;
    }
    std::set<std::string> want;
    for (auto& [name, core] : c.wanted) want.insert(name);
    std::set<std::string> have;
    for (const auto& ch : conn->channels) {
      if (ch[0] != '#') have.insert(ch);
    }
    if (want != have) {
      std::string w, h;
      for (auto& n : want) w += n + " ";
      for (auto& n : have) h += n + " ";
      violate("I1", "client " + std::to_string(c.id) + " wants [" + w + "] but the server has [" + h + "]");
    }
    // I2 for encrypted channels: an event held for a key arrives, or its loss is reported.
    for (auto& b : bindings_) {
      if (b.client != c.id || b.unbound || b.pending.empty()) continue;
      bool reported = false;
      for (const auto& e : c.errors) {
        reported = reported || (e.channel == b.channel && (e.code == ErrorCode::malformed_message ||
                                                           e.code == ErrorCode::queue_overflow));
      }
      if (!reported) {
        violate("I2", "binding " + std::to_string(b.id) + " on " + b.channel + " never got seq " +
                          std::to_string(*b.pending.begin()) + ", and no error said why");
      }
    }
    // I3: every accepted trigger was written to the wire or reported by name.
    for (const auto& name : c.triggers) {
      if (c.written.count(name) != 0) continue;
      bool reported = false;
      for (const auto& e : c.errors) {
        auto pos = e.message.find(name);
        if (pos != std::string::npos &&
            (pos + name.size() == e.message.size() || !std::isdigit(static_cast<unsigned char>(e.message[pos + name.size()])))) {
          reported = true;
          break;
        }
      }
      if (!reported) violate("I3", "client event " + name + " of client " + std::to_string(c.id) + " neither sent nor reported");
    }
  }
}

std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string describe(const Step& s) {
  std::string out = kKindNames[s.kind] + std::string(" client=") + std::to_string(s.client % kClients);
  switch (s.kind) {
    case t_advance: return std::string("advance ") + std::to_string(kJumps[s.b % 8].count()) + " ms";
    case s_auth_mode: return std::string("auth_mode ") + kAuthNames[s.b % auth_modes];
    case s_rotate_key: return kKindNames[s.kind];
    case s_down: case s_up: case s_accept_all: return kKindNames[s.kind];
    case s_reject_all: return std::string(kKindNames[s.kind]) + (s.b % 2 == 0 ? " 4200" : " 4100");
    case s_error: case s_error_drop: return out + " code=" + std::to_string(kErrorCodes[s.b % 5]);
    default: break;
  }
  return out + " channel=" + kChannels[s.a % kChannelCount] + " arg=" + std::to_string(s.b);
}

std::vector<Step> generate(std::uint64_t seed, std::size_t count) {
  std::uint64_t state = seed;
  int total = 0;
  for (int w : kWeights) total += w;
  std::vector<Step> steps;
  steps.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    int pick = static_cast<int>(splitmix(state) % static_cast<std::uint64_t>(total));
    int kind = 0;
    while (pick >= kWeights[kind]) pick -= kWeights[kind++];
    Step s;
    s.kind = kind;
    s.client = static_cast<int>(splitmix(state) % kClients);
    s.a = static_cast<int>(splitmix(state) % 1000);
    s.b = static_cast<int>(splitmix(state) % 1000);
    steps.push_back(s);
  }
  return steps;
}

RunResult run(Mode mode, std::uint64_t seed, const std::vector<Step>& steps, bool trace) {
  RunResult result;
  World world(mode, seed, trace);
  for (std::size_t i = 0; i < steps.size() && !world.failed(); ++i) {
    world.step(steps[i], i);
    ++result.steps_run;
  }
  if (!world.failed()) world.settle();
  result.violations = world.violations();
  return result;
}

std::vector<Step> shrink(Mode mode, std::uint64_t seed, std::vector<Step> steps,
                         const std::string& invariant, int max_runs) {
  auto fails = [&](const std::vector<Step>& candidate) {
    auto r = run(mode, seed, candidate);
    for (const auto& v : r.violations) {
      if (v.invariant == invariant) return true;
    }
    return false;
  };
  int runs = 0;
  for (std::size_t chunk = std::max<std::size_t>(steps.size() / 2, 1); chunk >= 1 && runs < max_runs;) {
    bool removed = false;
    for (std::size_t start = 0; start < steps.size() && runs < max_runs;) {
      std::vector<Step> candidate;
      candidate.reserve(steps.size());
      for (std::size_t i = 0; i < steps.size(); ++i) {
        if (i < start || i >= start + chunk) candidate.push_back(steps[i]);
      }
      ++runs;
      if (fails(candidate)) {
        steps = std::move(candidate);
        removed = true;
      } else {
        start += chunk;
      }
    }
    if (!removed) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
  return steps;
}

}  // namespace pusher::sim
