#include "synth/synth_output.h"

#include <utility>

namespace medlake::synth {

class OutputWriter::BufferedFile {
 public:
  BufferedFile(std::unique_ptr<WritableFile> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)) {
    buffer_.reserve(kCapacity);
  }

  Status Append(std::string_view data) {
    if (buffer_.size() + data.size() > kCapacity)
      MEDLAKE_RETURN_IF_ERROR(Flush());
    if (data.size() >= kCapacity)
      return file_->Append(data).WithContext(path_);
    buffer_.append(data);
    return Status::OK();
  }
  Status Flush() {
    if (buffer_.empty())
      return Status::OK();
    Status s = file_->Append(buffer_);
    buffer_.clear();
    return s.WithContext(path_);
  }
  Status Close() {
    MEDLAKE_RETURN_IF_ERROR(Flush());
    return file_->Close().WithContext(path_);
  }
  uint64_t lines = 0;  // lines or records written so far
  bool rolling = false;
  uint64_t file_number = 0;

 private:
  static constexpr size_t kCapacity = 1 << 20;
  std::unique_ptr<WritableFile> file_;
  std::string path_;
  std::string buffer_;
};

void AppendCsvField(std::string* out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (char c : value) {
    if (c == '"')
      out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

OutputWriter::OutputWriter(FileSystem* fs, std::string root) : fs_(fs), root_(std::move(root)) {}

OutputWriter::~OutputWriter() = default;

Result<std::unique_ptr<OutputWriter>> OutputWriter::Open(FileSystem* fs, std::string root) {
  MEDLAKE_RETURN_IF_ERROR(fs->CreateDirectories(root));
  MEDLAKE_RETURN_IF_ERROR(fs->CreateDirectories(JoinPath(root, "truth")));
  std::unique_ptr<OutputWriter> w(new OutputWriter(fs, std::move(root)));
  auto open = [&](const char* name, const char* header) -> Result<std::unique_ptr<BufferedFile>> {
    const std::string path = JoinPath(JoinPath(w->root_, "truth"), name);
    MEDLAKE_ASSIGN_OR_RETURN(auto file, fs->OpenForWrite(path));
    auto bf = std::make_unique<BufferedFile>(std::move(file), path);
    MEDLAKE_RETURN_IF_ERROR(bf->Append(header));
    return bf;
  };
  MEDLAKE_ASSIGN_OR_RETURN(w->faults_file_,
                           open("faults.csv", "file,record_index,record_id,fault_kind,detail\n"));
  MEDLAKE_ASSIGN_OR_RETURN(
      w->quirks_file_, open("csv_quirks.csv", "file,record_index,record_id,quirk_kind,detail\n"));
  MEDLAKE_ASSIGN_OR_RETURN(
      w->records_file_,
      open("source_records.csv",
           "source_system,local_id,person_id,duplicate,merged_into,discrepancy\n"));
  return w;
}

Result<OutputWriter::BufferedFile*> OutputWriter::FileFor(const std::string& relative_path,
                                                          const Chunk& chunk,
                                                          uint64_t file_number) {
  auto it = open_.find(relative_path);
  if (it != open_.end())
    return it->second.get();
  if (files_.count(relative_path)) {
    // Reopening would truncate what was written: a rolling file was closed too early.
    return Internal("output file reopened: " + relative_path);
  }
  const std::string path = JoinPath(root_, relative_path);
  MEDLAKE_RETURN_IF_ERROR(fs_->CreateDirectories(std::string(Dirname(path))));
  MEDLAKE_ASSIGN_OR_RETURN(auto file, fs_->OpenForWrite(path));
  auto bf = std::make_unique<BufferedFile>(std::move(file), path);
  bf->rolling = chunk.rolling;
  bf->file_number = file_number;
  if (!chunk.header.empty()) {
    MEDLAKE_RETURN_IF_ERROR(bf->Append(chunk.header));
    bf->lines = 1;
    files_[relative_path].bytes += chunk.header.size();
  }
  files_[relative_path];
  BufferedFile* raw = bf.get();
  open_.emplace(relative_path, std::move(bf));
  return raw;
}

Status OutputWriter::Append(BatchOutput batch) {
  // Rolling files of earlier file numbers are finished: close them (bounded open files).
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->second->rolling && it->second->file_number < batch.file_number) {
      MEDLAKE_RETURN_IF_ERROR(it->second->Close());
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [path, chunk] : batch.chunks) {
    uint64_t base = 0;  // records of the file before this chunk
    if (chunk.whole_file) {
      MEDLAKE_RETURN_IF_ERROR(WriteWholeFile(path, chunk.text));
      files_[path].records += chunk.records;
      files_[path].faults += chunk.faults.size();
    } else {
      MEDLAKE_ASSIGN_OR_RETURN(BufferedFile * file, FileFor(path, chunk, batch.file_number));
      base = file->lines;
      MEDLAKE_RETURN_IF_ERROR(file->Append(chunk.text));
      file->lines += chunk.records;
      FileStats& stats = files_[path];
      stats.records += chunk.records;
      stats.bytes += chunk.text.size();
      stats.faults += chunk.faults.size();
    }
    auto write_marks = [&](const std::vector<PendingMark>& marks, BufferedFile* out,
                           uint64_t* rows) -> Status {
      std::string line;
      for (const PendingMark& m : marks) {
        line.clear();
        AppendCsvField(&line, path);
        line += ',';
        line += std::to_string(base + m.record);
        line += ',';
        AppendCsvField(&line, m.record_id);
        line += ',';
        AppendCsvField(&line, m.kind);
        line += ',';
        AppendCsvField(&line, m.detail);
        line += '\n';
        MEDLAKE_RETURN_IF_ERROR(out->Append(line));
        ++*rows;
      }
      return Status::OK();
    };
    MEDLAKE_RETURN_IF_ERROR(write_marks(chunk.faults, faults_file_.get(), &fault_rows_));
    MEDLAKE_RETURN_IF_ERROR(write_marks(chunk.quirks, quirks_file_.get(), &quirk_rows_));
    for (const PendingMark& m : chunk.faults)
      counts_["faults/" + m.kind] += 1;
    for (const PendingMark& m : chunk.quirks)
      counts_["quirks/" + m.kind] += 1;
  }
  MEDLAKE_RETURN_IF_ERROR(records_file_->Append(batch.source_records));
  source_record_rows_ += batch.source_record_rows;
  for (const auto& [key, n] : batch.counts)
    counts_[key] += n;
  return Status::OK();
}

Status OutputWriter::WriteWholeFile(const std::string& relative_path, std::string_view data) {
  const std::string path = JoinPath(root_, relative_path);
  MEDLAKE_RETURN_IF_ERROR(fs_->CreateDirectories(std::string(Dirname(path))));
  MEDLAKE_ASSIGN_OR_RETURN(auto file, fs_->OpenForWrite(path));
  MEDLAKE_RETURN_IF_ERROR(file->Append(data).WithContext(path));
  MEDLAKE_RETURN_IF_ERROR(file->Close().WithContext(path));
  files_[relative_path].bytes += data.size();
  return Status::OK();
}

namespace {

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\')
      out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

Status OutputWriter::Finish(std::string_view extra_json) {
  for (auto& [path, file] : open_)
    MEDLAKE_RETURN_IF_ERROR(file->Close());
  open_.clear();
  MEDLAKE_RETURN_IF_ERROR(faults_file_->Close());
  MEDLAKE_RETURN_IF_ERROR(quirks_file_->Close());
  MEDLAKE_RETURN_IF_ERROR(records_file_->Close());
  std::string json = "{\n  \"format\": \"medlake-synth-manifest\",\n  \"version\": 1,\n  ";
  json.append(extra_json);
  json += ",\n  \"truth\": {\"source_records\": " + std::to_string(source_record_rows_) +
          ", \"faults\": " + std::to_string(fault_rows_) +
          ", \"csv_quirks\": " + std::to_string(quirk_rows_) + "},\n  \"counts\": {";
  bool first = true;
  for (const auto& [key, n] : counts_) {
    json += first ? "\n    " : ",\n    ";
    first = false;
    AppendJsonString(&json, key);
    json += ": " + std::to_string(n);
  }
  json += "\n  },\n  \"files\": {";
  first = true;
  for (const auto& [path, stats] : files_) {
    json += first ? "\n    " : ",\n    ";
    first = false;
    AppendJsonString(&json, path);
    json += ": {\"records\": " + std::to_string(stats.records) +
            ", \"bytes\": " + std::to_string(stats.bytes) +
            ", \"faults\": " + std::to_string(stats.faults) + "}";
  }
  json += "\n  }\n}\n";
  return WriteWholeFile("manifest.json", json);
}

}  // namespace medlake::synth
