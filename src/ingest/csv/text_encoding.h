// ingest/csv/text_encoding.h: decoding of a CSV file's bytes to UTF-8 (contract encodings).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/csv/contract.h"

namespace medlake::ingest::csv {

// Converts `bytes` from `encoding` to UTF-8. UTF-8 input is validated (overlong forms,
// surrogates and code points above U+10FFFF are invalid); ISO-8859-1 maps every byte;
// windows-1252 maps 0x80-0x9F to its characters and refuses its five undefined bytes.
// InvalidArgument ("invalid UTF-8" / "byte undefined in windows-1252") without the bytes.
// Thread-safe.
Result<std::string> DecodeToUtf8(std::string_view bytes, Encoding encoding);

// True when `bytes` is valid UTF-8.
bool IsValidUtf8(std::string_view bytes);

}  // namespace medlake::ingest::csv
