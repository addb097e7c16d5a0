// alerting::EmailSink (`type: email`): each notification as one plain-text e-mail over SMTP,
// sent with libcurl (a well-kept SMTP client) on a thread of the sink's own, so a slow mail
// server never holds up the other sinks. `url` smtp://host[:port] requires STARTTLS (the
// connection fails rather than send in clear), smtps://host[:465] is TLS from the start; `username`
// with `password_env|password_file` does SMTP AUTH; `from`, `to` (one or a list); `ca_file` for a
// private CA. Each attempt ends by the sink's timeout.
//
// Subject "[Lookout P1] opened: shop https: connect timeout"; Message-ID from the notification's
// idempotency key. The answer: 2xx delivered; a 5xx SMTP reply (a refused recipient, a refused
// sender) or refused AUTH or a server without STARTTLS -> rejected with the server's words; 4xx
// and connection failures -> retried.
#pragma once

#include <string>

#include <boost/asio/thread_pool.hpp>

#include "alerting/api_client.h"
#include "alerting/sink.h"

namespace lookout::alerting {

class EmailSink final : public Sink {
 public:
  EmailSink(config::SinkConfig config, const Clock& clock);
  ~EmailSink() override;
  const std::string& id() const override { return config_.id; }
  boost::asio::awaitable<Delivery> deliver(const Notification& notification) override;

  /// The RFC 5322 message for a notification (CRLF line ends). Audience "client"
  /// (contract.notify_client) is the client's acknowledgement: "we have detected a problem with
  /// ... Reference LK-1042: we are on it", to the addresses the notification carries.
  std::string message(const Notification& n, const NotificationBody& body) const;

 private:
  Delivery send(const std::string& message, const std::vector<std::string>& to) const;  // blocking: runs on pool_
  /// config `to`, the member's own address for a page through the on-call rota, or the
  /// client's addresses for a client notice.
  std::vector<std::string> recipients(const Notification& n) const;

  config::SinkConfig config_;
  const Clock& clock_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace lookout::alerting
