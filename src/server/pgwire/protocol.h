// server/pgwire/protocol.h: PostgreSQL frontend/backend protocol 3.0 messages, encoded and decoded.
//
// Part of server/pgwire (see README.md). Pure functions over bytes, no I/O: ReadStartup/ReadMessage
// take bytes from a net::Stream, everything else works on strings, so the codec can be fuzzed.
// Layout facts (PostgreSQL documentation, "Message Formats"): every message after the startup
// packet is a type byte, an Int32 length that counts itself but not the type byte, then the body;
// integers are big-endian; strings are NUL-terminated.
//
// Thread-safety: pure functions; a MessageWriter belongs to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "server/net/stream.h"

namespace medlake::server::pgwire {

inline constexpr int32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr int32_t kSslRequestCode = 80877103;
inline constexpr int32_t kCancelRequestCode = 80877102;
inline constexpr int32_t kGssEncRequestCode = 80877104;
// Larger messages are refused (a query text or bound parameters of more than this): the
// connection is closed after a 54000 error, as the length cannot be trusted.
inline constexpr size_t kMaxMessageBytes = 64u << 20;
inline constexpr size_t kMaxStartupBytes = 10000;  // PostgreSQL's own limit for the startup packet
// Before authentication only small messages are read (the SASL exchange needs a few hundred bytes).
inline constexpr size_t kMaxAuthMessageBytes = 64u << 10;

// The first packet of a connection.
struct StartupPacket {
  enum class Kind { kStartup, kSsl, kGssEnc, kCancel } kind = Kind::kStartup;
  int32_t protocol = 0;
  std::map<std::string, std::string> parameters;  // user, database, application_name, options, ...
  int32_t cancel_pid = 0;                         // kCancel
  int32_t cancel_secret = 0;
};

// Decodes a startup-phase packet body (after its Int32 length). InvalidArgument when malformed.
Result<StartupPacket> ParseStartupBody(std::string_view body);
// Reads one startup-phase packet. IOError when the peer closes; InvalidArgument when malformed.
Result<StartupPacket> ReadStartup(net::Stream& stream);

// A frontend message after startup: type byte and body.
struct Message {
  char type = 0;
  std::string body;
};
// Reads one message. IOError "connection closed" at end of stream; InvalidArgument for a length
// below 4; ResourceExhausted above `max_bytes`. The body buffer grows as bytes arrive, so a
// length alone reserves no memory.
Result<Message> ReadMessage(net::Stream& stream, size_t max_bytes = kMaxMessageBytes);

// Cursor over a message body.
class BodyReader {
 public:
  explicit BodyReader(std::string_view body) : rest_(body) {}
  Result<int16_t> Int16();
  Result<int32_t> Int32();
  Result<char> Byte();
  Result<std::string> CString();       // up to the NUL, which is consumed
  Result<std::string_view> Bytes(size_t n);
  bool empty() const { return rest_.empty(); }
  size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

// Frontend messages of the extended query protocol, decoded.
struct ParseMessage {  // 'P'
  std::string statement;
  std::string query;
  std::vector<int32_t> parameter_types;  // OIDs; 0 = unspecified
};
struct BindMessage {  // 'B'
  std::string portal;
  std::string statement;
  std::vector<int16_t> parameter_formats;  // 0 text, 1 binary; empty = all text; one = all alike
  std::vector<std::optional<std::string>> parameters;  // nullopt = NULL
  std::vector<int16_t> result_formats;
};
struct DescribeMessage {  // 'D' and Close 'C'
  char what = 'S';  // 'S' statement, 'P' portal
  std::string name;
};
struct ExecuteMessage {  // 'E'
  std::string portal;
  int32_t max_rows = 0;  // 0 = no limit
};
struct SaslInitialResponse {  // 'p' during SASL, first
  std::string mechanism;
  std::string data;
};

Result<ParseMessage> DecodeParse(std::string_view body);
Result<BindMessage> DecodeBind(std::string_view body);
Result<DescribeMessage> DecodeDescribe(std::string_view body);  // also Close
Result<ExecuteMessage> DecodeExecute(std::string_view body);
Result<std::string> DecodeQuery(std::string_view body);  // 'Q'
Result<SaslInitialResponse> DecodeSaslInitialResponse(std::string_view body);

// One column of a RowDescription.
struct FieldDescription {
  std::string name;
  int32_t table_oid = 0;
  int16_t column_number = 0;
  int32_t type_oid = 0;
  int16_t type_size = -1;
  int32_t type_modifier = -1;
  int16_t format = 0;  // 0 text, 1 binary
};

// Fields of an ErrorResponse / NoticeResponse.
struct ErrorFields {
  std::string severity = "ERROR";  // ERROR, FATAL, WARNING, NOTICE
  std::string sqlstate = "XX000";
  std::string message;
  std::string detail;
  std::string hint;
};

// Builds backend messages into one buffer; Flush() hands it to the stream. Messages are only
// sent on Flush, so a reply of many small messages is one write.
class MessageWriter {
 public:
  explicit MessageWriter(net::Stream& stream) : stream_(stream) {}

  void AuthenticationOk();
  void AuthenticationSasl(const std::vector<std::string>& mechanisms);
  void AuthenticationSaslContinue(std::string_view data);
  void AuthenticationSaslFinal(std::string_view data);
  void ParameterStatus(std::string_view name, std::string_view value);
  void BackendKeyData(int32_t pid, int32_t secret);
  void ReadyForQuery(char transaction_status);  // 'I', 'T', 'E'
  void RowDescription(const std::vector<FieldDescription>& fields);
  void NoData();
  void ParameterDescription(const std::vector<int32_t>& oids);
  void CommandComplete(std::string_view tag);
  void EmptyQueryResponse();
  void ParseComplete();
  void BindComplete();
  void CloseComplete();
  void PortalSuspended();
  void Error(const ErrorFields& e);
  void Notice(const ErrorFields& e);
  // A DataRow, built cell by cell: BeginDataRow(n), n x (Cell or NullCell), EndDataRow().
  void BeginDataRow(int16_t columns);
  void Cell(std::string_view bytes);
  // A cell of known size, filled by the caller in place (binary encodings).
  char* CellBuffer(size_t size);
  void NullCell();
  void EndDataRow();
  // The single byte answering an SSLRequest/GSSENCRequest ('S' or 'N'); sent at once.
  Status SendByte(char c);

  size_t buffered() const { return buf_.size(); }
  // Drops what was buffered after `size` bytes (replies of statements run silently).
  void Truncate(size_t size) {
    if (size < buf_.size()) buf_.resize(size);
  }
  Status Flush();

 private:
  void Begin(char type);
  void End();
  void ErrorOrNotice(char type, const ErrorFields& e);
  void PutInt16(int16_t v);
  void PutInt32(int32_t v);
  void PutCString(std::string_view s);

  net::Stream& stream_;
  std::string buf_;
  size_t start_ = 0;  // where the open message's length field is
};

}  // namespace medlake::server::pgwire
