#include "alerting/email_sink.h"

#include <curl/curl.h>

#include <cstring>
#include <ctime>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lookout::alerting {

namespace {

struct Reader {
  const std::string& text;
  size_t pos = 0;
};

size_t read_cb(char* buffer, size_t size, size_t nitems, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t n = std::min(size * nitems, r->text.size() - r->pos);
  std::memcpy(buffer, r->text.data() + r->pos, n);
  r->pos += n;
  return n;
}

/// "Tue, 02 Mar 2026 03:14:07 +0000"
std::string rfc5322_date(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

/// A header value on one line (no CR/LF: no header injection from a summary).
std::string one_line(std::string s) {
  for (auto& c : s)
    if (c == '\r' || c == '\n') c = ' ';
  return s;
}

}  // namespace

EmailSink::EmailSink(config::SinkConfig config, const Clock& clock) : config_(std::move(config)), clock_(clock) {
  static const bool once = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)once;
}

EmailSink::~EmailSink() { pool_.join(); }

std::string EmailSink::message(const Notification& n, const NotificationBody& b) const {
  const bool client = b.audience == "client";
  const std::string reference = b.ticket_field("ref").empty() ? b.field("id") : b.ticket_field("ref");
  std::string what = b.event.rfind("incident.", 0) == 0 ? b.event.substr(9) : b.event;
  std::string subject = client ? "[" + reference + "] We are on it: a problem with " + b.field("site") + " (" +
                                     b.field("check") + ")"
                               : "[Lookout " + b.field("priority") + "] " + what + ": " + b.field("site") + " " +
                                     b.field("check") + ": " + b.field("summary");
  if (subject.size() > 200) subject = subject.substr(0, 200);
  std::string to;
  for (const auto& t : recipients(n)) to += (to.empty() ? "" : ", ") + t;
  std::string id = n.idempotency_key;
  for (auto& c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') c = '.';
  std::string m;
  m += "Date: " + rfc5322_date(clock_.now()) + "\r\n";
  m += "From: " + one_line(config_.from) + "\r\n";
  m += "To: " + one_line(to) + "\r\n";
  m += "Subject: " + one_line(subject) + "\r\n";
  m += "Message-ID: <" + id + "@lookout>\r\n";
  m += "X-Lookout-Event: " + b.event + "\r\n";
  m += "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
  std::vector<std::string> lines;
  if (client) {  // contract.notify_client: the client's acknowledgement
    const std::string host = b.field("host").empty() ? "" : " (" + b.field("host") + ")";
    lines = {"Hello,", "",
             "we have detected a problem with " + b.field("site") + host + ", check " + b.field("check") +
                 ", failing since " + b.field("first_failure") + ": " + b.field("summary") + ".",
             "", "Reference " + reference + ": we are on it, and we will let you know when it is resolved.", "",
             "-- ", config_.from};
  } else {
    lines.push_back(event_line(b));
    lines.push_back("");
    for (auto& l : incident_lines(b)) lines.push_back(std::move(l));
  }
  if (!client && !page_address(n).empty()) {  // a page through the on-call rota: who, why, the ticket link
    auto page = nlohmann::json::parse(n.body, nullptr, false)["oncall"];
    lines.push_back("");
    lines.push_back("On call: " + page.value("name", "") + ", escalation step " + std::to_string(page.value("step", 0)) +
                    " (" + page.value("target", "") + "), loop " + std::to_string(page.value("loop", 0)));
    if (page.contains("ticket_url") && page["ticket_url"].is_string())
      lines.push_back("Ticket: " + page.value("ticket", "") + " " + page["ticket_url"].get<std::string>());
  }
  for (const auto& l : lines) {
    std::string line = l;
    for (auto& c : line)
      if (c == '\r' || c == '\n') c = ' ';
    m += line + "\r\n";
  }
  return m;
}

std::vector<std::string> EmailSink::recipients(const Notification& n) const {
  // The client's acknowledgement (contract.notify_client) goes to the addresses it carries.
  auto j = nlohmann::json::parse(n.body, nullptr, false);
  if (j.is_object() && j.value("audience", "") == "client") {
    std::vector<std::string> out;
    if (j.contains("to") && j["to"].is_array())
      for (const auto& t : j["to"])
        if (t.is_string() && out.size() < 20) out.push_back(t.get<std::string>());
    return out;
  }
  // A page through the on-call rota goes to the member's own address (checked at config load).
  std::string address = page_address(n);
  if (address.empty()) return config_.to;
  return {address};
}

Delivery EmailSink::send(const std::string& text, const std::vector<std::string>& to) const {
  CURL* curl = curl_easy_init();
  if (!curl) return Delivery::again("libcurl could not start");
  char error[CURL_ERROR_SIZE] = "";
  Reader reader{text};
  curl_slist* rcpt = nullptr;
  for (const auto& t : to) rcpt = curl_slist_append(rcpt, t.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, config_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, config_.from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));  // STARTTLS or fail
  if (!config_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.credential.c_str());
  }
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  CURLcode rc = curl_easy_perform(curl);
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) return Delivery::ok();
  std::string why = std::string("SMTP: ") + (error[0] ? error : curl_easy_strerror(rc));
  if (reply > 0) why += " (reply " + std::to_string(reply) + ")";
  switch (rc) {
    case CURLE_LOGIN_DENIED: return Delivery::refused(why + ": AUTH refused (check " + config_.credential_source + ")");
    case CURLE_USE_SSL_FAILED: return Delivery::reject(why + ": the server offers no STARTTLS; mail is never sent in clear");
    case CURLE_PEER_FAILED_VERIFICATION: return Delivery::reject(why + ": the server's certificate is not trusted (ca_file)");
    default: break;
  }
  if (reply >= 500 && reply < 600) return Delivery::reject(why);  // permanent: a refused recipient or sender
  return Delivery::again(why);
}

boost::asio::awaitable<Delivery> EmailSink::deliver(const Notification& n) {
  auto b = NotificationBody::parse(n.body);
  if (!b) co_return Delivery::reject("unreadable notification document");
  // Named values only around the co_await (GCC 12 mishandles temporaries in co_await expressions).
  auto to = std::make_shared<const std::vector<std::string>>(recipients(n));
  if (to->empty()) co_return Delivery::reject("a client notice without recipients (contract.notify_client.to)");
  auto text = std::make_shared<const std::string>(message(n, *b));
  auto job = [this, text, to]() -> boost::asio::awaitable<Delivery> { co_return send(*text, *to); };
  Delivery d = co_await boost::asio::co_spawn(pool_, job, boost::asio::use_awaitable);
  co_return d;
}

}  // namespace lookout::alerting
