#include "synth/hl7_writer.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "synth/population.h"
#include "synth/reference_data.h"

namespace medlake::synth {

std::string Hl7Escape(std::string_view value) {
  if (value.find_first_of("|^~\\&\r\n") == std::string_view::npos)
    return std::string(value);
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '|':
        out += "\\F\\";
        break;
      case '^':
        out += "\\S\\";
        break;
      case '~':
        out += "\\R\\";
        break;
      case '\\':
        out += "\\E\\";
        break;
      case '&':
        out += "\\T\\";
        break;
      case '\r':
        out += "\\X0D\\";
        break;
      case '\n':
        out += "\\X0A\\";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Hl7Unescape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
      continue;
    }
    const size_t close = value.find('\\', i + 1);
    if (close == std::string_view::npos) {
      out.append(value.substr(i));
      break;
    }
    const std::string_view seq = value.substr(i + 1, close - i - 1);
    if (seq == "F")
      out += '|';
    else if (seq == "S")
      out += '^';
    else if (seq == "R")
      out += '~';
    else if (seq == "E")
      out += '\\';
    else if (seq == "T")
      out += '&';
    else if (seq == "X0D")
      out += '\r';
    else if (seq == "X0A")
      out += '\n';
    else
      out.append(value.substr(i, close - i + 1));
    i = close;
  }
  return out;
}

std::string Hl7FilePath(const SourceSystem& source, uint64_t file_number) {
  char name[32];
  std::snprintf(name, sizeof name, "%06llu.hl7", static_cast<unsigned long long>(file_number));
  return "hl7/" + source.code + "/" + name;
}

std::string Hl7MessagePath(const SourceSystem& source, uint64_t file_number, const std::string& control_id) {
  std::string path = Hl7FilePath(source, file_number);
  path.resize(path.size() - 4);  // without ".hl7"
  return path + "/" + control_id + ".hl7";
}

namespace {

// A segment under construction: fields 1..n (already escaped) joined with '|'.
class Segment {
 public:
  explicit Segment(std::string_view id) : id_(id) {}
  Segment& Set(size_t n, std::string value) {
    if (fields_.size() < n)
      fields_.resize(n);
    fields_[n - 1] = std::move(value);
    return *this;
  }
  void AppendTo(std::string* out) const {
    out->append(id_);
    size_t last = fields_.size();
    while (last > 0 && fields_[last - 1].empty())
      --last;
    for (size_t i = 0; i < last; ++i) {
      out->push_back('|');
      out->append(fields_[i]);
    }
    out->push_back('\r');
  }

 private:
  std::string id_;
  std::vector<std::string> fields_;
};

// Joins escaped components with '^' (trailing empty components dropped).
std::string Comp(std::initializer_list<std::string> parts) {
  std::vector<std::string> v(parts);
  while (!v.empty() && v.back().empty())
    v.pop_back();
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0)
      out += '^';
    out += v[i];
  }
  return out;
}

std::string E(std::string_view v) { return Hl7Escape(v); }

