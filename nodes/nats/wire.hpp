// How a record crosses a cluster edge: one JSON object (data, meta and the envelope with the run
// id), written with engine/json_text.hpp; and the message ids that make a republished record a
// duplicate JetStream drops.
#pragma once
#include <string>
#include <string_view>

#include "engine/record.hpp"

namespace flowrun::nats {

std::string encode(const Record& r, const std::string& run_id);
// The record a message carries; throws std::runtime_error saying why when it is not one, or when
// it belongs to another run.
Record decode(std::string_view payload, const std::string& run_id);
// A message id of bounded length: `key` itself when short, else a 128-bit hash of it.
std::string message_id(const std::string& key);

}  // namespace flowrun::nats
