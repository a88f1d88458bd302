#include "district/pg.hpp"

#include <libpq-fe.h>

#include <charconv>

namespace wardcast::district::pg {

std::string one_line(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

Error::Error(const std::string& what, std::string sqlstate, std::string message)
    : std::runtime_error(what + ": " + message),
      sqlstate_(std::move(sqlstate)),
      message_(std::move(message)) {}

void Result::Clear::operator()(pg_result* r) const noexcept { PQclear(r); }

int Result::rows() const noexcept { return PQntuples(result_.get()); }

bool Result::is_null(int row, int column) const noexcept {
    return PQgetisnull(result_.get(), row, column) == 1;
}

std::string Result::text(int row, int column) const {
    return std::string(PQgetvalue(result_.get(), row, column),
                       static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::string_view Result::view(int row, int column) const {
    return std::string_view(PQgetvalue(result_.get(), row, column),
                            static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> Result::opt_text(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return text(row, column);
}

std::int64_t Result::int64(int row, int column) const {
    const std::string value = text(row, column);
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
    if (is_null(row, column) || ec != std::errc() || end != value.data() + value.size()) {
        throw std::runtime_error("PostgreSQL returned \"" + value + "\" where a number was due");
    }
    return out;
}

std::int64_t Result::affected() const noexcept {
    const char* n = PQcmdTuples(result_.get());
    std::int64_t out = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), out);
    return out;
}

void Connection::Finish::operator()(pg_conn* c) const noexcept { PQfinish(c); }

namespace {
void ignore_notice(void*, const char*) {}
}  // namespace

Connection::Connection(const std::string& conninfo, const std::string& application_name) {
    // dbname is expanded as a connection string; what follows it overrides it, so the client
    // encoding is always UTF8 (the chain's text is UTF-8 byte for byte).
    const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
    const char* values[] = {conninfo.c_str(), application_name.c_str(), "UTF8", nullptr};
    conn_.reset(PQconnectdbParams(keys, values, 1));
    if (!conn_) throw Error("cannot connect to PostgreSQL", "", "out of memory");
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
        throw Error("cannot connect to PostgreSQL", "", one_line(PQerrorMessage(conn_.get())));
    }
    // NOTICEs ("relation exists, skipping"…) are not for the user's terminal.
    PQsetNoticeProcessor(conn_.get(), ignore_notice, nullptr);
}

Connection::~Connection() = default;

Error Connection::error(const std::string& what, pg_result* result) const {
    if (!result) return Error(what, "", one_line(PQerrorMessage(conn_.get())));
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
    std::string message = one_line(primary ? primary : PQresultErrorMessage(result));
    if (message.empty()) message = one_line(PQerrorMessage(conn_.get()));
    if (detail) message += " (" + one_line(detail) + ")";
    return Error(what, state ? state : "", message);
}

namespace {

// PQexecParams with text parameters (and a binary one last when `bytes`), the result in
// `result_format` (0 text, 1 binary).
pg_result* run(pg_conn* conn, const std::string& sql, const std::vector<Param>& params,
               const std::string_view* bytes, int result_format) {
    std::vector<const char*> values;
    std::vector<int> lengths, formats;
    values.reserve(params.size() + 1);
    for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
    if (bytes) {
        lengths.assign(params.size() + 1, 0);
        formats.assign(params.size() + 1, 0);
        values.push_back(bytes->data());
        lengths.back() = static_cast<int>(bytes->size());
        formats.back() = 1;
    }
    return PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        bytes ? lengths.data() : nullptr, bytes ? formats.data() : nullptr,
                        result_format);
}

}  // namespace

Result Connection::checked(pg_result* r, const std::string& what) const {
    Result result(r);  // owns it, whatever follows
    const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw error(what, r);
    return result;
}

Result Connection::exec(const std::string& sql, const std::vector<Param>& params,
                        const std::string& what) {
    return checked(run(conn_.get(), sql, params, nullptr, 0), what);
}

Result Connection::exec_with_bytes(const std::string& sql, const std::vector<Param>& params,
                                   std::string_view bytes, const std::string& what) {
    return checked(run(conn_.get(), sql, params, &bytes, 0), what);
}

Result Connection::exec_binary_result(const std::string& sql, const std::vector<Param>& params,
                                      const std::string& what) {
    return checked(run(conn_.get(), sql, params, nullptr, 1), what);
}

void Connection::exec_script(const std::string& sql, const std::string& what) {
    pg_result* r = PQexec(conn_.get(), sql.c_str());
    Result result(r);
    const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw error(what, r);
}

std::string Connection::quote_identifier(std::string_view name) {
    char* quoted = PQescapeIdentifier(conn_.get(), name.data(), name.size());
    if (!quoted) throw Error("cannot quote an identifier", "", one_line(PQerrorMessage(get())));
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

std::string Connection::quote_literal(std::string_view text) {
    char* quoted = PQescapeLiteral(conn_.get(), text.data(), text.size());
    if (!quoted) throw Error("cannot quote a literal", "", one_line(PQerrorMessage(get())));
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

std::string Connection::scram_verifier(const std::string& password, const std::string& role) {
    char* verifier =
        PQencryptPasswordConn(conn_.get(), password.c_str(), role.c_str(), "scram-sha-256");
    if (!verifier) {
        throw Error("cannot encrypt the password", "", one_line(PQerrorMessage(get())));
    }
    std::string out(verifier);
    PQfreemem(verifier);
    return out;
}

std::string Connection::host() const {
    const char* h = PQhost(conn_.get());
    return h ? h : "";
}

std::string Connection::port() const {
    const char* p = PQport(conn_.get());
    return p && *p ? p : "5432";
}

std::string Connection::dbname() const {
    const char* d = PQdb(conn_.get());
    return d ? d : "";
}

std::string Connection::user() const {
    const char* u = PQuser(conn_.get());
    return u ? u : "";
}

Transaction::Transaction(Connection& conn, const std::string& what) : conn_(conn), what_(what) {
    conn_.exec("BEGIN", {}, what_);
}

Transaction::~Transaction() {
    if (!open_) return;
    // Best effort: a lost connection rolls back by itself.
    PQclear(PQexec(conn_.get(), "ROLLBACK"));
}

void Transaction::commit() {
    open_ = false;
    conn_.exec("COMMIT", {}, what_);
}

}  // namespace wardcast::district::pg
