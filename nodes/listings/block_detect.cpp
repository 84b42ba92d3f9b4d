#include "nodes/listings/block_detect.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "nodes/listings/html_select.hpp"

namespace flowrun::listings {

namespace {

// Challenge pages are small. A real listing page may well mention "maintenance" (HOA fees) or
// "access denied" in a description, so weak text markers only count on short pages or errors.
constexpr std::size_t kShortPage = 1500;


bool contains(const std::string& hay, std::string_view needle) { return hay.find(needle) != std::string::npos; }

std::string_view path_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    auto slash = url.find('/', scheme + 3);
    url = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  }
  auto q = url.find_first_of("?#");
  return q == std::string_view::npos ? url : url.substr(0, q);
}

bool is_login_path(std::string_view url) {
  std::string path = ascii_lower(path_of(url));
  static const std::array<std::string_view, 6> words = {"login", "signin", "sign-in", "log-in", "sign_in", "sso"};
  std::size_t start = 0;
  while (start < path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view seg = std::string_view(path).substr(start, end - start);
    if (auto dot = seg.find('.'); dot != std::string_view::npos) seg = seg.substr(0, dot);  // login.php
    if (std::find(words.begin(), words.end(), seg) != words.end()) return true;
    start = end + 1;
  }
  return false;
}

BlockVerdict verdict(BlockKind k, std::string reason, long status) {
  return {k, std::move(reason) + " (HTTP " + std::to_string(status) + ")"};
}

}  // namespace

const char* to_string(BlockKind k) {
  switch (k) {
    case BlockKind::none: return "none";
    case BlockKind::rate_limited: return "rate_limited";
    case BlockKind::access_denied: return "access_denied";
    case BlockKind::challenge: return "challenge";
    case BlockKind::captcha: return "captcha";
    case BlockKind::maintenance: return "maintenance";
    case BlockKind::unavailable: return "unavailable";
    case BlockKind::login: return "login";
  }
  return "?";
}

BlockVerdict detect_block(long status, std::string_view body, std::string_view final_url, std::string_view location) {
  if ((status >= 300 && status < 400 && is_login_path(location)) || is_login_path(final_url))
    return verdict(BlockKind::login, "redirected to a login page " + std::string(status >= 300 && status < 400 ? location : final_url), status);

  HtmlDocument doc(body, std::string(final_url));
  static const Selector captcha = Selector::compile(
      ".g-recaptcha, .h-captcha, .cf-turnstile, [data-sitekey], iframe[src*='hcaptcha.com'], "
      "iframe[src*='recaptcha'], iframe[src*='challenges.cloudflare.com']");
  static const Selector challenge_form = Selector::compile("#challenge-form, #cf-challenge-running, form[action*='__cf_chl']");
  std::string text = ascii_lower(doc.text());
  bool is_short = text.size() < kShortPage;
  bool error = status >= 400;

  if (!doc.select(captcha).empty()) return verdict(BlockKind::captcha, "captcha on the page", status);
  if (contains(text, "verify you are human") || contains(text, "are you a robot") || contains(text, "prove you're not a robot"))
    return verdict(BlockKind::captcha, "'verify you are human' page", status);
  if (!doc.select(challenge_form).empty() || contains(text, "checking your browser") ||
      contains(text, "checking if the site connection is secure") ||
      (contains(text, "enable javascript and cookies to continue") && is_short))
    return verdict(BlockKind::challenge, "browser challenge ('checking your browser')", status);

  if (status == 429) return verdict(BlockKind::rate_limited, "too many requests", status);
  if ((error || is_short) && (contains(text, "too many requests") || contains(text, "rate limit exceeded")))
    return verdict(BlockKind::rate_limited, "'too many requests' page", status);

  bool ray = contains(text, "ray id");
  if (status == 403) {
    if (ray || contains(text, "cloudflare")) return verdict(BlockKind::challenge, "Cloudflare block page (ray id)", status);
    if (contains(text, "access denied")) return verdict(BlockKind::access_denied, "'access denied' page", status);
    return verdict(BlockKind::access_denied, "forbidden", status);
  }
  if ((error || is_short) && contains(text, "access denied")) return verdict(BlockKind::access_denied, "'access denied' page", status);
  if (error && ray) return verdict(BlockKind::challenge, "Cloudflare error page (ray id)", status);

  if (status == 503) {
    if (contains(text, "maintenance")) return verdict(BlockKind::maintenance, "site under maintenance", status);
    return verdict(BlockKind::unavailable, "service unavailable", status);
  }
  if (is_short && (contains(text, "down for maintenance") || contains(text, "under maintenance") ||
                   contains(text, "scheduled maintenance")))
    return verdict(BlockKind::maintenance, "maintenance page", status);
  return {};
}

}  // namespace flowrun::listings
