// SPDX-License-Identifier: GPL-2.0-only
// A recursive-descent reader of Python's expression grammar, cut down to what
// bantime.formula needs, and its evaluation with Python's int/float distinction (a shift
// takes integers only; / always gives a float; int() truncates).
#include "userspace/controller/ban_formula.h"

#include <cctype>
#include <cmath>
#include <map>
#include <vector>

namespace mcf2b {

namespace {

// A number as Python holds it: an int (kept exactly while it fits a double's 53 bits)
// or a float.
struct Value {
  double v = 0;
  bool is_int = true;
};

enum class Op {
  number,
  time,
  count,
  factor, // leaves
  neg,
  pos,
  logical_not, // unary
  add,
  sub,
  mul,
  div,
  floordiv,
  mod,
  pow,
  shl,
  shr, // binary
  lt,
  le,
  gt,
  ge,
  eq,
  ne, // comparisons (a chain is an `and` of them)
  logical_and,
  logical_or,
  conditional,
  call,
};

enum class Function {
  exp,
  log,
  log2,
  log10,
  sqrt,
  pow,
  floor,
  ceil,
  to_float,
  to_int,
  min,
  max,
  abs,
  round
};

} // namespace

struct BanFormula::Node {
  Op op = Op::number;
  Value number;
  Function function = Function::exp;
  std::vector<std::shared_ptr<const Node>> operands;
};

namespace {

using NodePtr = std::shared_ptr<const BanFormula::Node>;

struct Token {
  enum Kind { number, name, symbol, end } kind = end;
  std::string text;
  Value value;
  size_t at = 0;
};

class Parser {
public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<NodePtr> parse() {
    if (auto st = tokenize(); !st)
      return st.error();
    auto root = expression();
    if (!root)
      return root.error();
    if (peek().kind != Token::end)
      return unexpected();
    return root;
  }

private:
  Status tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.at = i;
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < text_.size() &&
           std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t end = i;
        bool is_float = false;
        while (end < text_.size() && (std::isdigit(static_cast<unsigned char>(text_[end])) ||
                                      text_[end] == '.' || text_[end] == '_'))
          is_float |= text_[end++] == '.';
        if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
          size_t exp = end + 1;
          if (exp < text_.size() && (text_[exp] == '+' || text_[exp] == '-'))
            ++exp;
          if (exp < text_.size() && std::isdigit(static_cast<unsigned char>(text_[exp]))) {
            is_float = true;
            end = exp;
            while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end])))
              ++end;
          }
        }
        std::string digits;
        for (size_t k = i; k < end; ++k)
          if (text_[k] != '_')
            digits += text_[k];
        t.kind = Token::number;
        t.text = std::string(text_.substr(i, end - i));
        t.value = {std::strtod(digits.c_str(), nullptr), !is_float};
        i = end;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t end = i;
        while (end < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[end])) || text_[end] == '_'))
          ++end;
        t.kind = Token::name;
        t.text = std::string(text_.substr(i, end - i));
        i = end;
      } else {
        static const char *kSymbols[] = {"**", "//", "<<", ">>", "<=", ">=", "==", "!=", "<", ">",
                                         "+",  "-",  "*",  "/",  "%",  "(",  ")",  ",",  "."};
        t.kind = Token::symbol;
        for (const char *s : kSymbols)
          if (text_.substr(i).starts_with(s)) {
            t.text = s;
            break;
          }
        if (t.text.empty())
          return Error::msg("bantime.formula: unexpected '" + std::string(1, c) + "' at " +
                            std::to_string(i + 1));
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.at = text_.size();
    tokens_.push_back(end);
    return {};
  }

  const Token &peek() const { return tokens_[pos_]; }
  bool accept(std::string_view symbol_or_keyword) {
    const Token &t = peek();
    if ((t.kind == Token::symbol || t.kind == Token::name) && t.text == symbol_or_keyword) {
      ++pos_;
      return true;
    }
    return false;
  }
  Error unexpected() const {
    const Token &t = peek();
    return Error::msg("bantime.formula: unexpected " +
                      (t.kind == Token::end ? std::string("end") : "'" + t.text + "'") + " at " +
                      std::to_string(t.at + 1));
  }
  static NodePtr node(Op op, std::vector<NodePtr> operands) {
    auto n = std::make_shared<BanFormula::Node>();
    n->op = op;
    n->operands = std::move(operands);
    return n;
  }

  // expression: or_test ['if' or_test 'else' expression]
  Result<NodePtr> expression() {
    auto value = or_test();
    if (!value || !accept("if"))
      return value;
    auto condition = or_test();
    if (!condition)
      return condition;
    if (!accept("else"))
      return unexpected();
    auto otherwise = expression();
    if (!otherwise)
      return otherwise;
    return node(Op::conditional, {*condition, *value, *otherwise});
  }

  Result<NodePtr> or_test() {
    auto left = and_test();
    while (left && accept("or")) {
      auto right = and_test();
      if (!right)
        return right;
      left = node(Op::logical_or, {*left, *right});
    }
    return left;
  }

  Result<NodePtr> and_test() {
    auto left = not_test();
    while (left && accept("and")) {
      auto right = not_test();
      if (!right)
        return right;
      left = node(Op::logical_and, {*left, *right});
    }
    return left;
  }

  Result<NodePtr> not_test() {
    if (accept("not")) {
      auto operand = not_test();
      if (!operand)
        return operand;
      return node(Op::logical_not, {*operand});
    }
    return comparison();
  }

  // a < b < c is (a < b) and (b < c), as in Python.
  Result<NodePtr> comparison() {
    auto left = shift();
    if (!left)
      return left;
    static const std::map<std::string, Op> kOps = {{"<", Op::lt},  {"<=", Op::le}, {">", Op::gt},
                                                   {">=", Op::ge}, {"==", Op::eq}, {"!=", Op::ne}};
    NodePtr chain;
    NodePtr previous = *left;
    while (peek().kind == Token::symbol && kOps.count(peek().text)) {
      Op op = kOps.at(tokens_[pos_++].text);
      auto right = shift();
      if (!right)
        return right;
      NodePtr test = node(op, {previous, *right});
      chain = chain ? node(Op::logical_and, {chain, test}) : test;
      previous = *right;
    }
    return chain ? chain : *left;
  }

  Result<NodePtr> binary_level(Result<NodePtr> (Parser::*next)(),
                               const std::map<std::string, Op> &ops) {
    auto left = (this->*next)();
    while (left && peek().kind == Token::symbol && ops.count(peek().text)) {
      Op op = ops.at(tokens_[pos_++].text);
      auto right = (this->*next)();
      if (!right)
        return right;
      left = node(op, {*left, *right});
    }
    return left;
  }
  Result<NodePtr> shift() {
    return binary_level(&Parser::arith, {{"<<", Op::shl}, {">>", Op::shr}});
  }
  Result<NodePtr> arith() { return binary_level(&Parser::term, {{"+", Op::add}, {"-", Op::sub}}); }
  Result<NodePtr> term() {
    return binary_level(&Parser::unary,
                        {{"*", Op::mul}, {"/", Op::div}, {"//", Op::floordiv}, {"%", Op::mod}});
  }

  Result<NodePtr> unary() {
    if (accept("-") || accept("+")) {
      bool negate = tokens_[pos_ - 1].text == "-";
      auto operand = unary();
      if (!operand)
        return operand;
      return node(negate ? Op::neg : Op::pos, {*operand});
    }
    return power();
  }

  // power: atom ['**' unary] (right-associative, binds tighter than a unary minus on its left)
  Result<NodePtr> power() {
    auto base = atom();
    if (!base || !accept("**"))
      return base;
    auto exponent = unary();
    if (!exponent)
      return exponent;
    return node(Op::pow, {*base, *exponent});
  }

  Result<NodePtr> atom() {
    const Token &t = peek();
    if (t.kind == Token::number) {
      ++pos_;
      auto n = std::make_shared<BanFormula::Node>();
      n->op = Op::number;
      n->number = t.value;
      return NodePtr(n);
    }
    if (accept("(")) {
      auto inner = expression();
      if (!inner)
        return inner;
      if (!accept(")"))
        return unexpected();
      return inner;
    }
    if (t.kind != Token::name)
      return unexpected();
    size_t at = t.at;
    std::string name = tokens_[pos_++].text;
    while (peek().kind == Token::symbol && peek().text == "." &&
           tokens_[pos_ + 1].kind == Token::name) {
      name += "." + tokens_[pos_ + 1].text;
      pos_ += 2;
    }
    if (name == "True" || name == "False") {
      auto n = std::make_shared<BanFormula::Node>();
      n->number = {name == "True" ? 1.0 : 0.0, true};
      return NodePtr(n);
    }
    static const std::map<std::string, Op> kVariables = {
        {"ban.Time", Op::time}, {"ban.Count", Op::count}, {"banFactor", Op::factor}};
    static const std::map<std::string, double> kConstants = {{"math.e", M_E}, {"math.pi", M_PI}};
    static const std::map<std::string, std::pair<Function, std::pair<size_t, size_t>>> kFunctions =
        {{"math.exp", {Function::exp, {1, 1}}},     {"math.log", {Function::log, {1, 2}}},
         {"math.log2", {Function::log2, {1, 1}}},   {"math.log10", {Function::log10, {1, 1}}},
         {"math.sqrt", {Function::sqrt, {1, 1}}},   {"math.pow", {Function::pow, {2, 2}}},
         {"math.floor", {Function::floor, {1, 1}}}, {"math.ceil", {Function::ceil, {1, 1}}},
         {"float", {Function::to_float, {1, 1}}},   {"int", {Function::to_int, {1, 1}}},
         {"min", {Function::min, {1, 64}}},         {"max", {Function::max, {1, 64}}},
         {"abs", {Function::abs, {1, 1}}},          {"round", {Function::round, {1, 1}}}};
    if (auto v = kVariables.find(name); v != kVariables.end())
      return node(v->second, {});
    if (auto c = kConstants.find(name); c != kConstants.end()) {
      auto n = std::make_shared<BanFormula::Node>();
      n->number = {c->second, false};
      return NodePtr(n);
    }
    auto f = kFunctions.find(name);
    if (f == kFunctions.end() || !accept("("))
      return Error::msg("bantime.formula: '" + name + "' at " + std::to_string(at + 1) +
                        (f == kFunctions.end() ? " is not something mcf2b evaluates (ban.Time, "
                                                 "ban.Count, banFactor, math.*, min, max, ...)"
                                               : " must be called"));
    std::vector<NodePtr> args;
    if (!accept(")")) {
      do {
        auto arg = expression();
        if (!arg)
          return arg;
        args.push_back(*arg);
      } while (accept(","));
      if (!accept(")"))
        return unexpected();
    }
    auto [min_args, max_args] = f->second.second;
    if (args.size() < min_args || args.size() > max_args)
      return Error::msg("bantime.formula: " + name + "() at " + std::to_string(at + 1) + " takes " +
                        std::to_string(min_args) + (max_args != min_args ? " or more" : "") +
                        " argument(s), not " + std::to_string(args.size()));
    auto n = std::make_shared<BanFormula::Node>();
    n->op = Op::call;
    n->function = f->second.first;
    n->operands = std::move(args);
    return NodePtr(n);
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

struct Inputs {
  Value time, count, factor;
};

// Python's int() and float() of a value; a failed step (Python would raise) is nullopt.
using Maybe = std::optional<Value>;

bool truthy(const Value &v) {
  return v.v != 0;
}
Value boolean(bool b) {
  return {b ? 1.0 : 0.0, true};
}
bool integral(double d) {
  return std::isfinite(d) && std::floor(d) == d;
}

Maybe call(Function f, const std::vector<Value> &a) {
  auto real = [](double d) { return Maybe(Value{d, false}); };
  switch (f) {
  case Function::exp:
    return real(std::exp(a[0].v));
  case Function::log:
    if (a[0].v <= 0 || (a.size() == 2 && (a[1].v <= 0 || a[1].v == 1)))
      return std::nullopt;
    return real(a.size() == 2 ? std::log(a[0].v) / std::log(a[1].v) : std::log(a[0].v));
  case Function::log2:
    return a[0].v > 0 ? real(std::log2(a[0].v)) : std::nullopt;
  case Function::log10:
    return a[0].v > 0 ? real(std::log10(a[0].v)) : std::nullopt;
  case Function::sqrt:
    return a[0].v >= 0 ? real(std::sqrt(a[0].v)) : std::nullopt;
  case Function::pow:
    return real(std::pow(a[0].v, a[1].v));
  case Function::floor:
    return Value{std::floor(a[0].v), true};
  case Function::ceil:
    return Value{std::ceil(a[0].v), true};
  case Function::to_float:
    return real(a[0].v);
  case Function::to_int:
    return Value{std::trunc(a[0].v), true};
  case Function::min:
  case Function::max: {
    Value best = a[0];
    for (const auto &v : a)
      if (f == Function::min ? v.v < best.v : v.v > best.v)
        best = v;
    return best;
  }
  case Function::abs:
    return Value{std::fabs(a[0].v), a[0].is_int};
  case Function::round:
    return Value{std::nearbyint(a[0].v), true}; // Python rounds half to even, as does the FPU
  }
  return std::nullopt;
}

Maybe arithmetic(Op op, Value l, Value r) {
  const bool ints = l.is_int && r.is_int;
  switch (op) {
  case Op::add:
    return Value{l.v + r.v, ints};
  case Op::sub:
    return Value{l.v - r.v, ints};
  case Op::mul:
    return Value{l.v * r.v, ints};
  case Op::div:
    return r.v == 0 ? Maybe() : Value{l.v / r.v, false};
  case Op::floordiv:
    return r.v == 0 ? Maybe() : Value{std::floor(l.v / r.v), ints};
  case Op::mod:
    return r.v == 0 ? Maybe() : Value{l.v - r.v * std::floor(l.v / r.v), ints};
  case Op::pow:
    if (ints && r.v < 0)
      return Value{std::pow(l.v, r.v), false};
    return Value{std::pow(l.v, r.v), ints};
  case Op::shl:
  case Op::shr:
    // Python shifts integers only, by a count >= 0.
    if (!ints || !integral(l.v) || !integral(r.v) || r.v < 0)
      return std::nullopt;
    return Value{op == Op::shl
                     ? std::ldexp(l.v, static_cast<int>(std::min(r.v, 4096.0)))
                     : std::floor(std::ldexp(l.v, -static_cast<int>(std::min(r.v, 4096.0)))),
                 true};
  case Op::lt:
    return boolean(l.v < r.v);
  case Op::le:
    return boolean(l.v <= r.v);
  case Op::gt:
    return boolean(l.v > r.v);
  case Op::ge:
    return boolean(l.v >= r.v);
  case Op::eq:
    return boolean(l.v == r.v);
  case Op::ne:
    return boolean(l.v != r.v);
  default:
    return std::nullopt;
  }
}

Maybe evaluate_node(const BanFormula::Node &n, const Inputs &in) {
  switch (n.op) {
  case Op::number:
    return n.number;
  case Op::time:
    return in.time;
  case Op::count:
    return in.count;
  case Op::factor:
    return in.factor;
  case Op::neg:
  case Op::pos:
  case Op::logical_not: {
    auto v = evaluate_node(*n.operands[0], in);
    if (!v)
      return v;
    if (n.op == Op::logical_not)
      return boolean(!truthy(*v));
    return Value{n.op == Op::neg ? -v->v : v->v, v->is_int};
  }
  case Op::logical_and:
  case Op::logical_or: {
    // Python's and/or give the deciding operand, not a bool.
    auto l = evaluate_node(*n.operands[0], in);
    if (!l || (n.op == Op::logical_and ? !truthy(*l) : truthy(*l)))
      return l;
    return evaluate_node(*n.operands[1], in);
  }
  case Op::conditional: {
    auto c = evaluate_node(*n.operands[0], in);
    if (!c)
      return c;
    return evaluate_node(*n.operands[truthy(*c) ? 1 : 2], in);
  }
  case Op::call: {
    std::vector<Value> args;
    for (const auto &operand : n.operands) {
      auto v = evaluate_node(*operand, in);
      if (!v)
        return v;
      args.push_back(*v);
    }
    return call(n.function, args);
  }
  default: {
    auto l = evaluate_node(*n.operands[0], in);
    if (!l)
      return l;
    auto r = evaluate_node(*n.operands[1], in);
    if (!r)
      return r;
    return arithmetic(n.op, *l, *r);
  }
  }
}

} // namespace

