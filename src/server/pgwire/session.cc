#include "server/pgwire/session.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>

#include "core/crypto.h"
#include "core/logging.h"
#include "engine/sql_lexer.h"
#include "security/access_controller.h"
#include "security/scram.h"
#include "server/pgwire/catalog_responder.h"
#include "server/pgwire/protocol.h"
#include "server/pgwire/types.h"

namespace medlake::server::pgwire {
namespace {

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

std::string Lower(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return u;
}

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }

// The first keyword(s) of a statement, uppercased, comments and parentheses skipped.
std::vector<std::string> LeadingWords(std::string_view sql, size_t count) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < sql.size() && words.size() < count) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '(') {
      ++i;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < sql.size() && IsIdentChar(sql[j])) ++j;
      words.push_back(Upper(sql.substr(i, j - i)));
      i = j;
    } else {
      break;
    }
  }
  return words;
}

bool ReturnsRowsByKeyword(std::string_view sql) {
  auto w = LeadingWords(sql, 1);
  if (w.empty()) return false;
  static const char* kQueryWords[] = {"SELECT", "WITH",    "VALUES",  "TABLE", "FROM",
                                      "SHOW",   "DESCRIBE", "SUMMARIZE", "EXPLAIN", "PIVOT", "UNPIVOT"};
  return std::any_of(std::begin(kQueryWords), std::end(kQueryWords), [&](const char* k) { return w[0] == k; });
}

ErrorFields ErrorFor(const Status& st) {
  ErrorFields e;
  e.sqlstate = SqlStateFor(st);
  e.message = st.message();
  // I/O, data-loss and internal errors name files and internals: the client gets a generic
  // message, the server log the details.
  if (st.code() == StatusCode::kIOError || st.code() == StatusCode::kDataLoss || st.code() == StatusCode::kInternal) {
    Log(LogLevel::kError, "pgwire_statement_failed", {LogField::Error("error", st.ToString())});
    e.message = st.code() == StatusCode::kDataLoss
                    ? "a table file is missing or damaged: the lake's administrators have the details in the server log"
                    : "internal error: the server log has the details";
  }
  return e;
}

// Settings the server reports with ParameterStatus at startup and when they change.
const char* const kReported[] = {"application_name", "client_encoding", "DateStyle", "IntervalStyle", "TimeZone",
                                 "integer_datetimes", "is_superuser", "server_encoding", "server_version",
                                 "session_authorization", "standard_conforming_strings"};

// Named statements and portals a session may keep open at once (each holds its text and values).
constexpr size_t kMaxPrepared = 10000;

struct PreparedStatement {
  std::string query;
  std::vector<int32_t> declared_types;
  int parameters = 0;
  // The lake session's prepared form (a plain query: checked and rewritten once, see
  // LakeSession::PrepareQuery); null for anything else, which runs with values substituted.
  std::shared_ptr<engine::LakeSession::PreparedQuery> lake;
};

struct Portal {
  std::string sql;  // parameters substituted (empty for a prepared lake query: see `lake`)
  std::vector<int16_t> result_formats;
  bool returns_rows = false;
  std::shared_ptr<engine::LakeSession::PreparedQuery> lake;  // see PreparedStatement::lake
  std::vector<std::string> literals;                         // the bound values as SQL literals
};

class Session {
 public:
  Session(PgServer& server, net::TcpStream& stream) : server_(server), stream_(stream), in_(stream), out_(stream) {}
  ~Session() {
    if (pid_ != 0) server_.UnregisterCancelKey(pid_);
    if (lake_) server_.counters().active.fetch_sub(1);
  }

  void Run();

 private:
  // Startup phase. Returns false when the connection is done (refused, cancel, failure).
  bool Startup();
  bool Authenticate(const std::string& user);
  void SendFatal(const std::string& sqlstate, const std::string& message);
  // Reports a failure of the connection itself (write failed): stop.
  bool Flush() {
    Status st = out_.Flush();
    if (!st.ok()) alive_ = false;
    return st.ok();
  }

  Result<Message> NextMessage();
  void HandleQuery(const std::string& text);
  void HandleParse(const Message& m);
  void HandleBind(const Message& m);
  void HandleDescribe(const Message& m);
  void HandleExecute(const Message& m);
  void HandleClose(const Message& m);
  void SendError(const Status& st);
  // A NOTICE or WARNING to the client (not an error).
  void SendNotice(const char* severity, const char* sqlstate, std::string message) {
    ErrorFields n;
    n.severity = severity;
    n.sqlstate = sqlstate;
    n.message = std::move(message);
    out_.Notice(n);
  }
  // Extended protocol: after an error, messages up to the next Sync are skipped.
  void FailExtended(const Status& st) {
    SendError(st);
    skip_to_sync_ = true;
  }

