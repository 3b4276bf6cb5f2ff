#pragma once

#include <pusher/manager.hpp>

#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel/channel_core.hpp"
#include "log.hpp"
#include "manager/handlers.hpp"
#include "manager/history.hpp"
#include "manager/loop_ref.hpp"
#include "net/event_loop.hpp"
#include "protocol/message.hpp"
#include "service/service.hpp"

namespace pusher::detail {

/// What a pusher::SharedLoop holds: one running loop thread.
class SharedLoopImpl {
 public:
  net::LoopThread thread;
};

/// The Manager's state: the channel registry, handlers, history and the Service, all on one
/// loop thread. Public calls post here; snapshots (state, socket id) are kept under a mutex.
class ManagerCore final : public service::ServiceListener,
                          public std::enable_shared_from_this<ManagerCore> {
 public:
  /// `loop` is started by the caller; the transport factory defaults to real WebSockets and
  /// the scheduler to the loop (tests pass fakes of both).
  ManagerCore(Options options, net::EventLoop& loop, std::shared_ptr<LoopRef> loop_ref,
              service::TransportFactory make_transport = {}, net::Scheduler* scheduler = nullptr);
  ~ManagerCore() override;

  // Any thread.
  void connect();
  void disconnect();
  void signin();
  std::shared_ptr<ChannelCore> subscribe(const std::string& name);
  void unsubscribe(const std::string& name);
  std::shared_ptr<ChannelCore> find(const std::string& name) const;
  ConnectionState state() const;
  std::string socket_id() const;
  std::vector<Event> history() const { return history_.snapshot(); }
  /// Queues a client event (validated by Channel::trigger) for `channel`.
  void trigger(const std::shared_ptr<ChannelCore>& channel, const std::string& event,
               const std::string& data_json);
  const std::shared_ptr<LoopRef>& loop_ref() const noexcept { return loop_ref_; }
  const Options& options() const noexcept { return options_; }

  // Loop thread.
  Registry<const Event&> events;
  Registry<const AppEvent&, const Event&> app_events;
  Registry<const StateChange&> state_handlers;
  Registry<const Error&> error_handlers;
  Registry<std::chrono::milliseconds> connecting_in_handlers;
  service::Service& service() noexcept { return *service_; }
  /// Takes ownership of the loop's thread (a Manager with its own loop).
  void adopt_thread(std::unique_ptr<net::LoopThread> thread) { thread_ = std::move(thread); }
  /// Runs on a loop shared with other Managers (kept alive while this Manager lives).
  void share_loop(std::shared_ptr<SharedLoop> loop) { shared_loop_ = std::move(loop); }
  /// From the Manager's destructor (not the loop thread): closes with 1000, waits a bounded
  /// time for the server, stops the loop, and tears the connection down. No callback runs
  /// after it returns.
  void shutdown();
  /// Reports `error` to the error handlers (loop thread).
  void report(const Error& error);

 private:
  // service::ServiceListener
  void on_state_change(StateChange change) override;
  void on_connected(const std::string& socket_id) override;
  void on_message(protocol::Inbound& message) override;
  void on_error(const Error& error) override;
  void on_connecting_in(std::chrono::milliseconds delay) override;

  // subscriptions.cpp: subscribing, authorising, client events, presence, encryption.
  void send_subscribe(ChannelCore& channel);
  void authorise(const std::shared_ptr<ChannelCore>& channel, bool for_decrypt);
  void on_authorised(const std::shared_ptr<ChannelCore>& channel, std::uint64_t generation,
                     const std::string& socket_id, bool for_decrypt, AuthResult result);
  void fail_subscription(ChannelCore& channel, const std::string& type, const std::string& error,
                         int status, ErrorCode code);
  void queue_client_event(ChannelCore& channel, std::string message, const std::string& event);
  void flush_client_events();
  void on_member_added(const protocol::MemberAdded& m);
  void on_member_removed(const protocol::MemberRemoved& m);
  bool open_encrypted(ChannelCore& channel, Event& event);
  void send_signin();
  void on_signin_success(const protocol::SigninSuccess& m);
  void do_unsubscribe(const std::string& name);
  void do_unsubscribe_cancelled(ChannelCore& channel);
  void on_subscription_succeeded(const protocol::SubscriptionSucceeded& m);
  void on_subscription_error(const protocol::SubscriptionError& m);
  void on_server_error(const protocol::ServerError& m);
  void on_channel_event(protocol::ChannelEvent& m);
  void notify(ChannelCore* channel, const std::string& channel_name, const std::string& name,
              std::string data);
  void dispatch(ChannelCore* channel, const Event& event, bool app_event);
  std::shared_ptr<ChannelCore> find_locked(const std::string& name) const;
  /// The registry entry for `name`, made on first use (any thread).
  std::shared_ptr<ChannelCore> find_or_add(const std::string& name);
  std::vector<std::shared_ptr<ChannelCore>> channels_snapshot() const;
  /// Runs a user callback; an exception becomes a callback_exception error (style.md §7).
  template <typename Fn>
  void guarded(const char* what, Fn&& fn) {
    try {
      fn();
    } catch (const std::exception& e) {
      report(Error{ErrorCode::callback_exception, std::string(what) + " callback threw: " + e.what(), 0, {}});
    } catch (...) {
      report(Error{ErrorCode::callback_exception, std::string(what) + " callback threw", 0, {}});
    }
  }

  Options options_;
  std::shared_ptr<LoopRef> loop_ref_;
  net::EventLoop& loop_;
  net::Scheduler& scheduler_;
  std::shared_ptr<Authorizer> authorizer_;
  std::uint64_t subscribe_seq_ = 0;
  bool signin_wanted_ = false;
  std::uint64_t signin_generation_ = 0;
  std::deque<net::Scheduler::Clock::time_point> recent_client_sends_;
  net::Scheduler::TimerId client_flush_timer_ = 0;
  Log log_;
  std::uint64_t random_state_;  // splitmix64: jitter needs no 2.5 KB Mersenne Twister
  std::unique_ptr<net::LoopThread> thread_;
  std::shared_ptr<SharedLoop> shared_loop_;
  std::unique_ptr<service::Service> service_;
  EventHistory history_;

  mutable std::mutex mutex_;  // guards channels_, state_, socket_id_
  std::map<std::string, std::shared_ptr<ChannelCore>> channels_;
  ConnectionState state_ = ConnectionState::initialized;
  std::string socket_id_;
};

}  // namespace pusher::detail
