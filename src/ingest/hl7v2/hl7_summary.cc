#include "ingest/hl7v2/hl7_summary.h"

#include <string>
#include <utility>

namespace medlake::ingest::hl7v2 {
namespace {

class Summarizer {
 public:
  Summarizer(const Hl7Message& message, Hl7Rejection* rejection)
      : m_(message), rejection_(rejection) {}

  Result<Hl7Summary> Run() {
    Hl7Summary s;
    s.segment_count = m_.segment_count();
    s.charset = m_.charset();
    MEDLAKE_ASSIGN_OR_RETURN(s.message_type, Comp(0, 9, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.trigger_event, Comp(0, 9, 2));
    MEDLAKE_ASSIGN_OR_RETURN(s.message_structure, Comp(0, 9, 3));
    MEDLAKE_ASSIGN_OR_RETURN(s.control_id, Whole(0, 10));
    MEDLAKE_ASSIGN_OR_RETURN(s.processing_id, Comp(0, 11, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.version, Comp(0, 12, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.sending_application, Comp(0, 3, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.sending_facility, Comp(0, 4, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.receiving_application, Comp(0, 5, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.receiving_facility, Comp(0, 6, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.accept_ack_type, Comp(0, 15, 1));
    MEDLAKE_ASSIGN_OR_RETURN(s.application_ack_type, Comp(0, 16, 1));
    if (s.message_type.empty()) {
      return Reject(Hl7RejectReason::kRequiredFieldMissing, "MSH-9 message type is empty", 9);
    }
    if (s.control_id.empty()) {
      return Reject(Hl7RejectReason::kRequiredFieldMissing, "MSH-10 message control id is empty",
                    10);
    }
    if (s.version.empty()) {
      return Reject(Hl7RejectReason::kRequiredFieldMissing, "MSH-12 version id is empty", 12);
    }
    if (s.trigger_event.empty()) {
      // Before v2.3 the event was only in EVN-1; some senders still do that.
      if (auto evn = m_.FindSegment("EVN"); evn.has_value()) {
        MEDLAKE_ASSIGN_OR_RETURN(s.trigger_event, Comp(*evn, 1, 1));
      }
    }
    // MSH-7 is TS (DTM^precision) before v2.6 and DTM after: the first component is the DTM.
    const std::string_view ts = m_.Component(0, 7, 1, 1);
    if (!ts.empty()) {
      auto parsed = ParseHl7DateTime(ts);
      if (!parsed.ok()) {
        return Reject(Hl7RejectReason::kDataTypeError, "MSH-7 is not a valid DTM", 7);
      }
      s.message_time = *parsed;
    }
    MEDLAKE_RETURN_IF_ERROR(Identifiers("PID", 3, &s.patient_identifiers));
    MEDLAKE_RETURN_IF_ERROR(Identifiers("MRG", 1, &s.prior_patient_identifiers));
    return s;
  }

 private:
  Status Reject(Hl7RejectReason reason, std::string text, size_t field, size_t seg = 0) {
    Hl7Rejection r;
    r.reason = reason;
    r.text = std::move(text);
    r.segment_index = seg + 1;
    r.segment_id = std::string(m_.SegmentId(seg));
    r.segment_sequence = 0;
    for (size_t i = 0; i <= seg; ++i) {
      r.segment_sequence += m_.SegmentId(i) == r.segment_id ? 1 : 0;
    }
    r.field = field;
    r.byte_offset = m_.SegmentOffset(seg);
    Status status = r.ToStatus();
    if (rejection_ != nullptr) {
      *rejection_ = std::move(r);
    }
    return status;
  }

  Result<std::string> DecodeAt(std::string_view raw, size_t seg, size_t field) {
    if (raw.empty()) {
      return std::string();
    }
    auto decoded = m_.Decode(raw);
    if (!decoded.ok()) {
      return Reject(Hl7RejectReason::kInvalidCharacterEncoding,
                    "escape sequence decodes to invalid text", field, seg);
    }
    return std::move(decoded).value();
  }
  Result<std::string> Comp(size_t seg, size_t field, size_t comp) {
    return DecodeAt(m_.Component(seg, field, 1, comp), seg, field);
  }
  Result<std::string> Whole(size_t seg, size_t field) {
    return DecodeAt(m_.Field(seg, field), seg, field);
  }

  Status Identifiers(std::string_view id, size_t field, std::vector<Hl7PatientIdentifier>* out) {
    size_t occurrence = 0;
    for (size_t seg = 0; seg < m_.segment_count(); ++seg) {
      if (m_.SegmentId(seg) != id) {
        continue;
      }
      ++occurrence;
      const size_t reps = m_.RepetitionCount(seg, field);
      for (size_t rep = 1; rep <= reps; ++rep) {
        if (m_.Repetition(seg, field, rep).empty()) {
          continue;
        }
        Hl7PatientIdentifier pi;
        pi.segment_occurrence = occurrence;
        MEDLAKE_ASSIGN_OR_RETURN(pi.id, DecodeAt(m_.Component(seg, field, rep, 1), seg, field));
        MEDLAKE_ASSIGN_OR_RETURN(pi.assigning_authority,
                                 DecodeAt(m_.Subcomponent(seg, field, rep, 4, 1), seg, field));
        MEDLAKE_ASSIGN_OR_RETURN(pi.assigning_authority_universal,
                                 DecodeAt(m_.Subcomponent(seg, field, rep, 4, 2), seg, field));
        MEDLAKE_ASSIGN_OR_RETURN(pi.identifier_type_code,
                                 DecodeAt(m_.Component(seg, field, rep, 5), seg, field));
        out->push_back(std::move(pi));
      }
    }
    return Status::OK();
  }

  const Hl7Message& m_;
  Hl7Rejection* rejection_;
};

}  // namespace

Result<Hl7Summary> Summarize(const Hl7Message& message, Hl7Rejection* rejection) {
  return Summarizer(message, rejection).Run();
}

}  // namespace medlake::ingest::hl7v2