  // How a statement run reports: the simple protocol sends RowDescription itself, the extended
  // one only when Describe asked for it.
  struct RunMode {
    bool send_description = true;
    bool wait_for_execute = false;  // started by Describe portal: rows wait for Execute
    int32_t max_rows = 0;
    std::string portal;  // extended: the portal's name
    std::vector<int16_t> formats;
    // A prepared lake query and its values: run with RunPrepared instead of Run.
    std::shared_ptr<engine::LakeSession::PreparedQuery> lake;
    std::vector<std::string> literals;
  };
  // Runs one statement. Session-level statements (transactions, SET/SHOW of client settings) are
  // answered here; catalog queries go to the shim; the rest to the lake session.
  Status RunStatement(const std::string& sql, RunMode mode);
  Status StreamResult(engine::QueryResult& result, const std::string& sql, RunMode& mode);
  // Runs a bound portal (Describe or Execute); errors end the extended-protocol pipeline.
  void RunPortal(const std::string& name, const Portal& portal, RunMode mode);
  // Sends up to `max_rows` rows (0: all); true when the result is exhausted.
  Result<bool> SendRows(engine::QueryResult& result, const std::vector<engine::ColumnInfo>& columns,
                        const std::vector<ColumnCodec>& codecs, int32_t max_rows, uint64_t* sent);
  std::optional<Status> HandleSessionStatement(const std::string& sql);
  void SendParameterStatus(const std::string& name);
  std::string Setting(const std::string& name) const;

  PgServer& server_;
  net::TcpStream& stream_;
  // Every read goes through in_: a Bind/Execute/Sync batch that arrived together is one recv().
  net::BufferedReader in_;
  MessageWriter out_;
  std::unique_ptr<engine::LakeSession> lake_;
  std::unique_ptr<CatalogResponder> catalog_;
  std::string user_;
  int32_t pid_ = 0;
  bool alive_ = true;
  bool in_transaction_ = false;
  bool skip_to_sync_ = false;
  std::optional<Message> pending_;  // a message read by a nested loop, for the main loop
  std::map<std::string, std::string> settings_;  // lower-case names
  std::map<std::string, PreparedStatement> statements_;
  std::map<std::string, Portal> portals_;
  std::map<std::string, Portal> described_;  // portals whose RowDescription was sent on Describe
};

std::string Session::Setting(const std::string& name) const {
  auto it = settings_.find(Lower(name));
  return it == settings_.end() ? "" : it->second;
}

void Session::SendParameterStatus(const std::string& name) { out_.ParameterStatus(name, Setting(name)); }

void Session::SendFatal(const std::string& sqlstate, const std::string& message) {
  ErrorFields e;
  e.severity = "FATAL";
  e.sqlstate = sqlstate;
  e.message = message;
  out_.Error(e);
  (void)out_.Flush();
  alive_ = false;
}

void Session::SendError(const Status& st) {
  server_.counters().query_errors.fetch_add(1);
  out_.Error(ErrorFor(st));
}

Result<Message> Session::NextMessage() {
  if (pending_) {
    Message m = std::move(*pending_);
    pending_.reset();
    return m;
  }
  return ReadMessage(in_);
}

