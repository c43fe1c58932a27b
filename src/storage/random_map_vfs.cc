#include "storage/random_map_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <utility>

namespace medlake::storage {
namespace {

constexpr const char* kVfsName = "medlake-random-map";

std::atomic<uint64_t> g_fetches{0};

// A file's map, one per file (device and inode) and process, shared by every open of the file.
// Page tables belong to a map: were each open (each pooled reader) to map the file itself, each
// would fault every page in again, and a lookup would mostly land on pages its own map had not
// touched yet.
struct SharedMap {
  void* map = nullptr;
  sqlite3_int64 size = 0;
  int opens = 0;  // guarded by MapsMutex()
  // One bit per 512 bytes of the file (the smallest database page), set once the database page
  // starting there was asked for ahead of its first touch (see AskAhead).
  std::unique_ptr<std::atomic<uint64_t>[]> asked;
  sqlite3_int64 asked_units = 0;
};
constexpr sqlite3_int64 kAskUnit = 512;

std::mutex& MapsMutex() {
  static auto* mu = new std::mutex();
  return *mu;
}
std::map<std::pair<dev_t, ino_t>, SharedMap*>& Maps() {
  static auto* maps = new std::map<std::pair<dev_t, ino_t>, SharedMap*>();
  return *maps;
}

// One open file: our methods in front, the default VFS's file right behind (SQLite allocates
// szOsFile bytes for both), and for the main database file our own descriptor and the file's
// shared map.
struct MapFile {
  sqlite3_file base;
  sqlite3_file* real;
  int fd;             // -1 when the file is not mapped by us (journals, temp files, open failure)
  SharedMap* shared;  // nullptr until the first fetch, or when mapping failed
  std::pair<dev_t, ino_t> id;
  void* map;          // shared->map, or nullptr
  sqlite3_int64 map_size;
  bool map_tried;
};

constexpr size_t kRealOffset = (sizeof(MapFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) *
                               alignof(std::max_align_t);

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
MapFile* Self(sqlite3_file* f) { return reinterpret_cast<MapFile*>(f); }
sqlite3_file* RealFile(sqlite3_file* f) { return Self(f)->real; }

// --- the file's methods: everything but fetching goes to the default VFS's file ---

int Close(sqlite3_file* f) {
  MapFile* m = Self(f);
  if (m->shared != nullptr) {
    SharedMap* gone = nullptr;
    {
      std::lock_guard<std::mutex> lock(MapsMutex());
      if (--m->shared->opens == 0) {
        gone = m->shared;
        Maps().erase(m->id);
      }
    }
    if (gone != nullptr) {
      ::munmap(gone->map, static_cast<size_t>(gone->size));
      delete gone;
    }
  }
  if (m->fd >= 0) ::close(m->fd);
  m->shared = nullptr;
  m->map = nullptr;
  m->fd = -1;
  return m->real->pMethods->xClose(m->real);
}
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return RealFile(f)->pMethods->xRead(RealFile(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  return RealFile(f)->pMethods->xWrite(RealFile(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return RealFile(f)->pMethods->xTruncate(RealFile(f), size); }
int Sync(sqlite3_file* f, int flags) { return RealFile(f)->pMethods->xSync(RealFile(f), flags); }
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return RealFile(f)->pMethods->xFileSize(RealFile(f), size); }
int Lock(sqlite3_file* f, int level) { return RealFile(f)->pMethods->xLock(RealFile(f), level); }
int Unlock(sqlite3_file* f, int level) { return RealFile(f)->pMethods->xUnlock(RealFile(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return RealFile(f)->pMethods->xCheckReservedLock(RealFile(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return RealFile(f)->pMethods->xFileControl(RealFile(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return RealFile(f)->pMethods->xSectorSize(RealFile(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return RealFile(f)->pMethods->xDeviceCharacteristics(RealFile(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  const sqlite3_io_methods* r = RealFile(f)->pMethods;
  return r->iVersion >= 2 && r->xShmMap ? r->xShmMap(RealFile(f), region, size, extend, out) : SQLITE_IOERR_SHMMAP;
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  const sqlite3_io_methods* r = RealFile(f)->pMethods;
  return r->iVersion >= 2 && r->xShmLock ? r->xShmLock(RealFile(f), offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}
void ShmBarrier(sqlite3_file* f) {
  const sqlite3_io_methods* r = RealFile(f)->pMethods;
  if (r->iVersion >= 2 && r->xShmBarrier) r->xShmBarrier(RealFile(f));
}
int ShmUnmap(sqlite3_file* f, int remove) {
  const sqlite3_io_methods* r = RealFile(f)->pMethods;
  return r->iVersion >= 2 && r->xShmUnmap ? r->xShmUnmap(RealFile(f), remove) : SQLITE_OK;
}

// Takes the file's shared map, mapping the whole file when this process has no map of it yet,
// advised for random access. On any failure the map stays absent and SQLite reads pages with
// xRead instead (a null fetch result is always allowed).
void MapOnce(MapFile* m) {
  if (m->map_tried) return;
  m->map_tried = true;
  if (m->fd < 0) return;
  struct stat st {};
  if (::fstat(m->fd, &st) != 0 || st.st_size <= 0) return;
  const std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
  std::lock_guard<std::mutex> lock(MapsMutex());
  auto it = Maps().find(id);
  // (A file never changes once in place, so a map of the same inode has its size.)
  if (it != Maps().end() && it->second->size == st.st_size) {
    ++it->second->opens;
    m->shared = it->second;
  } else {
    if (it != Maps().end()) return;  // not the file mapped under its identity: read it instead
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, m->fd, 0);
    if (p == MAP_FAILED) return;
    (void)::madvise(p, static_cast<size_t>(st.st_size), MADV_RANDOM);
    auto shared = std::make_unique<SharedMap>();
    shared->map = p;
    shared->size = st.st_size;
    shared->opens = 1;
    shared->asked_units = st.st_size / kAskUnit + 1;
    shared->asked.reset(new (std::nothrow) std::atomic<uint64_t>[static_cast<size_t>((shared->asked_units + 63) / 64)]());
    m->shared = shared.get();
    Maps().emplace(id, shared.release());
  }
  m->id = id;
  m->map = m->shared->map;
  m->map_size = m->shared->size;
}

// The first time a database page is fetched, the kernel is asked for the whole of it at once
// (MADV_WILLNEED: one read of the page's 4 KiB pages together). Without it, MADV_RANDOM would
// fault the halves of an 8 KiB page in one at a time, each its own disk read, as a lookup
// touches the page header and then a cell further in. Asked once per page and process (the map
// is shared): a page evicted since is faulted in as MADV_RANDOM says, which costs more reads but
// nothing else.
void AskAhead(MapFile* m, sqlite3_int64 off, int n) {
  SharedMap* shared = m->shared;
  if (shared->asked == nullptr) return;
  const sqlite3_int64 unit = off / kAskUnit;
  if (unit >= shared->asked_units) return;
  std::atomic<uint64_t>& word = shared->asked[static_cast<size_t>(unit / 64)];
  const uint64_t bit = uint64_t{1} << (unit % 64);
  if ((word.load(std::memory_order_relaxed) & bit) != 0) return;
  if ((word.fetch_or(bit, std::memory_order_relaxed) & bit) != 0) return;
  static const sqlite3_int64 os_page = ::sysconf(_SC_PAGESIZE);
  const sqlite3_int64 begin = off / os_page * os_page;
  const sqlite3_int64 end = std::min(m->map_size, (off + n + os_page - 1) / os_page * os_page);
  if (end - begin > os_page) {
    (void)::madvise(static_cast<char*>(m->map) + begin, static_cast<size_t>(end - begin), MADV_WILLNEED);
  }
}

int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  MapFile* m = Self(f);
  *out = nullptr;
  MapOnce(m);
  if (m->map != nullptr && off >= 0 && n > 0 && off + n <= m->map_size) {
    AskAhead(m, off, n);
    *out = static_cast<char*>(m->map) + off;
    g_fetches.fetch_add(1, std::memory_order_relaxed);
  }
  return SQLITE_OK;
}

// Pages stay valid while the file is open (it never changes), so giving one back is free.
int Unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,        Close,   Read,    Write,  Truncate, Sync,       FileSize, Lock,     Unlock,
    CheckReservedLock, FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock,
    ShmBarrier, ShmUnmap, Fetch, Unfetch,
};

// --- the VFS: opening wraps the default VFS's file; everything else is the default VFS's ---

int Open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  MapFile* m = Self(file);
  m->base.pMethods = nullptr;
  m->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  m->fd = -1;
  m->shared = nullptr;
  m->id = {};
  m->map = nullptr;
  m->map_size = 0;
  m->map_tried = false;
  int rc = Real(vfs)->xOpen(Real(vfs), name, m->real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  // Only a read-only main database is mapped by us; anything written goes the default way.
  if (name != nullptr && (flags & SQLITE_OPEN_MAIN_DB) != 0 && (flags & SQLITE_OPEN_READONLY) != 0) {
    m->fd = ::open(name, O_RDONLY | O_CLOEXEC);
  }
  m->base.pMethods = &kMethods;
  return SQLITE_OK;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) { return Real(vfs)->xDelete(Real(vfs), name, sync_dir); }
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Real(vfs)->xAccess(Real(vfs), name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Real(vfs)->xFullPathname(Real(vfs), name, n, out);
}
void* DlOpen(sqlite3_vfs* vfs, const char* name) { return Real(vfs)->xDlOpen(Real(vfs), name); }
void DlError(sqlite3_vfs* vfs, int n, char* out) { Real(vfs)->xDlError(Real(vfs), n, out); }
void (*DlSym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return Real(vfs)->xDlSym(Real(vfs), handle, symbol);
}
void DlClose(sqlite3_vfs* vfs, void* handle) { Real(vfs)->xDlClose(Real(vfs), handle); }
int Randomness(sqlite3_vfs* vfs, int n, char* out) { return Real(vfs)->xRandomness(Real(vfs), n, out); }
int Sleep(sqlite3_vfs* vfs, int micros) { return Real(vfs)->xSleep(Real(vfs), micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) { return Real(vfs)->xCurrentTime(Real(vfs), out); }
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Real(vfs)->xGetLastError ? Real(vfs)->xGetLastError(Real(vfs), n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  sqlite3_vfs* r = Real(vfs);
  if (r->iVersion >= 2 && r->xCurrentTimeInt64) return r->xCurrentTimeInt64(r, out);
  double day = 0;
  int rc = r->xCurrentTime(r, &day);
  *out = static_cast<sqlite3_int64>(day * 86400000.0);
  return rc;
}

sqlite3_vfs* Register() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr) return nullptr;
  auto* vfs = new sqlite3_vfs{};  // lives as long as the process: SQLite keeps the pointer
  vfs->iVersion = 2;
  vfs->szOsFile = static_cast<int>(kRealOffset) + real->szOsFile;
  vfs->mxPathname = real->mxPathname;
  vfs->zName = kVfsName;
  vfs->pAppData = real;
  vfs->xOpen = Open;
  vfs->xDelete = Delete;
  vfs->xAccess = Access;
  vfs->xFullPathname = FullPathname;
  vfs->xDlOpen = DlOpen;
  vfs->xDlError = DlError;
  vfs->xDlSym = DlSym;
  vfs->xDlClose = DlClose;
  vfs->xRandomness = Randomness;
  vfs->xSleep = Sleep;
  vfs->xCurrentTime = CurrentTime;
  vfs->xGetLastError = GetLastError;
  vfs->xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(vfs, 0) != SQLITE_OK) {
    delete vfs;
    return nullptr;
  }
  return vfs;
}

}  // namespace

const char* RandomMapVfsName() {
  static sqlite3_vfs* vfs = Register();
  // Without it (SQLite could not register a VFS) the default VFS serves the file as before.
  return vfs != nullptr ? kVfsName : nullptr;
}

uint64_t RandomMapVfsFetches() { return g_fetches.load(std::memory_order_relaxed); }

size_t RandomMapVfsMappedFiles() {
  std::lock_guard<std::mutex> lock(MapsMutex());
  return Maps().size();
}

std::optional<bool> RandomMapFileUnlinked(sqlite3* db) {
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || file == nullptr ||
      file->pMethods != &kMethods) {
    return std::nullopt;
  }
  const MapFile* m = Self(file);
  struct stat st {};
  if (m->fd < 0 || ::fstat(m->fd, &st) != 0) return std::nullopt;
  return st.st_nlink == 0;
}

}  // namespace medlake::storage
