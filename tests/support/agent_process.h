// The real `lookout run` as a child process for integration tests: start it on a config with its
// output in a log file, signal it (SIGHUP, SIGTERM, SIGKILL), wait for it, and show its log when
// the test failed. Plus `eventually`, the polling wait these tests use (a condition met within a
// timeout; never a fixed sleep that the assertion depends on).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace lookout::testing {

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

/// A sample's value in a Prometheus text exposition (`series` with its labels, exactly as
/// exposed), or -1 when the series is absent.
inline double metric_sample(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + series.size() + 2));
}

class AgentProcess {
 public:
  /// `env`: variables set in the child's environment; an empty value removes one the test's
  /// own environment has.
  AgentProcess(std::string config, std::string log, std::map<std::string, std::string> env = {})
      : config_(std::move(config)), log_(std::move(log)), env_(std::move(env)) {}
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;
  ~AgentProcess() { kill9(); }

  /// Starts `lookout run -c <config>` with stdout and stderr appended to the log. False if fork
  /// failed.
  bool start() {
    pid_ = fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      for (const auto& [name, value] : env_)
        value.empty() ? unsetenv(name.c_str()) : setenv(name.c_str(), value.c_str(), 1);
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      execl(LOOKOUT_BINARY, LOOKOUT_BINARY, "run", "-c", config_.c_str(), (char*)nullptr);
      _exit(127);
    }
    return true;
  }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool signal(int sig) const { return pid_ > 0 && ::kill(pid_, sig) == 0; }

  /// SIGKILL and reap: the crash the durability tests inflict.
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  /// SIGTERM and wait for the exit; its status as waitpid gives it (-1 when not running).
  int stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  /// For TearDown: the agent's log (its last `max_chars`) on stderr when the test failed.
  void dump_log_if(bool failed, size_t max_chars = 20000) const {
    if (!failed) return;
    std::string text = log();
    if (text.size() > max_chars) text = "..." + text.substr(text.size() - max_chars);
    std::cerr << "---- agent log " << log_ << " ----\n" << text << "\n---- end ----\n";
  }

 private:
  std::string config_, log_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
};

}  // namespace lookout::testing