bool Session::Startup() {
  auto packet = ReadStartup(in_);
  for (int round = 0; packet.ok() && round < 2; ++round) {
    if (packet->kind == StartupPacket::Kind::kSsl) {
      if (stream_.is_tls()) break;  // a second SSLRequest inside TLS: protocol violation below
      if (in_.buffered() > 0) {
        // Bytes the client sent after SSLRequest without waiting for the answer would be taken
        // as if they came through TLS (a man in the middle could inject them): refused, as
        // PostgreSQL does.
        SendFatal("08P01", "received unencrypted data after SSL request");
        return false;
      }
      if (server_.options().tls) {
        if (!out_.SendByte('S').ok()) return false;
        Status st = stream_.StartTls(*server_.options().tls);
        if (!st.ok()) return false;  // nothing can be said to a client whose TLS failed
      } else if (!out_.SendByte('N').ok()) {
        return false;
      }
      packet = ReadStartup(in_);
    } else if (packet->kind == StartupPacket::Kind::kGssEnc) {
      if (!out_.SendByte('N').ok()) return false;
      packet = ReadStartup(in_);
    }
  }
  if (!packet.ok()) {
    if (packet.status().code() != StatusCode::kIOError) SendFatal("08P01", packet.status().message());
    return false;
  }
  if (packet->kind == StartupPacket::Kind::kCancel) {
    server_.Cancel(packet->cancel_pid, packet->cancel_secret);
    return false;  // PostgreSQL closes a cancel connection without a reply
  }
  if (packet->kind != StartupPacket::Kind::kStartup) {
    SendFatal("08P01", "unexpected request after the encryption negotiation");
    return false;
  }
  if (server_.options().require_tls && !stream_.is_tls()) {
    SendFatal("28000", "this server requires TLS: connect with sslmode=require");
    return false;
  }
  auto& params = packet->parameters;
  user_ = params.count("user") ? params["user"] : "";
  if (user_.empty()) {
    SendFatal("28000", "no user name in the startup packet");
    return false;
  }
  if (params.count("replication")) {
    SendFatal("0A000", "replication connections are not supported");
    return false;
  }
  settings_ = {{"application_name", ""},
               {"client_encoding", "UTF8"},
               {"datestyle", "ISO, MDY"},
               {"intervalstyle", "postgres"},
               {"timezone", "UTC"},
               {"integer_datetimes", "on"},
               {"is_superuser", "off"},
               {"server_encoding", "UTF8"},
               {"server_version", server_.options().server_version},
               {"server_version_num", "150000"},
               {"session_authorization", user_},
               {"standard_conforming_strings", "on"},
               {"transaction_isolation", "read committed"},
               {"default_transaction_isolation", "read committed"},
               {"transaction_read_only", "off"},
               {"search_path", "\"$user\", public"},
               {"extra_float_digits", "1"},
               {"max_identifier_length", "63"}};
  if (params.count("application_name")) settings_["application_name"] = params["application_name"].substr(0, 63);
  if (!Authenticate(user_)) return false;

  std::string client = "pgwire " + stream_.peer();
  auto session = server_.auth().OpenSession(user_, "", client);
  if (!session.ok()) {
    server_.counters().auth_failures.fetch_add(1);
    SendFatal(session.status().code() == StatusCode::kPermissionDenied ? "28000" : SqlStateFor(session.status()),
              session.status().message());
    return false;
  }
  lake_ = std::move(*session);
  lake_->set_postgres_result_names(true);  // clients read columns by PostgreSQL's names
  server_.counters().sessions.fetch_add(1);
  server_.counters().active.fetch_add(1);
  if (server_.options().catalog) {
    auto responder = server_.options().catalog(*lake_, user_);
    if (!responder.ok()) {
      SendFatal("XX000", "cannot prepare the catalog for this session: " + responder.status().message());
      return false;
    }
    catalog_ = std::move(*responder);
  }
  // Keys for CancelRequest: a random positive "process id" and secret.
  auto random = RandomBytes(8);
  if (!random.ok()) {
    SendFatal("XX000", "cannot make a cancel key");
    return false;
  }
  auto word = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>((*random)[at + i]);
    return static_cast<int32_t>(v & 0x7fffffff);
  };
  pid_ = std::max<int32_t>(1, word(0));
  int32_t secret = word(4);
  server_.RegisterCancelKey(pid_, secret, [this] {
    lake_->Interrupt();
    if (catalog_) catalog_->Interrupt();
  });

  out_.AuthenticationOk();
  for (const char* name : kReported) SendParameterStatus(name);
  out_.BackendKeyData(pid_, secret);
  // `options=-c name=value ...` from the connection string: medlake.purpose, mostly.
  if (params.count("options")) {
    std::string opts = params["options"];
    size_t at = 0;
    while ((at = opts.find("-c", at)) != std::string::npos) {
      at += 2;
      while (at < opts.size() && opts[at] == ' ') ++at;
      size_t end = opts.find(' ', at);
      std::string kv = opts.substr(at, end == std::string::npos ? std::string::npos : end - at);
      size_t eq = kv.find('=');
      if (eq != std::string::npos) {
        std::string value = kv.substr(eq + 1);
        std::string quoted = "'";
        for (char c : value) {
          if (c == '\'') quoted += '\'';
          quoted += c;
        }
        quoted += "'";
        RunMode mode;
        mode.send_description = false;
        size_t mark = out_.buffered();
        Status st = RunStatement("SET " + kv.substr(0, eq) + " = " + quoted, mode);
        out_.Truncate(mark);  // no CommandComplete during startup; ParameterStatus is re-sent below
        if (!st.ok()) {
          SendFatal(SqlStateFor(st), st.message());
          return false;
        }
      }
    }
  }
  if (params.count("options")) {
    for (const char* name : kReported) SendParameterStatus(name);
  }
  out_.ReadyForQuery('I');
  return Flush();
}

bool Session::Authenticate(const std::string& user) {
  auto fail = [&](const std::string& reason) {
    server_.counters().auth_failures.fetch_add(1);
    server_.auth().AuditLoginFailure(user, "pgwire " + stream_.peer(), reason);
    SendFatal("28P01", "password authentication failed for user \"" + user + "\"");
    return false;
  };
  if (Status admitted = server_.auth().AdmitLogin("pgwire " + stream_.peer()); !admitted.ok()) {
    server_.counters().auth_failures.fetch_add(1);
    SendFatal("28000", admitted.message());
    return false;
  }
  auto creds = server_.auth().ScramFor(user);
  if (!creds.ok()) {
    SendFatal("XX000", "authentication is unavailable: " + creds.status().message());
    return false;
  }
  out_.AuthenticationSasl({"SCRAM-SHA-256"});
  if (!Flush()) return false;
  auto first = ReadMessage(in_, kMaxAuthMessageBytes);
  if (!first.ok()) return false;
  if (first->type != 'p') return fail("expected a SASL response");
  auto initial = DecodeSaslInitialResponse(first->body);
  if (!initial.ok() || initial->mechanism != "SCRAM-SHA-256") return fail("unsupported SASL mechanism");
  // client-first-message: gs2-header ("n,," or "y,,"; "p=" would ask for channel binding, which
  // we do not offer) then client-first-message-bare "n=<name>,r=<nonce>[,extensions]".
  const std::string& cfm = initial->data;
  if (cfm.size() < 3 || (cfm[0] != 'n' && cfm[0] != 'y') || cfm[1] != ',') return fail("malformed SCRAM message");
  size_t second_comma = cfm.find(',', 2);
  if (second_comma == std::string::npos) return fail("malformed SCRAM message");
  std::string gs2_header = cfm.substr(0, second_comma + 1);
  std::string bare = cfm.substr(second_comma + 1);
  size_t r_at = bare.find(",r=");
  if (bare.rfind("n=", 0) != 0 || r_at == std::string::npos) return fail("malformed SCRAM message");
  std::string client_nonce = bare.substr(r_at + 3);
  client_nonce = client_nonce.substr(0, client_nonce.find(','));
  if (client_nonce.empty()) return fail("malformed SCRAM message");
  auto server_random = RandomBytes(18);
  if (!server_random.ok()) return fail("no randomness");
  std::string nonce = client_nonce + Base64Encode(*server_random);
  std::string server_first = "r=" + nonce + ",s=" + Base64Encode(creds->verifier.salt) +
                             ",i=" + std::to_string(creds->verifier.iterations);
  out_.AuthenticationSaslContinue(server_first);
  if (!Flush()) return false;
  auto final_msg = ReadMessage(in_, kMaxAuthMessageBytes);
  if (!final_msg.ok()) return false;
  if (final_msg->type != 'p') return fail("expected a SASL response");
  // client-final-message: "c=<base64 gs2 header>,r=<nonce>[,...],p=<base64 proof>".
  const std::string& cf = final_msg->body;
  size_t p_at = cf.rfind(",p=");
  if (cf.rfind("c=", 0) != 0 || p_at == std::string::npos) return fail("malformed SCRAM message");
  std::string without_proof = cf.substr(0, p_at);
  auto proof = Base64Decode(cf.substr(p_at + 3));
  std::string channel = without_proof.substr(2, without_proof.find(',') - 2);
  size_t fr_at = without_proof.find(",r=");
  std::string final_nonce =
      fr_at == std::string::npos ? "" : without_proof.substr(fr_at + 3, without_proof.find(',', fr_at + 3) - fr_at - 3);
  if (!proof.ok() || channel != Base64Encode(gs2_header) || final_nonce != nonce) {
    return fail("malformed SCRAM message");
  }
  std::string auth_message = bare + "," + server_first + "," + without_proof;
  if (!creds->real || !security::VerifyScramClientProof(creds->verifier, auth_message, *proof)) {
    return fail("wrong password, or no such user with a password");
  }
  out_.AuthenticationSaslFinal("v=" + Base64Encode(security::ScramServerSignature(creds->verifier, auth_message)));
  return true;
}

