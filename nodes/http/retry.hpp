// Pure retry arithmetic, split out of the client so it can be tested without a network.
#pragma once
#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "nodes/http/http_client.hpp"

namespace flowrun::http {

// The wait a `Retry-After` header asks for: delta-seconds ("120") or an HTTP date
// ("Wed, 21 Oct 2015 07:28:00 GMT", measured from `now`; a date in the past means 0).
// nullopt when the header is absent or unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    const std::string& value,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Exponential backoff with full jitter (AWS architecture blog): uniform in
// [0, min(max_delay, base_delay * 2^retry)], where `retry` counts from 0 for the first retry.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, std::mt19937_64& rng);

}  // namespace flowrun::http
