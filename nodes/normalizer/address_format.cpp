// The printed street: "<number> <pre-dir> <Name Words> <Suffix> <post-dir>", USPS
// abbreviations for directionals and suffixes, names title-cased, ordinals lower-case (55th),
// numbered roads as written except Road -> Rd ("County Rd 43", "Highway 71 Business").
#include "nodes/normalizer/address_parser.hpp"

#include "nodes/normalizer/text.hpp"

namespace flowrun::normalizer::addr {

void LineParser::append_name_word(std::string& out, std::size_t i, const RoadSpan& road) const {
  const Token& t = tok(i);
  out.push_back(' ');
  if (road.found() && i >= road.begin && i < road.end) {
    if (t.is(kRoadQualified)) {
      out += "Rd";
      return;
    }
    if (t.is(kUpperName) || t.text == "I") {
      out += t.text;
      return;
    }
  }
  if (is_ordinal_text(t.text)) {  // 55TH -> 55th
    out += t.text.substr(0, t.text.size() - 2);
    for (char c : t.text.substr(t.text.size() - 2)) out.push_back(static_cast<char>(c + 32));
    return;
  }
  bool digit = false;
  for (char c : t.text) digit = digit || (c >= '0' && c <= '9');
  if (digit || t.text.size() == 1 || (t.is(kDirectional) && !t.is(kDirSpelled))) {
    out += t.text;
    return;
  }
  out += title_case(t.text);
}

// [b, e) are the street's words (units and city already taken out). The post-directional may
// stand after them ("Dr S 12") or in its own comma part ("M Street, NW").
void LineParser::format_street(std::size_t b, std::size_t e) {
  RoadSpan road = find_road(b, e);
  std::size_t last = e, post = post_dir_;
  if (post == npos && last - b >= 3 && tok(last - 1).is(kDirectional) && tok(last - 2).is(kSuffix)) post = --last;
  std::size_t suffix = npos;
  bool road_ends = road.found() && road.end == last;
  if (!road_ends && last - b >= 2 && tok(last - 1).is(kSuffix)) suffix = --last;
  // "123 E Vista": with only an abbreviated directional left, a suffix that is often a name
  // (Vista, Park) is the name; a spelled-out one stays the name ("123 North Ave").
  if (suffix != npos && last - b == 1 && tok(b).is(kDirectional) && !tok(b).is(kDirSpelled) &&
      !tok(suffix).is(kPrimarySuffix) && post == npos)
    last = suffix + 1, suffix = npos;
  std::size_t pre = npos;
  if (last - b >= 2 && tok(b).is(kDirectional)) pre = b++;

  std::string s = number_;
  s.reserve(48);
  if (pre != npos) s.append(" ").append(tok(pre).word->directional);
  bool alnum = false;
  for (std::size_t i = b; i < last; ++i) {
    for (char c : tok(i).text) alnum = alnum || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
    append_name_word(s, i, road);
  }
  if (!alnum) fail("has no street name");
  if (suffix != npos) s.append(" ").append(tok(suffix).word->suffix);
  if (post != npos) s.append(" ").append(tok(post).word->directional);
  for (std::size_t i = leftover_b_; i < leftover_e_; ++i) append_name_word(s, i, road);
  a_.street = std::move(s);
}

}  // namespace flowrun::normalizer::addr
