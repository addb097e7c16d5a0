// lookout::testing::DeskReceiver: the base of the fake PagerDuty / Zendesk / Freshdesk receivers
// (pagerduty_receiver.h, zendesk_receiver.h, freshdesk_receiver.h). An HttpReceiver whose answers
// come from a `handle` that checks each request as the real API documents it and keeps the
// resulting state; a test can switch it to a fault: 500, 503, 429 with Retry-After, hang (answer
// only after `hang` ms, past the sink's timeout), garbage (a 2xx that is not JSON), or a
// redirect to another host. Requests a handler refuses are kept in errors() with why, so a
// test can assert that none was malformed.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_receiver.h"

namespace lookout::testing {

// posts_lost: a POST is carried out but its answer never comes (the server acted, then the
// connection died): answered only after `hang`, past the client's timeout; other methods as usual.
enum class Fault { none, error500, unavailable503, throttle429, hang, garbage, redirect, posts_lost };

class DeskReceiver {
 public:
  DeskReceiver() {
    http_.set_responder([this](const ReceivedRequest& r, size_t) { return respond(r); });
  }
  virtual ~DeskReceiver() { http_.stop(); }

  /// http://127.0.0.1:<port> followed by `path`.
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(http_.port()) + path; }
  HttpReceiver& http() { return http_; }
  size_t count() const { return http_.count(); }

  void set_fault(Fault f, int retry_after_s = 30, std::chrono::milliseconds hang = std::chrono::milliseconds(1500)) {
    std::lock_guard lock(mutex_);
    fault_ = f;
    retry_after_ = retry_after_s;
    hang_ = hang;
  }
  /// Requests refused as malformed (method, path, auth, fields), with the reason.
  std::vector<std::string> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }

 protected:
  /// Checks and applies one request (called with mutex_ held).
  virtual Answer handle(const ReceivedRequest& r) = 0;

  Answer refuse(int status, const std::string& why, nlohmann::json body) {
    errors_.push_back(why);
    return Answer{status, body.dump(), "application/json"};
  }
  static Answer json(int status, const nlohmann::json& body) { return Answer{status, body.dump(), "application/json"}; }

  mutable std::mutex mutex_;
  std::vector<std::string> errors_;

 private:
  Answer handle_locked(const ReceivedRequest& r) {
    std::lock_guard lock(mutex_);
    return handle(r);
  }
  Answer respond(const ReceivedRequest& r) {
    Fault f;
    std::chrono::milliseconds hang;
    int retry_after;
    {
      std::lock_guard lock(mutex_);
      f = fault_;
      hang = hang_;
      retry_after = retry_after_;
    }
    switch (f) {
      case Fault::none: return handle_locked(r);
      case Fault::error500: return Answer{500, "internal error", "text/plain"};
      case Fault::unavailable503: return Answer{503, "maintenance", "text/plain"};
      case Fault::throttle429:
        return Answer{429, "Too Many Requests", "text/plain", {{"Retry-After", std::to_string(retry_after)}}};
      case Fault::hang: std::this_thread::sleep_for(hang); return Answer{500, "too late", "text/plain"};
      case Fault::garbage: return Answer{201, "<html>ok</html>", "text/html"};
      case Fault::redirect:
        return Answer{301, "", "text/plain", {{"Location", "http://127.0.0.2:9/elsewhere"}}};
      case Fault::posts_lost: {
        Answer a = handle_locked(r);
        if (r.method == "POST") std::this_thread::sleep_for(hang);
        return a;
      }
    }
    return Answer{500, "", "text/plain"};
  }

  HttpReceiver http_;
  Fault fault_ = Fault::none;
  int retry_after_ = 30;
  std::chrono::milliseconds hang_{1500};
};

/// "Basic <base64>" -> "user:password" ("" when not Basic or not base64).
inline std::string decode_basic(const std::string& header) {
  if (header.rfind("Basic ", 0) != 0) return {};
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = header.substr(6), out;
  int val = 0, bits = -8;
  for (char c : in) {
    if (c == '=') break;
    auto pos = chars.find(c);
    if (pos == std::string::npos) return {};
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

}  // namespace lookout::testing