BanFormula::BanFormula(std::string text, std::shared_ptr<const Node> root)
    : text_(std::move(text)), root_(std::move(root)) {}
BanFormula::BanFormula(BanFormula &&) noexcept = default;
BanFormula &BanFormula::operator=(BanFormula &&) noexcept = default;
BanFormula::BanFormula(const BanFormula &) = default;
BanFormula &BanFormula::operator=(const BanFormula &) = default;
BanFormula::~BanFormula() = default;

Result<BanFormula> BanFormula::parse(std::string_view text) {
  Parser parser(text);
  auto root = parser.parse();
  if (!root)
    return root.error();
  BanFormula formula(std::string(text), *root);
  // A formula that cannot give a number for a plain second ban is no use at all.
  if (!formula.evaluate(600, 1, 1))
    return Error::msg("bantime.formula: '" + std::string(text) +
                      "' gives no number for ban.Time=600, ban.Count=1, banFactor=1");
  return formula;
}

std::optional<double> BanFormula::evaluate(double time, double count, double factor) const {
  Inputs in{{time, true}, {count, true}, {factor, integral(factor)}};
  auto v = evaluate_node(*root_, in);
  if (!v || !std::isfinite(v->v))
    return std::nullopt;
  return v->v;
}

} // namespace mcf2b
