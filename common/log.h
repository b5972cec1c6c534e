// Structured logs: one JSON object per line on stderr (or a sink tests set).
// Fields are values, never preformatted strings, so secrets cannot ride in by
// accident through string concatenation; pass Secret only as "[redacted]".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace certme {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Current UTC time as RFC 3339 with milliseconds ("2026-01-02T03:04:05.678Z"),
// the timestamp of every log line.
std::string Rfc3339Now();

// Messages below `level` are dropped. Thread-safe.
void SetLogLevel(LogLevel level);
// "debug" | "info" | "warn" | "error"; false for anything else.
bool ParseLogLevel(std::string_view name, LogLevel* out);
// Replaces the output (tests); null restores stderr.
void SetLogSink(std::function<void(const std::string& line)> sink);

// Writes {"time":…,"level":…,"msg":…, …fields}. Thread-safe; lines never interleave.
void Log(LogLevel level, std::string_view msg, const nlohmann::json& fields = nlohmann::json::object());
inline void LogInfo(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Log(LogLevel::kInfo, m, f); }
inline void LogWarn(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Log(LogLevel::kWarn, m, f); }
inline void LogError(std::string_view m, const nlohmann::json& f = nlohmann::json::object()) { Log(LogLevel::kError, m, f); }

}  // namespace certme
