#include "server/pgwire/protocol.h"

#include <algorithm>
#include <cstring>

namespace medlake::server::pgwire {
namespace {

int32_t LoadInt32(const char* p) {
  return static_cast<int32_t>((static_cast<uint32_t>(static_cast<uint8_t>(p[0])) << 24) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 16) |
                              (static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 8) |
                              static_cast<uint32_t>(static_cast<uint8_t>(p[3])));
}

Status Malformed(std::string_view what) { return InvalidArgument("malformed " + std::string(what) + " message"); }

}  // namespace

Result<int16_t> BodyReader::Int16() {
  if (rest_.size() < 2) return InvalidArgument("message ends early");
  auto v = static_cast<int16_t>((static_cast<uint16_t>(static_cast<uint8_t>(rest_[0])) << 8) |
                                static_cast<uint16_t>(static_cast<uint8_t>(rest_[1])));
  rest_.remove_prefix(2);
  return v;
}

Result<int32_t> BodyReader::Int32() {
  if (rest_.size() < 4) return InvalidArgument("message ends early");
  int32_t v = LoadInt32(rest_.data());
  rest_.remove_prefix(4);
  return v;
}

Result<char> BodyReader::Byte() {
  if (rest_.empty()) return InvalidArgument("message ends early");
  char c = rest_[0];
  rest_.remove_prefix(1);
  return c;
}

Result<std::string> BodyReader::CString() {
  size_t nul = rest_.find('\0');
  if (nul == std::string_view::npos) return InvalidArgument("string not terminated");
  std::string s(rest_.substr(0, nul));
  rest_.remove_prefix(nul + 1);
  return s;
}

Result<std::string_view> BodyReader::Bytes(size_t n) {
  if (rest_.size() < n) return InvalidArgument("message ends early");
  std::string_view v = rest_.substr(0, n);
  rest_.remove_prefix(n);
  return v;
}

Result<StartupPacket> ParseStartupBody(std::string_view body) {
  BodyReader r(body);
  StartupPacket p;
  auto code = r.Int32();
  if (!code.ok()) return InvalidArgument("startup packet too short");
  p.protocol = *code;
  if (*code == kSslRequestCode || *code == kGssEncRequestCode) {
    if (!r.empty()) return InvalidArgument("malformed SSL/GSS request");
    p.kind = *code == kSslRequestCode ? StartupPacket::Kind::kSsl : StartupPacket::Kind::kGssEnc;
    return p;
  }
  if (*code == kCancelRequestCode) {
    p.kind = StartupPacket::Kind::kCancel;
    auto pid = r.Int32();
    auto secret = r.Int32();
    if (!pid.ok() || !secret.ok() || !r.empty()) return InvalidArgument("malformed cancel request");
    p.cancel_pid = *pid;
    p.cancel_secret = *secret;
    return p;
  }
  if ((*code >> 16) != 3) {
    return InvalidArgument("unsupported frontend protocol " + std::to_string(*code >> 16) + "." +
                           std::to_string(*code & 0xffff) + ": server supports 3.0");
  }
  // key\0value\0 ... \0
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string key, r.CString());
    if (key.empty()) break;
    MEDLAKE_ASSIGN_OR_RETURN(std::string value, r.CString());
    p.parameters[key] = std::move(value);
  }
  if (!r.empty()) return InvalidArgument("trailing bytes after the startup parameters");
  return p;
}

Result<StartupPacket> ReadStartup(net::Stream& stream) {
  char len_bytes[4];
  MEDLAKE_RETURN_IF_ERROR(net::ReadExactly(stream, len_bytes, 4));
  int32_t len = LoadInt32(len_bytes);
  if (len < 8 || static_cast<size_t>(len) > kMaxStartupBytes) return InvalidArgument("invalid startup packet length");
  std::string body(static_cast<size_t>(len) - 4, '\0');
  MEDLAKE_RETURN_IF_ERROR(net::ReadExactly(stream, body.data(), body.size()));
  return ParseStartupBody(body);
}

Result<Message> ReadMessage(net::Stream& stream, size_t max_bytes) {
  char header[5];
  MEDLAKE_RETURN_IF_ERROR(net::ReadExactly(stream, header, 5));
  int32_t len = LoadInt32(header + 1);
  if (len < 4) return InvalidArgument("invalid message length");
  const size_t size = static_cast<size_t>(len) - 4;
  if (size > max_bytes) {
    return ResourceExhausted("message of " + std::to_string(len) + " bytes is larger than the limit of " +
                             std::to_string(max_bytes));
  }
  Message m;
  m.type = header[0];
  // Grown 1 MiB at a time: memory follows the bytes the client really sent.
  constexpr size_t kStep = 1u << 20;
  while (m.body.size() < size) {
    size_t at = m.body.size();
    size_t n = std::min(kStep, size - at);
    m.body.resize(at + n);
    MEDLAKE_RETURN_IF_ERROR(net::ReadExactly(stream, m.body.data() + at, n));
  }
  return m;
}

