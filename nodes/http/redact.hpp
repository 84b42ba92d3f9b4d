// Keeping secrets out of messages, logs and cassettes.
#pragma once
#include <string>
#include <vector>

namespace flowrun::http {

// Replaces every non-empty secret with "***" (longest first, so a secret that contains another
// is not half-masked) and masks the password of any "scheme://user:password@host" in the text.
std::string redact_text(std::string text, const std::vector<std::string>& secrets);

// The password of a URL's userinfo ("http://u:p@h" -> "p"), or "" when there is none. Proxy
// passwords found this way are added to the client's secrets.
std::string url_password(const std::string& url);

// Header names that carry credentials; never written to a cassette or a message.
bool is_credential_header(const std::string& name);

}  // namespace flowrun::http
