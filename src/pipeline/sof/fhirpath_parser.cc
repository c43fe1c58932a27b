// Lexer and recursive-descent parser of the FHIRPath engine. Grammar and operator precedence
// follow FHIRPath N1 (http://hl7.org/fhirpath/N1), "Grammar" and "Operator precedence":
//   postfix . and [] > unary + - > * / div mod > + - & > is as > | > < > <= >= > = ~ != !~ >
//   in contains > and > or xor > implies
// Functions, their arities and type-specifier arguments are resolved here so that evaluation
// never looks at names again.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "pipeline/sof/fhirpath_internal.h"

namespace medlake::pipeline::sof::internal {
namespace {

constexpr int kMaxDepth = 128;

Status SyntaxError(size_t position, std::string_view what) {
  return InvalidArgument("FHIRPath syntax error at column " + std::to_string(position + 1) + ": " +
                         std::string(what));
}

Status CompileError(size_t position, std::string_view what) {
  return InvalidArgument("FHIRPath error at column " + std::to_string(position + 1) + ": " +
                         std::string(what));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
int HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Reads a quoted string ('...' or `...`) starting at s[*pos] (the quote); resolves escapes.
Status ReadQuoted(std::string_view s, size_t* pos, std::string* out) {
  const size_t start = *pos;
  const char quote = s[*pos];
  ++*pos;
  while (*pos < s.size()) {
    char c = s[*pos];
    if (c == quote) {
      ++*pos;
      return Status::OK();
    }
    if (c == '\\') {
      if (*pos + 1 >= s.size()) {
        break;
      }
      char e = s[*pos + 1];
      *pos += 2;
      switch (e) {
        case '\'':
        case '"':
        case '`':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          if (*pos + 4 > s.size()) {
            return SyntaxError(*pos - 2, "bad \\u escape");
          }
          uint32_t cp = 0;
          for (int i = 0; i < 4; ++i) {
            int h = HexValue(s[*pos + static_cast<size_t>(i)]);
            if (h < 0) {
              return SyntaxError(*pos - 2, "bad \\u escape");
            }
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          *pos += 4;
          AppendUtf8(cp, out);
          break;
        }
        default:
          return SyntaxError(*pos - 2, "unknown escape sequence");
      }
      continue;
    }
    out->push_back(c);
    ++*pos;
  }
  return SyntaxError(start, "unterminated string");
}

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view s) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (true) {
    // Whitespace and comments (// line, /* block */).
    while (pos < s.size()) {
      char c = s[pos];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos;
      } else if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '/') {
        while (pos < s.size() && s[pos] != '\n') {
          ++pos;
        }
      } else if (c == '/' && pos + 1 < s.size() && s[pos + 1] == '*') {
        size_t end = s.find("*/", pos + 2);
        if (end == std::string_view::npos) {
          return SyntaxError(pos, "unterminated comment");
        }
        pos = end + 2;
      } else {
        break;
      }
    }
    Token tok;
    tok.position = pos;
    if (pos >= s.size()) {
      tok.kind = TokenKind::kEnd;
      tokens.push_back(std::move(tok));
      return tokens;
    }
    const char c = s[pos];
    if (IsIdentStart(c)) {
      size_t end = pos;
      while (end < s.size() && IsIdentChar(s[end])) {
        ++end;
      }
      tok.kind = TokenKind::kIdentifier;
      tok.text = std::string(s.substr(pos, end - pos));
      pos = end;
    } else if (c == '`') {
      tok.kind = TokenKind::kIdentifier;
      tok.delimited = true;
      MEDLAKE_RETURN_IF_ERROR(ReadQuoted(s, &pos, &tok.text));
    } else if (c == '\'') {
      tok.kind = TokenKind::kString;
      MEDLAKE_RETURN_IF_ERROR(ReadQuoted(s, &pos, &tok.text));
    } else if (IsDigit(c)) {
      size_t end = pos;
      while (end < s.size() && IsDigit(s[end])) {
        ++end;
      }
      if (end + 1 < s.size() && s[end] == '.' && IsDigit(s[end + 1])) {
        ++end;
        while (end < s.size() && IsDigit(s[end])) {
          ++end;
        }
      }
      tok.kind = TokenKind::kNumber;
      tok.text = std::string(s.substr(pos, end - pos));
      pos = end;
    } else if (c == '@') {
      size_t end = pos + 1;
      const bool time_only = end < s.size() && s[end] == 'T';
      if (time_only) {
        ++end;
      } else {
        while (end < s.size() && (IsDigit(s[end]) || s[end] == '-')) {
          ++end;
        }
        if (end < s.size() && s[end] == 'T') {
          ++end;
        }
      }
      if (time_only || s[end - 1] == 'T') {
        while (end < s.size() && (IsDigit(s[end]) || s[end] == ':' ||
                                  (s[end] == '.' && end + 1 < s.size() && IsDigit(s[end + 1])))) {
          ++end;
        }
        if (!time_only && end < s.size()) {
          if (s[end] == 'Z') {
            ++end;
          } else if ((s[end] == '+' || s[end] == '-') && end + 6 <= s.size() &&
                     IsDigit(s[end + 1]) && IsDigit(s[end + 2]) && s[end + 3] == ':' &&
                     IsDigit(s[end + 4]) && IsDigit(s[end + 5])) {
            end += 6;
          }
        }
      }
      std::string_view body = s.substr(pos + 1, end - pos - 1);
      if (time_only) {
        tok.kind = TokenKind::kTime;
        tok.text = std::string(body.substr(1));
        if (!ParseTemporal(tok.text, TemporalKind::kTime)) {
          return SyntaxError(pos, "malformed time literal");
        }
      } else {
        tok.kind = TokenKind::kDateTime;
        tok.text = std::string(body);
        const bool has_t = !body.empty() && body.find('T') != std::string_view::npos;
        if (!ParseTemporal(tok.text, has_t ? TemporalKind::kDateTime : TemporalKind::kDate)) {
          return SyntaxError(pos, "malformed date/time literal");
        }
      }
      pos = end;
    } else if (c == '%') {
      ++pos;
      tok.kind = TokenKind::kExternal;
      if (pos < s.size() && (s[pos] == '\'' || s[pos] == '`')) {
        MEDLAKE_RETURN_IF_ERROR(ReadQuoted(s, &pos, &tok.text));
      } else if (pos < s.size() && IsIdentStart(s[pos])) {
        size_t end = pos;
        while (end < s.size() && IsIdentChar(s[end])) {
          ++end;
        }
        tok.text = std::string(s.substr(pos, end - pos));
        pos = end;
      } else {
        return SyntaxError(tok.position, "expected a name after '%'");
      }
    } else if (c == '$') {
      size_t end = pos + 1;
      while (end < s.size() && IsIdentChar(s[end])) {
        ++end;
      }
      tok.kind = TokenKind::kSpecial;
      tok.text = std::string(s.substr(pos + 1, end - pos - 1));
      if (tok.text != "this" && tok.text != "index" && tok.text != "total") {
        return SyntaxError(pos, "unknown special variable");
      }
      pos = end;
    } else {
      static constexpr std::array<std::string_view, 4> kTwoChar = {"!=", "!~", "<=", ">="};
      tok.kind = TokenKind::kSymbol;
      std::string_view two = s.substr(pos, 2);
      if (std::find(kTwoChar.begin(), kTwoChar.end(), two) != kTwoChar.end()) {
        tok.text = std::string(two);
        pos += 2;
      } else if (std::string_view(".,()[]{}+-*/&|=~<>").find(c) != std::string_view::npos) {
        tok.text = std::string(1, c);
        ++pos;
      } else {
        return SyntaxError(pos, "unexpected character");
      }
    }
    tokens.push_back(std::move(tok));
  }
}

