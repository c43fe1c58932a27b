#include "ingest/file_ingest.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "core/file_system.h"
#include "core/progress.h"
#include "core/uuid.h"
#include "engine/sql_lexer.h"
#include "ingest/raw_tables.h"

namespace medlake::ingest {
namespace {

Result<std::string> HashFile(const std::string& path, int64_t* size) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(auto file, fs.OpenForRead(path));
  MEDLAKE_ASSIGN_OR_RETURN(uint64_t total, file->Size());
  Sha256Hasher hasher;
  std::string chunk;
  constexpr size_t kChunk = 4 << 20;
  for (uint64_t off = 0; off < total; off += kChunk) {
    MEDLAKE_RETURN_IF_ERROR(file->Read(off, kChunk, &chunk));
    hasher.Update(chunk);
  }
  *size = static_cast<int64_t>(total);
  return HexEncode(hasher.Finish());
}

// HashFile for every file, on up to one thread per core (the files are independent); the first
// error in file order is returned.
Status HashFiles(const std::vector<std::string>& files, std::vector<std::string>* hashes,
                 std::vector<int64_t>* sizes) {
  std::vector<Status> errors(files.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      auto h = HashFile(files[i], &(*sizes)[i]);
      if (h.ok()) {
        (*hashes)[i] = std::move(*h);
      } else {
        errors[i] = h.status();
      }
    }
  };
  const size_t threads =
      std::min<size_t>(files.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const Status& st : errors) MEDLAKE_RETURN_IF_ERROR(st);
  return Status::OK();
}

// The hashes among `hashes` already recorded as loaded for `kind`: one query per 1000 files
// instead of one per file, and memory bounded by the run rather than by the lake's history.
Result<std::set<std::string>> LoadedAmong(engine::LakeSession& session, const std::vector<std::string>& hashes,
                                          const std::string& kind) {
  std::set<std::string> loaded;
  constexpr size_t kPerQuery = 1000;
  for (size_t begin = 0; begin < hashes.size(); begin += kPerQuery) {
    std::string list;
    for (size_t i = begin; i < std::min(hashes.size(), begin + kPerQuery); ++i) {
      list += (i > begin ? ", " : "") + engine::QuoteString(hashes[i]);
    }
    MEDLAKE_RETURN_IF_ERROR(session.Run(
        "SELECT DISTINCT content_hash FROM raw.ingested_files WHERE kind = " + engine::QuoteString(kind) +
            " AND content_hash IN (" + list + ")",
        [&](size_t, engine::StatementOutcome& o) -> Status {
          if (!o.rows) return Status::OK();
          MEDLAKE_ASSIGN_OR_RETURN(auto rows, o.rows->FetchAll());
          for (const auto& row : rows) loaded.insert(row[0].s);
          return Status::OK();
        }));
  }
  return loaded;
}

}  // namespace

Result<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths,
                                             const std::vector<std::string>& extensions) {
  auto wanted = [&extensions](const std::string& name) {
    if (extensions.empty()) return true;
    for (const auto& e : extensions) {
      if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> out;
  for (const auto& p : paths) {
    MEDLAKE_ASSIGN_OR_RETURN(std::string abs, AbsolutePath(p));
    std::error_code ec;
    auto status = std::filesystem::status(abs, ec);
    if (ec || !std::filesystem::exists(status)) return NotFound("no such file or directory: " + p);
    if (std::filesystem::is_regular_file(status)) {
      out.push_back(abs);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = std::filesystem::recursive_directory_iterator(abs, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory()) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && wanted(name)) found.push_back(it->path().string());
    }
    if (ec) return IOError("walking " + p + ": " + ec.message());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

Status AppendLineage(FileContext& ctx, engine::RowBatch& a, int64_t byte_offset) {
  MEDLAKE_RETURN_IF_ERROR(a.AppendTimestamp(ctx.received_micros));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.batch_id));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.options->source));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.path));
  return byte_offset >= 0 ? a.AppendInt64(byte_offset) : a.AppendNull();
}

Status AppendQuarantine(FileContext& ctx, const std::string& kind, int64_t byte_offset,
                        int64_t line_number, const std::string& location,
                        const std::string& reason_code, const std::string& reason,
                        std::string_view payload) {
  auto& a = ctx.quarantine->row();
  MEDLAKE_RETURN_IF_ERROR(a.AppendTimestamp(ctx.received_micros));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.batch_id));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(kind));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.options->source));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(ctx.path));
  MEDLAKE_RETURN_IF_ERROR(byte_offset >= 0 ? a.AppendInt64(byte_offset) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(line_number >= 0 ? a.AppendInt64(line_number) : a.AppendNull());
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(location));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(reason_code));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(reason));
  MEDLAKE_RETURN_IF_ERROR(a.AppendString(HexEncode(Sha256(payload))));
  MEDLAKE_RETURN_IF_ERROR(a.AppendBlob(payload));
  ++ctx.summary->quarantined;
  return ctx.quarantine->EndRow();
}