Result<ParseMessage> DecodeParse(std::string_view body) {
  BodyReader r(body);
  ParseMessage m;
  auto name = r.CString();
  auto query = r.CString();
  auto n = r.Int16();
  if (!name.ok() || !query.ok() || !n.ok() || *n < 0) return Malformed("Parse");
  m.statement = std::move(*name);
  m.query = std::move(*query);
  for (int i = 0; i < *n; ++i) {
    auto oid = r.Int32();
    if (!oid.ok()) return Malformed("Parse");
    m.parameter_types.push_back(*oid);
  }
  if (!r.empty()) return Malformed("Parse");
  return m;
}

Result<BindMessage> DecodeBind(std::string_view body) {
  BodyReader r(body);
  BindMessage m;
  auto portal = r.CString();
  auto statement = r.CString();
  if (!portal.ok() || !statement.ok()) return Malformed("Bind");
  m.portal = std::move(*portal);
  m.statement = std::move(*statement);
  auto nf = r.Int16();
  if (!nf.ok() || *nf < 0) return Malformed("Bind");
  for (int i = 0; i < *nf; ++i) {
    auto f = r.Int16();
    if (!f.ok() || (*f != 0 && *f != 1)) return Malformed("Bind");
    m.parameter_formats.push_back(*f);
  }
  auto np = r.Int16();
  if (!np.ok() || *np < 0) return Malformed("Bind");
  if (m.parameter_formats.size() > 1 && m.parameter_formats.size() != static_cast<size_t>(*np)) {
    return Malformed("Bind");
  }
  for (int i = 0; i < *np; ++i) {
    auto len = r.Int32();
    if (!len.ok() || *len < -1) return Malformed("Bind");
    if (*len == -1) {
      m.parameters.emplace_back(std::nullopt);
      continue;
    }
    auto bytes = r.Bytes(static_cast<size_t>(*len));
    if (!bytes.ok()) return Malformed("Bind");
    m.parameters.emplace_back(std::string(*bytes));
  }
  auto nr = r.Int16();
  if (!nr.ok() || *nr < 0) return Malformed("Bind");
  for (int i = 0; i < *nr; ++i) {
    auto f = r.Int16();
    if (!f.ok() || (*f != 0 && *f != 1)) return Malformed("Bind");
    m.result_formats.push_back(*f);
  }
  if (!r.empty()) return Malformed("Bind");
  return m;
}

Result<DescribeMessage> DecodeDescribe(std::string_view body) {
  BodyReader r(body);
  DescribeMessage m;
  auto what = r.Byte();
  auto name = r.CString();
  if (!what.ok() || !name.ok() || (*what != 'S' && *what != 'P') || !r.empty()) return Malformed("Describe/Close");
  m.what = *what;
  m.name = std::move(*name);
  return m;
}

Result<ExecuteMessage> DecodeExecute(std::string_view body) {
  BodyReader r(body);
  ExecuteMessage m;
  auto portal = r.CString();
  auto max_rows = r.Int32();
  if (!portal.ok() || !max_rows.ok() || !r.empty()) return Malformed("Execute");
  m.portal = std::move(*portal);
  m.max_rows = *max_rows < 0 ? 0 : *max_rows;
  return m;
}

Result<std::string> DecodeQuery(std::string_view body) {
  BodyReader r(body);
  auto q = r.CString();
  if (!q.ok() || !r.empty()) return Malformed("Query");
  return std::move(*q);
}

Result<SaslInitialResponse> DecodeSaslInitialResponse(std::string_view body) {
  BodyReader r(body);
  SaslInitialResponse m;
  auto mech = r.CString();
  auto len = r.Int32();
  if (!mech.ok() || !len.ok() || *len < -1) return Malformed("SASLInitialResponse");
  m.mechanism = std::move(*mech);
  if (*len >= 0) {
    auto data = r.Bytes(static_cast<size_t>(*len));
    if (!data.ok()) return Malformed("SASLInitialResponse");
    m.data = std::string(*data);
  }
  if (!r.empty()) return Malformed("SASLInitialResponse");
  return m;
}

void MessageWriter::Begin(char type) {
  buf_.push_back(type);
  start_ = buf_.size();
  buf_.append(4, '\0');
}

void MessageWriter::End() {
  auto len = static_cast<uint32_t>(buf_.size() - start_);
  buf_[start_] = static_cast<char>(len >> 24);
  buf_[start_ + 1] = static_cast<char>(len >> 16);
  buf_[start_ + 2] = static_cast<char>(len >> 8);
  buf_[start_ + 3] = static_cast<char>(len);
}

void MessageWriter::PutInt16(int16_t v) {
  auto u = static_cast<uint16_t>(v);
  buf_.push_back(static_cast<char>(u >> 8));
  buf_.push_back(static_cast<char>(u));
}

