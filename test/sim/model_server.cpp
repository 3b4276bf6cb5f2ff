#include "model_server.hpp"

#include <pusher/auth.hpp>

#include <cstring>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#if PUSHER_HAVE_SODIUM
#include <sodium.h>
#endif

#include "protocol/json_writer.hpp"
#include "ws/utf8.hpp"

namespace pusher::sim {
namespace {

using std::chrono::milliseconds;
constexpr auto kLatency = milliseconds(1);
constexpr std::size_t kReverbMaxMessage = 10000;
constexpr std::size_t kPusherMaxMessage = 10240;
constexpr std::size_t kSoketiMaxMessage = 100 * 1024;

std::string quoted(const std::string& s) {
  std::string out;
  detail::protocol::append_json_string(out, s);
  return out;
}

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string string_member(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool is_private(const std::string& channel) {
  return channel.rfind("private-", 0) == 0 || channel.rfind("presence-", 0) == 0;
}

}  // namespace

const char* to_string(Mode mode) {
  switch (mode) {
    case Mode::soketi: return "soketi";
    case Mode::reverb: return "reverb";
    case Mode::pusher: return "pusher";
  }
  return "?";
}

ModelServer::ModelServer(Mode mode, detail::net::Scheduler& clock, std::string key,
                         std::string secret, ViolationSink violation)
    : mode_(mode),
      clock_(clock),
      key_(std::move(key)),
      secret_(std::move(secret)),
      violation_(std::move(violation)) {}

Conn* ModelServer::conn_of(int client) {
  for (auto& [id, c] : conns_) {
    if (c.client == client && c.transport != nullptr) return &c;
  }
  return nullptr;
}

std::vector<Conn*> ModelServer::conns() {
  std::vector<Conn*> out;
  for (auto& [id, c] : conns_) out.push_back(&c);
  return out;
}

std::size_t ModelServer::unread_of(std::uint64_t conn_id) const {
  auto it = conns_.find(conn_id);
  return it == conns_.end() ? 0 : it->second.unread;
}

void ModelServer::send(Conn& c, std::string text) {
  ++stats.frames_out;
  std::uint64_t id = c.id;
  clock_.add_timer(kLatency, [this, id, text = std::move(text)] {
    auto it = conns_.find(id);
    if (it == conns_.end() || !it->second.open || it->second.transport == nullptr) return;
    if (before_deliver) before_deliver(it->second.client, text);
    it->second.transport->listener().on_text(text);
    if (after_deliver) after_deliver();
  });
}

void ModelServer::on_connect(SimTransport& t) {
  ++stats.connects;
  auto& times = connect_times[t.client()];
  times.push_back(clock_.now());
  while (times.size() > 200) times.pop_front();
  if (!up) {
    SimTransport* tp = &t;
    std::uint64_t gen = ++refused_;
    t.conn_id = 0;
    pending_refusals_[gen] = tp;
    clock_.add_timer(kLatency, [this, gen] {
      auto it = pending_refusals_.find(gen);
      if (it == pending_refusals_.end()) return;
      SimTransport* transport = it->second;
      pending_refusals_.erase(it);
      detail::net::CloseEvent e;
      e.error = Error{ErrorCode::connect_failed, "connection refused (simulated)", 7, {}};
      transport->listener().on_close(e);
    });
    return;
  }
  Conn c;
  c.id = next_conn_++;
  c.client = t.client();
  c.transport = &t;
  c.socket_id = std::to_string(c.id) + "." + std::to_string(c.id * 7919 % 100000);
  c.reading = reading;
  t.conn_id = c.id;
  std::uint64_t id = c.id;
  conns_.emplace(id, std::move(c));
  clock_.add_timer(kLatency, [this, id] {
    auto it = conns_.find(id);
    if (it == conns_.end() || it->second.transport == nullptr) return;
    it->second.open = true;
    it->second.transport->listener().on_open();
    auto again = conns_.find(id);
    if (again == conns_.end()) return;
    std::string established =
        "{\"socket_id\":\"" + again->second.socket_id + "\",\"activity_timeout\":" +
        std::string(mode_ == Mode::reverb ? "30" : "120") + "}";
    send(again->second, "{\"event\":\"pusher:connection_established\",\"data\":" +
                            quoted(established) + "}");
    if (reject_code != 0) error(again->second, reject_code);
  });
}

void ModelServer::cancel_refusal(SimTransport* t) {
  for (auto it = pending_refusals_.begin(); it != pending_refusals_.end();) {
    it = it->second == t ? pending_refusals_.erase(it) : std::next(it);
  }
}

void ModelServer::on_frame(std::uint64_t conn_id, std::string frame) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  if (!c.reading) {
    c.unread += frame.size();
    c.unread_frames.push_back(std::move(frame));
    return;
  }
  clock_.add_timer(kLatency, [this, conn_id, frame = std::move(frame)] {
    auto found = conns_.find(conn_id);
    if (found == conns_.end() || !found->second.open) return;
    handle(found->second, frame);
  });
}

void ModelServer::set_reading(Conn& c, bool on) {
  c.reading = on;
  if (!on) return;
  std::deque<std::string> frames;
  frames.swap(c.unread_frames);
  c.unread = 0;
  for (auto& f : frames) on_frame(c.id, std::move(f));
}

void ModelServer::handle(Conn& c, const std::string& frame) {
  ++stats.frames_in;
  if (!detail::ws::valid_utf8(frame)) {
    violation_("I3", "the client sent a text message that is not UTF-8: the server closes 1007");
    close(c, 1007);
    return;
  }
  std::size_t limit = mode_ == Mode::reverb ? kReverbMaxMessage
                      : mode_ == Mode::pusher ? kPusherMaxMessage : kSoketiMaxMessage;
  if (frame.size() > limit) {
    if (mode_ == Mode::reverb) {
      close(c, 1009);
    } else {
      send(c, "{\"event\":\"pusher:error\",\"data\":{\"code\":4301,\"message\":\"Message too large\"}}");
    }
    return;
  }
  rapidjson::Document doc;
  doc.Parse(frame.c_str(), frame.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    if (mode_ == Mode::reverb) {
      send(c, "{\"event\":\"pusher:error\",\"data\":\"{\\\"code\\\":4200,\\\"message\\\":\\\"Invalid message format\\\"}\"}");
    }
    return;
  }
  std::string event = string_member(doc, "event");
  const rapidjson::Value null_value;
  auto data_it = doc.FindMember("data");
  const rapidjson::Value& data = data_it == doc.MemberEnd() ? null_value : data_it->value;
  if (event == "pusher:ping") {
    send(c, mode_ == Mode::reverb ? "{\"event\":\"pusher:pong\"}"
                                  : "{\"event\":\"pusher:pong\",\"data\":{}}");
  } else if (event == "pusher:pong") {
    // answers our pings
  } else if (event == "pusher:subscribe") {
    auto cd = data.IsObject() ? data.FindMember("channel_data") : data.MemberEnd();
    bool has_cd = data.IsObject() && cd != data.MemberEnd() && cd->value.IsString();
    subscribe(c, string_member(data, "channel"), string_member(data, "auth"),
              has_cd ? std::string(cd->value.GetString(), cd->value.GetStringLength()) : "", has_cd);
  } else if (event == "pusher:unsubscribe") {
    unsubscribe(c, string_member(data, "channel"));
  } else if (event == "pusher:signin") {
    if (mode_ == Mode::reverb) return;  // Reverb has no user sign-in
    std::string user_data = string_member(data, "user_data");
    std::string auth = string_member(data, "auth");
    if (auth != sign_auth(key_, secret_, c.socket_id + "::user::" + user_data)) {
      error_then_drop(c, 4009);
      return;
    }
    send(c, "{\"event\":\"pusher:signin_success\",\"data\":{\"user_data\":" + quoted(user_data) + "}}");
  } else if (event.rfind("client-", 0) == 0) {
    std::string data_json = data.IsString() ? quoted(std::string(data.GetString(), data.GetStringLength()))
                                            : compact(data);
    client_event(c, event, string_member(doc, "channel"), data_json);
  }
}

void ModelServer::subscribe(Conn& c, const std::string& channel, const std::string& auth,
                            const std::string& channel_data, bool has_channel_data) {
  if (c.channels.count(channel) != 0) {
    violation_("I1", "subscribed twice to " + channel + " on one connection");
    return;
  }
  bool presence = channel.rfind("presence-", 0) == 0;
  if (is_private(channel)) {
    std::string to_sign = c.socket_id + ":" + channel + (presence ? ":" + channel_data : "");
    if (auth != sign_auth(key_, secret_, to_sign) || (presence && !has_channel_data)) {
      if (mode_ == Mode::reverb) {
        send(c, "{\"event\":\"pusher:error\",\"data\":\"{\\\"code\\\":4009,\\\"message\\\":\\\"Connection is unauthorized\\\"}\"}");
      } else {
        send(c, "{\"event\":\"pusher:subscription_error\",\"channel\":" + quoted(channel) +
                    ",\"data\":{\"type\":\"AuthError\",\"error\":\"The connection is unauthorized.\",\"status\":401}}");
      }
      return;
    }
  }
  c.channels.insert(channel);
  if (!presence) {
    send(c, "{\"event\":\"pusher_internal:subscription_succeeded\",\"data\":\"{}\",\"channel\":" +
                quoted(channel) + "}");
    return;
  }
  rapidjson::Document cd;
  cd.Parse(channel_data.c_str(), channel_data.size());
  std::string user_id = cd.IsObject() ? string_member(cd, "user_id") : "";
  std::string info = "null";
  if (cd.IsObject() && cd.HasMember("user_info")) info = compact(cd["user_info"]);
  c.presence_user[channel] = user_id;
  bool is_new = members_[channel].count(user_id) == 0;
  members_[channel][user_id] = info;
  send(c, "{\"event\":\"pusher_internal:subscription_succeeded\",\"data\":" +
              quoted(presence_payload(channel)) + ",\"channel\":" + quoted(channel) + "}");
  if (!is_new) return;
  std::string added = "{\"user_id\":" + quoted(user_id) + ",\"user_info\":" + info + "}";
  for (Conn* other : subscribers(channel)) {
    if (other->id == c.id) continue;
    send(*other, "{\"event\":\"pusher_internal:member_added\",\"channel\":" + quoted(channel) +
                     ",\"data\":" + quoted(added) + "}");
  }
}

std::string ModelServer::presence_payload(const std::string& channel) {
  const auto& members = members_[channel];
  std::string ids, hash;
  for (const auto& [id, info] : members) {
    ids += (ids.empty() ? "" : ",") + quoted(id);
    hash += (hash.empty() ? "" : ",") + quoted(id) + ":" + info;
  }
  std::string hash_json = hash.empty() && mode_ == Mode::reverb ? "[]" : "{" + hash + "}";
  return "{\"presence\":{\"count\":" + std::to_string(members.size()) + ",\"ids\":[" + ids +
         "],\"hash\":" + hash_json + "}}";
}

std::vector<Conn*> ModelServer::subscribers(const std::string& channel) {
  std::vector<Conn*> out;
  for (auto& [id, c] : conns_) {
    if (c.open && c.channels.count(channel) != 0) out.push_back(&c);
  }
  return out;
}

void ModelServer::unsubscribe(Conn& c, const std::string& channel) {
  if (c.channels.erase(channel) == 0) return;
  auto user = c.presence_user.find(channel);
  if (user == c.presence_user.end()) return;
  std::string user_id = user->second;
  c.presence_user.erase(user);
  for (Conn* other : subscribers(channel)) {
    auto u = other->presence_user.find(channel);
    if (u != other->presence_user.end() && u->second == user_id) return;  // still there
  }
  member_leave(channel, user_id);
}

void ModelServer::client_event(Conn& c, const std::string& event, const std::string& channel,
                               const std::string& data_json) {
  if (c.channels.count(channel) == 0) return;  // soketi and Reverb drop these silently
  client_events_received.insert(event);
  std::string user;
  auto u = c.presence_user.find(channel);
  if (u != c.presence_user.end()) user = u->second;
  for (Conn* other : subscribers(channel)) {
    if (other->id == c.id) continue;
    if (mode_ == Mode::reverb) {
      send(*other, "{\"event\":" + quoted(event) + ",\"data\":" + data_json + ",\"channel\":" +
                       quoted(channel) + (user.empty() ? "" : ",\"user_id\":" + quoted(user)) + "}");
    } else {
      send(*other, "{\"event\":" + quoted(event) + ",\"channel\":" + quoted(channel) +
                       ",\"data\":" + data_json + (user.empty() ? "" : ",\"user_id\":" + quoted(user)) + "}");
    }
  }
}

#if PUSHER_HAVE_SODIUM
namespace {

// The channel key, made from the channel name and a generation so that a run is the same
// every time (Pusher derives it from the master key and the channel name).
std::string channel_key(const std::string& channel, int generation) {
  std::string material = channel + "#" + std::to_string(generation);
  std::string key(crypto_secretbox_KEYBYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                     reinterpret_cast<const unsigned char*>(material.data()), material.size(),
                     nullptr, 0);
  return key;
}

std::string base64(const std::string& bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// `{"ciphertext":..,"nonce":..}` (NaCl secretbox), as pusher-js expects an encrypted event.
std::string seal(const std::string& plain, const std::string& key, std::uint64_t seq) {
  std::string nonce(crypto_secretbox_NONCEBYTES, '\0');
  for (std::size_t i = 0; i < 8; ++i) nonce[i] = static_cast<char>((seq >> (8 * i)) & 0xff);
  std::string box(plain.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()),
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                        reinterpret_cast<const unsigned char*>(nonce.data()),
                        reinterpret_cast<const unsigned char*>(key.data()));
  return "{\"ciphertext\":\"" + base64(box) + "\",\"nonce\":\"" + base64(nonce) + "\"}";
}

}  // namespace
#endif

std::string ModelServer::shared_secret(const std::string& channel) {
#if PUSHER_HAVE_SODIUM
  return base64(channel_key(channel, key_generation_[channel]));
#else
  (void)channel;
  return {};
#endif
}

void ModelServer::rotate_key(const std::string& channel) { ++key_generation_[channel]; }

std::uint64_t ModelServer::publish(const std::string& channel, const std::string& event) {
  std::uint64_t seq = next_seq_++;
  std::string plain = "{\"seq\":" + std::to_string(seq) + ",\"pad\":\"" +
                      std::string(seq % 7 * 40, 'x') + "\"}";
  bool sealed = false;
#if PUSHER_HAVE_SODIUM
  if (channel.rfind("private-encrypted-", 0) == 0) {
    plain = seal(plain, channel_key(channel, key_generation_[channel]), seq);
    sealed = true;
  }
#endif
  for (Conn* c : subscribers(channel)) {
    std::string frame = "{\"event\":" + quoted(event) + ",\"channel\":" + quoted(channel) +
                        ",\"data\":" + quoted(plain) + "}";
    if (sealed) sealed_seqs_[frame] = seq;
    send(*c, std::move(frame));
  }
  return seq;
}

void ModelServer::member_join(const std::string& channel, const std::string& user_id) {
  if (members_[channel].count(user_id) != 0) return;
  members_[channel][user_id] = "{\"name\":" + quoted(user_id) + "}";
  std::string added = "{\"user_id\":" + quoted(user_id) + ",\"user_info\":{\"name\":" + quoted(user_id) + "}}";
  for (Conn* c : subscribers(channel)) {
    send(*c, "{\"event\":\"pusher_internal:member_added\",\"channel\":" + quoted(channel) +
                 ",\"data\":" + quoted(added) + "}");
  }
}

void ModelServer::member_leave(const std::string& channel, const std::string& user_id) {
  auto& members = members_[channel];
  if (members.erase(user_id) == 0) return;
  std::string removed = "{\"user_id\":" + quoted(user_id) + "}";
  for (Conn* c : subscribers(channel)) {
    send(*c, "{\"event\":\"pusher_internal:member_removed\",\"channel\":" + quoted(channel) +
                 ",\"data\":" + quoted(removed) + "}");
  }
}

void ModelServer::text_ping(Conn& c) { send(c, "{\"event\":\"pusher:ping\",\"data\":{}}"); }

void ModelServer::error(Conn& c, int code) {
  std::string body = "{\"code\":" + std::to_string(code) + ",\"message\":\"simulated\"}";
  // Reverb sends the error's data as a JSON string, soketi and Pusher as an object.
  std::string msg = "{\"event\":\"pusher:error\",\"data\":" +
                    (mode_ == Mode::reverb ? quoted(body) : body) + "}";
  send(c, msg);
  if (code == 4009 || code == 4301) return;  // informational: the connection stays
  if (code == 4200 && mode_ == Mode::reverb) return;  // "Invalid message format": kept open
  std::uint64_t id = c.id;
  clock_.add_timer(milliseconds(2), [this, id, code] {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    if (mode_ == Mode::reverb && code == 4001) {
      drop_tcp(it->second);  // Reverb drops TCP after 4001, no close frame
    } else {
      close(it->second, static_cast<std::uint16_t>(code));
    }
  });
}

void ModelServer::error_then_drop(Conn& c, int code) {
  send(c, "{\"event\":\"pusher:error\",\"data\":{\"code\":" + std::to_string(code) +
              ",\"message\":\"simulated\"}}");
  std::uint64_t id = c.id;
  clock_.add_timer(milliseconds(2), [this, id] {
    auto it = conns_.find(id);
    if (it != conns_.end()) drop_tcp(it->second);
  });
}

void ModelServer::signin_success_unsolicited(Conn& c) {
  send(c, "{\"event\":\"pusher:signin_success\",\"data\":{\"user_data\":\"{\\\"id\\\":\\\"intruder\\\"}\"}}");
}

void ModelServer::close(Conn& c, std::uint16_t code) { deliver_close(c.id, code, false); }

void ModelServer::drop_tcp(Conn& c) { deliver_close(c.id, 1006, true); }

void ModelServer::deliver_close(std::uint64_t id, std::uint16_t code, bool tcp_drop) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  SimTransport* t = it->second.transport;
  remove_conn(id);
  if (t == nullptr) return;
  clock_.add_timer(kLatency, [t, id, code, tcp_drop, this] {
    if (!transport_alive(t, id)) return;
    t->conn_id = 0;
    detail::net::CloseEvent e;
    e.code = code;
    e.clean = !tcp_drop;
    e.error = Error{ErrorCode::connection_closed,
                    tcp_drop ? "the connection dropped (simulated)" : "closed by the server (simulated)",
                    code, {}};
    t->listener().on_close(e);
  });
}

