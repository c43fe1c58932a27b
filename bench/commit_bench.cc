// bench/commit_bench.cc: latency of small append commits (storage::CommitTableChange, one tiny
// data file per commit) on a table whose history already holds L snapshots, for several L.
// See bench/README.md for figures.
//
//   commit_bench [--dir=/tmp/medlake-commit-bench] [--levels=10,1000,10000] [--samples=200]
//                [--organic-max=1000] [--merge=on|off] [--tail=50] [--cycle=100]
//                [--metadata-codec=none|gzip]
//
// History of L snapshots is built by L real commits when L <= --organic-max; above that it is
// seeded: the bench writes what L append commits would leave directly with storage's writers,
// because building it by real commits costs O(L^2). With --merge=on (the default: Iceberg's
// manifest merging, min-count-to-merge 100) the seeded list holds one merged manifest with every
// file but the newest --tail ones, plus --tail one-entry manifests: the state merging leaves
// between two merges. With --merge=off the table property commit.manifest-merge.enabled is false
// and the list holds L one-entry manifests (the state before merging existed).
//
// Two measurements per level:
// - samples: every timed commit lands on exactly L snapshots: after it, the catalog pointer is
//   swapped back and the new metadata version, manifest list and manifests are deleted (outside
//   the timing). Each sample therefore sees the same manifest list.
// - cycle: then --cycle commits in a row without rollback (L to L + cycle snapshots), which with
//   merging on includes the commit that merges; its latency is reported on its own.
// The data files named by the commits do not exist: a commit never reads them.
// Nothing is deleted until all timing is done (rolled-back metadata files are moved aside, each
// level has its own folder): on ext4 without a journal, this machine's disk, a file created in
// the minute (up to five) after many deletions pays a scan past every recently deleted inode.
// For the same reason, leave a few minutes between runs: each run deletes its files at the end.
// --metadata-codec sets the table property write.metadata.compression-codec (none: Iceberg's
// default; gzip: v<N>.gz.metadata.json, written from kept compressed runs, metadata_file.h).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/file_system.h"
#include "storage/catalog.h"
#include "storage/iceberg/metadata_file.h"
#include "storage/iceberg/table_metadata.h"
#include "storage/lake.h"
#include "storage/manifest.h"
#include "storage/table.h"

