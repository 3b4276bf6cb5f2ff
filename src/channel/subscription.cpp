#include "channel/subscription.hpp"

#include <stdexcept>
#include <utility>

#include <rapidjson/document.h>

#include "channel/encryption.hpp"
#include "error_codes.hpp"
#include "protocol/encode.hpp"
#include "service/close_action.hpp"
#include "ws/utf8.hpp"

namespace pusher::detail {
namespace {

using Kind = protocol::ChannelKind;
using State = Subscription::State;
// Encrypted events held while a fresh key is fetched; past this they are reported and dropped.
constexpr std::size_t kMaxAwaitingKey = 100;

// The user_id inside a presence channel_data (a string or a number), "" if none.
std::string user_id_of(const rapidjson::Document& doc) {
  auto it = doc.FindMember("user_id");
  if (it == doc.MemberEnd()) return {};
  if (it->value.IsString()) return {it->value.GetString(), it->value.GetStringLength()};
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  if (it->value.IsUint64()) return std::to_string(it->value.GetUint64());
  return {};
}

// Continues on the loop thread with the subscription and its host, if both still live.
template <typename Fn>
auto with_host(std::weak_ptr<Subscription> weak, std::weak_ptr<SubscriptionHost> weak_host,
               Fn fn) {
  return [weak = std::move(weak), weak_host = std::move(weak_host), fn = std::move(fn)](
             auto&&... args) mutable {
    auto self = weak.lock();
    auto host = weak_host.lock();
    if (self && host) fn(*self, *host, std::forward<decltype(args)>(args)...);
  };
}

}  // namespace

Subscription::Subscription(std::string name, std::shared_ptr<LoopRef> loop,
                           std::weak_ptr<SubscriptionHost> host,
                           std::shared_ptr<const SubscriptionConfig> config)
    : name_(std::move(name)),
      kind_(protocol::channel_kind(name_)),
      loop_(std::move(loop)),
      host_(std::move(host)),
      config_(std::move(config)) {}

void Subscription::report_async(Error error) const {
  loop_->post([weak_host = host_, error = std::move(error)] {
    if (auto host = weak_host.lock()) host->report(error);
  });
}

// ---- the state machine ----------------------------------------------------------------

void Subscription::start(SubscriptionHost& host, Subscription* previous) {
  if (previous != nullptr && previous != this) {
    if (previous->awaiting_answer()) {
      state_ = State::pending;
      sent_seq_ = previous->sent_seq_;
    } else if (previous->state_ == State::authorizing) {
      ++previous->auth_generation_;  // its answer is of no use now
    }
    previous->state_ = State::idle;
  }
  if ((state_ == State::idle || state_ == State::failed) && !host.connected_socket_id().empty()) {
    send_subscribe(host);
  }
}

void Subscription::leave(SubscriptionHost& host) {
  events.clear();
  app_events.clear();
  here_handlers.clear();
  joining_handlers.clear();
  leaving_handlers.clear();
  reject_client_events(host, "its channel was unsubscribed");
  if (!host.registered(*this)) return;
  switch (state_) {
    case State::pending:
      state_ = State::unsubscribing;  // unsubscribed once the server has answered
      return;
    case State::unsubscribing:
      return;
    case State::subscribed:
      host.send_now(protocol::encode_unsubscribe(name_));
      break;
    case State::authorizing:
      ++auth_generation_;  // its answer is of no use now
      break;
    case State::idle:
    case State::failed:
      break;
  }
  forget(host);
}

void Subscription::forget(SubscriptionHost& host) {
  state_ = State::idle;
  subscribed_ = false;
  sent_seq_ = 0;
  host.unregister(*this);
}

void Subscription::on_connected(SubscriptionHost& host) {
  // #server-to-user-<id> waits for signin_success: the server wants the sign-in first.
  if ((state_ == State::idle || state_ == State::failed) && name_[0] != '#') send_subscribe(host);
}

void Subscription::on_connection_lost(SubscriptionHost& host,
                                      net::Scheduler::Clock::time_point now) {
  if (state_ == State::subscribed) lost_at_ = now;
  if (state_ == State::unsubscribing) {
    forget(host);
    return;
  }
  if (state_ == State::authorizing) ++auth_generation_;
  auth_attempts_ = 0;
  state_ = State::idle;
  subscribed_ = false;
  sent_seq_ = 0;
  members_.clear();
  if (refreshing_key_) {
    // The key's answer belonged to the lost connection: the held events go with it.
    refreshing_key_ = false;
    host.report(Error{ErrorCode::malformed_message,
                      std::to_string(awaiting_key_.size()) + " encrypted events on " + name_ +
                          " dropped: the connection ended while a fresh key was fetched",
                      0, name_});
    awaiting_key_.clear();
  }
}

void Subscription::send_subscribe(SubscriptionHost& host) {
  if (kind_ == Kind::public_channel) {
    state_ = State::pending;
    sent_seq_ = host.next_send_seq();
    host.send_now(protocol::encode_subscribe(name_));
    return;
  }
  state_ = State::authorizing;
  authorise(host, false);
}

void Subscription::on_succeeded(SubscriptionHost& host, const protocol::SubscriptionSucceeded& m) {
  if (state_ == State::unsubscribing) {
    host.send_now(protocol::encode_unsubscribe(name_));
    forget(host);
    return;
  }
  if (state_ != State::pending) return;
  state_ = State::subscribed;
  subscribed_ = true;
  std::vector<Member> members;
  if (m.has_presence) {
    std::vector<Member> all;
    all.reserve(m.members.size());
    for (const auto& pm : m.members) all.push_back(Member{pm.id, pm.info});
    assign_members(host, all);
    members = members_.snapshot();
  }
  host.notify(*this, "pusher:subscription_succeeded", "{}");
  if (m.has_presence) {
    here_handlers.dispatch({}, [&host](auto&& call) { host.run_callback("here", call); }, members);
  }
  if (ever_subscribed_) {
    auto away = std::chrono::duration_cast<std::chrono::milliseconds>(host.scheduler().now() -
                                                                      lost_at_);
    host.notify(*this, "pusher:resubscribed", protocol::notice_number("away_ms", away.count()));
  }
  ever_subscribed_ = true;
  host.client_events_ready();
}

bool Subscription::on_refused(SubscriptionHost& host, const protocol::SubscriptionError& m) {
  if (state_ == State::unsubscribing) {
    forget(host);
    return true;
  }
  if (state_ != State::pending) return false;
  fail(host, m.type, m.error, m.status, ErrorCode::subscription_failed, CodeKind::http);
  return true;
}

bool Subscription::awaits_authorised_answer() const noexcept {
  return awaiting_answer() && kind_ != Kind::public_channel && sent_seq_ != 0;
}

void Subscription::on_unauthorized(SubscriptionHost& host, const std::string& message) {
  if (state_ == State::unsubscribing) {
    forget(host);
    return;
  }
  fail(host, "AuthError", message.empty() ? "unauthorized" : message, 4009,
       ErrorCode::subscription_failed, CodeKind::pusher);
}

void Subscription::fail(SubscriptionHost& host, const std::string& type, const std::string& error,
                        int status, ErrorCode code, CodeKind kind) {
  state_ = State::failed;
  subscribed_ = false;
  sent_seq_ = 0;
  host.notify(*this, "pusher:subscription_error",
              protocol::notice_subscription_error(type, error, status));
  host.report(make_error(code, "subscription to " + name_ + " failed: " + error, status, kind, name_));
  reject_client_events(host, "the subscription to its channel failed");
}

// ---- authorisation (private-, presence-, private-encrypted-) ----------------------------

void Subscription::authorise(SubscriptionHost& host, bool for_decrypt) {
  if (kind_ == Kind::private_encrypted && !encryption_supported()) {
    fail(host, "AuthError", "private-encrypted channels need a build with libsodium", 0,
         ErrorCode::auth_failed);
    return;
  }
  std::uint64_t generation = ++auth_generation_;
  std::string socket_id = host.connected_socket_id();
  auto done = with_host(weak_from_this(), host_,
                        [generation, socket_id, for_decrypt](Subscription& self,
                                                             SubscriptionHost& h, AuthResult r) {
                          self.on_authorised(h, generation, socket_id, for_decrypt, std::move(r));
                        });
  try {
    if (!host.authorize(AuthRequest{socket_id, name_}, std::move(done))) {
      fail(host, "AuthError", "no authorizer: set Options::auth.endpoint or Options::authorizer", 0,
           ErrorCode::auth_failed);
    }
  } catch (const std::exception& e) {
    fail(host, "AuthError", std::string("the authorizer threw: ") + e.what(), 0,
         ErrorCode::auth_failed);
  }
}

void Subscription::on_authorised(SubscriptionHost& host, std::uint64_t generation,
                                 const std::string& socket_id, bool for_decrypt,
                                 AuthResult result) {
  // An answer for an older attempt, an older connection or a channel since left is of no use.
  if (generation != auth_generation_ || socket_id != host.connected_socket_id() ||
      socket_id.empty() || !host.registered(*this)) {
    return;
  }
  if (for_decrypt) {
    on_fresh_key(host, result);
    return;
  }
  if (state_ != State::authorizing) return;
  if (result.error) {
    // No answer, a timeout, a server error or "too many requests" may pass: retried with a
    // back-off. 401, 403 and 419 (Laravel's expired CSRF token) and other answers are final
    // until the next reconnect or subscribe().
    const int status = result.error.code_kind == CodeKind::http ? result.error.server_code : 0;
    if (result.error.code == ErrorCode::timeout || status == 0 || status == 429 ||
        (status >= 500 && status <= 599)) {
      retry_authorisation(host, result.error);
      return;
    }
    fail(host, "AuthError", result.error.message, status,
         result.error.code == ErrorCode::timeout ? ErrorCode::timeout : ErrorCode::auth_failed,
         CodeKind::http);
    return;
  }
  auth_attempts_ = 0;
  send_authorised_subscribe(host, result);
}

void Subscription::retry_authorisation(SubscriptionHost& host, const Error& failure) {
  // Exponential from the first retry: an auth endpoint that cannot be reached may be a wrong
  // URL or a certificate that will not change by itself, so it must not be asked 3 times a
  // second for ever (the connection's short retries are for a server coming back).
  auto delay = service::backoff_delay(service::CloseAction::backoff, auth_attempts_++,
                                      config_->auth_retry_initial, config_->auth_retry_max,
                                      host.random_unit());
  Error error = make_error(
      failure.code == ErrorCode::timeout ? ErrorCode::timeout : ErrorCode::auth_failed,
      "subscription to " + name_ + ": authorisation failed (" + failure.message + "); retrying in " +
          std::to_string(delay.count()) + " ms",
      failure.server_code, failure.code_kind, name_);
  error.transient = true;
  host.report(error);
  std::uint64_t generation = auth_generation_;
  host.scheduler().add_timer(
      delay, with_host(weak_from_this(), host_, [generation](Subscription& self, SubscriptionHost& h) {
        // Still waiting, on the same connection and the same attempt: ask again.
        if (self.auth_generation_ != generation || self.state_ != State::authorizing ||
            !h.registered(self) || h.connected_socket_id().empty()) {
          return;
        }
        self.authorise(h, false);
      }));
}

void Subscription::send_authorised_subscribe(SubscriptionHost& host, const AuthResult& result) {
  if (kind_ == Kind::private_encrypted && result.shared_secret.empty()) {
    fail(host, "AuthError", "the auth response has no shared_secret for an encrypted channel", 0,
         ErrorCode::auth_failed);
    return;
  }
  if (kind_ == Kind::presence) {
    // channel_data is part of the signed string and goes out byte for byte: it must be a
    // JSON object with a user_id (Pusher's presence channel reference), in valid UTF-8.
    rapidjson::Document doc;
    doc.Parse(result.channel_data.c_str(), result.channel_data.size());
    std::string user_id = doc.HasParseError() || !doc.IsObject() ? std::string() : user_id_of(doc);
    if (user_id.empty() || !ws::valid_utf8(result.channel_data)) {
      fail(host, "AuthError", "the auth response's channel_data is not a JSON object with a user_id",
           0, ErrorCode::auth_failed);
      return;
    }
    members_.set_my_id(user_id);
  }
  std::string frame = protocol::encode_subscribe(name_, result.auth, result.channel_data);
  if (!ws::valid_utf8(frame)) {
    fail(host, "AuthError", "the auth response is not valid UTF-8", 0, ErrorCode::auth_failed);
    return;
  }
  if (kind_ == Kind::private_encrypted) {
    shared_secret_ = result.shared_secret;
    key_refreshed_ = false;
  }
  state_ = State::pending;
  sent_seq_ = host.next_send_seq();
  host.send_now(frame);
}

// ---- presence -------------------------------------------------------------------------

void Subscription::assign_members(SubscriptionHost& host, const std::vector<Member>& members) {
  std::size_t left_out = members_.assign(members, config_->max_presence_members);
  if (left_out > 0) {
    host.report(Error{ErrorCode::queue_overflow,
                      std::to_string(left_out) + " members of " + name_ +
                          " not tracked: over Options::max_presence_members",
                      0, name_});
  }
}

void Subscription::on_member_added(SubscriptionHost& host, const protocol::Member& m) {
  if (state_ != State::subscribed) return;
  Member member{m.id, m.info};
  auto added = members_.add(member, config_->max_presence_members);
  if (added == PresenceSet::Added::over_limit) {
    host.report(Error{ErrorCode::queue_overflow,
                      "member " + member.id + " of " + name_ +
                          " not tracked: over Options::max_presence_members",
                      0, name_});
    return;
  }
  if (added == PresenceSet::Added::duplicate) return;
  host.notify(*this, "pusher:member_added", protocol::notice_member(member.id, member.info));
  joining_handlers.dispatch({}, [&host](auto&& call) { host.run_callback("joining", call); }, member);
}

void Subscription::on_member_removed(SubscriptionHost& host, const std::string& user_id) {
  auto member = members_.remove(user_id);
  if (!member) return;
  host.notify(*this, "pusher:member_removed", protocol::notice_member(member->id, member->info));
  leaving_handlers.dispatch({}, [&host](auto&& call) { host.run_callback("leaving", call); }, *member);
}

// ---- client events --------------------------------------------------------------------

void Subscription::trigger(const std::string& event, const std::string& data_json) {
  std::string message = protocol::encode_client_event(name_, event, data_json);
  if (message.size() > config_->max_client_event_size) {
    throw std::invalid_argument("client event " + event + " is " + std::to_string(message.size()) +
                                " bytes with its envelope, over Options::max_client_event_size (" +
                                std::to_string(config_->max_client_event_size) + ")");
  }
  // Checked on the frame as it will go out: JSON escapes such as a lone surrogate "\udc00"
  // would otherwise be written as bytes that are not UTF-8, and the server closes (RFC 6455
  // §8.1).
  if (!ws::valid_utf8(message)) {
    throw std::invalid_argument("client event " + event +
                                " is not valid UTF-8 (or its JSON holds a lone surrogate)");
  }
  if (stale()) {
    // Checked after the caller's mistakes: those throw whatever the handle.
    report_async(Error{ErrorCode::client_event_rejected,
                       "client event " + event + " on " + name_ +
                           " not sent: this handle's channel was unsubscribed",
                       0, name_});
    return;
  }
  loop_->post(with_host(weak_from_this(), host_,
                        [queued = QueuedClientEvent{std::move(message), event}](
                            Subscription& self, SubscriptionHost& host) mutable {
                          self.queue_client_event(host, std::move(queued));
                        }));
}

void Subscription::queue_client_event(SubscriptionHost& host, QueuedClientEvent queued) {
  if (stale() || !host.registered(*this)) {
    host.report(Error{ErrorCode::client_event_rejected,
                      "client event " + queued.event + " on " + name_ +
                          " not sent: its channel was unsubscribed",
                      0, name_});
    return;
  }
  if (client_events_.size() >= config_->outbound_queue_limit) {
    host.report(Error{ErrorCode::queue_overflow,
                      "client events waiting on " + name_ + " are over the limit (" +
                          std::to_string(client_events_.size()) + "): not sent: " + queued.event,
                      0, name_});
    return;
  }
  client_events_.push_back(std::move(queued));
  host.client_events_ready();
}

bool Subscription::flush_client_events(SubscriptionHost& host, ClientEventLimiter& limiter,
                                       net::Scheduler::Clock::time_point now) {
  if (client_events_.empty() || state_ != State::subscribed) return false;  // sent once subscribed
  std::size_t sent = 0;
  while (sent < client_events_.size() && limiter.admit(now)) {
    QueuedClientEvent& q = client_events_[sent++];
    host.send(std::move(q.message), "client event " + q.event + " on " + name_);
  }
  client_events_.erase(client_events_.begin(),
                       client_events_.begin() + static_cast<std::ptrdiff_t>(sent));
  return !client_events_.empty();
}

void Subscription::reject_client_events(SubscriptionHost& host, const std::string& why) {
  std::vector<QueuedClientEvent> rejected;
  rejected.swap(client_events_);
  for (const auto& q : rejected) {
    host.report(Error{ErrorCode::client_event_rejected,
                      "client event " + q.event + " on " + name_ + " not sent: " + why, 0, name_});
  }
}

// ---- private-encrypted- ---------------------------------------------------------------

bool Subscription::open(SubscriptionHost& host, Event& event) {
  if (refreshing_key_) {
    // Every event that comes while the key is refreshed waits for it, in order.
    if (awaiting_key_.size() < kMaxAwaitingKey) {
      awaiting_key_.push_back(std::move(event));
    } else {
      host.report(Error{ErrorCode::queue_overflow,
                        "dropped an event on " + name_ +
                            ": too many events waiting for a fresh decryption key",
                        0, name_});
    }
    return false;
  }
  std::string error;
  auto plain = decrypt_event(event.data, shared_secret_, error);
  if (plain) {
    event.data = std::move(*plain);
    key_refreshed_ = false;  // the key works: a later failure may refresh again
    return true;
  }
  if (!key_refreshed_) {
    // The key may have rotated: fetch a fresh one once and try again (as pusher-js does).
    refreshing_key_ = true;
    awaiting_key_.push_back(std::move(event));
    authorise(host, true);
    return false;
  }
  host.report(Error{ErrorCode::malformed_message,
                    "dropped an event on " + name_ + " that could not be decrypted: " + error, 0,
                    name_});
  return false;
}

void Subscription::on_fresh_key(SubscriptionHost& host, const AuthResult& result) {
  refreshing_key_ = false;
  key_refreshed_ = true;  // one refresh per failure: a key that still fails is final
  if (!result.error && !result.shared_secret.empty()) shared_secret_ = result.shared_secret;
  std::vector<Event> held;
  held.swap(awaiting_key_);
  auto self = shared_from_this();
  for (Event& e : held) {
    if (!host.registered(*this)) return;  // left inside a callback
    if (!open(host, e)) continue;
    host.deliver(self, e);
  }
}

}  // namespace pusher::detail
