// ManagerCore: subscribing and authorising channels, presence members, client events and
// private-encrypted channels. (manager_core.cpp holds the rest of the class.)
#include "manager/manager_core.hpp"

#include <algorithm>
#include <utility>

#include <rapidjson/document.h>

#include "channel/encryption.hpp"
#include "manager/json_text.hpp"
#include "protocol/encode.hpp"
#include "ws/utf8.hpp"

namespace pusher::detail {
namespace {

using Kind = protocol::ChannelKind;
using Sub = ChannelCore::Sub;
constexpr auto kRateWindow = std::chrono::seconds(1);
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

std::string member_json(const Member& m) {
  return "{\"id\":\"" + json_escape(m.id) + "\",\"info\":" + (m.info.empty() ? "null" : m.info) + "}";
}

}  // namespace

void ManagerCore::do_subscribe(const std::shared_ptr<ChannelCore>& channel) {
  if (channel->stale) return;  // unsubscribed again before this ran: nothing to do
  auto& slot = channels_[channel->name()];
  if (slot && slot != channel) {
    // An earlier subscription of this name was left while its subscribe was unanswered
    // (pusher-js reinstateSubscription): this one takes over the request already sent.
    std::shared_ptr<ChannelCore> old = slot;
    if (old->sub == Sub::pending) {
      channel->sub = Sub::pending;
      channel->sent_seq = old->sent_seq;
    } else if (old->sub == Sub::authorizing) {
      ++old->auth_generation;
    }
    old->sub = Sub::idle;
    old->cancelled = false;
  }
  slot = channel;
  channel->cancelled = false;
  if (channel->sub == Sub::idle && service_->state() == ConnectionState::connected) {
    send_subscribe(channel);
  }
}

void ManagerCore::do_unsubscribe(const std::shared_ptr<ChannelCore>& channel) {
  channel->clear_handlers();
  reject_client_events(*channel, "its channel was unsubscribed");
  if (live(channel->name()) != channel) return;
  switch (channel->sub) {
    case Sub::pending:
      // The server has not answered yet: unsubscribe once it does (pusher-js cancelSubscription).
      channel->cancelled = true;
      return;
    case Sub::subscribed:
      service_->send_now(protocol::encode_unsubscribe(channel->name()));
      break;
    case Sub::authorizing:
      ++channel->auth_generation;  // its answer is of no use now
      break;
    case Sub::idle:
      break;
  }
  forget(*channel);
}

void ManagerCore::forget(ChannelCore& channel) {
  channel.sub = Sub::idle;
  channel.cancelled = false;
  channel.subscribed = false;
  channel.sent_seq = 0;
  auto it = channels_.find(channel.name());
  if (it != channels_.end() && it->second.get() == &channel) channels_.erase(it);
}

void ManagerCore::send_subscribe(const std::shared_ptr<ChannelCore>& channel) {
  if (channel->kind() == Kind::public_channel) {
    channel->sub = Sub::pending;
    channel->sent_seq = ++subscribe_seq_;
    service_->send_now(protocol::encode_subscribe(channel->name()));
    return;
  }
  channel->sub = Sub::authorizing;
  authorise(channel, false);
}

void ManagerCore::authorise(const std::shared_ptr<ChannelCore>& channel, bool for_decrypt) {
  if (!authorizer_) {
    fail_subscription(*channel, "AuthError",
                      "no authorizer: set Options::auth.endpoint or Options::authorizer", 0,
                      ErrorCode::auth_failed);
    return;
  }
  if (channel->kind() == Kind::private_encrypted && !encryption_supported()) {
    fail_subscription(*channel, "AuthError",
                      "private-encrypted channels need a build with libsodium", 0,
                      ErrorCode::auth_failed);
    return;
  }
  std::uint64_t generation = ++channel->auth_generation;
  std::string socket_id = service_->socket_id();
  std::weak_ptr<ManagerCore> weak_self = weak_from_this();
  std::weak_ptr<ChannelCore> weak_channel = channel;
  auto loop = loop_ref_;
  // The answer may come on any thread, or inside this call: always continue on the loop.
  auto done = [loop, weak_self, weak_channel, generation, socket_id, for_decrypt](AuthResult r) {
    loop->post([=, r = std::move(r)]() mutable {
      auto core = weak_self.lock();
      auto ch = weak_channel.lock();
      if (core && ch) core->on_authorised(ch, generation, socket_id, for_decrypt, std::move(r));
    });
  };
  try {
    authorizer_->authorize(AuthRequest{socket_id, channel->name()}, done);
  } catch (const std::exception& e) {
    fail_subscription(*channel, "AuthError", std::string("the authorizer threw: ") + e.what(), 0,
                      ErrorCode::auth_failed);
  }
}

void ManagerCore::on_authorised(const std::shared_ptr<ChannelCore>& channel,
                                std::uint64_t generation, const std::string& socket_id,
                                bool for_decrypt, AuthResult result) {
  // An answer for an older attempt, an older connection or a channel since left is of no use.
  if (generation != channel->auth_generation || socket_id != service_->socket_id() ||
      service_->state() != ConnectionState::connected || live(channel->name()) != channel) {
    return;
  }
  if (for_decrypt) {
    on_fresh_key(channel, result);
    return;
  }
  if (channel->sub != Sub::authorizing) return;
  if (result.error) {
    if (auth_failure_is_transient(result.error)) {
      retry_authorisation(channel, result.error);
      return;
    }
    fail_subscription(*channel, "AuthError", result.error.message, result.error.server_code,
                      result.error.code == ErrorCode::timeout ? ErrorCode::timeout
                                                              : ErrorCode::auth_failed);
    return;
  }
  channel->auth_attempts = 0;
  send_authorised_subscribe(*channel, result);
}

bool ManagerCore::auth_failure_is_transient(const Error& error) {
  // No answer, a timeout, a server error or "too many requests" may pass: retried with a
  // back-off. 401, 403 and 419 (Laravel's expired CSRF token) and other answers are final
  // until the next reconnect or subscribe().
  const int status = error.server_code;
  return error.code == ErrorCode::timeout || status == 0 || status == 429 ||
         (status >= 500 && status <= 599);
}

void ManagerCore::retry_authorisation(const std::shared_ptr<ChannelCore>& channel,
                                      const Error& failure) {
  // Exponential from the first retry: an auth endpoint that cannot be reached may be a wrong
  // URL or a certificate that will not change by itself, so it must not be asked 3 times a
  // second for ever (the connection's short retries are for a server coming back).
  auto delay = service::backoff_delay(service::CloseAction::backoff, channel->auth_attempts++,
                                      options_.reconnect.initial_delay, options_.reconnect.max_delay,
                                      next_random());
  Error error{failure.code == ErrorCode::timeout ? ErrorCode::timeout : ErrorCode::auth_failed,
              "subscription to " + channel->name() + ": authorisation failed (" + failure.message +
                  "); retrying in " + std::to_string(delay.count()) + " ms",
              failure.server_code, channel->name()};
  error.transient = true;
  report(error);
  std::uint64_t generation = channel->auth_generation;
  scheduler_.add_timer(delay, [self = weak_from_this(), weak = std::weak_ptr<ChannelCore>(channel),
                               generation] {
    auto core = self.lock();
    auto ch = weak.lock();
    // Still waiting, on the same connection and the same attempt: ask again.
    if (!core || !ch || ch->auth_generation != generation || ch->sub != Sub::authorizing ||
        core->live(ch->name()) != ch || core->service_->state() != ConnectionState::connected) {
      return;
    }
    core->authorise(ch, false);
  });
}

void ManagerCore::send_authorised_subscribe(ChannelCore& channel, const AuthResult& result) {
  if (channel.kind() == Kind::private_encrypted && result.shared_secret.empty()) {
    fail_subscription(channel, "AuthError",
                      "the auth response has no shared_secret for an encrypted channel", 0,
                      ErrorCode::auth_failed);
    return;
  }
  if (channel.kind() == Kind::presence) {
    // channel_data is part of the signed string and goes out byte for byte: it must be a
    // JSON object with a user_id (Pusher's presence channel reference), in valid UTF-8.
    rapidjson::Document doc;
    doc.Parse(result.channel_data.c_str(), result.channel_data.size());
    std::string user_id = doc.HasParseError() || !doc.IsObject() ? std::string() : user_id_of(doc);
    if (user_id.empty() || !ws::valid_utf8(result.channel_data)) {
      fail_subscription(channel, "AuthError",
                        "the auth response's channel_data is not a JSON object with a user_id", 0,
                        ErrorCode::auth_failed);
      return;
    }
    channel.set_my_id(user_id);
  }
  std::string frame = protocol::encode_subscribe(channel.name(), result.auth, result.channel_data);
  if (!ws::valid_utf8(frame)) {
    fail_subscription(channel, "AuthError", "the auth response is not valid UTF-8", 0,
                      ErrorCode::auth_failed);
    return;
  }
  if (channel.kind() == Kind::private_encrypted) {
    channel.shared_secret = result.shared_secret;
    channel.key_refreshed = false;
  }
  channel.sub = Sub::pending;
  channel.sent_seq = ++subscribe_seq_;
  service_->send_now(frame);
}

void ManagerCore::fail_subscription(ChannelCore& channel, const std::string& type,
                                    const std::string& error, int status, ErrorCode code) {
  channel.sub = Sub::idle;
  channel.subscribed = false;
  channel.sent_seq = 0;
  notify(&channel, channel.name(), "pusher:subscription_error",
         "{\"type\":\"" + json_escape(type) + "\",\"error\":\"" + json_escape(error) +
             "\",\"status\":" + std::to_string(status) + "}");
  report(Error{code, "subscription to " + channel.name() + " failed: " + error, status,
               channel.name()});
  reject_client_events(channel, "the subscription to its channel failed");
}

void ManagerCore::on_subscription_succeeded(const protocol::SubscriptionSucceeded& m) {
  auto channel = live(m.channel);
  if (!channel || channel->sub != Sub::pending) return;
  if (channel->cancelled) {
    service_->send_now(protocol::encode_unsubscribe(channel->name()));
    forget(*channel);
    return;
  }
  channel->sub = Sub::subscribed;
  channel->subscribed = true;
  std::vector<Member> members;
  if (m.has_presence) {
    std::vector<Member> all;
    all.reserve(m.members.size());
    for (const auto& pm : m.members) all.push_back(Member{pm.id, pm.info});
    set_members(*channel, all);
    members = channel->members_snapshot();
  }
  notify(channel.get(), m.channel, "pusher:subscription_succeeded", "{}");
  if (m.has_presence) {
    channel->here_handlers.dispatch({}, [this](auto&& call) { guarded("here", call); }, members);
  }
  if (channel->ever_subscribed) {
    auto away = std::chrono::duration_cast<std::chrono::milliseconds>(scheduler_.now() -
                                                                      channel->lost_at);
    notify(channel.get(), m.channel, "pusher:resubscribed",
           "{\"away_ms\":" + std::to_string(away.count()) + "}");
  }
  channel->ever_subscribed = true;
  flush_client_events();
}

void ManagerCore::set_members(ChannelCore& channel, const std::vector<Member>& members) {
  std::size_t left_out = channel.set_members(members, options_.max_presence_members);
  if (left_out > 0) {
    report(Error{ErrorCode::queue_overflow,
                 std::to_string(left_out) + " members of " + channel.name() +
                     " not tracked: over Options::max_presence_members",
                 0, channel.name()});
  }
}

void ManagerCore::on_subscription_error(const protocol::SubscriptionError& m) {
  auto channel = live(m.channel);
  if (channel && channel->sub == Sub::pending) {
    if (channel->cancelled) {
      forget(*channel);
      return;
    }
    fail_subscription(*channel, m.type, m.error, m.status, ErrorCode::subscription_failed);
    return;
  }
  report(Error{ErrorCode::subscription_failed,
               "subscription to " + m.channel + " refused: " + m.type + " " + m.error, m.status,
               m.channel});
}

void ManagerCore::on_server_error(const protocol::ServerError& m) {
  if (m.code == 4009 && m.channel.empty()) {
    // Reverb answers a bad signature with a channel-less 4009 and no subscription_error
    // (Reverb src/Protocols/Pusher/Exceptions/ConnectionUnauthorized.php): it belongs to the
    // oldest authorised subscription whose subscribe frame went out unanswered.
    std::shared_ptr<ChannelCore> oldest;
    for (const auto& [name, c] : channels_) {
      if (c->sub == Sub::pending && c->kind() != Kind::public_channel && c->sent_seq != 0 &&
          (!oldest || c->sent_seq < oldest->sent_seq)) {
        oldest = c;
      }
    }
    if (oldest && oldest->cancelled) {
      forget(*oldest);
      return;
    }
    if (oldest) {
      fail_subscription(*oldest, "AuthError", m.message.empty() ? "unauthorized" : m.message, 4009,
                        ErrorCode::subscription_failed);
      return;
    }
  }
  Error error{ErrorCode::server_error, "server error: " + m.message, m.code, m.channel};
  // 4100-4299 announce a close after which the SDK reconnects (Pusher protocol reference).
  error.transient = m.code >= 4100 && m.code <= 4299;
  report(error);
}

void ManagerCore::on_member_added(const protocol::MemberAdded& m) {
  auto channel = live(m.channel);
  if (!channel || channel->sub != Sub::subscribed) return;
  Member member{m.member.id, m.member.info};
  auto added = channel->add_member(member, options_.max_presence_members);
  if (added == ChannelCore::Added::over_limit) {
    report(Error{ErrorCode::queue_overflow,
                 "member " + member.id + " of " + m.channel +
                     " not tracked: over Options::max_presence_members",
                 0, m.channel});
    return;
  }
  if (added == ChannelCore::Added::duplicate) return;
  notify(channel.get(), m.channel, "pusher:member_added", member_json(member));
  channel->joining_handlers.dispatch({}, [this](auto&& call) { guarded("joining", call); }, member);
}

void ManagerCore::on_member_removed(const protocol::MemberRemoved& m) {
  auto channel = live(m.channel);
  if (!channel) return;
  auto member = channel->remove_member(m.user_id);
  if (!member) return;
  notify(channel.get(), m.channel, "pusher:member_removed", member_json(*member));
  channel->leaving_handlers.dispatch({}, [this](auto&& call) { guarded("leaving", call); }, *member);
}

void ManagerCore::trigger(const std::shared_ptr<ChannelCore>& channel, const std::string& event,
                          const std::string& data_json) {
  std::string message = protocol::encode_client_event(channel->name(), event, data_json);
  if (message.size() > options_.max_client_event_size) {
    throw std::invalid_argument("client event " + event + " is " + std::to_string(message.size()) +
                                " bytes with its envelope, over Options::max_client_event_size (" +
                                std::to_string(options_.max_client_event_size) + ")");
  }
  // Checked on the frame as it will go out: JSON escapes such as a lone surrogate "\udc00"
  // would otherwise be written as bytes that are not UTF-8, and the server closes (RFC 6455
  // §8.1).
  if (!ws::valid_utf8(message)) {
    throw std::invalid_argument("client event " + event +
                                " is not valid UTF-8 (or its JSON holds a lone surrogate)");
  }
  if (channel->stale) {
    // Checked after the caller's mistakes: those throw whatever the handle.
    report_async(Error{ErrorCode::client_event_rejected,
                       "client event " + event + " on " + channel->name() +
                           " not sent: this handle's channel was unsubscribed",
                       0, channel->name()});
    return;
  }
  loop_ref_->post([self = weak_from_this(), channel,
                   queued = QueuedClientEvent{std::move(message), event}]() mutable {
    if (auto core = self.lock()) core->queue_client_event(channel, std::move(queued));
  });
}

void ManagerCore::reject_client_events(ChannelCore& channel, const std::string& why) {
  std::deque<QueuedClientEvent> rejected;
  rejected.swap(channel.client_events);
  for (const auto& q : rejected) {
    report(Error{ErrorCode::client_event_rejected,
                 "client event " + q.event + " on " + channel.name() + " not sent: " + why, 0,
                 channel.name()});
  }
}

void ManagerCore::queue_client_event(const std::shared_ptr<ChannelCore>& channel,
                                     QueuedClientEvent queued) {
  if (channel->stale || live(channel->name()) != channel) {
    report(Error{ErrorCode::client_event_rejected,
                 "client event " + queued.event + " on " + channel->name() +
                     " not sent: its channel was unsubscribed",
                 0, channel->name()});
    return;
  }
  if (channel->client_events.size() >= options_.outbound_queue_limit) {
    report(Error{ErrorCode::queue_overflow,
                 "client events waiting on " + channel->name() + " are over the limit (" +
                     std::to_string(channel->client_events.size()) + "): not sent: " + queued.event,
                 0, channel->name()});
    return;
  }
  channel->client_events.push_back(std::move(queued));
  flush_client_events();
}

void ManagerCore::flush_client_events() {
  auto now = scheduler_.now();
  while (!recent_client_sends_.empty() && now - recent_client_sends_.front() >= kRateWindow) {
    recent_client_sends_.pop_front();
  }
  const std::size_t limit = std::max(1u, options_.client_events_per_second);
  bool waiting = false;
  for (auto& channel : channels_snapshot()) {
    if (channel->client_events.empty()) continue;
    if (channel->sub != Sub::subscribed) continue;  // sent once subscribed
    while (!channel->client_events.empty() && recent_client_sends_.size() < limit) {
      QueuedClientEvent q = std::move(channel->client_events.front());
      channel->client_events.pop_front();
      service_->send(std::move(q.message), "client event " + q.event + " on " + channel->name());
      recent_client_sends_.push_back(now);
    }
    waiting = waiting || !channel->client_events.empty();
  }
  if (waiting && client_flush_timer_ == 0) {
    // Over the rate: go on when the oldest send leaves the one-second window.
    auto wait = recent_client_sends_.front() + kRateWindow - now;
    client_flush_timer_ = scheduler_.add_timer(wait, [self = weak_from_this()] {
      auto core = self.lock();
      if (!core) return;
      core->client_flush_timer_ = 0;
      core->flush_client_events();
    });
  }
}

void ManagerCore::send_signin() {
  if (!authorizer_) {
    report(Error{ErrorCode::auth_failed, "sign-in needs an authorizer: set Options::auth or Options::authorizer", 0, {}});
    return;
  }
  std::uint64_t generation = ++signin_generation_;
  std::string socket_id = service_->socket_id();
  auto loop = loop_ref_;
  std::weak_ptr<ManagerCore> weak_self = weak_from_this();
  auto done = [loop, weak_self, generation, socket_id](AuthResult r) {
    loop->post([=, r = std::move(r)] {
      auto core = weak_self.lock();
      if (!core || generation != core->signin_generation_ ||
          socket_id != core->service_->socket_id()) {
        return;  // an answer for an older connection
      }
      if (r.error) {
        core->report(Error{ErrorCode::auth_failed, "sign-in failed: " + r.error.message,
                           r.error.server_code, {}});
        return;
      }
      std::string frame = protocol::encode_signin(r.auth, r.user_data);
      if (!ws::valid_utf8(frame)) {
        core->report(Error{ErrorCode::auth_failed, "sign-in failed: the answer is not valid UTF-8", 0, {}});
        return;
      }
      if (core->service_->send_now(frame)) core->signin_in_flight_ = true;
    });
  };
  try {
    authorizer_->authorize(AuthRequest{socket_id, {}}, done);
  } catch (const std::exception& e) {
    report(Error{ErrorCode::auth_failed, std::string("the authorizer threw: ") + e.what(), 0, {}});
  }
}

void ManagerCore::on_signin_success(const protocol::SigninSuccess& m) {
  if (!signin_in_flight_) {
    log_.debug("ignored a pusher:signin_success that answers no sign-in of ours");
    return;
  }
  signin_in_flight_ = false;
  notify(nullptr, "", "pusher:signin_success", m.user_data);
  // The server sends to this user on #server-to-user-<id> (pusher-js src/core/user.ts).
  rapidjson::Document doc;
  doc.Parse(m.user_data.c_str(), m.user_data.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id")) return;
  const auto& id = doc["id"];
  std::string user_id = id.IsString() ? std::string(id.GetString(), id.GetStringLength())
                        : id.IsInt64() ? std::to_string(id.GetInt64()) : std::string();
  if (user_id.empty()) return;
  std::string name = "#server-to-user-" + user_id;
  if (!signed_in_channel_.empty() && signed_in_channel_ != name) {
    if (auto old = live(signed_in_channel_)) do_unsubscribe(old);
  }
  signed_in_channel_ = name;
  std::shared_ptr<ChannelCore> channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = handles_[name];
    if (!slot) {
      slot = std::make_shared<ChannelCore>(name, loop_ref_);
      slot->manager = weak_from_this();
    }
    channel = slot;
  }
  channels_[name] = channel;
  if (channel->sub == Sub::idle) send_subscribe(channel);
}

bool ManagerCore::open_encrypted(const std::shared_ptr<ChannelCore>& channel, Event& event) {
  if (channel->refreshing_key) {
    // Every event that comes while the key is refreshed waits for it, in order.
    if (channel->awaiting_key.size() < kMaxAwaitingKey) {
      channel->awaiting_key.push_back(std::move(event));
    } else {
      report(Error{ErrorCode::queue_overflow,
                   "dropped an event on " + channel->name() +
                       ": too many events waiting for a fresh decryption key",
                   0, channel->name()});
    }
    return false;
  }
  std::string error;
  auto plain = decrypt_event(event.data, channel->shared_secret, error);
  if (plain) {
    event.data = std::move(*plain);
    channel->key_refreshed = false;  // the key works: a later failure may refresh again
    return true;
  }
  if (!channel->key_refreshed) {
    // The key may have rotated: fetch a fresh one once and try again (as pusher-js does).
    channel->refreshing_key = true;
    channel->awaiting_key.push_back(std::move(event));
    authorise(channel, true);
    return false;
  }
  report(Error{ErrorCode::malformed_message,
               "dropped an event on " + channel->name() + " that could not be decrypted: " + error, 0,
               channel->name()});
  return false;
}

void ManagerCore::on_fresh_key(const std::shared_ptr<ChannelCore>& channel,
                               const AuthResult& result) {
  channel->refreshing_key = false;
  channel->key_refreshed = true;  // one refresh per failure: a key that still fails is final
  if (!result.error && !result.shared_secret.empty()) channel->shared_secret = result.shared_secret;
  std::deque<Event> held;
  held.swap(channel->awaiting_key);
  for (Event& e : held) {
    if (live(channel->name()) != channel) return;  // left inside a callback
    if (!open_encrypted(channel, e)) continue;
    deliver(channel, e);
  }
}

}  // namespace pusher::detail
