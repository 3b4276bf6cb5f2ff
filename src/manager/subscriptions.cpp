// ManagerCore: subscribing and authorising channels, presence members, client events and
// private-encrypted channels. (manager_core.cpp holds the rest of the class.)
#include "manager/manager_core.hpp"

#include <algorithm>
#include <utility>

#include <rapidjson/document.h>

#include "channel/encryption.hpp"
#include "manager/json_text.hpp"
#include "protocol/encode.hpp"

namespace pusher::detail {
namespace {

using Kind = protocol::ChannelKind;
constexpr auto kRateWindow = std::chrono::seconds(1);

// The user_id inside a presence channel_data (a string or a number), "" if none.
std::string user_id_of(const std::string& channel_data) {
  rapidjson::Document doc;
  doc.Parse(channel_data.c_str(), channel_data.size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
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

void ManagerCore::send_subscribe(ChannelCore& channel) {
  channel.sub = ChannelCore::Sub::pending;
  channel.pending_since = ++subscribe_seq_;
  if (channel.kind() == Kind::public_channel) {
    service_->send_now(protocol::encode_subscribe(channel.name()));
    return;
  }
  auto self = find(channel.name());
  if (self.get() != &channel) return;
  authorise(self, false);
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
  // An answer for an older attempt or an older connection is of no use.
  if (generation != channel->auth_generation || socket_id != service_->socket_id() ||
      service_->state() != ConnectionState::connected) {
    return;
  }
  if (for_decrypt) {
    if (channel->sub != ChannelCore::Sub::subscribed) return;
    if (!result.error) channel->shared_secret = result.shared_secret;
    std::vector<Event> held;
    held.swap(channel->awaiting_key);
    for (Event& e : held) {
      if (!open_encrypted(*channel, e)) continue;
      history_.push(e);
      dispatch(channel.get(), e, true);
    }
    return;
  }
  if (channel->sub != ChannelCore::Sub::pending) return;
  if (channel->cancelled) {  // unsubscribed while authorising: never subscribed at the server
    channel->sub = ChannelCore::Sub::idle;
    do_unsubscribe_cancelled(*channel);
    return;
  }
  if (result.error) {
    fail_subscription(*channel, "AuthError", result.error.message, result.error.server_code,
                      ErrorCode::auth_failed);
    return;
  }
  if (channel->kind() == Kind::private_encrypted) {
    if (result.shared_secret.empty()) {
      fail_subscription(*channel, "AuthError",
                        "the auth response has no shared_secret for an encrypted channel", 0,
                        ErrorCode::auth_failed);
      return;
    }
    channel->shared_secret = result.shared_secret;
    channel->reauthorised_for_decrypt = false;
  }
  if (channel->kind() == Kind::presence) channel->set_my_id(user_id_of(result.channel_data));
  // channel_data is part of the signed string: passed on byte for byte (protocol.md §1.7).
  service_->send_now(protocol::encode_subscribe(channel->name(), result.auth, result.channel_data));
}

void ManagerCore::fail_subscription(ChannelCore& channel, const std::string& type,
                                    const std::string& error, int status, ErrorCode code) {
  channel.sub = ChannelCore::Sub::idle;
  channel.subscribed = false;
  notify(&channel, channel.name(), "pusher:subscription_error",
         "{\"type\":\"" + json_escape(type) + "\",\"error\":\"" + json_escape(error) +
             "\",\"status\":" + std::to_string(status) + "}");
  report(Error{code, "subscription to " + channel.name() + " failed: " + error, status,
               channel.name()});
}

void ManagerCore::on_subscription_succeeded(const protocol::SubscriptionSucceeded& m) {
  auto channel = find(m.channel);
  if (!channel || channel->sub != ChannelCore::Sub::pending) return;
  if (channel->cancelled) {
    do_unsubscribe_cancelled(*channel);
    return;
  }
  channel->sub = ChannelCore::Sub::subscribed;
  channel->subscribed = true;
  std::vector<Member> members;
  if (m.has_presence) {
    for (const auto& pm : m.members) members.push_back(Member{pm.id, pm.info});
    channel->set_members(members);
  }
  notify(channel.get(), m.channel, "pusher:subscription_succeeded", "{}");
  if (m.has_presence) {
    channel->here_handlers.dispatch({}, [this](auto&& call) { guarded("here", call); }, members);
  }
  if (channel->ever_subscribed) {
    auto away = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - channel->lost_at);
    notify(channel.get(), m.channel, "pusher:resubscribed",
           "{\"away_ms\":" + std::to_string(away.count()) + "}");
  }
  channel->ever_subscribed = true;
  flush_client_events();
}

void ManagerCore::do_unsubscribe_cancelled(ChannelCore& channel) {
  if (channel.sub == ChannelCore::Sub::pending) {
    service_->send_now(protocol::encode_unsubscribe(channel.name()));
  }
  channel.sub = ChannelCore::Sub::idle;
  channel.cancelled = false;
  channel.subscribed = false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = channels_.find(channel.name());
  if (it != channels_.end() && it->second.get() == &channel) channels_.erase(it);
}

void ManagerCore::on_subscription_error(const protocol::SubscriptionError& m) {
  auto channel = find(m.channel);
  if (channel) {
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
    // (protocol.md §4): it belongs to the oldest pending authorised subscription.
    ChannelCore* oldest = nullptr;
    for (auto& c : channels_snapshot()) {
      if (c->sub == ChannelCore::Sub::pending && c->kind() != Kind::public_channel &&
          (oldest == nullptr || c->pending_since < oldest->pending_since)) {
        oldest = c.get();
      }
    }
    if (oldest != nullptr) {
      fail_subscription(*oldest, "AuthError", m.message.empty() ? "unauthorized" : m.message, 4009,
                        ErrorCode::subscription_failed);
      return;
    }
  }
  report(Error{ErrorCode::server_error, "server error: " + m.message, m.code, m.channel});
}

void ManagerCore::on_member_added(const protocol::MemberAdded& m) {
  auto channel = find(m.channel);
  if (!channel) return;
  Member member{m.member.id, m.member.info};
  if (!channel->add_member(member)) return;
  notify(channel.get(), m.channel, "pusher:member_added", member_json(member));
  channel->joining_handlers.dispatch({}, [this](auto&& call) { guarded("joining", call); }, member);
}

void ManagerCore::on_member_removed(const protocol::MemberRemoved& m) {
  auto channel = find(m.channel);
  if (!channel) return;
  auto member = channel->remove_member(m.user_id);
  if (!member) return;
  notify(channel.get(), m.channel, "pusher:member_removed", member_json(*member));
  channel->leaving_handlers.dispatch({}, [this](auto&& call) { guarded("leaving", call); }, *member);
}

void ManagerCore::trigger(const std::shared_ptr<ChannelCore>& channel, const std::string& event,
                          const std::string& data_json) {
  std::string message = protocol::encode_client_event(channel->name(), event, data_json);
  if (message.size() > options_.max_message_size) {
    throw std::invalid_argument("client event " + event + " is " + std::to_string(message.size()) +
                                " bytes, over the maximum message size");
  }
  loop_ref_->post([self = weak_from_this(), channel, message = std::move(message), event]() mutable {
    if (auto core = self.lock()) core->queue_client_event(*channel, std::move(message), event);
  });
}

void ManagerCore::queue_client_event(ChannelCore& channel, std::string message,
                                     const std::string& event) {
  if (channel.client_events.size() >= options_.outbound_queue_limit) {
    report(Error{ErrorCode::queue_overflow,
                 "client events waiting on " + channel.name() + " are over the limit (" +
                     std::to_string(channel.client_events.size()) + "): not sent: " + event,
                 0, channel.name()});
    return;
  }
  channel.client_events.push_back(std::move(message));
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
    if (channel->sub != ChannelCore::Sub::subscribed) continue;  // sent once subscribed
    while (!channel->client_events.empty() && recent_client_sends_.size() < limit) {
      service_->send(std::move(channel->client_events.front()), "a client event on " + channel->name());
      channel->client_events.pop_front();
      recent_client_sends_.push_back(now);
    }
    waiting = waiting || !channel->client_events.empty();
  }
  if (waiting && client_flush_timer_ == 0) {
    // Over the rate: go on when the oldest send leaves the one-second window.
    auto wait = recent_client_sends_.front() + kRateWindow - now;
    client_flush_timer_ = scheduler_.add_timer(wait, [this] {
      client_flush_timer_ = 0;
      flush_client_events();
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
      core->service_->send_now(protocol::encode_signin(r.auth, r.user_data));
    });
  };
  try {
    authorizer_->authorize(AuthRequest{socket_id, {}}, done);
  } catch (const std::exception& e) {
    report(Error{ErrorCode::auth_failed, std::string("the authorizer threw: ") + e.what(), 0, {}});
  }
}

void ManagerCore::on_signin_success(const protocol::SigninSuccess& m) {
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
  std::shared_ptr<ChannelCore> channel = find_or_add(name);
  if (channel->sub == ChannelCore::Sub::idle) send_subscribe(*channel);
}

bool ManagerCore::open_encrypted(ChannelCore& channel, Event& event) {
  std::string error;
  auto plain = decrypt_event(event.data, channel.shared_secret, error);
  if (plain) {
    event.data = std::move(*plain);
    channel.reauthorised_for_decrypt = false;  // the key works: a later failure may refresh again
    return true;
  }
  auto self = find(channel.name());
  if (!channel.reauthorised_for_decrypt && self.get() == &channel) {
    // The key may have rotated: fetch a fresh one once and try again (as pusher-js does).
    channel.reauthorised_for_decrypt = true;
    channel.awaiting_key.push_back(std::move(event));
    authorise(self, true);
    return false;
  }
  report(Error{ErrorCode::malformed_message,
               "dropped an event on " + channel.name() + " that could not be decrypted: " + error, 0,
               channel.name()});
  return false;
}

}  // namespace pusher::detail
