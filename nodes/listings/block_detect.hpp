// Recognises block and challenge pages so the scraper backs off instead of hammering a site or
// parsing a captcha page as "zero listings". We never try to solve a challenge.
#pragma once
#include <string>
#include <string_view>

namespace flowrun::listings {

enum class BlockKind { none, rate_limited, access_denied, challenge, captcha, maintenance, unavailable, login };
const char* to_string(BlockKind k);

struct BlockVerdict {
  BlockKind kind = BlockKind::none;
  std::string reason;  // human readable: which marker and status
  bool blocked() const { return kind != BlockKind::none; }
};

// `status` of the final response, its body, the URL it ended on (after redirects) and its
// Location header (when redirects were not followed).
BlockVerdict detect_block(long status, std::string_view body, std::string_view final_url = {},
                          std::string_view location = {});

}  // namespace flowrun::listings