void Session::Run() {
  // The whole startup (TLS, authentication, session set-up) must finish within the startup
  // timeout: a client that connects and trickles bytes cannot hold a connection slot.
  stream_.SetDeadline(std::chrono::steady_clock::now() + server_.options().startup_timeout);
  if (!Startup()) return;
  stream_.SetDeadline(std::nullopt);
  while (alive_ && !server_.stopping()) {
    auto m = NextMessage();
    if (!m.ok()) {
      if (m.status().code() != StatusCode::kIOError) {
        SendFatal(m.status().code() == StatusCode::kResourceExhausted ? "54000" : "08P01", m.status().message());
      }
      return;
    }
    if (skip_to_sync_ && m->type != 'S' && m->type != 'X') continue;
    switch (m->type) {
      case 'Q': {
        skip_to_sync_ = false;
        auto text = DecodeQuery(m->body);
        if (!text.ok()) {
          SendFatal("08P01", text.status().message());
          return;
        }
        HandleQuery(*text);
        out_.ReadyForQuery(in_transaction_ ? 'T' : 'I');
        Flush();
        break;
      }
      case 'P': HandleParse(*m); break;
      case 'B': HandleBind(*m); break;
      case 'D': HandleDescribe(*m); break;
      case 'E': HandleExecute(*m); break;
      case 'C': HandleClose(*m); break;
      case 'H': Flush(); break;
      case 'S':
        skip_to_sync_ = false;
        portals_.erase("");  // the unnamed portal ends with the implicit transaction
        out_.ReadyForQuery(in_transaction_ ? 'T' : 'I');
        Flush();
        break;
      case 'X': return;
      case 'd':
      case 'c':
      case 'f': FailExtended(Unimplemented("COPY is not supported")); break;
      default: SendFatal("08P01", std::string("invalid frontend message type ") + std::to_string(m->type)); return;
    }
  }
  if (alive_ && server_.stopping()) SendFatal("57P01", "terminating connection due to administrator command");
}

void Session::HandleQuery(const std::string& text) {
  auto statements = engine::SplitStatements(text);
  if (!statements.ok()) {
    SendError(statements.status());
    return;
  }
  if (statements->empty()) {
    out_.EmptyQueryResponse();
    return;
  }
  for (const auto& sql : *statements) {
    RunMode mode;
    Status st = RunStatement(sql, mode);
    if (!alive_) return;
    if (!st.ok()) {
      SendError(st);
      return;
    }
  }
}

void Session::HandleParse(const Message& m) {
  auto parse = DecodeParse(m.body);
  if (!parse.ok()) return FailExtended(parse.status());
  if (!parse->statement.empty() && statements_.count(parse->statement)) {
    return FailExtended(AlreadyExists("prepared statement \"" + parse->statement + "\" already exists"));
  }
  if (statements_.size() >= kMaxPrepared && !statements_.count(parse->statement)) {
    return FailExtended(ResourceExhausted("too many prepared statements in this session (limit " +
                                          std::to_string(kMaxPrepared) + "): close some"));
  }
  PreparedStatement ps;
  ps.query = parse->query;
  ps.declared_types = parse->parameter_types;
  ps.parameters = std::max<int>(MaxParameterNumber(ps.query), static_cast<int>(ps.declared_types.size()));
  if (!(catalog_ && MayBeCatalogQuery(ps.query))) {
    auto lake = lake_->PrepareQuery(ps.query);
    if (lake.ok() && *lake) ps.lake = std::shared_ptr<engine::LakeSession::PreparedQuery>(std::move(*lake));
  }
  statements_[parse->statement] = std::move(ps);
  out_.ParseComplete();
}

