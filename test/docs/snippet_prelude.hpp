#pragma once

// What every fragment and top-level snippet of the docs sees before its own code (see
// extract_snippets.py): the public API, the standard headers the snippets use, and the
// application's own functions that the docs call without defining them.
#include <pusher/pusher.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

namespace docs_snippets {

// The application's side, as the docs imagine it: its UI, its read receipts, its log, its
// token store. Defined empty so the snippets link; nothing here is ever called.
inline void show(const std::string& sender, const std::string& text) {}
inline void show_typing(const std::string& conversation, const std::string& name, bool typing) {}
inline void mark_read(const std::string& reader_id, const std::vector<std::string>& ids) {}
inline void mark_conversation_read(const std::string& reader_id, const std::string& conversation) {}
inline void log_debug(const std::string& line) {}
inline std::string current_token() { return {}; }

}  // namespace docs_snippets
