#include "cli/sql_command.h"

#include "core/file_system.h"
#include "engine/lake_session.h"
#include "storage/lake.h"

namespace medlake::cli {
namespace {

Result<std::string> ReadAll(std::FILE* in) {
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) text.append(buf, n);
  if (std::ferror(in)) return IOError("reading standard input");
  return text;
}

void PrintError(std::FILE* err, const Status& st) {
  std::fprintf(err, "Error: %s\n", st.ToString().c_str());
}

}  // namespace

Result<std::unique_ptr<storage::Lake>> OpenOrCreateLake(const std::string& root, std::FILE* err) {
  auto& fs = LocalFileSystem::Default();
  MEDLAKE_ASSIGN_OR_RETURN(bool exists, fs.Exists(root));
  bool empty_dir = false;
  if (exists) {
    MEDLAKE_ASSIGN_OR_RETURN(bool is_dir, fs.IsDirectory(root));
    if (is_dir) {
      MEDLAKE_ASSIGN_OR_RETURN(auto entries, fs.ListDirectory(root));
      empty_dir = entries.empty();
    }
  }
  if (!exists || empty_dir) {
    MEDLAKE_ASSIGN_OR_RETURN(auto lake, storage::Lake::Create(root));
    std::fprintf(err, "medlake: created a new lake at %s\n", lake->root().c_str());
    return lake;
  }
  return storage::Lake::Open(root);
}

int RunSqlCommand(const SqlCommandOptions& options, std::FILE* in, std::FILE* out, std::FILE* err) {
  std::vector<std::string> texts = options.commands;
  for (const auto& f : options.files) {
    auto text = LocalFileSystem::Default().ReadFile(f);
    if (!text.ok()) {
      PrintError(err, text.status());
      return 1;
    }
    texts.push_back(std::move(*text));
  }
  if (options.commands.empty() && options.files.empty()) {
    auto text = ReadAll(in);
    if (!text.ok()) {
      PrintError(err, text.status());
      return 1;
    }
    texts.push_back(std::move(*text));
  }

  auto lake = options.create_lake ? OpenOrCreateLake(options.lake, err) : storage::Lake::Open(options.lake);
  if (!lake.ok()) {
    PrintError(err, lake.status());
    return 1;
  }
  auto session = OpenUserSession(**lake, options.who);
  if (!session.ok()) {
    PrintError(err, session.status());
    return 1;
  }
  for (const auto& text : texts) {
    Status st = (*session)->Run(text, [&](size_t, engine::StatementOutcome& outcome) -> Status {
      if (outcome.rows != nullptr) {
        Status w = WriteResult(*outcome.rows, options.format, out);
        std::fflush(out);
        return w;
      }
      if (options.format == OutputFormat::kTable && !outcome.message.empty() && outcome.rows == nullptr) {
        std::fprintf(out, "%s\n", outcome.message.c_str());
      }
      if (options.format == OutputFormat::kTable && outcome.rows_changed) {
        std::fprintf(out, "(%lld rows affected)\n\n", static_cast<long long>(*outcome.rows_changed));
      }
      return Status::OK();
    });
    if (!st.ok()) {
      std::fflush(out);
      PrintError(err, st);
      return 1;
    }
  }
  return 0;
}

}  // namespace medlake::cli
