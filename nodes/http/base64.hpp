// Standard base64 (RFC 4648, with padding): cassettes keep binary bodies in it, and the DevTools
// protocol carries request and response bodies in it.
#pragma once
#include <string>
#include <string_view>

namespace flowrun::http {

std::string base64_encode(std::string_view bytes);
// Skips anything outside the alphabet (line breaks, padding).
std::string base64_decode(std::string_view text);

}  // namespace flowrun::http
