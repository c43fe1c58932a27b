#include "ingest/mllp/mllp_committer.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/crypto.h"
#include "core/logging.h"
#include "core/uuid.h"
#include "engine/sql_lexer.h"
#include "ingest/hl7v2/hl7_message.h"
#include "ingest/hl7v2/hl7_summary.h"

namespace medlake::ingest::mllp {
namespace {

constexpr const char* kMessagesTable = "raw.hl7_messages";
constexpr const char* kQuarantineTable = "raw.quarantine";
constexpr uint64_t kBatchPayloadBytes = uint64_t{256} << 20;

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* kHex = "0123456789abcdef";
          *out += "\\u00";
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

// JSON array of {id, authority, type} from PID-3 and MRG-1 (docs/formats/raw_tables.md).
std::string PatientIdentifiersJson(const hl7v2::Hl7Summary& s) {
  std::string out = "[";
  bool first = true;
  for (const auto* list : {&s.patient_identifiers, &s.prior_patient_identifiers}) {
    for (const auto& id : *list) {
      if (!first)
        out.push_back(',');
      first = false;
      out += "{\"id\":";
      AppendJsonString(&out, id.id);
      out += ",\"authority\":";
      AppendJsonString(&out, id.assigning_authority);
      out += ",\"type\":";
      AppendJsonString(&out, id.identifier_type_code);
      out.push_back('}');
    }
  }
  out.push_back(']');
  return out;
}

Status AppendText(engine::RowBatch& a, const std::string& v) {
  return v.empty() ? a.AppendNull() : a.AppendString(v);
}

std::string IdempotencyKey(const hl7v2::Hl7Summary& s) {
  return s.sending_application + "|" + s.sending_facility + "|" + s.control_id;
}

struct PreparedRow {
  const WalEntry* entry = nullptr;
  bool accepted = false;
  hl7v2::Hl7Summary summary;  // accepted only
  std::string key;            // accepted only
  std::string reason_code;    // quarantined
  std::string reason;
};

}  // namespace

MllpCommitter::MllpCommitter(engine::LakeSession& session, StagingWal& wal,
                             const MllpCommitterOptions& options, const Clock& clock,
                             std::unique_ptr<RawBatchWriter> messages,
                             std::unique_ptr<RawBatchWriter> quarantine)
    : session_(session),
      wal_(wal),
      options_(options),
      clock_(clock),
      messages_(std::move(messages)),
      quarantine_(std::move(quarantine)) {}

Result<std::unique_ptr<MllpCommitter>> MllpCommitter::Make(engine::LakeSession& session,
                                                           StagingWal& wal,
                                                           const MllpCommitterOptions& options,
                                                           const Clock& clock) {
  // Flushes are explicit (one per micro-batch), so the writers never flush on their own.
  constexpr int64_t kNoAutoFlush = int64_t{1} << 62;
  MEDLAKE_ASSIGN_OR_RETURN(auto messages,
                           RawBatchWriter::Make(session, kMessagesTable, kNoAutoFlush));
  MEDLAKE_ASSIGN_OR_RETURN(auto quarantine,
                           RawBatchWriter::Make(session, kQuarantineTable, kNoAutoFlush));
  return std::make_unique<MllpCommitter>(session, wal, options, clock, std::move(messages),
                                         std::move(quarantine));
}

MllpCommitter::~MllpCommitter() { (void)Stop(); }

void MllpCommitter::RememberKey(const std::string& key) {
  if (options_.recent_keys == 0 || !recent_keys_.insert(key).second)
    return;
  recent_order_.push_back(key);
  while (recent_order_.size() > options_.recent_keys) {
    recent_keys_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

Status MllpCommitter::CommitOnce(bool* more) {
  *more = false;
  const uint64_t from = wal_.checkpoint();
  std::vector<WalEntry> entries;
  uint64_t next = from;
  MEDLAKE_RETURN_IF_ERROR(
      wal_.Read(from, static_cast<size_t>(std::max<int64_t>(1, options_.batch_messages)),
                kBatchPayloadBytes, &entries, &next));
  if (entries.empty()) {
    // Only skipped bytes (a torn tail) between the checkpoint and the end: move past them.
    if (next > from)
      MEDLAKE_RETURN_IF_ERROR(wal_.Checkpoint(next));
    return Status::OK();
  }
  *more = next < wal_.durable_end();

  // 1. Summarize accepted records; decide which are new.
  std::vector<PreparedRow> rows(entries.size());
  std::set<std::string> batch_keys;
  std::vector<std::string> to_query;
  uint64_t min_rejected = UINT64_MAX, max_rejected = 0;
  hl7v2::Hl7Message parsed;  // reused for every record of the batch
  for (size_t i = 0; i < entries.size(); ++i) {
    PreparedRow& row = rows[i];
    row.entry = &entries[i];
    const WalRecord& rec = entries[i].record;
    if (rec.kind == WalRecordKind::kAccepted) {
      hl7v2::Hl7Rejection rejection;
      const Status parse = hl7v2::ParseHl7MessageInto(rec.payload, {}, &parsed, &rejection);
      Result<hl7v2::Hl7Summary> summary =
          parse.ok() ? hl7v2::Summarize(parsed, &rejection) : Result<hl7v2::Hl7Summary>(parse);
      if (summary.ok()) {
        row.accepted = true;
        row.summary = std::move(*summary);
        row.key = IdempotencyKey(row.summary);
        if (!recent_keys_.count(row.key) && batch_keys.insert(row.key).second) {
          to_query.push_back(row.key);
        }
        continue;
      }
      // Accepted by the listener but not readable now (parser changed): quarantine, not lose.
      row.reason_code = "hl7." + std::string(hl7v2::Hl7RejectReasonCode(rejection.reason));
      row.reason = rejection.ToStatus().message();
    } else {
      row.reason_code = rec.reason_code;
      row.reason = rec.reason;
    }
    min_rejected = std::min(min_rejected, entries[i].position);
    max_rejected = std::max(max_rejected, entries[i].position);
  }

  // 2. One query for the keys already in the lake (replays, and senders re-sending after a lost
  //    ACK), one for quarantine rows of a replayed batch.
  std::set<std::string> existing;
  if (!to_query.empty()) {
    std::string sql =
        "SELECT DISTINCT idempotency_key FROM raw.hl7_messages WHERE idempotency_key IN (";
    for (size_t i = 0; i < to_query.size(); ++i) {
      if (i)
        sql += ",";
      sql += engine::QuoteString(to_query[i]);
    }
    sql += ")";
    MEDLAKE_RETURN_IF_ERROR(session_.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!o.rows)
        return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto result, o.rows->FetchAll());
      for (const auto& r : result)
        existing.insert(r[0].s);
      return Status::OK();
    }));
  }
  std::set<int64_t> existing_offsets;
  if (max_rejected >= min_rejected) {
    std::string sql =
        "SELECT byte_offset FROM raw.quarantine WHERE source = 'mllp' AND byte_offset BETWEEN " +
        std::to_string(min_rejected) + " AND " + std::to_string(max_rejected);
    MEDLAKE_RETURN_IF_ERROR(session_.Run(sql, [&](size_t, engine::StatementOutcome& o) -> Status {
      if (!o.rows)
        return Status::OK();
      MEDLAKE_ASSIGN_OR_RETURN(auto result, o.rows->FetchAll());
      for (const auto& r : result)
        existing_offsets.insert(r[0].i);
      return Status::OK();
    }));
  }

  // 3. Append rows.
  MEDLAKE_ASSIGN_OR_RETURN(Uuid batch_uuid, Uuid::RandomV4());
  const std::string batch_id = batch_uuid.ToString();
  std::set<std::string> written_keys;
  uint64_t duplicates = 0, added = 0, quarantined = 0;
  for (const auto& row : rows) {
    const WalEntry& e = *row.entry;
    const WalRecord& rec = e.record;
    const std::string hash = HexEncode(Sha256(rec.payload));
    if (row.accepted) {
      if (recent_keys_.count(row.key) || existing.count(row.key) ||
          !written_keys.insert(row.key).second) {
        ++duplicates;
        continue;
      }
      const hl7v2::Hl7Summary& s = row.summary;
      auto& a = messages_->row();
      MEDLAKE_RETURN_IF_ERROR(a.AppendTimestamp(rec.received_micros));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(batch_id));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString("mllp"));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(rec.peer));
      MEDLAKE_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(e.position)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(hash));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(row.key));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.message_type));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.trigger_event));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.message_structure));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.version));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.control_id));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.processing_id));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.sending_application));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.sending_facility));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.receiving_application));
      MEDLAKE_RETURN_IF_ERROR(AppendText(a, s.receiving_facility));
      MEDLAKE_RETURN_IF_ERROR(s.message_time ? a.AppendTimestamp(s.message_time->utc_micros)
                                             : a.AppendNull());
      MEDLAKE_RETURN_IF_ERROR(s.patient_identifiers.empty()
                                  ? a.AppendNull()
                                  : AppendText(a, s.patient_identifiers.front().id));
      MEDLAKE_RETURN_IF_ERROR(s.patient_identifiers.empty() && s.prior_patient_identifiers.empty()
                                  ? a.AppendNull()
                                  : a.AppendString(PatientIdentifiersJson(s)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(hl7v2::Hl7CharsetCode(s.charset)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendBlob(rec.payload));
      MEDLAKE_RETURN_IF_ERROR(messages_->EndRow());
      ++added;
    } else {
      if (existing_offsets.count(static_cast<int64_t>(e.position))) {
        ++duplicates;
        continue;
      }
      auto& a = quarantine_->row();
      MEDLAKE_RETURN_IF_ERROR(a.AppendTimestamp(rec.received_micros));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(batch_id));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString("hl7"));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString("mllp"));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(rec.peer));
      MEDLAKE_RETURN_IF_ERROR(a.AppendInt64(static_cast<int64_t>(e.position)));
      MEDLAKE_RETURN_IF_ERROR(a.AppendNull());
      MEDLAKE_RETURN_IF_ERROR(a.AppendString("wal position " + std::to_string(e.position)));
      MEDLAKE_RETURN_IF_ERROR(
          a.AppendString(row.reason_code.empty() ? "hl7.rejected" : row.reason_code));
      MEDLAKE_RETURN_IF_ERROR(
          a.AppendString(row.reason.empty() ? "rejected by the MLLP listener" : row.reason));
      MEDLAKE_RETURN_IF_ERROR(a.AppendString(hash));
      MEDLAKE_RETURN_IF_ERROR(a.AppendBlob(rec.payload));
      MEDLAKE_RETURN_IF_ERROR(quarantine_->EndRow());
      ++quarantined;
    }
  }

  // 4. Commit (one snapshot per table), then the checkpoint. A crash in between replays the
  //    batch, which step 2 then recognises.
  MEDLAKE_RETURN_IF_ERROR(messages_->Flush());
  MEDLAKE_RETURN_IF_ERROR(quarantine_->Flush());
  MEDLAKE_RETURN_IF_ERROR(wal_.Checkpoint(next));
  for (const auto& key : written_keys)
    RememberKey(key);
  for (const auto& key : existing)
    RememberKey(key);
  {
    internal::MutexLock lock(&mu_);
    ++stats_.batches;
    stats_.messages += added;
    stats_.quarantined += quarantined;
    stats_.duplicates += duplicates;
  }
  Log(LogLevel::kInfo, "mllp_batch_committed",
      {{"batch_id", LogId(batch_id)},
       {"messages", added},
       {"quarantined", quarantined},
       {"duplicates", duplicates},
       {"checkpoint", next}});
  return Status::OK();
}

