// What an assessor API body means, quirks included: 404 with an empty body, `[]` and `null` mean
// "no data"; an HTML page where JSON was expected is the site's shell (wrong path or a
// challenge), not data; anything else that does not parse is a damaged transfer.
#pragma once
#include <boost/json.hpp>
#include <string>

namespace flowrun::maricopa {

enum class BodyKind { data, absent, html, garbage };

struct Body {
  BodyKind kind = BodyKind::absent;
  boost::json::value value;  // set when kind == data
};

Body classify_body(long status, const std::string& body);

// The search page's TOTAL, which is an integer but is read leniently (a numeric string works);
// -1 when missing or unreadable.
long long read_total(const boost::json::object& page);

// Percent-encodes everything but RFC 3986 unreserved characters (for q= and APNs in paths).
std::string url_encode(const std::string& s);

}  // namespace flowrun::maricopa