namespace {

struct FunctionSpec {
  std::string_view name;
  Function function;
  int min_args;
  int max_args;
  bool type_argument;  // the argument is a type specifier, not an expression
};

constexpr FunctionSpec kFunctions[] = {
    {"where", Function::kWhere, 1, 1, false},
    {"select", Function::kSelect, 1, 1, false},
    {"exists", Function::kExists, 0, 1, false},
    {"all", Function::kAll, 1, 1, false},
    {"empty", Function::kEmpty, 0, 0, false},
    {"count", Function::kCount, 0, 0, false},
    {"first", Function::kFirst, 0, 0, false},
    {"last", Function::kLast, 0, 0, false},
    {"tail", Function::kTail, 0, 0, false},
    {"skip", Function::kSkip, 1, 1, false},
    {"take", Function::kTake, 1, 1, false},
    {"single", Function::kSingle, 0, 0, false},
    {"distinct", Function::kDistinct, 0, 0, false},
    {"join", Function::kJoin, 0, 1, false},
    {"ofType", Function::kOfType, 1, 1, true},
    {"is", Function::kIs, 1, 1, true},
    {"as", Function::kAs, 1, 1, true},
    {"extension", Function::kExtension, 1, 1, false},
    {"getResourceKey", Function::kGetResourceKey, 0, 0, false},
    {"getReferenceKey", Function::kGetReferenceKey, 0, 1, true},
    {"lowBoundary", Function::kLowBoundary, 0, 1, false},
    {"highBoundary", Function::kHighBoundary, 0, 1, false},
    {"not", Function::kNot, 0, 0, false},
    {"iif", Function::kIif, 2, 3, false},
    {"hasValue", Function::kHasValue, 0, 0, false},
    {"toString", Function::kToString, 0, 0, false},
    {"toInteger", Function::kToInteger, 0, 0, false},
    {"toDecimal", Function::kToDecimal, 0, 0, false},
    {"startsWith", Function::kStartsWith, 1, 1, false},
    {"endsWith", Function::kEndsWith, 1, 1, false},
    {"contains", Function::kContains, 1, 1, false},
    {"lower", Function::kLower, 0, 0, false},
    {"upper", Function::kUpper, 0, 0, false},
    {"length", Function::kLength, 0, 0, false},
    {"substring", Function::kSubstring, 1, 2, false},
    {"allTrue", Function::kAllTrue, 0, 0, false},
    {"anyTrue", Function::kAnyTrue, 0, 0, false},
    {"allFalse", Function::kAllFalse, 0, 0, false},
    {"anyFalse", Function::kAnyFalse, 0, 0, false},
};

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& spec : kFunctions) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