Status MllpCommitter::CommitPending() {
  bool more = true;
  while (more) {
    Status st = CommitOnce(&more);
    if (!st.ok()) {
      // Rows of the failed batch may sit in the writers' temporary tables; start from clean
      // writers so that the retry does not insert them twice.
      messages_.reset();
      quarantine_.reset();
      constexpr int64_t kNoAutoFlush = int64_t{1} << 62;
      auto m = RawBatchWriter::Make(session_, kMessagesTable, kNoAutoFlush);
      auto q = RawBatchWriter::Make(session_, kQuarantineTable, kNoAutoFlush);
      if (m.ok())
        messages_ = std::move(*m);
      if (q.ok())
        quarantine_ = std::move(*q);
      if (!m.ok() || !q.ok()) {
        return st.WithContext("committing MLLP batch (writers not recreated)");
      }
      return st.WithContext("committing MLLP batch");
    }
  }
  return Status::OK();
}

Status MllpCommitter::Start() {
  internal::MutexLock lock(&mu_);
  if (running_)
    return FailedPrecondition("MLLP committer already started");
  running_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::OK();
}

void MllpCommitter::Notify(size_t records) {
  internal::MutexLock lock(&mu_);
  notified_ += records;
  if (notified_ >= static_cast<uint64_t>(options_.batch_messages))
    cv_.Signal();
}