void Session::HandleBind(const Message& m) {
  auto bind = DecodeBind(m.body);
  if (!bind.ok()) return FailExtended(bind.status());
  auto it = statements_.find(bind->statement);
  if (it == statements_.end()) {
    return FailExtended(NotFound("prepared statement \"" + bind->statement + "\" does not exist"));
  }
  const PreparedStatement& ps = it->second;
  if (static_cast<int>(bind->parameters.size()) != ps.parameters) {
    return FailExtended(InvalidArgument("bind message supplies " + std::to_string(bind->parameters.size()) +
                                        " parameters, but prepared statement \"" + bind->statement + "\" requires " +
                                        std::to_string(ps.parameters)));
  }
  std::vector<std::string> literals;
  for (size_t i = 0; i < bind->parameters.size(); ++i) {
    int16_t format = bind->parameter_formats.empty()       ? 0
                     : bind->parameter_formats.size() == 1 ? bind->parameter_formats[0]
                                                           : bind->parameter_formats[i];
    int32_t type = i < ps.declared_types.size() ? ps.declared_types[i] : 0;
    auto literal = ParameterLiteral(bind->parameters[i], type, format);
    if (!literal.ok()) return FailExtended(literal.status());
    literals.push_back(std::move(*literal));
  }
  Portal portal;
  if (ps.lake) {
    // A prepared lake query runs from its prepared form and the values (the lake session puts
    // them into its text for the audit). It returns rows: it begins with SELECT, WITH, VALUES or
    // FROM (LakeSession::PrepareQuery).
    portal.returns_rows = true;
  } else {
    auto sql = SubstituteParameters(ps.query, literals);
    if (!sql.ok()) return FailExtended(sql.status());
    portal.sql = std::move(*sql);
    portal.returns_rows = ReturnsRowsByKeyword(portal.sql);
  }
  if (!bind->portal.empty() && portals_.count(bind->portal)) {
    return FailExtended(AlreadyExists("portal \"" + bind->portal + "\" already exists"));
  }
  if (portals_.size() >= kMaxPrepared && !portals_.count(bind->portal)) {
    return FailExtended(ResourceExhausted("too many open portals in this session (limit " +
                                          std::to_string(kMaxPrepared) + "): close some"));
  }
  portal.result_formats = bind->result_formats;
  portal.lake = ps.lake;
  portal.literals = std::move(literals);
  portals_[bind->portal] = std::move(portal);
  out_.BindComplete();
}

void Session::HandleDescribe(const Message& m) {
  auto d = DecodeDescribe(m.body);
  if (!d.ok()) return FailExtended(d.status());
  if (d->what == 'S') {
    auto it = statements_.find(d->name);
    if (it == statements_.end()) return FailExtended(NotFound("prepared statement \"" + d->name + "\" does not exist"));
    const PreparedStatement& ps = it->second;
    std::vector<int32_t> types;
    for (int i = 0; i < ps.parameters; ++i) {
      int32_t t = i < static_cast<int>(ps.declared_types.size()) ? ps.declared_types[static_cast<size_t>(i)] : 0;
      types.push_back(t == 0 ? oid::kText : t);
    }
    out_.ParameterDescription(types);
    if (!ReturnsRowsByKeyword(ps.query)) {
      out_.NoData();
      return;
    }
    // The columns: the query with NULL parameters, no rows. Only the column list is read.
    std::vector<std::string> nulls(static_cast<size_t>(ps.parameters), "NULL");
    auto sql = SubstituteParameters(ps.query, nulls);
    if (!sql.ok()) return FailExtended(sql.status());
    std::vector<engine::ColumnInfo> columns;
    Status st;
    if (catalog_ && catalog_->Handles(*sql)) {
      auto r = catalog_->Run(*sql);
      if (r.ok()) columns = (*r)->columns();
      st = r.status();
    } else {
      st = lake_->Run("SELECT * FROM (" + *sql + ") AS described LIMIT 0",
                      [&](size_t, engine::StatementOutcome& o) -> Status {
                        if (o.rows) columns = o.rows->columns();
                        return Status::OK();
                      });
    }
    if (!st.ok()) return FailExtended(st);
    std::vector<ColumnCodec> codecs;
    for (const auto& c : columns) codecs.push_back(CodecFor(c, 0));
    out_.RowDescription(DescribeColumns(columns, codecs));
    return;
  }
  auto it = portals_.find(d->name);
  if (it == portals_.end()) return FailExtended(NotFound("portal \"" + d->name + "\" does not exist"));
  if (!it->second.returns_rows) {
    out_.NoData();
    return;
  }
  // Rows are computed now, so RowDescription is exact; they wait for Execute (nested loop).
  RunMode mode;
  mode.send_description = true;
  mode.wait_for_execute = true;
  RunPortal(d->name, it->second, std::move(mode));
}

void Session::RunPortal(const std::string& name, const Portal& portal, RunMode mode) {
  mode.portal = name;
  mode.formats = portal.result_formats;
  mode.lake = portal.lake;
  mode.literals = portal.literals;
  std::string sql = portal.sql;  // a copy: running may close the portal
  Status st = RunStatement(sql, mode);
  if (!alive_) return;
  if (!st.ok()) FailExtended(st);
}

