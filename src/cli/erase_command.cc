#include "cli/erase_command.h"

#include "pipeline/erasure.h"

namespace medlake::cli {

int RunEraseCommand(const EraseCommandOptions& options, std::FILE* out, std::FILE* err) {
  auto fail = [&](const Status& st) {
    std::fprintf(err, "Error: %s\n", st.ToString().c_str());
    return 1;
  };
  auto lake = storage::Lake::Open(options.lake);
  if (!lake.ok()) return fail(lake.status());
  auto controller = OpenController(**lake, options.who);
  if (!controller.ok()) return fail(controller.status());
  security::AuditRecord record;
  record.action = "erase";
  record.statement = options.command_line;
  auto principal = (*controller)->store().GetPrincipal((*controller)->identity().user);
  if (!principal.ok()) return fail(principal.status());
  if (!principal->admin) {
    record.outcome = "denied";
    record.error = "erasure is for admins";
    (void)(*controller)->Audit(record);
    return fail(PermissionDenied("permission denied: erasure is for admins, not user " + principal->name));
  }
  auto session = engine::LakeSession::Open(**lake);
  if (!session.ok()) return fail(session.status());
  pipeline::ErasureOptions eo;
  eo.person_id = options.person_id;
  eo.dry_run = options.dry_run;
  auto receipt = pipeline::ErasePerson(**session, eo);
  record.outcome = receipt.ok() ? "ok" : "error";
  if (!receipt.ok()) {
    record.error = receipt.status().message();
  } else {
    record.rows = receipt->rows_removed;
    for (const auto& t : receipt->tables) {
      record.tables.push_back(t.table);
      record.decisions.push_back((options.dry_run ? "would erase " : "erased ") + std::to_string(t.rows_removed) +
                                 " rows of " + t.table + " by " + t.matched_by);
    }
    if (!receipt->receipt_path.empty()) record.decisions.push_back("receipt " + receipt->erasure_id);
  }
  Status audited = (*controller)->Audit(record);
  if (!receipt.ok()) return fail(receipt.status());
  std::fprintf(out, "%s\n", pipeline::ErasureReceiptJson(*receipt).c_str());
  if (!receipt->receipt_path.empty()) std::fprintf(err, "medlake: receipt written to %s\n", receipt->receipt_path.c_str());
  if (!audited.ok()) return fail(audited);
  return 0;
}

}  // namespace medlake::cli
