#include "nodes/notify/senders.hpp"

#include <curl/curl.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

namespace flowrun::notify {

void post_webhook(http::Client& client, const std::string& url, const std::string& body) {
  http::Request req;
  req.method = "POST";
  req.url = url;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body;
  auto res = client.send(req);  // retries 429/5xx and transport errors itself
  if (res.status < 200 || res.status >= 300) {
    std::string why = res.body.substr(0, 200);
    for (auto& c : why)
      if (c == '\n' || c == '\r') c = ' ';
    throw std::runtime_error(client.redact("webhook answered HTTP " + std::to_string(res.status) +
                                           (res.attempts > 1 ? " after " + std::to_string(res.attempts) + " attempts" : "") +
                                           (why.empty() ? "" : ": " + why)));
  }
}

namespace {

struct Upload {
  const std::string* text;
  std::size_t off = 0;
};

std::size_t read_body(char* buf, std::size_t size, std::size_t n, void* p) {
  auto* u = static_cast<Upload*>(p);
  const std::size_t len = std::min(size * n, u->text->size() - u->off);
  std::memcpy(buf, u->text->data() + u->off, len);
  u->off += len;
  return len;
}

// One attempt; returns CURLE_OK or the error, with the server's last reply in `detail`.
CURLcode send_once(const SmtpOptions& o, const std::string& message, std::string& detail) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) return CURLE_FAILED_INIT;
  curl_slist* rcpt = nullptr;
  for (const auto& r : o.to) rcpt = curl_slist_append(rcpt, ("<" + r + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, curl_slist_free_all);
  Upload up{&message};
  char err[CURL_ERROR_SIZE] = {};
  CURL* h = c.get();
  curl_easy_setopt(h, CURLOPT_URL, o.url.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + o.from + ">").c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_USE_SSL, o.starttls == "off" ? CURLUSESSL_NONE
                                       : o.starttls == "try" ? CURLUSESSL_TRY : CURLUSESSL_ALL);
  if (!o.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, o.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, o.password.c_str());
  }
  if (!o.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  const CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  detail = std::string(curl_easy_strerror(rc)) + (err[0] ? std::string(": ") + err : "") +
           (code ? " (server said " + std::to_string(code) + ")" : "");
  return rc;
}

}  // namespace

void send_mail(const SmtpOptions& o, const std::string& message) {
  std::string detail;
  auto delay = o.retry_delay;
  for (int attempt = 1; attempt <= std::max(1, o.attempts); ++attempt) {
    const CURLcode rc = send_once(o, message, detail);
    if (rc == CURLE_OK) return;
    if (rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED || rc == CURLE_URL_MALFORMAT ||
        rc == CURLE_UNSUPPORTED_PROTOCOL)
      throw std::runtime_error("e-mail not sent: " + detail);  // trying again cannot help
    if (attempt < o.attempts) {
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
  throw std::runtime_error("e-mail not sent after " + std::to_string(std::max(1, o.attempts)) + " attempts: " + detail);
}

}  // namespace flowrun::notify