void Session::HandleExecute(const Message& m) {
  auto e = DecodeExecute(m.body);
  if (!e.ok()) return FailExtended(e.status());
  auto it = portals_.find(e->portal);
  if (it == portals_.end()) return FailExtended(NotFound("portal \"" + e->portal + "\" does not exist"));
  RunMode mode;
  mode.send_description = false;
  mode.max_rows = e->max_rows;
  RunPortal(e->portal, it->second, std::move(mode));
}

void Session::HandleClose(const Message& m) {
  auto d = DecodeDescribe(m.body);
  if (!d.ok()) return FailExtended(d.status());
  if (d->what == 'S') {
    statements_.erase(d->name);
  } else {
    portals_.erase(d->name);
  }
  out_.CloseComplete();
}

std::optional<Status> Session::HandleSessionStatement(const std::string& sql) {
  auto w = LeadingWords(sql, 4);
  if (w.empty()) return std::nullopt;
  const std::string& first = w[0];
  if (first == "BEGIN" || (first == "START" && w.size() > 1 && w[1] == "TRANSACTION")) {
    if (in_transaction_) SendNotice("WARNING", "25001", "there is already a transaction in progress");
    in_transaction_ = true;
    out_.CommandComplete("BEGIN");
    return Status::OK();
  }
  // Savepoints (ODBC drivers set one around each statement of a transaction): accepted like
  // BEGIN, and ROLLBACK TO undoes nothing either; the transaction block stays open. Outside a
  // block they are errors, as in PostgreSQL.
  const bool rollback_to = first == "ROLLBACK" && ((w.size() > 1 && w[1] == "TO") ||
                                                   (w.size() > 2 && (w[1] == "WORK" || w[1] == "TRANSACTION") && w[2] == "TO"));
  if (first == "SAVEPOINT" || first == "RELEASE" || rollback_to) {
    if (!in_transaction_) {
      const char* what = rollback_to ? "ROLLBACK TO SAVEPOINT" : first == "RELEASE" ? "RELEASE SAVEPOINT" : "SAVEPOINT";
      return FailedPrecondition(std::string(what) + " can only be used in transaction blocks");
    }
    if (rollback_to) {
      SendNotice("WARNING", "01000", "medlake runs each statement in its own transaction: nothing was rolled back");
    }
    out_.CommandComplete(rollback_to ? "ROLLBACK" : first);
    return Status::OK();
  }
  if (first == "COMMIT" || first == "END" || first == "ROLLBACK" || first == "ABORT") {
    if (first == "ROLLBACK" || first == "ABORT") {
      // Every statement commits on its own; say so rather than pretend to roll back.
      SendNotice("WARNING", "01000", "medlake runs each statement in its own transaction: nothing was rolled back");
    }
    in_transaction_ = false;
    out_.CommandComplete(first == "ROLLBACK" || first == "ABORT" ? "ROLLBACK" : "COMMIT");
    return Status::OK();
  }
  if (first == "DISCARD" || first == "DEALLOCATE") {
    if (first == "DEALLOCATE") {
      std::string name = w.size() > 1 && w[1] != "PREPARE" ? Lower(w[1]) : (w.size() > 2 ? Lower(w[2]) : "");
      if (name == "all") {
        statements_.clear();
      } else {
        statements_.erase(name);
      }
    }
    out_.CommandComplete(first == "DISCARD" ? "DISCARD ALL" : "DEALLOCATE");
    return Status::OK();
  }
  if (first == "SET" || first == "RESET" || first == "SHOW") {
    // The purpose of use belongs to the security layer; everything else is a client setting.
    std::string lowered = Lower(sql);
    if (first == "SHOW" && lowered.find("medlake.purpose") != std::string::npos) {
      auto* controller = dynamic_cast<security::SecurityController*>(lake_->access());
      std::string purpose = controller ? controller->identity().purpose : "";
      out_.RowDescription({FieldDescription{"medlake.purpose", 0, 0, oid::kText, -1, -1, 0}});
      out_.BeginDataRow(1);
      out_.Cell(purpose);
      out_.EndDataRow();
      out_.CommandComplete("SHOW");
      return Status::OK();
    }
    if (lowered.find("medlake.") != std::string::npos) return std::nullopt;
    std::string name;
    std::string value;
    size_t at = 0;
    // SET [SESSION|LOCAL] name {=|TO} value
    std::string rest = sql.substr(sql.find_first_not_of(" \t\r\n"));
    rest = rest.substr(first.size());
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t\r\n");
      size_t e = s.find_last_not_of(" \t\r\n;");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    rest = trim(rest);
    if (first == "SET") {
      std::string upper = Upper(rest);
      if (upper.rfind("SESSION ", 0) == 0 && upper.rfind("SESSION AUTHORIZATION", 0) != 0) rest = trim(rest.substr(8));
      if (upper.rfind("LOCAL ", 0) == 0) rest = trim(rest.substr(6));
      upper = Upper(rest);
      if (upper.rfind("TIME ZONE", 0) == 0) {
        name = "timezone";
        value = trim(rest.substr(9));
      } else if (upper.rfind("NAMES", 0) == 0) {
        name = "client_encoding";
        value = trim(rest.substr(5));
      } else {
        while (at < rest.size() && (IsIdentChar(rest[at]) || rest[at] == '.')) ++at;
        name = Lower(rest.substr(0, at));
        value = trim(rest.substr(at));
        if (value.rfind("=", 0) == 0) {
          value = trim(value.substr(1));
        } else if (Upper(value).rfind("TO", 0) == 0) {
          value = trim(value.substr(2));
        }
      }
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') value = value.substr(1, value.size() - 2);
      if (name.empty()) return InvalidArgument("syntax error in SET");
      if (name == "timezone" && Upper(value) != "UTC" && Upper(value) != "'UTC'" && value != "Etc/UTC" &&
          Upper(value) != "GMT" && value != "0" && Upper(value) != "DEFAULT") {
        // Accepted so that drivers which set their own zone connect; times stay UTC.
        SendNotice("WARNING", "01000", "medlake sessions run in UTC; TimeZone stays UTC");
        value = "UTC";
      }
      if (name == "timezone") value = "UTC";
      if (name == "client_encoding") {
        std::string enc = Upper(value);
        enc.erase(std::remove(enc.begin(), enc.end(), '\''), enc.end());
        if (enc != "UTF8" && enc != "UTF-8" && enc != "UNICODE" && enc != "SQL_ASCII" && enc != "DEFAULT") {
          return Status(StatusCode::kUnimplemented, "client encoding " + value + " is not supported: use UTF8");
        }
        value = "UTF8";
      }
      if (name == "session_authorization" || name == "role") {
        return PermissionDenied("SET " + name + " is not supported: connect as the user instead");
      }
      settings_[name] = value;
      if (catalog_) catalog_->SettingChanged(name, value);
      for (const char* r : kReported) {
        if (Lower(r) == name) SendParameterStatus(r);
      }
      out_.CommandComplete("SET");
      return Status::OK();
    }
    if (first == "RESET") {
      out_.CommandComplete("RESET");
      return Status::OK();
    }
    // SHOW name
    name = Lower(trim(rest));
    if (name == "all") return Status(StatusCode::kUnimplemented, "SHOW ALL is not supported");
    if (name == "tables" || name == "databases") return std::nullopt;  // DuckDB's SHOW TABLES
    std::string key = name == "time zone" ? "timezone" : name;
    auto it = settings_.find(key);
    // Not a client setting: SHOW GRANTS / USERS / POLICIES / CURRENT USER and the like belong to
    // the security layer, SHOW TABLES to the lake session.
    if (it == settings_.end()) return std::nullopt;
    out_.RowDescription({FieldDescription{name, 0, 0, oid::kText, -1, -1, 0}});
    out_.BeginDataRow(1);
    out_.Cell(it->second);
    out_.EndDataRow();
    out_.CommandComplete("SHOW");
    return Status::OK();
  }
  return std::nullopt;
}

