// The two ways a notification leaves: a chat webhook over HTTP(S) (the project's HTTP client:
// retries with backoff, secrets redacted) and e-mail over SMTP (libcurl, STARTTLS).
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "nodes/http/http_client.hpp"

namespace flowrun::notify {

// Posts `body` as JSON. Throws std::runtime_error (redacted) unless the answer is 2xx.
void post_webhook(http::Client& client, const std::string& url, const std::string& body);

struct SmtpOptions {
  std::string url;  // smtp://host:587 (STARTTLS) or smtps://host:465 (TLS from the start)
  std::string user, password;  // empty: no AUTH
  std::string from;
  std::vector<std::string> to;
  std::string starttls = "required";  // required | try | off
  std::string ca_file;                // extra CA bundle (a company or test CA)
  std::chrono::milliseconds timeout{30000}, connect_timeout{10000};
  int attempts = 3;
  std::chrono::milliseconds retry_delay{1000};  // doubles per retry
};

// Sends `message` (RFC 5322 text) to every recipient. Retries transport and server errors, not a
// refused login. Throws std::runtime_error naming the last error (never the password).
void send_mail(const SmtpOptions& o, const std::string& message);

}  // namespace flowrun::notify
