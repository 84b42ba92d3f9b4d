// Record/replay of HTTP exchanges: one JSON file per request, named by a hash of the method, the
// redacted URL and the body, so a recorded run can be replayed offline and byte-for-byte.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "nodes/http/http_client.hpp"

namespace flowrun::http {

struct Exchange {
  std::string method, url;  // url redacted
  std::vector<std::pair<std::string, std::string>> request_headers;  // credentials removed
  std::string request_body;
  Response response;
  std::string error;  // a transport failure that was recorded instead of a response
};

// Stable across builds and machines (FNV-1a 64), unlike std::hash.
std::string cassette_key(const std::string& method, const std::string& redacted_url,
                         const std::string& redacted_body);
// "<dir>/<method lower-case>-<key>.json"
std::string cassette_path(const std::string& dir, const std::string& method, const std::string& key);

// Writes atomically (temp file + rename) so a crashed run never leaves half a file.
void save_exchange(const std::string& dir, const std::string& key, const Exchange& ex);
// nullopt when the file does not exist; throws std::runtime_error naming the file when unreadable.
std::optional<Exchange> load_exchange(const std::string& dir, const std::string& method,
                                      const std::string& key);

}  // namespace flowrun::http
