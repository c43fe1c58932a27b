// governance/classifier.h: automatic classification of lake tables and propagation of
// classification tags along column lineage (issue 7, "Catalog metadata").
//
// ClassifyTable reads a table's current schema and a bounded sample of each string/binary
// column (the first `sample_values` non-null values among the first `sample_rows` live rows of
// its oldest data files, read once), applies the rules of
// governance/classification_rules.h and stores the result as the table's `classifier` tags
// (MetadataStore::ReplaceClassifierTags: manual tags are never touched, suppressed tags are
// skipped). PropagateTags copies classification tags downstream along the column edges of
// lineage.edges (docs/formats/pipeline_models.md, "Lineage") as `lineage` tags.
//
// Both are meant for trusted sessions (medlake's own jobs, an administrator's CLI): sampling
// through a session with an access controller would see masked values.
//
// Thread-safety: uses the caller's session and store; one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/lake_session.h"
#include "governance/classification_rules.h"
#include "governance/metadata_store.h"
#include "storage/catalog.h"

namespace medlake::governance {

struct TableClassification {
  storage::TableIdentifier table;
  TableFindings findings;       // what the rules found (reasons carry counts, never values)
  DerivedTagWrite write;        // what changed in the store
  int64_t sampled_columns = 0;  // string/binary columns whose values were sampled
  int64_t sampled_values = 0;
};

// Classifies lake table `table` and stores the result. NotFound if the table does not exist;
// DataLoss for unreadable table files; errors of the store. `session` and `store` must belong to
// the same lake.
Result<TableClassification> ClassifyTable(engine::LakeSession& session, MetadataStore& store,
                                          const storage::TableIdentifier& table,
                                          const ClassifierOptions& options = {});

struct PropagationReport {
  int64_t edges = 0;             // column edges read from lineage.edges
  int64_t unresolved_edges = 0;  // edges naming a table or column that no longer exists
  DerivedTagWrite write;         // lineage tags added, removed and kept
};

// Recomputes the `lineage` tags of the whole lake: every classification tag
// (governance/tag_vocabulary.h, IsClassificationTag) that a column carries from a manual or
// classifier row flows to the columns built from it, transitively; a tag suppressed on a column
// neither lands there nor flows on through it. From a column holding whole records (pii:record)
// only phi, special_category and special:* flow: whether a field taken out of a record identifies
// someone is decided by its own classification. A column that receives phi, special_category or a
// special:* tag passes it to its table. detail = the upstream column ("ns.table.column").
// Table-level edges (level = 'table': joins, filters) are not followed. The result replaces the
// previous lineage tags, so running twice adds nothing. No lineage.edges table: nothing to do
// (existing lineage tags are removed). Errors of the session (reading lineage.edges) or store.
Result<PropagationReport> PropagateTags(engine::LakeSession& session, MetadataStore& store,
                                        const std::string& actor = "lineage");

}  // namespace medlake::governance