constexpr std::string_view kCalendarUnits[] = {
    "year", "years", "month",  "months",  "week",   "weeks",   "day",         "days",
    "hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};

// A type specifier as written ("FHIR.Patient", "System.String", "Quantity") to the name used
// for matching: canonical data type names, resource names kept.
std::string CanonicalTypeSpecifier(std::string_view written) {
  std::string_view name = written;
  if (name.substr(0, 5) == "FHIR.") {
    name.remove_prefix(5);
  }
  std::string_view canonical = CanonicalFhirTypeName(name);
  return std::string(canonical.empty() ? name : canonical);
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const FhirPathCompileOptions& options)
      : tokens_(std::move(tokens)), options_(options) {}

  Result<std::unique_ptr<Node>> ParseAll() {
    MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, ParseExpression(0));
    if (Peek().kind != TokenKind::kEnd) {
      return SyntaxError(Peek().position, "unexpected token after the end of the expression");
    }
    return root;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(index_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Advance() {
    const Token& t = tokens_[index_];
    if (index_ + 1 < tokens_.size()) {
      ++index_;
    }
    return t;
  }
  bool IsSymbol(std::string_view sym, size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kSymbol && t.text == sym;
  }
  bool IsKeyword(std::string_view word) const {
    const Token& t = Peek();
    return t.kind == TokenKind::kIdentifier && !t.delimited && t.text == word;
  }
  Status Expect(std::string_view sym) {
    if (!IsSymbol(sym)) {
      return SyntaxError(Peek().position, "expected '" + std::string(sym) + "'");
    }
    Advance();
    return Status::OK();
  }

  struct OpInfo {
    BinaryOp op;
    int precedence;
    bool type_operator;  // is / as
    bool is_as;
  };

  // The binary operator at the current token, if any.
  bool PeekBinary(OpInfo* info) const {
    const Token& t = Peek();
    if (t.kind == TokenKind::kSymbol) {
      static const struct {
        std::string_view text;
        BinaryOp op;
        int precedence;
      } kSymbols[] = {
          {"*", BinaryOp::kMul, 10},  {"/", BinaryOp::kDiv, 10},      {"+", BinaryOp::kAdd, 9},
          {"-", BinaryOp::kSub, 9},   {"&", BinaryOp::kConcat, 9},    {"|", BinaryOp::kUnion, 7},
          {"<", BinaryOp::kLt, 6},    {">", BinaryOp::kGt, 6},        {"<=", BinaryOp::kLe, 6},
          {">=", BinaryOp::kGe, 6},   {"=", BinaryOp::kEq, 5},        {"!=", BinaryOp::kNe, 5},
          {"~", BinaryOp::kEquiv, 5}, {"!~", BinaryOp::kNotEquiv, 5},
      };
      for (const auto& s : kSymbols) {
        if (s.text == t.text) {
          *info = {s.op, s.precedence, false, false};
          return true;
        }
      }
      return false;
    }
    if (t.kind != TokenKind::kIdentifier || t.delimited) {
      return false;
    }
    static const struct {
      std::string_view text;
      BinaryOp op;
      int precedence;
    } kWords[] = {
        {"div", BinaryOp::kIntDiv, 10}, {"mod", BinaryOp::kMod, 10},
        {"in", BinaryOp::kIn, 4},       {"contains", BinaryOp::kContains, 4},
        {"and", BinaryOp::kAnd, 3},     {"or", BinaryOp::kOr, 2},
        {"xor", BinaryOp::kXor, 2},     {"implies", BinaryOp::kImplies, 1},
    };
    for (const auto& w : kWords) {
      if (w.text == t.text) {
        *info = {w.op, w.precedence, false, false};
        return true;
      }
    }
    if (t.text == "is" || t.text == "as") {
      *info = {BinaryOp::kAdd, 8, true, t.text == "as"};
      return true;
    }
    return false;
  }

  Result<std::unique_ptr<Node>> ParseExpression(int min_precedence) {
    if (++depth_ > kMaxDepth) {
      return SyntaxError(Peek().position, "expression nested too deeply");
    }
    MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> lhs, ParseUnary());
    OpInfo info{};
    while (PeekBinary(&info) && info.precedence >= min_precedence) {
      const Token& op_token = Advance();
      auto node = std::make_unique<Node>();
      node->position = op_token.position;
      if (info.type_operator) {
        node->kind = info.is_as ? NodeKind::kTypeCast : NodeKind::kTypeTest;
        MEDLAKE_ASSIGN_OR_RETURN(std::string written, ParseQualifiedIdentifier());
        node->type_name = CanonicalTypeSpecifier(written);
        node->focus = std::move(lhs);
        lhs = std::move(node);
        continue;
      }
      MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> rhs, ParseExpression(info.precedence + 1));
      node->kind = NodeKind::kBinary;
      node->op = info.op;
      node->args.push_back(std::move(lhs));
      node->args.push_back(std::move(rhs));
      lhs = std::move(node);
    }
    --depth_;
    return lhs;
  }

  Result<std::string> ParseQualifiedIdentifier() {
    std::string name;
    while (true) {
      const Token& t = Peek();
      if (t.kind != TokenKind::kIdentifier) {
        return SyntaxError(t.position, "expected a type name");
      }
      name += t.text;
      Advance();
      if (IsSymbol(".") && Peek(1).kind == TokenKind::kIdentifier) {
        Advance();
        name += '.';
        continue;
      }
      return name;
    }
  }

  Result<std::unique_ptr<Node>> ParseUnary() {
    if (IsSymbol("+") || IsSymbol("-")) {
      if (++depth_ > kMaxDepth) {
        return SyntaxError(Peek().position, "expression nested too deeply");
      }
      const Token& t = Advance();
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kUnary;
      node->position = t.position;
      node->op = t.text == "-" ? BinaryOp::kSub : BinaryOp::kAdd;
      MEDLAKE_ASSIGN_OR_RETURN(node->focus, ParseUnary());
      --depth_;
      return node;
    }
    return ParsePostfix();
  }

  Result<std::unique_ptr<Node>> ParsePostfix() {
    MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> node, ParseTerm());
    while (true) {
      if (IsSymbol(".")) {
        Advance();
        const Token& t = Peek();
        if (t.kind != TokenKind::kIdentifier) {
          return SyntaxError(t.position, "expected a name after '.'");
        }
        MEDLAKE_ASSIGN_OR_RETURN(node, ParseInvocation(std::move(node)));
      } else if (IsSymbol("[")) {
        const Token& t = Advance();
        auto indexer = std::make_unique<Node>();
        indexer->kind = NodeKind::kIndexer;
        indexer->position = t.position;
        indexer->focus = std::move(node);
        MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> index, ParseExpression(0));
        indexer->args.push_back(std::move(index));
        MEDLAKE_RETURN_IF_ERROR(Expect("]"));
        node = std::move(indexer);
      } else {
        return node;
      }
    }
  }

  // name or name(args), applied to `focus` (null: the input collection).
  Result<std::unique_ptr<Node>> ParseInvocation(std::unique_ptr<Node> focus) {
    const Token& t = Advance();
    auto node = std::make_unique<Node>();
    node->position = t.position;
    node->name = t.text;
    node->focus = std::move(focus);
    if (!IsSymbol("(") || t.delimited) {
      node->kind = NodeKind::kMember;
      return node;
    }
    Advance();
    node->kind = NodeKind::kFunction;
    const FunctionSpec* spec = FindFunction(t.text);
    if (spec == nullptr) {
      return CompileError(t.position, "unknown function '" + t.text + "'");
    }
    node->function = spec->function;
    if (!IsSymbol(")")) {
      while (true) {
        MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> arg, ParseExpression(0));
        node->args.push_back(std::move(arg));
        if (!IsSymbol(",")) {
          break;
        }
        Advance();
      }
    }
    MEDLAKE_RETURN_IF_ERROR(Expect(")"));
    const int n = static_cast<int>(node->args.size());
    if (n < spec->min_args || n > spec->max_args) {
      return CompileError(
          node->position,
          "function '" + t.text + "' takes " + std::to_string(spec->min_args) +
              (spec->min_args == spec->max_args ? "" : ".." + std::to_string(spec->max_args)) +
              " argument(s), got " + std::to_string(n));
    }
    if (spec->type_argument && n == 1) {
      // The argument was parsed as a path ("FHIR.Patient" = member Patient of member FHIR);
      // turn it back into the type name it spells.
      std::string written;
      const Node* part = node->args[0].get();
      while (part != nullptr && part->kind == NodeKind::kMember) {
        written = written.empty() ? part->name : part->name + "." + written;
        part = part->focus.get();
      }
      if (part != nullptr || written.empty()) {
        return CompileError(node->args[0]->position,
                            "function '" + t.text + "' expects a type name");
      }
      node->type_name = CanonicalTypeSpecifier(written);
      node->args.clear();
    }
    return node;
  }

  Result<std::unique_ptr<Node>> ParseTerm() {
    const Token& t = Peek();
    auto node = std::make_unique<Node>();
    node->position = t.position;
    switch (t.kind) {
      case TokenKind::kEnd:
        return SyntaxError(t.position, "unexpected end of expression");
      case TokenKind::kString:
        node->kind = NodeKind::kLiteral;
        node->literal = t.text;
        node->literal_type = "string";
        Advance();
        return node;
      case TokenKind::kNumber:
        return ParseNumber();
      case TokenKind::kDateTime: {
        node->kind = NodeKind::kLiteral;
        node->literal = t.text;
        node->literal_type = t.text.find('T') != std::string::npos ? "dateTime" : "date";
        if (!t.text.empty() && t.text.back() == 'T') {
          node->literal = t.text.substr(0, t.text.size() - 1);
        }
        Advance();
        return node;
      }
      case TokenKind::kTime:
        node->kind = NodeKind::kLiteral;
        node->literal = t.text;
        node->literal_type = "time";
        Advance();
        return node;
      case TokenKind::kExternal:
        MEDLAKE_RETURN_IF_ERROR(ResolveExternal(t, node.get()));
        Advance();
        return node;
      case TokenKind::kSpecial:
        if (t.text == "total") {
          return CompileError(t.position, "$total is not supported (no aggregate())");
        }
        node->kind = t.text == "this" ? NodeKind::kThis : NodeKind::kIndex;
        Advance();
        return node;
      case TokenKind::kIdentifier:
        if (!t.delimited && (t.text == "true" || t.text == "false")) {
          node->kind = NodeKind::kLiteral;
          node->literal = t.text == "true";
          node->literal_type = "boolean";
          Advance();
          return node;
        }
        return ParseInvocation(nullptr);
      case TokenKind::kSymbol:
        if (t.text == "(") {
          Advance();
          MEDLAKE_ASSIGN_OR_RETURN(std::unique_ptr<Node> inner, ParseExpression(0));
          MEDLAKE_RETURN_IF_ERROR(Expect(")"));
          return inner;
        }
        if (t.text == "{") {
          Advance();
          MEDLAKE_RETURN_IF_ERROR(Expect("}"));
          node->kind = NodeKind::kEmpty;
          return node;
        }
        return SyntaxError(t.position, "unexpected '" + t.text + "'");
    }
    return SyntaxError(t.position, "unexpected token");
  }

  Result<std::unique_ptr<Node>> ParseNumber() {
    const Token& t = Advance();
    auto node = std::make_unique<Node>();
    node->kind = NodeKind::kLiteral;
    node->position = t.position;
    if (t.text.find('.') == std::string::npos) {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
      if (ec != std::errc() || end != t.text.data() + t.text.size()) {
        return SyntaxError(t.position, "integer literal out of range");
      }
      node->literal = v;
      node->literal_type = "integer";
    } else {
      node->literal = std::strtod(t.text.c_str(), nullptr);
      node->literal_type = "decimal";
    }
    // A quantity: number followed by a unit string or a calendar duration keyword.
    const Token& next = Peek();
    const bool unit_string = next.kind == TokenKind::kString;
    const bool calendar_unit = next.kind == TokenKind::kIdentifier && !next.delimited &&
                               std::find(std::begin(kCalendarUnits), std::end(kCalendarUnits),
                                         next.text) != std::end(kCalendarUnits);
    if (unit_string || calendar_unit) {
      nlohmann::json quantity = nlohmann::json::object();
      quantity["value"] = node->literal;
      quantity["unit"] = next.text;
      if (unit_string) {
        quantity["system"] = "http://unitsofmeasure.org";
        quantity["code"] = next.text;
      }
      node->literal = std::move(quantity);
      node->literal_type = "Quantity";
      Advance();
    }
    return node;
  }

  Status ResolveExternal(const Token& t, Node* node) {
    if (t.text == "resource" || t.text == "rootResource" || t.text == "context") {
      node->kind = NodeKind::kResource;
      return Status::OK();
    }
    if (t.text == "rowIndex") {
      node->kind = NodeKind::kRowIndex;
      return Status::OK();
    }
    for (size_t i = 0; i < options_.constant_names.size(); ++i) {
      if (options_.constant_names[i] == t.text) {
        node->kind = NodeKind::kConstant;
        node->slot = static_cast<int>(i);
        return Status::OK();
      }
    }
    return CompileError(t.position, "unknown constant %" + t.text);
  }

  std::vector<Token> tokens_;
  const FhirPathCompileOptions& options_;
  size_t index_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<std::unique_ptr<Node>> ParseFhirPath(std::string_view text,
                                            const FhirPathCompileOptions& options) {
  MEDLAKE_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  Parser parser(std::move(tokens), options);
  return parser.ParseAll();
}

