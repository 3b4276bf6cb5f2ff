// The public API as an application sees it: the umbrella header, compiled with nothing but
// pusher_dep (the public include directory and the generated version.hpp) and linked with
// nothing but the shared library. No doctest, no test support, no internal header. Returns
// non-zero, naming the check, when something is wrong.
#include <pusher/pusher.hpp>

// None of the private dependencies may be reachable from a public header (style.md §1).
#if defined(CURLINC_CURL_H) || defined(__CURL_CURL_H)
#error "a public header includes <curl/curl.h>"
#endif
// (Every OpenSSL header includes one of these.)
#if defined(OPENSSL_E_OS2_H) || defined(OPENSSL_MACROS_H) || defined(OPENSSL_OPENSSLV_H)
#error "a public header includes an OpenSSL header"
#endif
#if defined(RAPIDJSON_RAPIDJSON_H_) || defined(RAPIDJSON_DOCUMENT_H_)
#error "a public header includes a RapidJSON header"
#endif
#if defined(sodium_H)
#error "a public header includes <sodium.h>"
#endif
// pusher_dep must carry the public include directory only, never src/.
#if __has_include("manager/manager_core.hpp") || __has_include("service/service.hpp")
#error "pusher_dep exposes the library's internal include directory"
#endif

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>

namespace {

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

#define CHECK(expr) check((expr), #expr)

void version_matches_header() {
  CHECK(std::strcmp(pusher::version(), PUSHER_VERSION_STRING) == 0);
  std::string expected = std::to_string(PUSHER_VERSION_MAJOR) + "." +
                         std::to_string(PUSHER_VERSION_MINOR) + "." +
                         std::to_string(PUSHER_VERSION_PATCH);
  CHECK(expected == PUSHER_VERSION_STRING);
}

void free_functions_are_exported() {
  CHECK(std::strcmp(pusher::to_string(pusher::ErrorCode::protocol_error), "protocol_error") == 0);
  CHECK(std::strcmp(pusher::to_string(pusher::ConnectionState::connected), "connected") == 0);
  CHECK(std::strcmp(pusher::to_string(pusher::CodeKind::http), "http") == 0);
  CHECK(std::strcmp(pusher::to_string(pusher::CodeKind::transport), "transport") == 0);
  CHECK(pusher::Error{}.code_kind == pusher::CodeKind::none);
  CHECK(std::strcmp(pusher::to_string(pusher::LogLevel::warn), "warn") == 0);
  CHECK(pusher::format_event_name("MessageSent", "App.Events") == "App\\Events\\MessageSent");

  pusher::Event event;
  event.channel = "chat";
  event.name = "App\\Events\\MessageSent";
  event.data = R"({"text":"hi","user":{"id":1,"name":"Ann"}})";
  pusher::AppEvent app = pusher::decode_app_event(event);
  CHECK(std::strcmp(pusher::type_name(app), "MessageSent") == 0);
  const auto* sent = std::get_if<pusher::MessageSent>(&app);
  CHECK(sent != nullptr && sent->text == "hi" && sent->sender_name == "Ann");

  // "<key>:" and 64 hex digits of HMAC-SHA256.
  std::string auth = pusher::sign_auth("key", "secret", "1234.1234:private-foo");
  CHECK(auth.rfind("key:", 0) == 0 && auth.size() == 4 + 64);
  CHECK(pusher::make_secret_authorizer("key", "secret") != nullptr);
}

void endpoint_parse_is_exported() {
  std::string why;
  std::optional<pusher::Endpoint> endpoint =
      pusher::Endpoint::parse("wss://[::1]:8443/reverb/", &why);
  CHECK(endpoint.has_value() && endpoint->host == "::1" && endpoint->port == 8443 &&
        endpoint->tls && endpoint->path == "/reverb");
  CHECK(!pusher::Endpoint::parse("http://example.com", &why).has_value() && !why.empty());
  CHECK(!pusher::Endpoint::parse("ws://").has_value());

  pusher::Options options;
  options.set_endpoint(pusher::Endpoint::parse("ws://127.0.0.1").value_or(pusher::Endpoint{}));
  CHECK(options.host == "127.0.0.1" && options.port == 0 && !options.tls && options.path.empty());
}

void misuse_throws_a_catchable_std_exception() {
  // Thrown inside the shared library, caught here: the exception's type must match across
  // the library boundary.
  bool caught = false;
  try {
    pusher::Manager manager(pusher::Options{});
  } catch (const std::invalid_argument&) {
    caught = true;
  }
  CHECK(caught);
}

void manager_channel_binding_without_a_server() {
  pusher::Options options;
  options.key = "app-key";
  options.host = "127.0.0.1";
  options.port = 1;  // never connected: connect() is not called
  options.tls = false;
  pusher::Manager manager(options);
  CHECK(manager.state() == pusher::ConnectionState::initialized);
  CHECK(manager.socket_id().empty());

  pusher::Channel channel = manager.subscribe("chat");
  CHECK(channel.name() == "chat");
  CHECK(!channel.subscribed());
  pusher::Binding binding = channel.bind("App\\Events\\MessageSent", [](const pusher::Event&) {});
  pusher::Binding on_state = manager.on_state_change([](const pusher::StateChange&) {});
  CHECK(binding.active());
  binding.unbind();
  CHECK(!binding.active());
  CHECK(manager.channel("chat").has_value());
  // unsubscribe() is carried out on the loop thread: the channel is forgotten soon after.
  manager.unsubscribe("chat");
  bool forgotten = false;
  for (int i = 0; i < 200 && !forgotten; ++i) {
    forgotten = !manager.channel("chat").has_value();
    if (!forgotten) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(forgotten);

  bool caught = false;
  try {
    manager.subscribe("bad name");
  } catch (const std::invalid_argument&) {
    caught = true;
  }
  CHECK(caught);
  CHECK(manager.history().empty());
  CHECK(manager.stats().messages_in == 0);
}

}  // namespace

int main() {
  version_matches_header();
  free_functions_are_exported();
  endpoint_parse_is_exported();
  misuse_throws_a_catchable_std_exception();
  manager_channel_binding_without_a_server();
  if (failures == 0) std::printf("public API OK (pusher %s)\n", pusher::version());
  return failures == 0 ? 0 : 1;
}
