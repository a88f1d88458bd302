#pragma once
// An SQLite VFS over the real one whose writes can be made to fail as a full disk, an I/O
// error or a read-only file system fail them: what the broadcast log must air through.

#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace wardcast::test {

/// While alive, the default VFS of this process: every file SQLite opens goes through it.
/// `fail_writes(code)` makes each write, truncate and sync return `code` (SQLITE_FULL,
/// SQLITE_IOERR_WRITE, ...) until `heal()`. Reads always work.
class FaultyVfs {
  public:
    FaultyVfs() {
        real_ = sqlite3_vfs_find(nullptr);
        vfs_ = *real_;
        vfs_.zName = "wardcast-faulty";
        vfs_.szOsFile = static_cast<int>(sizeof(File)) + real_->szOsFile;
        vfs_.pAppData = this;
        vfs_.xOpen = &open;
        sqlite3_vfs_register(&vfs_, 1);
    }
    ~FaultyVfs() {
        sqlite3_vfs_unregister(&vfs_);
        sqlite3_vfs_register(real_, 1);
    }
    FaultyVfs(const FaultyVfs&) = delete;
    FaultyVfs& operator=(const FaultyVfs&) = delete;

    void fail_writes(int code) { failure_ = code; }
    void heal() { failure_ = SQLITE_OK; }
    /// Writes refused since construction.
    int refused() const { return refused_; }

  private:
    struct File {
        sqlite3_file base;
        FaultyVfs* owner;
        sqlite3_file* real;  // right after this struct, szOsFile bytes
        sqlite3_io_methods methods;
    };

    static File& self(sqlite3_file* f) { return *reinterpret_cast<File*>(f); }
    static sqlite3_file* real(sqlite3_file* f) { return self(f).real; }
    int refuse() {
        const int code = failure_;
        if (code != SQLITE_OK) ++refused_;
        return code;
    }

    static int open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                    int* out_flags) {
        auto* owner = static_cast<FaultyVfs*>(vfs->pAppData);
        File& f = self(file);
        std::memset(&f, 0, sizeof f);
        f.owner = owner;
        f.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + sizeof(File));
        const int rc = owner->real_->xOpen(owner->real_, name, f.real, flags, out_flags);
        if (rc != SQLITE_OK || !f.real->pMethods) {
            f.base.pMethods = nullptr;
            return rc;
        }
        f.methods = *f.real->pMethods;
        f.methods.xClose = [](sqlite3_file* x) { return real(x)->pMethods->xClose(real(x)); };
        f.methods.xRead = [](sqlite3_file* x, void* buf, int n, sqlite3_int64 at) {
            return real(x)->pMethods->xRead(real(x), buf, n, at);
        };
        f.methods.xWrite = [](sqlite3_file* x, const void* buf, int n, sqlite3_int64 at) {
            if (int rc = self(x).owner->refuse()) return rc;
            return real(x)->pMethods->xWrite(real(x), buf, n, at);
        };
        f.methods.xTruncate = [](sqlite3_file* x, sqlite3_int64 size) {
            if (int rc = self(x).owner->refuse()) return rc;
            return real(x)->pMethods->xTruncate(real(x), size);
        };
        f.methods.xSync = [](sqlite3_file* x, int flags) {
            if (int rc = self(x).owner->refuse()) return rc;
            return real(x)->pMethods->xSync(real(x), flags);
        };
        f.methods.xFileSize = [](sqlite3_file* x, sqlite3_int64* size) {
            return real(x)->pMethods->xFileSize(real(x), size);
        };
        f.methods.xLock = [](sqlite3_file* x, int l) {
            return real(x)->pMethods->xLock(real(x), l);
        };
        f.methods.xUnlock = [](sqlite3_file* x, int l) {
            return real(x)->pMethods->xUnlock(real(x), l);
        };
        f.methods.xCheckReservedLock = [](sqlite3_file* x, int* out) {
            return real(x)->pMethods->xCheckReservedLock(real(x), out);
        };
        f.methods.xFileControl = [](sqlite3_file* x, int op, void* arg) {
            return real(x)->pMethods->xFileControl(real(x), op, arg);
        };
        f.methods.xSectorSize = [](sqlite3_file* x) {
            return real(x)->pMethods->xSectorSize(real(x));
        };
        f.methods.xDeviceCharacteristics = [](sqlite3_file* x) {
            return real(x)->pMethods->xDeviceCharacteristics(real(x));
        };
        f.methods.xShmMap = [](sqlite3_file* x, int page, int size, int extend,
                               void volatile** out) {
            return real(x)->pMethods->xShmMap(real(x), page, size, extend, out);
        };
        f.methods.xShmLock = [](sqlite3_file* x, int offset, int n, int flags) {
            return real(x)->pMethods->xShmLock(real(x), offset, n, flags);
        };
        f.methods.xShmBarrier = [](sqlite3_file* x) { real(x)->pMethods->xShmBarrier(real(x)); };
        f.methods.xShmUnmap = [](sqlite3_file* x, int drop) {
            return real(x)->pMethods->xShmUnmap(real(x), drop);
        };
        // Memory-mapped I/O would bypass xRead: leave it off (the log does not use it).
        f.methods.iVersion = 2;
        f.methods.xFetch = nullptr;
        f.methods.xUnfetch = nullptr;
        f.base.pMethods = &f.methods;
        return SQLITE_OK;
    }

    sqlite3_vfs* real_ = nullptr;
    sqlite3_vfs vfs_{};
    std::atomic<int> failure_{SQLITE_OK};
    std::atomic<int> refused_{0};
};

}  // namespace wardcast::test
