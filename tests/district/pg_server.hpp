#pragma once
// A real PostgreSQL 15 for the district's tests: its own cluster in a temporary folder,
// listening on 127.0.0.1 on a free port and on a socket in that folder, stopped and removed
// by the destructor. As root (CI), initdb and pg_ctl run as the user `postgres` (initdb
// refuses root). Local (socket) connections are trusted; TCP ones need a password (SCRAM),
// which is how the wards connect.

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace wardcast::test {

class PgServer {
  public:
    /// Where Debian's postgresql-15 puts its programs.
    static constexpr const char* bin = "/usr/lib/postgresql/15/bin";
    /// The superuser's name and password (TCP connections need it).
    static constexpr const char* superuser = "postgres";
    static constexpr const char* superuser_password = "wardcast-test-superuser";

    /// True when PostgreSQL 15's server programs are installed (else the tests skip).
    static bool installed() {
        namespace fs = std::filesystem;
        return fs::exists(fs::path(bin) / "initdb") && fs::exists(fs::path(bin) / "pg_ctl") &&
               fs::exists(fs::path(bin) / "postgres");
    }

    /// Makes the cluster and starts the server; throws std::runtime_error with the server's
    /// log when it cannot.
    PgServer() {
        std::string templ = std::filesystem::temp_directory_path() / "wardcast-pg-XXXXXX";
        if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;
        as_root_ = ::geteuid() == 0;
        if (as_root_) {
            const passwd* pw = ::getpwnam("postgres");
            if (!pw) throw std::runtime_error("running as root and there is no user postgres");
            uid_ = pw->pw_uid;
            gid_ = pw->pw_gid;
            if (::chown(dir_.c_str(), uid_, gid_) != 0) throw std::runtime_error("chown failed");
        }
        ::chmod(dir_.c_str(), 0700);
        {
            std::ofstream pw(dir_ / "superuser-password");
            pw << superuser_password << '\n';
        }
        if (as_root_) ::chown((dir_ / "superuser-password").c_str(), uid_, gid_);
        run({std::string(bin) + "/initdb", "-D", data(), "-U", superuser, "-E", "UTF8",
             "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
             "--pwfile=" + (dir_ / "superuser-password").string(), "-N"},
            "initdb");
        // A free port can be taken between the look and the start: try a few.
        for (int attempt = 0;; ++attempt) {
            port_ = free_port();
            const int rc = run_status({std::string(bin) + "/pg_ctl", "-D", data(), "-l",
                                       (dir_ / "server.log").string(), "-w", "-t", "120", "-o",
                                       options(), "start"});
            if (rc == 0) break;
            if (attempt == 2) {
                throw std::runtime_error("pg_ctl start failed: " + read(dir_ / "server.log") +
                                         read(dir_ / "commands.log"));
            }
        }
        started_ = true;
        wait_ready();
    }

    ~PgServer() {
        if (started_) {
            run_status({std::string(bin) + "/pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60",
                        "stop"});
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    int port() const { return port_; }

    /// Stops the server (the district down), waiting until it has.
    void stop() {
        if (!started_) return;
        run({std::string(bin) + "/pg_ctl", "-D", data(), "-m", "fast", "-w", "-t", "60", "stop"},
            "pg_ctl stop");
        started_ = false;
    }
    /// Starts it again on the same port (the district back), waiting until it answers.
    void start_again() {
        if (started_) return;
        run({std::string(bin) + "/pg_ctl", "-D", data(), "-l", (dir_ / "server.log").string(), "-w",
             "-t", "120", "-o", options(), "start"},
            "pg_ctl start");
        started_ = true;
        wait_ready();
    }
    /// The folder holding the server's socket.
    const std::filesystem::path& dir() const { return dir_; }

    /// The superuser through the local socket (trusted): as `sudo -u postgres psql` would.
    std::string local_conninfo(const std::string& dbname) const {
        return "host=" + dir_.string() + " port=" + std::to_string(port_) + " user=" + superuser +
               " dbname=" + dbname;
    }
    /// The superuser over TCP with its password (SCRAM), as a remote administrator.
    std::string tcp_conninfo(const std::string& dbname) const {
        return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + superuser +
               " password=" + superuser_password + " dbname=" + dbname;
    }

  private:
    std::string data() const { return (dir_ / "data").string(); }
    std::string options() const {
        return "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
               " -c unix_socket_directories=" + dir_.string() +
               " -c fsync=off -c max_connections=40";
    }

    static std::string read(const std::filesystem::path& path) {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }

    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        socklen_t len = sizeof addr;
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            if (fd >= 0) ::close(fd);
            throw std::runtime_error("cannot find a free port");
        }
        ::close(fd);
        return ntohs(addr.sin_port);
    }

    // Runs argv as postgres (when root), its output appended to commands.log; its exit status.
    int run_status(const std::vector<std::string>& argv) const {
        // Everything the child needs is made before fork: after it, only async-signal-safe calls.
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const int log = ::open((dir_ / "commands.log").c_str(),
                               O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        const pid_t pid = ::fork();
        if (pid == 0) {
            if (log >= 0) {
                ::dup2(log, 1);
                ::dup2(log, 2);
            }
            if (as_root_ &&
                (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0)) {
                ::_exit(126);
            }
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        if (log >= 0) ::close(log);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    void run(const std::vector<std::string>& argv, const std::string& what) const {
        if (run_status(argv) != 0) {
            throw std::runtime_error(what + " failed: " + read(dir_ / "commands.log"));
        }
    }

    // pg_ctl -w waited already; this also proves the socket answers, with a generous deadline.
    void wait_ready() const {
        const std::string conninfo = local_conninfo("postgres") + " connect_timeout=5";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (PQping(conninfo.c_str()) != PQPING_OK) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("PostgreSQL did not accept connections within 120 s: " +
                                         read(dir_ / "server.log"));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    std::filesystem::path dir_;
    bool as_root_ = false;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    int port_ = 0;
    bool started_ = false;
};

}  // namespace wardcast::test
