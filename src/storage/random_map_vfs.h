// storage/random_map_vfs.h: a SQLite VFS for read-only files looked up at random (key indexes):
// the default VFS in every respect except memory-mapped reads, which it serves from a map of
// its own advised MADV_RANDOM, one map per file and process shared by every connection that has
// the file open (page tables belong to a map: a map per connection would fault each page in
// once per pooled reader).
//
// Why: a page fault on an ordinary file map makes the kernel read around the faulting page,
// as much as the device's readahead setting (128 KiB by default, 8 MiB on some virtual disks)
// for each of a file's first hundred or so misses. A B-tree lookup in a cold file touches three
// or four pages far apart, so nearly all of that read-around is wasted I/O that delays the
// lookup and pushes useful pages out of the page cache. With MADV_RANDOM a fault reads only the
// pages touched. Warm lookups keep what the map gives: no copy into SQLite's page cache.
//
// Use: open the database with zVfs = RandomMapVfsName() and a non-zero `PRAGMA mmap_size` (the
// pager fetches pages through the VFS only then). The file must not change while open (open it
// with `immutable=1`); the whole file is mapped at the first fetch, whatever mmap_size says.
//
// Thread-safety: registration is once per process and thread-safe; a file is used by one
// connection, as SQLite files are; the shared maps are taken and given back under a lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

struct sqlite3;

namespace medlake::storage {

// Registers the VFS on first use (not as the default) and returns its name.
const char* RandomMapVfsName();

// Pages handed to SQLite from the VFS's maps since the process started (a test seam: it shows
// the map is in use, where SQLite would otherwise fall back to its own map or to reads).
uint64_t RandomMapVfsFetches();

// Files mapped now (each once, however many connections have it open): a test seam.
size_t RandomMapVfsMappedFiles();

// Whether the main database file of `db` (opened read-only through this VFS) was unlinked
// since it was opened (its own descriptor's link count is 0: deleted, or replaced by a rename);
// nullopt when `db`'s file is not one this VFS keeps a descriptor of. One fstat, no path lookup.
std::optional<bool> RandomMapFileUnlinked(sqlite3* db);

}  // namespace medlake::storage