namespace medlake::bench {
namespace {

namespace ib = storage::iceberg;

const storage::TableIdentifier kId{"bench", "events"};

std::string LongBytes(int64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return out;
}

// A data file entry as an INSERT of 100 rows would produce (stats for both columns).
ib::DataFile FakeDataFile(const std::string& root, int64_t k) {
  ib::DataFile f;
  f.file_path = root + "/data/00000-" + std::to_string(k) + "-bench.parquet";
  f.record_count = 100;
  f.file_size_in_bytes = 1500;
  for (int32_t id : {1, 2}) {
    f.column_sizes[id] = 600;
    f.value_counts[id] = 100;
    f.null_value_counts[id] = 0;
  }
  f.lower_bounds[1] = LongBytes(k * 100);
  f.upper_bounds[1] = LongBytes(k * 100 + 99);
  f.lower_bounds[2] = "event-a";
  f.upper_bounds[2] = "event-z";
  return f;
}

void WritePlain(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) {
    std::fprintf(stderr, "writing %s failed\n", path.c_str());
    std::exit(1);
  }
}

// Writes the state L append commits leave on top of `base` (which has exactly one snapshot).
// merge: the newest `tail` files in one-entry manifests, all older ones in one merged manifest
// (written by the snapshot that merged them); otherwise one manifest per file.
std::unique_ptr<storage::LakeTable> Seed(storage::Catalog& catalog, FileSystem& fs,
                                         const storage::LakeTable& base, int64_t level, bool merge,
                                         int64_t tail) {
  ib::TableMetadata m = base.metadata();
  const ib::MetadataCodec codec = Take(ib::MetadataCodecOf(m.properties), "codec");
  const ib::Snapshot first = m.snapshots.at(0);
  const ib::Schema* schema = Take(ib::CurrentSchema(m), "schema");
  const ib::PartitionSpec* spec = Take(ib::DefaultPartitionSpec(m), "spec");
  const std::string meta_dir = base.local_root() + "/metadata/";
  auto first_list = Take(ib::ReadManifestList(Take(fs.ReadFile(first.manifest_list), "list")),
                         "parsing list");
  auto sid_of = [&](int64_t seq) { return seq == 1 ? first.snapshot_id : 0x10000000 + seq * 7919; };
  const int64_t merged_upto = merge ? std::max<int64_t>(1, level - tail) : 0;  // files 1..merged_upto
  std::vector<ib::ManifestFile> manifests;  // newest first, as commits keep them
  if (merged_upto >= 2) {
    std::vector<ib::ManifestEntry> entries;
    for (const auto& mf : first_list) {
      for (auto e : Take(ib::ReadManifest(Take(fs.ReadFile(mf.manifest_path), "manifest"), *schema, *spec, mf),
                         "reading first manifest")) {
        e.status = ib::ManifestEntryStatus::kExisting;
        e.file_sequence_number = e.sequence_number;
        entries.push_back(std::move(e));
      }
    }
    for (int64_t seq = 2; seq <= merged_upto; ++seq) {
      ib::ManifestEntry e;
      e.status = ib::ManifestEntryStatus::kExisting;
      e.snapshot_id = sid_of(seq);
      e.sequence_number = e.file_sequence_number = seq;
      e.data_file = FakeDataFile(base.local_root(), seq);
      entries.push_back(std::move(e));
    }
    auto w = Take(ib::WriteManifest(*schema, *spec, ib::ManifestContent::kData, sid_of(merged_upto), entries),
                  "writing merged manifest");
    w.summary.manifest_path = meta_dir + "seed-merged-g0.avro";
    w.summary.manifest_length = static_cast<int64_t>(w.bytes.size());
    w.summary.sequence_number = merged_upto;
    WritePlain(w.summary.manifest_path, w.bytes);
    manifests.push_back(w.summary);
  } else {
    manifests = first_list;
  }
  int64_t parent = first.snapshot_id;
  const int64_t t0 = first.timestamp_ms;
  for (int64_t seq = 2; seq <= level; ++seq) {
    const int64_t sid = sid_of(seq);
    const std::string tag = "seed-" + std::to_string(seq);
    if (seq > merged_upto) {
      ib::ManifestEntry e;
      e.data_file = FakeDataFile(base.local_root(), seq);
      auto w = Take(ib::WriteManifest(*schema, *spec, ib::ManifestContent::kData, sid, {e}),
                    "writing manifest");
      w.summary.manifest_path = meta_dir + tag + "-m0.avro";
      w.summary.manifest_length = static_cast<int64_t>(w.bytes.size());
      w.summary.sequence_number = seq;
      w.summary.min_sequence_number = seq;
      WritePlain(w.summary.manifest_path, w.bytes);
      manifests.insert(manifests.begin(), w.summary);
    }
    ib::Snapshot s = first;
    s.snapshot_id = sid;
    s.parent_snapshot_id = parent;
    s.sequence_number = seq;
    s.timestamp_ms = t0 + seq;
    s.manifest_list = meta_dir + "snap-" + std::to_string(sid) + "-1-" + tag + ".avro";
    s.summary["total-records"] = std::to_string(seq * 100);
    s.summary["total-data-files"] = std::to_string(seq);
    m.snapshots.push_back(s);
    m.snapshot_log.push_back({s.timestamp_ms, sid});
    m.metadata_log.push_back({s.timestamp_ms, meta_dir + "v" + std::to_string(seq) + ib::MetadataFileSuffix(codec)});
    parent = sid;
  }
  if (m.metadata_log.size() > 100) {
    m.metadata_log.erase(m.metadata_log.begin(),
                         m.metadata_log.end() - 100);
  }
  const ib::Snapshot& last = m.snapshots.back();
  WritePlain(last.manifest_list,
             Take(ib::WriteManifestList(manifests, last.snapshot_id, last.parent_snapshot_id,
                                        level),
                  "writing manifest list"));
  m.current_snapshot_id = last.snapshot_id;
  m.refs[ib::kMainBranch].snapshot_id = last.snapshot_id;
  m.last_sequence_number = level;
  m.last_updated_ms = last.timestamp_ms;
  const std::string path = meta_dir + "v" + std::to_string(level + 1) + ib::MetadataFileSuffix(codec);
  WritePlain(path, ib::SerializeMetadataFile(m, codec));
  Check(catalog.CommitTable(kId, base.metadata_location(), path), "seeding catalog pointer");
  return Take(storage::LakeTable::Load(catalog, fs, kId), "loading seeded table");
}

struct LevelResult {
  int64_t level = 0;
  std::string history;
  std::vector<double> commit_ms;
  std::vector<double> cycle_ms;  // consecutive commits without rollback
  std::vector<double> cycle_load_ms;  // LakeTable::Load before each, as the next statement does
  double merge_ms = -1;          // the cycle's commit that merged manifests (-1: none did)
  double read_manifests_ms = 0;  // read + decode current list and every manifest
  double serialize_ms = 0;       // SerializeMetadataFile (kept runs warm, as in a commit)
  double parse_ms = 0;           // ParseMetadataFile (LakeTable::Load, per SQL statement)
  double swap_ms = 0;            // catalog CommitTable (SQLite)
  double copy_ms = 0;            // copying and freeing the in-memory metadata (a commit's base)
  double durable_ms = 0;         // writing a file of the metadata's size + fdatasync + dir fsync
  size_t metadata_bytes = 0;
  size_t manifests = 0;
};

std::vector<ib::ManifestFile> CurrentList(FileSystem& fs, const storage::LakeTable& t) {
  const ib::Snapshot* snap = Take(ib::CurrentSnapshot(t.metadata()), "snapshot");
  return Take(ib::ReadManifestList(Take(fs.ReadFile(snap->manifest_list), "list")), "list");
}

LevelResult RunLevel(const std::string& dir, int64_t level, int samples, int64_t organic_max,
                     bool merge, int64_t tail, int cycle, const std::string& codec_name) {
  LevelResult out;
  out.level = level;
  const std::string trash = dir + "-set-aside";
  std::filesystem::create_directories(trash);
  LocalFileSystem& fs = LocalFileSystem::Default();
  auto lake = Take(storage::Lake::Create(dir), "creating lake");
  auto catalog = Take(storage::Catalog::Open(lake->catalog_path()), "opening catalog");
  Check(catalog->CreateNamespace("bench"), "creating namespace");
  storage::CreateTableRequest req;
  req.id = kId;
  req.schema = Take(ib::ParseSchemaJson(
                        R"({"type":"struct","schema-id":0,"fields":[)"
                        R"({"id":1,"name":"id","required":false,"type":"long"},)"
                        R"({"id":2,"name":"note","required":false,"type":"string"}]})"),
                    "schema");
  req.properties[storage::kManifestMergeEnabled] = merge ? "true" : "false";
  req.properties[ib::kMetadataCompressionCodec] = codec_name;
  const ib::MetadataCodec codec = Take(ib::MetadataCodecOf(req.properties), "codec");
  auto table = Take(storage::CreateLakeTable(*catalog, fs, lake->warehouse_path(), req), "create");
  int64_t next_file = 1;
  auto append = [&](const storage::LakeTable& base) {
    storage::TableChange change;
    change.added_data_files.push_back(FakeDataFile(base.local_root(), 1'000'000 + next_file++));
    return Take(storage::CommitTableChange(*catalog, fs, base, change), "commit");
  };

  std::vector<double> build_ms;
  const bool organic = level <= organic_max;
  double tb = NowMs();
  table = append(*table);
  if (organic) {
    for (int64_t i = 1; i < level; ++i) {
      double t0 = NowMs();
      table = append(*table);
      build_ms.push_back(NowMs() - t0);
    }
    out.history = "organic";
  } else {
    table = Seed(*catalog, fs, *table, level, merge, tail);
    out.history = merge ? "seeded, tail " + std::to_string(tail) : "seeded";
  }
  std::printf("  built %lld snapshots (%s) in %.1f s", static_cast<long long>(level),
              out.history.c_str(), (NowMs() - tb) / 1000);
  if (!build_ms.empty()) {
    std::vector<double> last(build_ms.end() - std::max<long>(1, static_cast<long>(build_ms.size()) / 10),
                             build_ms.end());
    std::printf("; last 10%% of build commits p50 %.2f ms", Quantile(last, 0.5));
  }
  std::printf("\n");

  std::vector<double> swap;
  for (int i = 0; i < samples; ++i) {
    double t0 = NowMs();
    auto next = append(*table);
    out.commit_ms.push_back(NowMs() - t0);
    // Roll back so that every sample commits on exactly `level` snapshots.
    double t1 = NowMs();
    Check(catalog->CommitTable(kId, next->metadata_location(), table->metadata_location()),
          "rolling back");
    swap.push_back(NowMs() - t1);
    // The new manifests and list stay (orphans); the metadata file is moved aside so that the
    // next sample takes the same version number. Nothing is deleted while timing: on ext4
    // without a journal (this machine's disk) a file created within ~60 s of many deletions
    // pays a scan past every recently deleted inode, which grows with the deletions.
    std::filesystem::rename(next->metadata_location(),
                            trash + "/rolled-back-" + std::to_string(i) + ".metadata.json");
  }
  out.swap_ms = Quantile(swap, 0.5);

  // Breakdown of what a commit does that depends on history (medians of a few runs).
  {
    const ib::TableMetadata& m = table->metadata();
    std::vector<double> read, ser, parse, copy, durable;
    for (int i = 0; i < 5; ++i) {
      double t0 = NowMs();
      auto list = CurrentList(fs, *table);
      const ib::Schema* schema = Take(ib::CurrentSchema(m), "schema");
      const ib::PartitionSpec* spec = Take(ib::DefaultPartitionSpec(m), "spec");
      for (const auto& mf : list) {
        Take(ib::ReadManifest(Take(fs.ReadFile(mf.manifest_path), "manifest"), *schema, *spec, mf),
             "decoding manifest");
      }
      out.manifests = list.size();
      double t1 = NowMs();
      std::string json = ib::SerializeMetadataFile(m, codec);
      double t2 = NowMs();
      Take(ib::ParseMetadataFile(json), "parsing metadata");
      double t3 = NowMs();
      out.metadata_bytes = json.size();
      // Copy + free, as a commit copies its base; timed apart from the parse above, whose frees
      // leave the allocator busy for the next few milliseconds.
      for (int k = 0; k < 20; ++k) {
        double c0 = NowMs();
        {
          ib::TableMetadata copied = m;
          copied.last_updated_ms += 1;
        }
        copy.push_back(NowMs() - c0);
      }
      double t4 = NowMs();
      const std::string probe = dir + "/durable-probe-" + std::to_string(i);
      Check(fs.WriteFileExclusive(probe, json), "durable probe");
      double t5 = NowMs();
      std::filesystem::rename(probe, trash + "/probe-" + std::to_string(i));
      durable.push_back(t5 - t4);
      read.push_back(t1 - t0);
      ser.push_back(t2 - t1);
      parse.push_back(t3 - t2);
    }
    out.read_manifests_ms = Quantile(read, 0.5);
    out.serialize_ms = Quantile(ser, 0.5);
    out.parse_ms = Quantile(parse, 0.5);
    out.copy_ms = Quantile(copy, 0.5);
    out.durable_ms = Quantile(durable, 0.5);
  }

  // A cycle of consecutive commits, as a stream of small appends sees them.
  size_t listed = out.manifests;
  for (int i = 0; i < cycle; ++i) {
    // Load through the catalog first, as the engine does for every statement: it finds the
    // metadata version the previous commit wrote.
    double tl = NowMs();
    table = Take(storage::LakeTable::Load(*catalog, fs, kId), "loading table");
    out.cycle_load_ms.push_back(NowMs() - tl);
    double t0 = NowMs();
    table = append(*table);
    const double ms = NowMs() - t0;
    out.cycle_ms.push_back(ms);
    const size_t now_listed = CurrentList(fs, *table).size();
    if (now_listed <= listed) out.merge_ms = std::max(out.merge_ms, ms);
    listed = now_listed;
  }
  return out;
}

// The unit cost of durability on this disk: a 1 KB exclusive create + fdatasync + dir fsync,
// and an atomic replace (temp file + fdatasync + rename + dir fsync).
void DurableWriteCost(const std::string& dir) {
  LocalFileSystem& fs = LocalFileSystem::Default();
  std::filesystem::create_directories(dir);
  const std::string payload(1024, 'x');
  std::vector<double> excl, atomic;
  for (int i = 0; i < 100; ++i) {
    std::string p = dir + "/f" + std::to_string(i);
    double t0 = NowMs();
    Check(fs.WriteFileExclusive(p, payload), "exclusive write");
    double t1 = NowMs();
    Check(fs.WriteFileAtomic(dir + "/hint", payload), "atomic write");
    double t2 = NowMs();
    excl.push_back(t1 - t0);
    atomic.push_back(t2 - t1);
  }
  std::printf("durable 1 KB write: exclusive create p50 %.2f ms p99 %.2f ms; atomic replace p50 "
              "%.2f ms p99 %.2f ms\n\n",
              Quantile(excl, 0.5), Quantile(excl, 0.99), Quantile(atomic, 0.5),
              Quantile(atomic, 0.99));
}

int Main(int argc, char** argv) {
  const std::string dir = Flag(argc, argv, "dir", "/tmp/medlake-commit-bench");
  const int samples = std::stoi(Flag(argc, argv, "samples", "200"));
  const int64_t organic_max = std::stoll(Flag(argc, argv, "organic-max", "1000"));
  const bool merge = Flag(argc, argv, "merge", "on") != "off";
  const std::string codec = Flag(argc, argv, "metadata-codec", "none");
  const int64_t tail = std::stoll(Flag(argc, argv, "tail", "50"));
  const int cycle = std::stoi(Flag(argc, argv, "cycle", "100"));
  std::vector<int64_t> levels;
  std::stringstream ls(Flag(argc, argv, "levels", "10,1000,10000"));
  for (std::string item; std::getline(ls, item, ',');) levels.push_back(std::stoll(item));

  if (std::filesystem::exists(dir)) {
    std::fprintf(stderr, "%s exists: remove it (and wait a few minutes, see the header) first\n", dir.c_str());
    return 1;
  }
  DurableWriteCost(dir + "/fsync");
  std::vector<LevelResult> results;
  for (int64_t level : levels) {
    std::printf("level %lld:\n", static_cast<long long>(level));
    std::fflush(stdout);
    results.push_back(RunLevel(dir + "/L" + std::to_string(level), level, samples, organic_max, merge, tail,
                               cycle, codec));
  }
  std::filesystem::remove_all(dir);  // after all timing

  std::printf("\nmanifest merging %s, metadata codec %s\n", merge ? "on" : "off", codec.c_str());
  std::printf("%-9s %-17s %7s %7s %7s %7s | %7s %7s %7s %7s %8s | %9s %7s %8s %8s %8s %7s %7s %7s\n", "snapshots",
              "history", "p50 ms", "p90 ms", "p99 ms", "max ms", "cyc p50", "cyc p99", "cyc max", "merge", "load p50",
              "manifests", "read ms", "meta KB", "write ms", "parse ms", "swap ms", "copy ms", "sync ms");
  for (const auto& r : results) {
    std::printf("%-9lld %-17s %7.2f %7.2f %7.2f %7.2f | %7.2f %7.2f %7.2f %7.2f %8.2f | %9zu %7.2f %8.1f %8.2f %8.2f %7.2f %7.2f %7.2f\n",
                static_cast<long long>(r.level), r.history.c_str(), Quantile(r.commit_ms, 0.5),
                Quantile(r.commit_ms, 0.9), Quantile(r.commit_ms, 0.99), Quantile(r.commit_ms, 1.0),
                r.cycle_ms.empty() ? 0.0 : Quantile(r.cycle_ms, 0.5),
                r.cycle_ms.empty() ? 0.0 : Quantile(r.cycle_ms, 0.99),
                r.cycle_ms.empty() ? 0.0 : Quantile(r.cycle_ms, 1.0), r.merge_ms,
                r.cycle_load_ms.empty() ? 0.0 : Quantile(r.cycle_load_ms, 0.5), r.manifests,
                r.read_manifests_ms, static_cast<double>(r.metadata_bytes) / 1024, r.serialize_ms,
                r.parse_ms, r.swap_ms, r.copy_ms, r.durable_ms);
  }
  std::printf("(%d rolled-back commits per level, then a cycle of %d consecutive commits; merge = the "
              "cycle's commit that merged manifests, -1 if none; load = LakeTable::Load through the catalog before "
              "each cycle commit, as the next statement does; read = read+decode the current "
              "manifest list and every manifest; write/parse = serialize/parse the metadata file; "
              "swap = catalog pointer CAS in SQLite; copy = copy + free the in-memory metadata; sync = durable "
              "exclusive write of a file of the metadata's size)\n",
              samples, cycle);
  return 0;
}

}  // namespace
}  // namespace medlake::bench

int main(int argc, char** argv) { return medlake::bench::Main(argc, argv); }