Result<bool> Session::SendRows(engine::QueryResult& result, const std::vector<engine::ColumnInfo>&,
                               const std::vector<ColumnCodec>& codecs, int32_t max_rows, uint64_t* sent) {
  // Rows of a chunk left over after a PortalSuspended are kept here between calls.
  uint64_t sent_now = 0;
  while (true) {
    MEDLAKE_ASSIGN_OR_RETURN(auto chunk, result.Next());
    if (!chunk) {
      *sent += sent_now;
      return true;
    }
    EncodeRows(*chunk, codecs, out_);
    sent_now += chunk->size();
    if (out_.buffered() >= server_.options().flush_bytes) {
      if (!Flush()) return IOError("client connection lost");
    }
    if (max_rows > 0 && sent_now >= static_cast<uint64_t>(max_rows)) {
      // Whole chunks are sent: a client asking for N rows may get up to N + 2047. PostgreSQL
      // sends exactly N; drivers that page (JDBC fetch size) read whatever comes before
      // PortalSuspended, which is allowed because they count the DataRows they receive.
      *sent += sent_now;
      return false;
    }
  }
}

Status Session::StreamResult(engine::QueryResult& result, const std::string&, RunMode& mode) {
  std::vector<int16_t> formats;
  MEDLAKE_ASSIGN_OR_RETURN(formats, ExpandFormats(mode.formats, result.columns().size()));
  std::vector<ColumnCodec> codecs;
  for (size_t i = 0; i < result.columns().size(); ++i) codecs.push_back(CodecFor(result.columns()[i], formats[i]));
  if (mode.send_description) out_.RowDescription(DescribeColumns(result.columns(), codecs));
  uint64_t sent = 0;
  bool done = false;
  int32_t max_rows = mode.max_rows;
  if (!mode.wait_for_execute) {
    MEDLAKE_ASSIGN_OR_RETURN(done, SendRows(result, result.columns(), codecs, max_rows, &sent));
    if (!done) out_.PortalSuspended();
  }
  if (!done) {
    // Nested loop: Execute on this portal continues the rows; anything else ends the portal and is
    // handed to the main loop. Nothing is flushed before waiting: a client that wants the
    // RowDescription before it sends Execute sends Flush or Sync, as the protocol requires.
    while (alive_) {
      auto m = ReadMessage(in_);
      if (!m.ok()) {
        alive_ = false;
        return IOError("client connection lost");
      }
      if (m->type == 'H') {
        if (!Flush()) return IOError("client connection lost");
        continue;
      }
      if (m->type == 'E') {
        auto e = DecodeExecute(m->body);
        if (e.ok() && e->portal == mode.portal) {
          MEDLAKE_ASSIGN_OR_RETURN(done, SendRows(result, result.columns(), codecs, e->max_rows, &sent));
          if (done) break;
          out_.PortalSuspended();
          continue;
        }
      }
      pending_ = std::move(*m);
      server_.counters().rows_sent.fetch_add(sent);
      // Ended by the client (Sync/Close) without reading every row: the portal is gone.
      portals_.erase(mode.portal);
      return Status::OK();
    }
  }
  server_.counters().rows_sent.fetch_add(sent);
  out_.CommandComplete("SELECT " + std::to_string(sent));
  if (!mode.portal.empty() || mode.wait_for_execute) portals_.erase(mode.portal);
  return Status::OK();
}