std::string_view StaticTypeOf(const Node& node) {
  switch (node.kind) {
    case NodeKind::kLiteral:
      return node.literal_type;
    case NodeKind::kRowIndex:
      return "integer";
    case NodeKind::kTypeTest:
      return "boolean";
    case NodeKind::kBinary:
      switch (node.op) {
        case BinaryOp::kLt:
        case BinaryOp::kGt:
        case BinaryOp::kLe:
        case BinaryOp::kGe:
        case BinaryOp::kEq:
        case BinaryOp::kNe:
        case BinaryOp::kEquiv:
        case BinaryOp::kNotEquiv:
        case BinaryOp::kIn:
        case BinaryOp::kContains:
        case BinaryOp::kAnd:
        case BinaryOp::kOr:
        case BinaryOp::kXor:
        case BinaryOp::kImplies:
          return "boolean";
        case BinaryOp::kConcat:
          return "string";
        default:
          return "";
      }
    case NodeKind::kFunction:
      switch (node.function) {
        case Function::kExists:
        case Function::kAll:
        case Function::kEmpty:
        case Function::kIs:
        case Function::kNot:
        case Function::kHasValue:
        case Function::kStartsWith:
        case Function::kEndsWith:
        case Function::kContains:
        case Function::kAllTrue:
        case Function::kAnyTrue:
        case Function::kAllFalse:
        case Function::kAnyFalse:
          return "boolean";
        case Function::kCount:
        case Function::kLength:
        case Function::kToInteger:
          return "integer";
        case Function::kToDecimal:
          return "decimal";
        case Function::kJoin:
        case Function::kToString:
        case Function::kLower:
        case Function::kUpper:
        case Function::kSubstring:
        case Function::kGetResourceKey:
        case Function::kGetReferenceKey:
          return "string";
        case Function::kFirst:
        case Function::kLast:
        case Function::kSingle:
        case Function::kTail:
        case Function::kSkip:
        case Function::kTake:
        case Function::kDistinct:
        case Function::kWhere:
          return node.focus ? StaticTypeOf(*node.focus) : "";
        case Function::kOfType:
        case Function::kAs:
          return CanonicalFhirTypeName(node.type_name);
        default:
          return "";
      }
    case NodeKind::kTypeCast:
      return CanonicalFhirTypeName(node.type_name);
    default:
      return "";
  }
}

}  // namespace medlake::pipeline::sof::internal
