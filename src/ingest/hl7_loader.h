// ingest/hl7_loader.h: `medlake ingest hl7`: files of HL7 v2 messages (one or many per file, bare,
// in FHS/BHS batches or MLLP-framed) into raw.hl7_messages; unparseable messages and stray bytes
// into raw.quarantine with the reason and location.
//
// Files up to 64 MiB are split whole; larger ones are read in chunks cut at message starts
// (a segment terminator followed by "MSH"), so memory stays bounded by the chunk size plus the
// largest message.
#pragma once

#include <string_view>

#include "core/status.h"
#include "ingest/file_ingest.h"

namespace medlake::ingest {

// The FileLoader for HL7 v2 files (see file_ingest.h).
Status LoadHl7File(FileContext& ctx);

// Appends the rows for one buffer of HL7 data whose first byte is at `base_offset` of the origin
// (shared with the MLLP listener). Updates ctx's counts.
Status AppendHl7Buffer(FileContext& ctx, std::string_view buffer, int64_t base_offset);

Result<IngestSummary> IngestHl7Files(engine::LakeSession& session, const std::vector<std::string>& paths,
                                     const IngestOptions& options);

}  // namespace medlake::ingest