bool ModelServer::transport_alive(SimTransport* t, std::uint64_t id) const {
  return live_transports_.count(t) != 0 && t->conn_id == id;
}

void ModelServer::on_client_close(std::uint64_t conn_id, std::uint16_t code) {
  auto it = conns_.find(conn_id);
  if (it == conns_.end()) return;
  SimTransport* t = it->second.transport;
  remove_conn(conn_id);
  clock_.add_timer(kLatency, [this, t, conn_id, code] {
    if (!transport_alive(t, conn_id)) return;
    t->conn_id = 0;
    detail::net::CloseEvent e;
    e.code = code;
    e.sent_code = code;
    e.clean = true;
    t->listener().on_close(e);
  });
}

void ModelServer::on_client_gone(std::uint64_t conn_id) { remove_conn(conn_id); }

void ModelServer::abandon_connect(SimTransport* t, std::uint16_t code) {
  std::uint64_t attempt = t->attempt;
  clock_.add_timer(kLatency, [this, t, attempt, code] {
    if (live_transports_.count(t) == 0 || t->attempt != attempt || t->conn_id != 0) return;
    detail::net::CloseEvent e;
    e.code = code;
    e.sent_code = code;
    t->listener().on_close(e);
  });
}

void ModelServer::remove_conn(std::uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::set<std::string> channels = it->second.channels;
  for (const auto& ch : channels) unsubscribe(it->second, ch);
  conns_.erase(id);
}

