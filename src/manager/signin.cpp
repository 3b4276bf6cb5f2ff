// ManagerCore: user sign-in (Pusher's user authentication; pusher-js src/core/user.ts). The
// server then sends to this user on the `#server-to-user-<id>` channel.
#include <rapidjson/document.h>

#include "error_codes.hpp"
#include "manager/manager_core.hpp"
#include "protocol/encode.hpp"
#include "ws/utf8.hpp"

namespace pusher::detail {

void ManagerCore::signin() {
  loop_ref_->post([self = weak_from_this()] {
    auto core = self.lock();
    if (!core) return;
    core->signin_wanted_ = true;
    if (core->service_->state() == ConnectionState::connected) core->send_signin();
  });
}

void ManagerCore::send_signin() {
  std::uint64_t generation = ++signin_generation_;
  std::string socket_id = service_->socket_id();
  auto done = [weak_self = weak_from_this(), generation, socket_id](AuthResult r) {
    auto core = weak_self.lock();
    if (!core || generation != core->signin_generation_ ||
        socket_id != core->service_->socket_id()) {
      return;  // an answer for an older connection
    }
    if (r.error) {
      core->report(make_error(ErrorCode::auth_failed, "sign-in failed: " + r.error.message,
                              r.error.server_code, r.error.code_kind));
      return;
    }
    std::string frame = protocol::encode_signin(r.auth, r.user_data);
    if (!ws::valid_utf8(frame)) {
      core->report(Error{ErrorCode::auth_failed, "sign-in failed: the answer is not valid UTF-8", 0, {}});
      return;
    }
    if (core->service_->send_now(frame)) core->signin_in_flight_ = true;
  };
  try {
    if (!authorize(AuthRequest{socket_id, {}}, std::move(done))) {
      report(Error{ErrorCode::auth_failed, "sign-in needs an authorizer: set Options::auth or Options::authorizer", 0, {}});
    }
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
  rapidjson::Document doc;
  doc.Parse(m.user_data.c_str(), m.user_data.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("id")) return;
  const auto& id = doc["id"];
  std::string user_id = id.IsString() ? std::string(id.GetString(), id.GetStringLength())
                        : id.IsInt64() ? std::to_string(id.GetInt64()) : std::string();
  if (user_id.empty()) return;
  std::string name = "#server-to-user-" + user_id;
  if (!signed_in_channel_.empty() && signed_in_channel_ != name) {
    if (auto old = live(signed_in_channel_)) old->leave(*this);
  }
  signed_in_channel_ = name;
  std::shared_ptr<Subscription> channel;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = handles_[name];
    if (!slot) {
      slot = std::make_shared<Subscription>(name, loop_ref_, weak_from_this(), subscription_config_);
    }
    channel = slot;
  }
  auto& registered = channels_[name];
  std::shared_ptr<Subscription> previous = std::move(registered);
  registered = channel;
  if (previous == channel) previous.reset();
  channel->start(*this, previous.get());
}

}  // namespace pusher::detail