Result<IngestSummary> IngestFiles(engine::LakeSession& session, const std::vector<std::string>& paths,
                                  const std::string& kind, const std::string& table,
                                  const FileLoader& loader, const IngestOptions& options,
                                  const std::vector<std::string>& extensions, const Clock& clock) {
  MEDLAKE_RETURN_IF_ERROR(EnsureRawTables(session));
  MEDLAKE_ASSIGN_OR_RETURN(auto files, ExpandPaths(paths, extensions));
  MEDLAKE_ASSIGN_OR_RETURN(auto accepted, RawBatchWriter::Make(session, table, options.batch_rows));
  MEDLAKE_ASSIGN_OR_RETURN(auto quarantine, RawBatchWriter::Make(session, "raw.quarantine", options.batch_rows));
  MEDLAKE_ASSIGN_OR_RETURN(Uuid batch, Uuid::RandomV4());

  IngestSummary summary;
  // Files are recorded as loaded only after their rows are committed: a crash in between means a
  // re-run loads them again (at-least-once), never that rows are missing. Records of many small
  // files share one commit.
  std::vector<std::string> pending_files;
  auto commit = [&]() -> Status {
    MEDLAKE_RETURN_IF_ERROR(accepted->Flush());
    MEDLAKE_RETURN_IF_ERROR(quarantine->Flush());
    if (pending_files.empty()) return Status::OK();
    std::string values;
    for (size_t i = 0; i < pending_files.size(); ++i) values += (i ? ", " : "") + pending_files[i];
    pending_files.clear();
    return session.Run("INSERT INTO raw.ingested_files VALUES " + values,
                       [](size_t, engine::StatementOutcome&) { return Status::OK(); });
  };
  std::set<std::string> seen;  // identical files given twice in one run load once
  std::unique_ptr<ProgressBar> bar;
  if (options.progress) bar = std::make_unique<ProgressBar>("ingest " + kind, files.size());
  std::vector<std::string> hashes(files.size());
  std::vector<int64_t> sizes(files.size());
  MEDLAKE_RETURN_IF_ERROR(HashFiles(files, &hashes, &sizes));
  std::set<std::string> loaded_before;
  if (!options.force) {
    MEDLAKE_ASSIGN_OR_RETURN(loaded_before, LoadedAmong(session, hashes, kind));
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i];
    const std::string& hash = hashes[i];
    int64_t size = sizes[i];
    if (!options.force) {
      bool loaded = !seen.insert(hash).second || loaded_before.count(hash) > 0;
      if (loaded) {
        ++summary.files_skipped;
        if (bar) bar->Advance();
        continue;
      }
    }
    IngestSummary file_counts;
    FileContext ctx{path, hash, batch.ToString(), clock.NowMicros(), accepted.get(), quarantine.get(),
                    &file_counts, &options};
    Status st = loader(ctx);
    if (!st.ok()) return st.WithContext("loading " + path);
    pending_files.push_back(
        "(make_timestamptz(" + std::to_string(ctx.received_micros) + "::BIGINT), " +
        engine::QuoteString(ctx.batch_id) + ", " + engine::QuoteString(kind) + ", " +
        engine::QuoteString(path) + ", " + engine::QuoteString(hash) + ", " + std::to_string(size) +
        ", " + std::to_string(file_counts.received) + ", " + std::to_string(file_counts.accepted) +
        ", " + std::to_string(file_counts.quarantined) + ")");
    if (accepted->pending() + quarantine->pending() >= options.batch_rows || pending_files.size() >= 1000) {
      MEDLAKE_RETURN_IF_ERROR(commit());
    }
    if (file_counts.accepted + file_counts.quarantined != file_counts.received) {
      return Internal("ingest accounting broken for " + path + ": received " +
                      std::to_string(file_counts.received) + ", accepted " +
                      std::to_string(file_counts.accepted) + ", quarantined " +
                      std::to_string(file_counts.quarantined));
    }
    ++summary.files;
    summary.bytes += size;
    summary.received += file_counts.received;
    summary.accepted += file_counts.accepted;
    summary.quarantined += file_counts.quarantined;
    if (bar) bar->Advance();
  }
  MEDLAKE_RETURN_IF_ERROR(commit());
  if (summary.files > 0) MEDLAKE_RETURN_IF_ERROR(RecordIngestLineage(session, kind, table));
  return summary;
}

}  // namespace medlake::ingest
