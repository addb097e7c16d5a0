// An HTTP server whose answer never ends: HTTP 200 with a chunked body, one byte every 20 ms,
// until the client goes. 127.0.0.1 only, one connection at a time, stopped by the destructor.
// For "a feed that never ends" (catalogue feeds, the vulnerability feed): the client must give
// up at its timeout with what it has, never wait or buffer forever.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

namespace lookout::testing {

class EndlessHttp {
 public:
  EndlessHttp() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("EndlessHttp: cannot listen");
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~EndlessHttp() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      ++accepted_;
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);  // the request; its content does not matter
      const std::string head =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n[\r\n";
      bool open = ::send(c, head.data(), head.size(), MSG_NOSIGNAL) > 0;
      while (open && !stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server's pace, not the test's logic
        open = ::send(c, "1\r\n \r\n", 6, MSG_NOSIGNAL) > 0;
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace lookout::testing