Status Session::RunStatement(const std::string& sql, RunMode mode) {
  server_.counters().queries.fetch_add(1);
  // A prepared lake query is neither a session statement nor a catalog query: its text begins
  // with SELECT, WITH, VALUES or FROM, named no catalog object when parsed (HandleParse), and
  // bound values are literals, which change neither.
  if (!mode.lake) {
    if (auto handled = HandleSessionStatement(sql)) {
      if (mode.wait_for_execute) return Status::OK();
      return *handled;
    }
  }
  if (!mode.lake && catalog_ && catalog_->Handles(sql)) {
    // Catalog queries never touch lake data, but they are statements of the session: audited.
    engine::AccessController* access = lake_->access();
    if (access) MEDLAKE_RETURN_IF_ERROR(access->BeginStatement());
    engine::StatementAudit audit;
    audit.statement = sql;
    audit.decisions = {"answered by the pg_catalog shim"};
    Status st = [&]() -> Status {
      MEDLAKE_ASSIGN_OR_RETURN(auto result, catalog_->Run(sql));
      Status streamed = StreamResult(*result, sql, mode);
      audit.rows = result->rows_read();
      return streamed;
    }();
    audit.outcome = st.ok() ? "ok" : "error";
    if (!st.ok()) audit.error = st.message();
    if (access) access->RecordStatement(std::move(audit));
    return st;
  }
  const std::string tag = mode.lake ? std::string("SELECT") : CommandTagOf(sql);
  auto on_result = [&](size_t, engine::StatementOutcome& outcome) -> Status {
    if (outcome.rows) return StreamResult(*outcome.rows, sql, mode);
    if (mode.wait_for_execute) {
      out_.NoData();
      return Status::OK();
    }
    if (!outcome.message.empty() && Upper(outcome.message).rfind(tag, 0) != 0) {
      SendNotice("NOTICE", "00000", outcome.message);
    }
    if (outcome.rows_changed) {
      int64_t n = *outcome.rows_changed;
      if (tag == "INSERT") {
        out_.CommandComplete("INSERT 0 " + std::to_string(n));
      } else if (tag == "UPDATE" || tag == "DELETE" || tag == "MERGE") {
        out_.CommandComplete(tag + " " + std::to_string(n));
      } else {
        out_.CommandComplete(tag);
      }
    } else {
      out_.CommandComplete(tag);
    }
    if (!mode.portal.empty()) portals_.erase(mode.portal);
    return Status::OK();
  };
  if (mode.lake) return lake_->RunPrepared(*mode.lake, mode.literals, on_result);
  return lake_->Run(sql, on_result);
}

}  // namespace

int MaxParameterNumber(std::string_view sql) {
  // The engine's tokenizer knows where strings, identifiers and comments are; text it cannot
  // tokenize has no parameters to count (the statement fails when it runs).
  auto tokens = engine::TokenizeSql(sql);
  if (!tokens.ok()) return 0;
  int max = 0;
  for (const auto& t : *tokens) {
    if (auto n = engine::ParameterNumber(t)) max = std::max(max, static_cast<int>(*n));
  }
  return max;
}

Result<std::string> SubstituteParameters(std::string_view sql, const std::vector<std::string>& literals) {
  return engine::SubstituteParameterTokens(sql, literals);
}

std::string CommandTagOf(std::string_view sql) {
  auto w = LeadingWords(sql, 6);
  if (w.empty()) return "SELECT";
  if (w[0] == "CREATE" || w[0] == "DROP" || w[0] == "ALTER") {
    size_t i = 1;
    while (i < w.size() && (w[i] == "OR" || w[i] == "REPLACE" || w[i] == "TEMP" || w[i] == "TEMPORARY" ||
                            w[i] == "UNIQUE" || w[i] == "GLOBAL" || w[i] == "LOCAL")) {
      ++i;
    }
    return i < w.size() ? w[0] + " " + w[i] : w[0];
  }
  if (w[0] == "WITH" || w[0] == "VALUES" || w[0] == "TABLE" || w[0] == "FROM") return "SELECT";
  return w[0];
}

void ServeConnection(PgServer& server, net::TcpStream& stream) {
  Session session(server, stream);
  session.Run();
}

void RefuseConnection(net::TcpStream& stream) {
  stream.SetDeadline(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  MessageWriter out(stream);
  auto packet = ReadStartup(stream);
  if (packet.ok() && packet->kind == StartupPacket::Kind::kSsl) {
    (void)out.SendByte('N');  // the refusal is sent in the clear, as PostgreSQL does before TLS
    packet = ReadStartup(stream);
  }
  if (!packet.ok() || packet->kind != StartupPacket::Kind::kStartup) return;
  ErrorFields e;
  e.severity = "FATAL";
  e.sqlstate = "53300";
  e.message = "sorry, too many clients already";
  out.Error(e);
  (void)out.Flush();
}

}  // namespace medlake::server::pgwire