std::string FormatNumber(double value, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

enum class EventKind {
  kA28,
  kA31,
  kA40,
  kA04,
  kA01,
  kA02,
  kA08,
  kA03,
  kA11,
  kA13,
  kOml,
  kOru,
  kRde,
  kRds,
  kVxu,
};

struct FeedEvent {
  LocalTime t = 0;
  EventKind kind = EventKind::kA28;
  int source = 0;
  int record = -1;  // index into history.records
  int ref = -1;     // encounter, order, medication, immunization, or stay index
  int ref2 = -1;
  bool premature = false;  // an A03 sent too early (cancelled by an A13, then sent again)
};

class Hl7Renderer {
 public:
  Hl7Renderer(const Region& region, const PatientHistory& h, uint64_t file_number,
              FaultInjector* faults, BatchOutput* out, bool file_per_message)
      : region_(region),
        h_(h),
        file_number_(file_number),
        faults_(faults),
        out_(out),
        file_per_message_(file_per_message) {}

  void Render() {
    std::vector<FeedEvent> events = Plan();
    std::stable_sort(events.begin(), events.end(),
                     [](const FeedEvent& a, const FeedEvent& b) { return a.t < b.t; });
    for (const FeedEvent& ev : events)
      Emit(ev);
  }

 private:
  int RecordOf(int source) const {
    for (size_t i = 0; i < h_.records.size(); ++i) {
      if (h_.records[i].source == source && !h_.records[i].duplicate)
        return static_cast<int>(i);
    }
    return -1;
  }

  std::vector<FeedEvent> Plan() const {
    std::vector<FeedEvent> ev;
    const Person& p = h_.person;
    for (size_t r = 0; r < h_.records.size(); ++r) {
      const SourceRecord& rec = h_.records[r];
      const SourceKind kind = region_.sources[static_cast<size_t>(rec.source)].kind;
      if (kind != SourceKind::kHospitalHis && kind != SourceKind::kPrimaryCare)
        continue;
      ev.push_back({rec.first_seen - 60, EventKind::kA28, rec.source, static_cast<int>(r)});
      if (rec.duplicate && rec.merged_at) {
        const int primary = RecordOf(rec.source);
        ev.push_back({*rec.merged_at, EventKind::kA40, rec.source, primary, static_cast<int>(r)});
      }
      if (!rec.duplicate && rec.follows_moves) {
        for (size_t a = 1; a < p.addresses.size(); ++a) {
          const LocalTime t = AtTime(p.addresses[a].since, 10, 0);
          if (t > rec.first_seen) {
            ev.push_back({t, EventKind::kA31, rec.source, static_cast<int>(r)});
          }
        }
      }
    }
    // A death outside hospital reaches the primary care record as an update.
    const bool died_in_hospital =
        std::any_of(h_.encounters.begin(), h_.encounters.end(), [](auto& e) { return e.died; });
    if (p.death && !died_in_hospital) {
      ev.push_back({AtTime(*p.death, 23, 0), EventKind::kA31, region_.primary_care_source,
                    RecordOf(region_.primary_care_source)});
    }
    for (size_t e = 0; e < h_.encounters.size(); ++e) {
      const Encounter& enc = h_.encounters[e];
      if (!enc.hospital)
        continue;
      const int source = h_.records[static_cast<size_t>(enc.record)].source;
      const int ei = static_cast<int>(e);
      switch (enc.cls) {
        case EncounterClass::kEmergency:
          ev.push_back({enc.start, EventKind::kA04, source, enc.record, ei});
          ev.push_back({enc.end, EventKind::kA03, source, enc.record, ei});
          break;
        case EncounterClass::kOutpatient:
          ev.push_back({enc.start, EventKind::kA04, source, enc.record, ei});
          break;
        case EncounterClass::kInpatient: {
          ev.push_back({enc.start, EventKind::kA01, source, enc.record, ei});
          const uint64_t k = e * 13 + h_.person.index;
          if (k % 29 == 0) {
            // Admitted in error (wrong patient record or ward chosen at the desk): the admission is
            // cancelled (A11) and registered again.
            ev.push_back({enc.start + 900, EventKind::kA11, source, enc.record, ei});
            ev.push_back({enc.start + 1200, EventKind::kA01, source, enc.record, ei});
          }
          if (k % 23 == 0 && enc.end - enc.start > 86400 &&
              (enc.stays.empty() || enc.stays.back().from < enc.end - 21600)) {
            // Discharged too early in the system, discharge cancelled (A13), discharged for real.
            FeedEvent early{enc.end - 21600, EventKind::kA03, source, enc.record, ei};
            early.premature = true;
            ev.push_back(early);
            ev.push_back({enc.end - 18000, EventKind::kA13, source, enc.record, ei});
          }
          for (size_t s = 1; s < enc.stays.size(); ++s) {
            ev.push_back(
                {enc.stays[s].from, EventKind::kA02, source, enc.record, ei, static_cast<int>(s)});
          }
          if ((e * 7 + h_.person.index) % 5 == 0) {
            // Some stays get a mid-stay update (diagnosis, attending doctor): A08.
            ev.push_back(
                {enc.start + (enc.end - enc.start) / 3, EventKind::kA08, source, enc.record, ei});
          }
          ev.push_back({enc.end, EventKind::kA03, source, enc.record, ei});
          break;
        }
        case EncounterClass::kPrimaryCare:
          break;
      }
    }
    const int lab = RecordOf(region_.lab_source);
    for (size_t o = 0; o < h_.lab_orders.size(); ++o) {
      const LabOrder& order = h_.lab_orders[o];
      // The order (OML^O21) comes from the requesting doctor's system half an hour before the
      // sample is taken: the hospital's HIS for an order made during a hospital encounter,
      // primary care otherwise; the laboratory answers with the result (ORU^R01).
      int placer_source = region_.primary_care_source;
      int placer_record = RecordOf(placer_source);
      if (order.encounter >= 0) {
        const Encounter& e = h_.encounters[static_cast<size_t>(order.encounter)];
        if (e.hospital) {
          placer_record = e.record;
          placer_source = h_.records[static_cast<size_t>(e.record)].source;
        }
      }
      if (placer_record >= 0) {
        ev.push_back({order.collected - 1800, EventKind::kOml, placer_source, placer_record,
                      static_cast<int>(o)});
      }
      ev.push_back({order.reported, EventKind::kOru, region_.lab_source, lab, static_cast<int>(o)});
    }
    const int rx = RecordOf(region_.prescription_source);
    for (size_t m = 0; m < h_.medications.size(); ++m) {
      ev.push_back({h_.medications[m].authored + 120, EventKind::kRde, region_.prescription_source,
                    rx, static_cast<int>(m)});
      // The dispensation, reported by the e-prescription system (RDS^O13).
      if (h_.medications[m].dispensed) {
        ev.push_back({*h_.medications[m].dispensed, EventKind::kRds, region_.prescription_source,
                      rx, static_cast<int>(m)});
      }
    }
    const int ap = RecordOf(region_.primary_care_source);
    for (size_t i = 0; i < h_.immunizations.size(); ++i) {
      ev.push_back({h_.immunizations[i].when + 600, EventKind::kVxu, region_.primary_care_source,
                    ap, static_cast<int>(i)});
    }
    return ev;
  }

  std::string Xcn(int practitioner) const {
    const Practitioner& pr = region_.practitioners[static_cast<size_t>(practitioner)];
    return Comp({E(pr.id), E(pr.surname1) + "&&" + E(pr.surname2), E(pr.given), "", "", "", "", "",
                 "SERMAS"});
  }

  std::string OrgId(const Encounter& e) const {
    return e.hospital ? region_.hospitals[static_cast<size_t>(e.organization)].id
                      : region_.centres[static_cast<size_t>(e.organization)].id;
  }

  // PV1 of an order or result message: patient class and the visit the order was made in.
  Segment OrderPv1(const Encounter& e) const {
    Segment pv1("PV1");
    pv1.Set(1, "1");
    pv1.Set(2, e.cls == EncounterClass::kEmergency   ? "E"
               : e.cls == EncounterClass::kInpatient ? "I"
                                                     : "O");
    pv1.Set(3, Comp({"", "", "", E(OrgId(e))}));
    pv1.Set(19, Comp({E(e.id), "", "", E(OrgId(e)), "VN"}));
    return pv1;
  }

  // RXE (the prescription as ordered) of a pharmacy order or dispense message.
  Segment Rxe(const MedicationRequest& m) const {
    Segment rxe("RXE");
    rxe.Set(1, Comp({"1", "", "", FormatHl7Date(DateOf(m.authored)),
                     FormatHl7Date(DateOf(m.authored) + m.duration_days)}));
    rxe.Set(2, Comp({E(m.atc), E(m.name), "WHOATC"}));
    rxe.Set(3, "1");
    rxe.Set(5, Comp({"", E(m.form)}));
    rxe.Set(7, Comp({"", E(m.dose)}));
    return rxe;
  }

  // RXR: the route, from the pharmaceutical form.
  static Segment Rxr(const MedicationRequest& m) {
    Segment rxr("RXR");
    const bool inhaled = m.form.find("inhala") != std::string::npos;
    const bool injected = m.form.find("inyectable") != std::string::npos;
    rxr.Set(1, inhaled    ? "IH^Inhalation^HL70162"
               : injected ? "SC^Subcutaneous^HL70162"
                          : "PO^Oral^HL70162");
    return rxr;
  }

  Segment Msh(const SourceSystem& src, LocalTime t, std::string_view type, std::string_view event,
              std::string_view structure, const std::string& control_id) const {
    Segment msh("MSH");
    // MSH-1 is the field separator itself; Segment joins with it, so MSH-2 comes first.
    msh.Set(1, "^~\\&");
    msh.Set(2, E(src.application));
    msh.Set(3, E(src.facility));
    msh.Set(4, "MEDLAKE");
    msh.Set(5, "SERMAS");
    msh.Set(6, FormatHl7DateTime(t));
    msh.Set(8, Comp({std::string(type), std::string(event), std::string(structure)}));
    msh.Set(9, control_id);
    msh.Set(10, "P");
    msh.Set(11, "2.5");
    msh.Set(14, "AL");
    msh.Set(15, "NE");
    msh.Set(16, "ESP");
    msh.Set(17, "UNICODE UTF-8");
    return msh;
  }

  Segment Evn(std::string_view event, LocalTime t) const {
    Segment evn("EVN");
    evn.Set(1, std::string(event));
    evn.Set(2, FormatHl7DateTime(t));
    evn.Set(6, FormatHl7DateTime(t));
    return evn;
  }

  Segment Pid(const SourceRecord& rec, LocalTime t) const {
    const Person& p = h_.person;
    const SourceSystem& src = region_.sources[static_cast<size_t>(rec.source)];
    std::string ids = Comp({E(rec.local_id), "", "", E(src.assigning_authority), "PI"});
    const bool full = src.kind == SourceKind::kHospitalHis || src.kind == SourceKind::kPrimaryCare;
    if (full && !rec.national_id.empty()) {
      ids += "~" + Comp({E(rec.national_id), "", "", "MI", "NNESP"});
    }
    ids += "~" + Comp({E(p.cip), "", "", "SERMAS", "JHN"});
    if (full && !p.nuss.empty())
      ids += "~" + Comp({E(p.nuss), "", "", "TGSS", "SS"});
    Segment pid("PID");
    pid.Set(1, "1");
    pid.Set(3, ids);
    std::string family = E(rec.surname1);
    if (!rec.surname2.empty())
      family += "&&" + E(rec.surname2);
    pid.Set(5, Comp({family, E(rec.given), "", "", "", "", "L"}));
    pid.Set(7, FormatHl7Date(rec.birth));
    pid.Set(8, p.sex == Sex::kFemale ? "F" : "M");
    if (src.kind != SourceKind::kLaboratory && src.kind != SourceKind::kPrescription) {
      const Address& a = rec.follows_moves ? AddressOn(p, DateOf(t)) : p.addresses[0];
      const auto& m = MadridMunicipalities()[static_cast<size_t>(a.municipality)];
      pid.Set(11, Comp({E(a.street_line), "", E(m.name), "Madrid", a.postal_code, "ESP", "H"}));
      pid.Set(13, Comp({p.phone, "PRN", p.phone[0] == '9' ? "PH" : "CP"}));
      const auto& nat = Nationalities()[static_cast<size_t>(p.nationality)];
      pid.Set(28, Comp({std::string(nat.iso3166_alpha2), E(nat.name_es), "ISO3166"}));
    }
    if (p.death && DateOf(t) >= *p.death) {
      pid.Set(29, FormatHl7Date(*p.death));
      pid.Set(30, "Y");
    }
    return pid;
  }

  std::string Location(const Encounter& e, size_t stay) const {
    if (e.stays.empty()) {
      const char* area = e.cls == EncounterClass::kEmergency ? "URG" : "CEX";
      return Comp({area, "", "", E(OrgId(e))});
    }
    const BedStay& s = e.stays[stay];
    return Comp({E(s.ward), E(s.room), E(s.bed), E(OrgId(e))});
  }

  // `discharged_at`: the discharge time to show when not the encounter's end (0: its end).
  Segment Pv1(const Encounter& e, size_t stay, bool discharged, LocalTime discharged_at = 0) const {
    Segment pv1("PV1");
    pv1.Set(1, "1");
    const char* cls = e.cls == EncounterClass::kEmergency   ? "E"
                      : e.cls == EncounterClass::kInpatient ? "I"
                                                            : "O";
    pv1.Set(2, cls);
    pv1.Set(3, Location(e, stay));
    if (e.cls == EncounterClass::kInpatient) {
      pv1.Set(4, e.reason_icd10 == "Z38.0" ? "N" : e.admitted_from >= 0 ? "E" : "R");
    }
    if (stay > 0)
      pv1.Set(6, Location(e, stay - 1));
    pv1.Set(7, Xcn(e.practitioner));
    const Practitioner& pr = region_.practitioners[static_cast<size_t>(e.practitioner)];
    pv1.Set(10, E(pr.specialty));
    pv1.Set(19, Comp({E(e.id), "", "", E(OrgId(e)), "VN"}));
    if (discharged && e.cls != EncounterClass::kOutpatient) {
      pv1.Set(36, e.discharge_disposition);
      pv1.Set(45, FormatHl7DateTime(discharged_at != 0 ? discharged_at : e.end));
    }
    pv1.Set(44, FormatHl7DateTime(e.start));
    return pv1;
  }

  Segment Dg1(const Encounter& e, int set_id, std::string_view type, LocalTime t) const {
    Segment dg1("DG1");
    dg1.Set(1, std::to_string(set_id));
    dg1.Set(3, Comp({E(e.reason_icd10), E(e.reason_display), "I10"}));
    dg1.Set(5, FormatHl7DateTime(t));
    dg1.Set(6, std::string(type));
    return dg1;
  }

  Segment Obx(int set_id, const Observation& o) const {
    Segment obx("OBX");
    obx.Set(1, std::to_string(set_id));
    obx.Set(2, "NM");
    obx.Set(3, Comp({E(o.loinc), E(o.display), "LN"}));
    obx.Set(5, FormatNumber(o.value, o.decimals));
    obx.Set(6, Comp({E(o.unit), E(o.unit), "UCUM"}));
    if (o.low && o.high) {
      obx.Set(7, FormatNumber(*o.low, o.decimals) + "-" + FormatNumber(*o.high, o.decimals));
    }
    if (o.low && o.high)
      obx.Set(8, o.flag.empty() ? "N" : o.flag);
    obx.Set(11, "F");
    obx.Set(14, FormatHl7DateTime(o.effective));
    return obx;
  }

  std::string ControlId(int source) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02d%09llu%04d", source,
                  static_cast<unsigned long long>(h_.person.index), ++sequence_);
    return buf;
  }

  void Emit(const FeedEvent& ev) {
    if (ev.record < 0)
      return;
    const SourceSystem& src = region_.sources[static_cast<size_t>(ev.source)];
    const SourceRecord& rec = h_.records[static_cast<size_t>(ev.record)];
    const std::string control = ControlId(ev.source);
    std::vector<Segment> segs;
    std::string type;
    auto adt = [&](std::string_view event, std::string_view structure) {
      segs.push_back(Msh(src, ev.t, "ADT", event, structure, control));
      segs.push_back(Evn(event, ev.t));
      type = "ADT^" + std::string(event);
    };
    switch (ev.kind) {
      case EventKind::kA28:
      case EventKind::kA31: {
        const bool add = ev.kind == EventKind::kA28;
        adt(add ? "A28" : "A31", "ADT_A05");
        const SourceRecord& shown = add ? h_.records[static_cast<size_t>(ev.record)] : rec;
        segs.push_back(Pid(shown, ev.t));
        Segment pv1("PV1");
        pv1.Set(1, "1");
        pv1.Set(2, "N");
        segs.push_back(pv1);
        break;
      }
      case EventKind::kA40: {
        adt("A40", "ADT_A39");
        segs.push_back(Pid(rec, ev.t));
        const SourceRecord& dup = h_.records[static_cast<size_t>(ev.ref)];
        Segment mrg("MRG");
        mrg.Set(1, Comp({E(dup.local_id), "", "", E(src.assigning_authority), "PI"}));
        segs.push_back(mrg);
        break;
      }
      case EventKind::kA11:
      case EventKind::kA13: {
        // Cancel admit / cancel discharge: the visit as it stands, no diagnoses.
        const Encounter& e = h_.encounters[static_cast<size_t>(ev.ref)];
        const bool a11 = ev.kind == EventKind::kA11;
        adt(a11 ? "A11" : "A13", a11 ? "ADT_A09" : "ADT_A01");
        segs.push_back(Pid(h_.records[static_cast<size_t>(e.record)], ev.t));
        size_t stay = 0;
        for (size_t s = 0; s < e.stays.size(); ++s) {
          if (e.stays[s].from <= ev.t)
            stay = s;
        }
        segs.push_back(Pv1(e, stay, /*discharged=*/false));
        break;
      }
      case EventKind::kA04:
      case EventKind::kA01:
      case EventKind::kA02:
      case EventKind::kA08:
      case EventKind::kA03: {
        const Encounter& e = h_.encounters[static_cast<size_t>(ev.ref)];
        const SourceRecord& used = h_.records[static_cast<size_t>(e.record)];
        const char* code = ev.kind == EventKind::kA04   ? "A04"
                           : ev.kind == EventKind::kA01 ? "A01"
                           : ev.kind == EventKind::kA02 ? "A02"
                           : ev.kind == EventKind::kA08 ? "A08"
                                                        : "A03";
        const char* structure = ev.kind == EventKind::kA02   ? "ADT_A02"
                                : ev.kind == EventKind::kA03 ? "ADT_A03"
                                                             : "ADT_A01";
        adt(code, structure);
        segs.push_back(Pid(used, ev.t));
        size_t stay = 0;
        if (ev.kind == EventKind::kA02)
          stay = static_cast<size_t>(ev.ref2);
        if (ev.kind == EventKind::kA03 || ev.kind == EventKind::kA08) {
          for (size_t s = 0; s < e.stays.size(); ++s) {
            if (e.stays[s].from <= ev.t)
              stay = s;
          }
        }
        segs.push_back(Pv1(e, stay, ev.kind == EventKind::kA03, ev.premature ? ev.t : 0));
        if (ev.kind == EventKind::kA04 && e.cls == EncounterClass::kEmergency) {
          int set = 0;
          for (const Observation& o : h_.observations) {
            if (o.encounter == ev.ref && o.order < 0)
              segs.push_back(Obx(++set, o));
          }
        }
        if (ev.kind == EventKind::kA01 || ev.kind == EventKind::kA04) {
          segs.push_back(Dg1(e, 1, "A", ev.t));
        } else if (ev.kind == EventKind::kA08) {
          segs.push_back(Dg1(e, 1, "W", ev.t));
        } else if (ev.kind == EventKind::kA03) {
          segs.push_back(Dg1(e, 1, "F", ev.t));
          // The procedures of the stay, in the discharge message.
          int set = 0;
          for (const Procedure& p : h_.procedures) {
            if (p.encounter != ev.ref || p.performed > ev.t)
              continue;
            Segment pr1("PR1");
            pr1.Set(1, std::to_string(++set));
            pr1.Set(3, Comp({E(p.snomed), E(p.display), "SCT"}));
            pr1.Set(5, FormatHl7DateTime(p.performed));
            pr1.Set(12, Xcn(p.practitioner));
            segs.push_back(pr1);
          }
        }
        break;
      }
      case EventKind::kOml:
      case EventKind::kOru: {
        // The order (OML^O21, from the requesting system) and its result (ORU^R01, from the lab)
        // share PV1, ORC and OBR; the result adds the filler number, report time and OBX.
        const bool result = ev.kind == EventKind::kOru;
        const LabOrder& o = h_.lab_orders[static_cast<size_t>(ev.ref)];
        segs.push_back(result ? Msh(src, ev.t, "ORU", "R01", "ORU_R01", control)
                              : Msh(src, ev.t, "OML", "O21", "OML_O21", control));
        type = result ? "ORU^R01" : "OML^O21";
        segs.push_back(Pid(rec, ev.t));
        if (o.encounter >= 0) {
          segs.push_back(OrderPv1(h_.encounters[static_cast<size_t>(o.encounter)]));
        }
        Segment orc("ORC");
        orc.Set(1, result ? "RE" : "NW");
        orc.Set(2, E(o.placer_number));
        orc.Set(5, result ? "CM" : "SC");
        orc.Set(12, Xcn(o.practitioner));
        Segment obr("OBR");
        obr.Set(1, "1");
        obr.Set(2, E(o.placer_number));
        obr.Set(4, Comp({"ANALITICA", "Analítica", "L"}));
        obr.Set(7, FormatHl7DateTime(o.collected));
        obr.Set(16, Xcn(o.practitioner));
        if (!result) {
          orc.Set(9, FormatHl7DateTime(ev.t));
          segs.push_back(orc);
          segs.push_back(obr);
          break;
        }
        orc.Set(3, E(o.filler_number));
        obr.Set(3, E(o.filler_number));
        obr.Set(22, FormatHl7DateTime(o.reported));
        obr.Set(25, "F");
        segs.push_back(orc);
        segs.push_back(obr);
        int set = 0;
        for (int idx : o.observations) {
          segs.push_back(Obx(++set, h_.observations[static_cast<size_t>(idx)]));
        }
        break;
      }
      case EventKind::kRde: {
        const MedicationRequest& m = h_.medications[static_cast<size_t>(ev.ref)];
        segs.push_back(Msh(src, ev.t, "RDE", "O11", "RDE_O11", control));
        type = "RDE^O11";
        segs.push_back(Pid(rec, ev.t));
        Segment orc("ORC");
        orc.Set(1, "NW");
        orc.Set(2, E(m.id));
        orc.Set(9, FormatHl7DateTime(m.authored));
        orc.Set(12, Xcn(m.practitioner));
        segs.push_back(orc);
        segs.push_back(Rxe(m));
        segs.push_back(Rxr(m));
        break;
      }
      case EventKind::kRds: {
        const MedicationRequest& m = h_.medications[static_cast<size_t>(ev.ref)];
        segs.push_back(Msh(src, ev.t, "RDS", "O13", "RDS_O13", control));
        type = "RDS^O13";
        segs.push_back(Pid(rec, ev.t));
        Segment orc("ORC");
        orc.Set(1, "RE");
        orc.Set(2, E(m.id));
        orc.Set(5, "CM");
        orc.Set(9, FormatHl7DateTime(ev.t));
        orc.Set(12, Xcn(m.practitioner));
        segs.push_back(orc);
        segs.push_back(Rxe(m));
        Segment rxd("RXD");
        rxd.Set(1, "1");
        rxd.Set(2, Comp({E(m.atc), E(m.name), "WHOATC"}));
        rxd.Set(3, FormatHl7DateTime(ev.t));
        rxd.Set(4, "1");
        rxd.Set(5, Comp({"", E(m.form)}));
        rxd.Set(7, E(m.id));
        segs.push_back(rxd);
        segs.push_back(Rxr(m));
        break;
      }
      case EventKind::kVxu: {
        const Immunization& im = h_.immunizations[static_cast<size_t>(ev.ref)];
        segs.push_back(Msh(src, ev.t, "VXU", "V04", "VXU_V04", control));
        type = "VXU^V04";
        segs.push_back(Pid(rec, ev.t));
        Segment orc("ORC");
        orc.Set(1, "RE");
        orc.Set(3, E(im.id));
        segs.push_back(orc);
        Segment rxa("RXA");
        rxa.Set(1, "0");
        rxa.Set(2, "1");
        rxa.Set(3, FormatHl7DateTime(im.when));
        rxa.Set(4, FormatHl7DateTime(im.when));
        rxa.Set(5, Comp({E(im.cvx), E(im.display), "CVX"}));
        rxa.Set(6, "0.5");
        rxa.Set(7, "mL^mL^UCUM");
        rxa.Set(10, Xcn(im.practitioner));
        const Address& a = AddressOn(h_.person, DateOf(im.when));
        rxa.Set(11, Comp({"", "", "", E(region_.centres[static_cast<size_t>(a.centre)].id)}));
        rxa.Set(15, E(im.lot));
        rxa.Set(20, "CP");
        rxa.Set(21, "A");
        segs.push_back(rxa);
        break;
      }
    }
    std::string text;
    for (const Segment& s : segs)
      s.AppendTo(&text);
    const std::string path =
        file_per_message_ ? Hl7MessagePath(src, file_number_, control) : Hl7FilePath(src, file_number_);
    Chunk& chunk = out_->At(path);
    chunk.rolling = !file_per_message_;
    chunk.whole_file = file_per_message_;
    chunk.line_records = false;
    ++chunk.records;
    out_->Count("hl7/" + type);
    if (faults_->Roll())
      InjectFault(&text, control, &chunk);
    chunk.text += text;
  }

  // Breaks `text` (one message) in one of the documented ways and records where.
  void InjectFault(std::string* text, const std::string& control, Chunk* chunk) {
    PendingMark mark;
    mark.record = chunk->records;
    mark.record_id = control;
    const size_t pid = text->find("\rPID|");
    switch (faults_->Pick(6)) {
      case 0: {
        // Malformed segment: a segment id that is not three upper-case letters/digits.
        if (pid != std::string::npos)
          text->replace(pid + 1, 3, "P?D");
        mark.kind = "hl7_malformed_segment";
        mark.detail = "PID segment id";
        break;
      }
      case 1: {
        // Wrong delimiter: the PID segment uses ';' where MSH-1 declares '|'.
        const size_t end = text->find('\r', pid + 1);
        for (size_t i = pid + 1; i < end; ++i) {
          if ((*text)[i] == '|')
            (*text)[i] = ';';
        }
        mark.kind = "hl7_wrong_delimiter";
        mark.detail = "PID";
        break;
      }
      case 2: {
        // Invalid code: an administrative sex outside HL7 table 0001.
        size_t field = pid + 1;
        for (int n = 0; n < 8 && field != std::string::npos; ++n)
          field = text->find('|', field + 1);
        if (field != std::string::npos)
          text->replace(field + 1, 1, "Q");
        mark.kind = "hl7_invalid_code";
        mark.detail = "PID-8";
        break;
      }
      case 3: {
        // Impossible date: birth date on 31 February.
        size_t field = pid + 1;
        for (int n = 0; n < 7 && field != std::string::npos; ++n)
          field = text->find('|', field + 1);
        if (field != std::string::npos)
          text->replace(field + 5, 4, "0231");
        mark.kind = "hl7_impossible_date";
        mark.detail = "PID-7";
        break;
      }
      case 4: {
        // Truncated: the message stops in the middle of its last segment.
        const size_t last = text->rfind('\r', text->size() - 2);
        const size_t cut = last + 1 + (text->size() - last - 1) / 2;
        text->resize(cut);
        text->push_back('\r');
        mark.kind = "hl7_truncated";
        mark.detail = "last segment";
        break;
      }
      default: {
        // Bad encoding: PID-5 written as ISO-8859-1 in a message declared UTF-8, or a stray
        // 0xFF byte when the name is plain ASCII. Either way the bytes are not valid UTF-8.
        size_t field = pid + 1;
        for (int n = 0; n < 5 && field != std::string::npos; ++n)
          field = text->find('|', field + 1);
        const size_t end = text->find('|', field + 1);
        std::string name = text->substr(field + 1, end - field - 1);
        std::string latin1;
        bool changed = false;
        for (size_t i = 0; i < name.size(); ++i) {
          const auto c = static_cast<unsigned char>(name[i]);
          if (c == 0xC3 && i + 1 < name.size()) {
            latin1 += static_cast<char>(0xC0 + (static_cast<unsigned char>(name[++i]) - 0x80));
            changed = true;
          } else {
            latin1 += name[i];
          }
        }
        if (!changed)
          latin1 += static_cast<char>(0xFF);
        text->replace(field + 1, end - field - 1, latin1);
        mark.kind = "hl7_bad_encoding";
        mark.detail = "PID-5";
        break;
      }
    }
    chunk->faults.push_back(std::move(mark));
  }

  const Region& region_;
  const PatientHistory& h_;
  uint64_t file_number_;
  FaultInjector* faults_;
  BatchOutput* out_;
  bool file_per_message_ = false;
  int sequence_ = 0;
};

}  // namespace

void RenderHl7(const Region& region, const PatientHistory& history, uint64_t file_number,
               FaultInjector* faults, BatchOutput* out, bool file_per_message) {
  Hl7Renderer(region, history, file_number, faults, out, file_per_message).Render();
}

}  // namespace medlake::synth