// ---- SimTransport ------------------------------------------------------------------------

SimTransport::~SimTransport() {
  server_.forget_transport(this);
  if (conn_id != 0) server_.on_client_gone(conn_id);
}

void SimTransport::connect(detail::net::WebSocketOptions) {
  attempt = server_.next_attempt();
  server_.remember_transport(this);
  server_.on_connect(*this);
}

bool SimTransport::send_text(std::string_view message) {
  if (conn_id == 0 || !server_.is_open(conn_id)) return false;
  if (written != nullptr && message.rfind("{\"event\":\"client-", 0) == 0) {
    auto start = message.find("client-");
    auto end = message.find('"', start);
    written->insert(std::string(message.substr(start, end - start)));
  }
  server_.on_frame(conn_id, std::string(message));
  return true;
}

void SimTransport::close(std::uint16_t code, std::string_view) {
  if (conn_id == 0) {
    // Still connecting (or refused): the attempt is abandoned, on_close follows.
    server_.cancel_refusal(this);
    server_.abandon_connect(this, code);
    return;
  }
  server_.on_client_close(conn_id, code);
}

void SimTransport::abort(Error error) {
  server_.cancel_refusal(this);
  std::uint64_t id = conn_id;
  conn_id = 0;
  if (id != 0) server_.on_client_gone(id);
  detail::net::CloseEvent e;
  e.error = std::move(error);
  listener_.on_close(e);
}

std::size_t SimTransport::queued_bytes() const noexcept {
  return conn_id == 0 ? 0 : server_.unread_of(conn_id);
}

}  // namespace pusher::sim
