// pipeline/hl7_sql_functions.h: the SQL functions models use to read HL7 v2 message text.
//
// Part of pipeline. Models over raw.hl7_messages pick values out of the message text with
// hl7_segment(msg, 'PV1'), hl7_field(segment, n), hl7_component(field, k), ... (the list and
// their exact meaning are in docs/formats/pipeline_models.md). They are native functions (C++,
// registered through engine/native_functions.h) rather than SQL macros: DuckDB expands a macro
// inline at every use, so a nested hl7_ts(hl7_field(hl7_segment(msg, 'PV1'), 44)) re-ran the
// segment's regular expression several times per row.
//
// The functions are ingest/hl7v2/hl7_text_path.h bound to SQL. All assume the standard
// delimiters | ^ ~ \ & (what medlake's HL7 loader receives almost always; a message with other
// delimiters reads wrong through these helpers, not through the loader, which keeps the payload
// as received).
#pragma once

#include "core/status.h"
#include "engine/database.h"

namespace medlake::pipeline {

// Registers hl7_segment, hl7_segments, hl7_field, hl7_component, hl7_subcomponent,
// hl7_unescape, hl7_ts and hl7_date on `conn`'s database. Does nothing when they are there.
Status RegisterHl7SqlFunctions(engine::Connection& conn);

}  // namespace medlake::pipeline