void MllpCommitter::Run() {
  const auto period = std::chrono::milliseconds(std::max<int64_t>(1, options_.batch_millis));
  for (;;) {
    {
      internal::MutexLock lock(&mu_);
      const int64_t start = clock_.MonotonicNanos();
      while (!stop_ && notified_ < static_cast<uint64_t>(options_.batch_messages)) {
        const int64_t waited_ms = (clock_.MonotonicNanos() - start) / 1'000'000;
        if (waited_ms >= period.count())
          break;
        cv_.WaitFor(period - std::chrono::milliseconds(waited_ms));
      }
      if (stop_)
        return;
      notified_ = 0;
    }
    if (wal_.durable_end() <= wal_.checkpoint())
      continue;
    Status st = CommitPending();
    if (!st.ok()) {
      Log(LogLevel::kError, "mllp_commit_failed", {LogField::Error("error", st.ToString())});
      internal::MutexLock lock(&mu_);
      if (background_error_.ok())
        background_error_ = st;
    }
  }
}

Status MllpCommitter::Stop() {
  bool was_running = false;
  {
    internal::MutexLock lock(&mu_);
    was_running = running_;
    stop_ = true;
    running_ = false;
    cv_.SignalAll();
  }
  if (was_running && thread_.joinable())
    thread_.join();
  if (!was_running)
    return Status::OK();
  Status final_commit = CommitPending();
  internal::MutexLock lock(&mu_);
  return final_commit.ok() ? Status::OK() : final_commit;
}

MllpCommitStats MllpCommitter::stats() const {
  internal::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace medlake::ingest::mllp