void MessageWriter::PutInt32(int32_t v) {
  auto u = static_cast<uint32_t>(v);
  char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8), static_cast<char>(u)};
  buf_.append(b, 4);
}

void MessageWriter::PutCString(std::string_view s) {
  // A NUL inside would cut the string short on the client; PostgreSQL strings cannot hold one.
  for (char c : s) buf_.push_back(c == '\0' ? '?' : c);
  buf_.push_back('\0');
}

void MessageWriter::AuthenticationOk() {
  Begin('R');
  PutInt32(0);
  End();
}

void MessageWriter::AuthenticationSasl(const std::vector<std::string>& mechanisms) {
  Begin('R');
  PutInt32(10);
  for (const auto& m : mechanisms) PutCString(m);
  buf_.push_back('\0');
  End();
}

void MessageWriter::AuthenticationSaslContinue(std::string_view data) {
  Begin('R');
  PutInt32(11);
  buf_.append(data);
  End();
}

void MessageWriter::AuthenticationSaslFinal(std::string_view data) {
  Begin('R');
  PutInt32(12);
  buf_.append(data);
  End();
}

void MessageWriter::ParameterStatus(std::string_view name, std::string_view value) {
  Begin('S');
  PutCString(name);
  PutCString(value);
  End();
}

void MessageWriter::BackendKeyData(int32_t pid, int32_t secret) {
  Begin('K');
  PutInt32(pid);
  PutInt32(secret);
  End();
}

void MessageWriter::ReadyForQuery(char transaction_status) {
  Begin('Z');
  buf_.push_back(transaction_status);
  End();
}

void MessageWriter::RowDescription(const std::vector<FieldDescription>& fields) {
  Begin('T');
  PutInt16(static_cast<int16_t>(fields.size()));
  for (const auto& f : fields) {
    PutCString(f.name);
    PutInt32(f.table_oid);
    PutInt16(f.column_number);
    PutInt32(f.type_oid);
    PutInt16(f.type_size);
    PutInt32(f.type_modifier);
    PutInt16(f.format);
  }
  End();
}

void MessageWriter::NoData() {
  Begin('n');
  End();
}

void MessageWriter::ParameterDescription(const std::vector<int32_t>& oids) {
  Begin('t');
  PutInt16(static_cast<int16_t>(oids.size()));
  for (int32_t oid : oids) PutInt32(oid);
  End();
}

void MessageWriter::CommandComplete(std::string_view tag) {
  Begin('C');
  PutCString(tag);
  End();
}

void MessageWriter::EmptyQueryResponse() {
  Begin('I');
  End();
}
void MessageWriter::ParseComplete() {
  Begin('1');
  End();
}
void MessageWriter::BindComplete() {
  Begin('2');
  End();
}
void MessageWriter::CloseComplete() {
  Begin('3');
  End();
}
void MessageWriter::PortalSuspended() {
  Begin('s');
  End();
}

namespace {
void PutField(std::string& buf, char code, std::string_view value) {
  if (value.empty()) return;
  buf.push_back(code);
  for (char c : value) buf.push_back(c == '\0' ? '?' : c);
  buf.push_back('\0');
}
}  // namespace

void MessageWriter::ErrorOrNotice(char type, const ErrorFields& e) {
  Begin(type);
  PutField(buf_, 'S', e.severity);
  PutField(buf_, 'V', e.severity);
  PutField(buf_, 'C', e.sqlstate);
  PutField(buf_, 'M', e.message.empty() && type == 'E' ? std::string_view("error") : std::string_view(e.message));
  PutField(buf_, 'D', e.detail);
  PutField(buf_, 'H', e.hint);
  buf_.push_back('\0');
  End();
}

void MessageWriter::Error(const ErrorFields& e) { ErrorOrNotice('E', e); }

void MessageWriter::Notice(const ErrorFields& e) { ErrorOrNotice('N', e); }

void MessageWriter::BeginDataRow(int16_t columns) {
  Begin('D');
  PutInt16(columns);
}

void MessageWriter::Cell(std::string_view bytes) {
  PutInt32(static_cast<int32_t>(bytes.size()));
  buf_.append(bytes);
}

char* MessageWriter::CellBuffer(size_t size) {
  PutInt32(static_cast<int32_t>(size));
  size_t at = buf_.size();
  buf_.resize(at + size);
  return buf_.data() + at;
}

void MessageWriter::NullCell() { PutInt32(-1); }

void MessageWriter::EndDataRow() { End(); }

Status MessageWriter::SendByte(char c) { return stream_.Write(std::string_view(&c, 1)); }

Status MessageWriter::Flush() {
  if (buf_.empty()) return Status::OK();
  Status st = stream_.Write(buf_);
  buf_.clear();
  return st;
}

}  // namespace medlake::server::pgwire
