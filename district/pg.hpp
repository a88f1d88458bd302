#pragma once
// Small RAII wrappers over libpq (the C API): a connection, statements with $1… parameters,
// results, transactions. Every failure becomes one pg::Error whose what() is one line: what
// we were doing, then PostgreSQL's own message.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace wardcast::district::pg {

/// A libpq or PostgreSQL failure. what() is "WHAT: MESSAGE" on one line.
class Error : public std::runtime_error {
  public:
    Error(const std::string& what, std::string sqlstate, std::string message);
    /// The SQLSTATE (five characters: "42501", or our own "WC001"…); "" when the server sent
    /// none (the connection failed or was lost).
    const std::string& sqlstate() const noexcept { return sqlstate_; }
    /// PostgreSQL's (or libpq's) message alone, on one line, without what we were doing.
    const std::string& message() const noexcept { return message_; }

  private:
    std::string sqlstate_;
    std::string message_;
};

/// A parameter of a statement: text as PostgreSQL reads it, or NULL.
using Param = std::optional<std::string>;

/// The result of one statement that succeeded. Rows and columns count from 0.
class Result {
  public:
    explicit Result(pg_result* owned) noexcept : result_(owned) {}
    int rows() const noexcept;
    bool is_null(int row, int column) const noexcept;
    /// The value as text ("" for NULL).
    std::string text(int row, int column) const;
    /// The same without a copy, valid as long as this result.
    std::string_view view(int row, int column) const;
    std::optional<std::string> opt_text(int row, int column) const;
    /// The value as an integer; throws std::runtime_error when it is NULL or not one.
    std::int64_t int64(int row, int column) const;
    /// Rows an INSERT, UPDATE or DELETE touched (PQcmdTuples); 0 for other statements.
    std::int64_t affected() const noexcept;

  private:
    struct Clear {
        void operator()(pg_result* r) const noexcept;
    };
    std::unique_ptr<pg_result, Clear> result_;
};

/// One connection to a PostgreSQL server, opened in the constructor, closed in the destructor.
/// Client encoding is always UTF8. Not thread-safe.
class Connection {
  public:
    /// Connects with `conninfo` (a libpq connection string or URI; "" uses the PG* variables),
    /// `application_name` unless the conninfo sets one. Throws Error "cannot connect to
    /// PostgreSQL: REASON" (no SQLSTATE; the password never appears).
    explicit Connection(const std::string& conninfo, const std::string& application_name);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Runs one statement with $1… parameters (text, or NULL), as one unnamed prepared
    /// statement. Throws Error "WHAT: MESSAGE" when it fails.
    Result exec(const std::string& sql, const std::vector<Param>& params, const std::string& what);
    /// As exec, with `bytes` sent as one more parameter, in binary (a bytea $N+1 after the
    /// N text `params`): no hex or escaping doubles it on the wire.
    Result exec_with_bytes(const std::string& sql, const std::vector<Param>& params,
                           std::string_view bytes, const std::string& what);
    /// As exec, with every column of the result in binary: a bytea's view() is its bytes.
    Result exec_binary_result(const std::string& sql, const std::vector<Param>& params,
                              const std::string& what);
    /// Runs SQL without parameters; it may hold several statements (migrations). Throws Error.
    void exec_script(const std::string& sql, const std::string& what);

    /// `name` quoted as an SQL identifier ("long-bien" -> "\"long-bien\"").
    std::string quote_identifier(std::string_view name);
    /// `text` quoted as an SQL string literal.
    std::string quote_literal(std::string_view text);
    /// The SCRAM-SHA-256 verifier of `password` for `role`, computed here, so the password
    /// itself never reaches the server (or its logs).
    std::string scram_verifier(const std::string& password, const std::string& role);

    /// Where the connection went, as libpq reports it: a host name or address, or the folder
    /// of a local socket (beginning with '/').
    std::string host() const;
    std::string port() const;  ///< "5432" when libpq reports none
    std::string dbname() const;
    std::string user() const;

    /// The libpq handle, for what these wrappers do not cover.
    pg_conn* get() const noexcept { return conn_.get(); }

  private:
    struct Finish {
        void operator()(pg_conn* c) const noexcept;
    };
    Error error(const std::string& what, pg_result* result) const;
    Result checked(pg_result* result, const std::string& what) const;
    std::unique_ptr<pg_conn, Finish> conn_;
};

/// BEGIN in the constructor; ROLLBACK in the destructor unless commit() ran.
class Transaction {
  public:
    Transaction(Connection& conn, const std::string& what);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    /// COMMIT; throws Error when it fails (nothing was stored then).
    void commit();

  private:
    Connection& conn_;
    std::string what_;
    bool open_ = true;
};

/// `text` as one line: line breaks and tabs become single spaces, the ends trimmed.
std::string one_line(std::string_view text);

}  // namespace wardcast::district::pg
