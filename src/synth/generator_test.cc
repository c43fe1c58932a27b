#include "synth/generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "synth/calendar.h"
#include "synth/history.h"
#include "synth/population.h"
#include "synth/reference_data.h"
#include "synth/spanish_ids.h"

#include "core/file_system.h"
#include "core/testing/status_matchers.h"
#include "core/testing/temp_dir.h"

namespace medlake::synth {
namespace {

using Tree = std::map<std::string, std::string>;  // relative path -> bytes

SynthOptions SmallOptions(const std::string& out, uint64_t seed = 7) {
  SynthOptions o;
  o.patients = 120;
  o.seed = seed;
  o.out_dir = out;
  o.patients_per_file = 50;
  o.batch_size = 16;
  o.threads = 2;
  return o;
}

Tree ReadTree(const std::string& root) {
  Tree tree;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file())
      continue;
    const std::string rel = std::filesystem::relative(entry.path(), root).string();
    auto data = LocalFileSystem::Default().ReadFile(entry.path().string());
    EXPECT_TRUE(data.ok()) << rel;
    tree[rel] = data.ok() ? *data : "";
  }
  return tree;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    if (at == std::string::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = Split(text, '\n');
  if (!lines.empty() && lines.back().empty())
    lines.pop_back();
  return lines;
}

// HL7 messages of a file: each is a list of segments (without the CR).
std::vector<std::vector<std::string>> Messages(const std::string& text) {
  std::vector<std::vector<std::string>> messages;
  for (const std::string& seg : Split(text, '\r')) {
    if (seg.empty())
      continue;
    if (seg.rfind("MSH|", 0) == 0)
      messages.emplace_back();
    if (messages.empty())
      messages.emplace_back();
    messages.back().push_back(seg);
  }
  return messages;
}

std::string Field(const std::string& segment, size_t n) {
  const std::vector<std::string> f = Split(segment, '|');
  // MSH-1 is the separator itself, so MSH fields sit one position to the left.
  const size_t index = segment.rfind("MSH|", 0) == 0 ? n - 1 : n;
  return index < f.size() ? f[index] : "";
}

const std::string* FindSegment(const std::vector<std::string>& message, std::string_view id) {
  for (const std::string& s : message) {
    if (s.compare(0, id.size() + 1, std::string(id) + "|") == 0)
      return &s;
  }
  return nullptr;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int extra = c < 0x80             ? 0
                      : (c & 0xE0) == 0xC0 ? 1
                      : (c & 0xF0) == 0xE0 ? 2
                      : (c & 0xF8) == 0xF0 ? 3
                                           : -1;
    if (extra < 0 || (extra == 1 && c < 0xC2))
      return false;
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    }
    i += static_cast<size_t>(extra) + 1;
  }
  return true;
}

struct FaultRow {
  std::string file;
  uint64_t index = 0;
  std::string record_id;
  std::string kind;
  std::string detail;
};

std::vector<FaultRow> ReadFaults(const Tree& tree) {
  std::vector<FaultRow> rows;
  const std::vector<std::string> lines = Lines(tree.at("truth/faults.csv"));
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = Split(lines[i], ',');
    EXPECT_EQ(f.size(), 5u) << lines[i];
    if (f.size() != 5)
      continue;
    rows.push_back({f[0], std::stoull(f[1]), f[2], f[3], f[4]});
  }
  return rows;
}

class SynthRunTest : public ::testing::Test {
 protected:
  Tree Run(SynthOptions options) {
    auto summary = RunSynth(options, &LocalFileSystem::Default());
    EXPECT_THAT(summary, IsOk());
    return ReadTree(options.out_dir);
  }
  TempDir dir_;
};

TEST_F(SynthRunTest, SameSeedGivesIdenticalBytesWhateverTheThreadCount) {
  SynthOptions a = SmallOptions(dir_.Join("a"));
  SynthOptions b = SmallOptions(dir_.Join("b"));
  b.threads = 0;
  b.batch_size = 7;
  const Tree ta = Run(a);
  const Tree tb = Run(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (const auto& [path, bytes] : ta) {
    ASSERT_TRUE(tb.count(path)) << path;
    EXPECT_TRUE(bytes == tb.at(path)) << path << " differs";
  }
}

TEST_F(SynthRunTest, DifferentSeedsGiveDifferentData) {
  const Tree ta = Run(SmallOptions(dir_.Join("a"), 7));
  const Tree tb = Run(SmallOptions(dir_.Join("b"), 8));
  EXPECT_NE(ta.at("fhir/Patient.ndjson"), tb.at("fhir/Patient.ndjson"));
  EXPECT_NE(ta.at("hl7/AP/000000.hl7"), tb.at("hl7/AP/000000.hl7"));
}

TEST_F(SynthRunTest, WritesTheDocumentedLayout) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  for (const char* path :
       {"manifest.json", "truth/source_records.csv", "truth/faults.csv", "truth/csv_quirks.csv",
        "fhir/Patient.ndjson", "fhir/Practitioner.ndjson", "fhir/Organization.ndjson",
        "fhir/Encounter.ndjson", "fhir/Condition.ndjson", "fhir/Observation.ndjson",
        "fhir/MedicationRequest.ndjson", "fhir/Immunization.ndjson", "hl7/AP/000000.hl7",
        "hl7/AP/000002.hl7", "hl7/LAB/000000.hl7", "hl7/RECETA/000001.hl7",
        "csv/LABLEG/lab_results.contract.yaml", "csv/LABLEG/lab_results_000000.csv"}) {
    EXPECT_TRUE(t.count(path)) << path;
  }
  EXPECT_FALSE(t.count("hl7/AP/000003.hl7"));  // 120 patients, 50 per file
}

TEST_F(SynthRunTest, ManifestCountsMatchTheFiles) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  const auto manifest = nlohmann::json::parse(t.at("manifest.json"));
  EXPECT_EQ(manifest["patients"], 120);
  std::map<std::string, uint64_t> counted;
  for (const auto& [path, bytes] : t) {
    uint64_t records = 0;
    if (path.rfind("hl7/", 0) == 0) {
      for (const auto& m : Messages(bytes)) {
        ++records;
        const std::vector<std::string> type = Split(Field(m[0], 9), '^');
        ++counted["hl7/" + type[0] + "^" + type[1]];
      }
    } else if (path.rfind("fhir/", 0) == 0) {
      records = Lines(bytes).size();
      counted[path.substr(0, path.size() - 7)] += records;  // strip ".ndjson"
    } else if (path.rfind("csv/", 0) == 0 && path.find(".csv") != std::string::npos) {
      records = Lines(bytes).size() - 1;  // header
      counted["csv/LABLEG/lab_results"] += records;
    } else {
      continue;
    }
    ASSERT_TRUE(manifest["files"].contains(path)) << path;
    EXPECT_EQ(manifest["files"][path]["records"].get<uint64_t>(), records) << path;
    EXPECT_EQ(manifest["files"][path]["bytes"].get<uint64_t>(), bytes.size()) << path;
  }
  for (const auto& [key, n] : counted) {
    EXPECT_EQ(manifest["counts"][key].get<uint64_t>(), n) << key;
  }
  EXPECT_EQ(manifest["counts"]["fhir/Patient"], 120);
  for (const char* type : {"fhir/Procedure", "fhir/ImagingStudy", "fhir/MedicationDispense"}) {
    EXPECT_GT(manifest["counts"][type].get<uint64_t>(), 0u) << type;
  }
  EXPECT_EQ(manifest["counts"]["population/persons"], 120);
  const uint64_t truth_rows = Lines(t.at("truth/source_records.csv")).size() - 1;
  EXPECT_EQ(manifest["truth"]["source_records"].get<uint64_t>(), truth_rows);
  for (const char* type :
       {"ADT^A01", "ADT^A03", "ADT^A04", "ADT^A11", "ADT^A13", "ADT^A28", "OML^O21", "ORU^R01",
        "RDE^O11", "RDS^O13", "VXU^V04"}) {
    EXPECT_GT(counted["hl7/" + std::string(type)], 0u) << type;
  }
}

TEST_F(SynthRunTest, Hl7MessagesAreWellFormedAndIdentifiersValid) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  std::set<std::string> control_ids;
  std::set<std::string> ordered;     // OML placer numbers (ORC-2)
  std::set<std::string> prescribed;  // RDE prescription ids (ORC-2)
  std::vector<std::string> resulted, dispensed;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> visits;  // PV1-19 -> (MSH-7, event)
  uint64_t messages = 0;
  for (const auto& [path, bytes] : t) {
    if (path.rfind("hl7/", 0) != 0)
      continue;
    EXPECT_TRUE(IsValidUtf8(bytes)) << path;
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.back(), '\r') << path;
    EXPECT_EQ(bytes.find('\n'), std::string::npos) << path;
    for (const auto& m : Messages(bytes)) {
      ++messages;
      ASSERT_EQ(m[0].rfind("MSH|^~\\&|", 0), 0u) << path;
      EXPECT_EQ(Field(m[0], 12), "2.5");
      EXPECT_EQ(Field(m[0], 18), "UNICODE UTF-8");
      EXPECT_TRUE(control_ids.insert(Field(m[0], 10)).second) << "duplicate MSH-10";
      for (const std::string& seg : m) {
        ASSERT_GE(seg.size(), 4u);
        EXPECT_EQ(seg[3], '|') << seg.substr(0, 3);
        for (int i = 0; i < 3; ++i) {
          EXPECT_TRUE(std::isupper(static_cast<unsigned char>(seg[i])) ||
                      std::isdigit(static_cast<unsigned char>(seg[i])));
        }
      }
      const std::string* pid = FindSegment(m, "PID");
      ASSERT_NE(pid, nullptr);
      for (const std::string& cx : Split(Field(*pid, 3), '~')) {
        const std::vector<std::string> c = Split(cx, '^');
        ASSERT_EQ(c.size(), 5u) << "PID-3 repetition";
        if (c[4] == "NNESP") {
          EXPECT_TRUE(IsValidDniOrNie(c[0]));
        }
        if (c[4] == "SS") {
          EXPECT_TRUE(IsValidNuss(c[0]));
        }
        if (c[4] == "JHN") {
          EXPECT_TRUE(IsValidCip(c[0]));
        }
      }
      EXPECT_TRUE(ParseIsoDate([&] {
                    const std::string d = Field(*pid, 7);
                    return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
                  }())
                      .has_value());
      const std::string type = Field(m[0], 9);
      if (type.rfind("ORU^R01", 0) == 0) {
        EXPECT_NE(FindSegment(m, "OBR"), nullptr);
        EXPECT_NE(FindSegment(m, "OBX"), nullptr);
      }
      if (type.rfind("ADT^A40", 0) == 0) {
        EXPECT_NE(FindSegment(m, "MRG"), nullptr);
      }
      if (type.rfind("ADT^", 0) == 0 && FindSegment(m, "PV1") != nullptr &&
          !Field(*FindSegment(m, "PV1"), 19).empty()) {
        visits[Field(*FindSegment(m, "PV1"), 19)].emplace_back(Field(m[0], 7), type.substr(4, 3));
      }
      if (type.rfind("RDE^O11", 0) == 0) {
        EXPECT_NE(FindSegment(m, "RXE"), nullptr);
        prescribed.insert(Field(*FindSegment(m, "ORC"), 2));
      }
      if (type.rfind("OML^O21", 0) == 0) {
        ASSERT_NE(FindSegment(m, "ORC"), nullptr);
        ASSERT_NE(FindSegment(m, "OBR"), nullptr);
        EXPECT_EQ(Field(*FindSegment(m, "ORC"), 1), "NW");
        ordered.insert(Field(*FindSegment(m, "ORC"), 2));
      }
      if (type.rfind("ORU^R01", 0) == 0) {
        resulted.push_back(Field(*FindSegment(m, "OBR"), 2));
      }
      if (type.rfind("RDS^O13", 0) == 0) {
        ASSERT_NE(FindSegment(m, "RXD"), nullptr);
        EXPECT_EQ(Field(*FindSegment(m, "RXD"), 7), Field(*FindSegment(m, "ORC"), 2));
        dispensed.push_back(Field(*FindSegment(m, "ORC"), 2));
      }
      if (type.rfind("VXU^V04", 0) == 0) {
        EXPECT_NE(FindSegment(m, "RXA"), nullptr);
      }
    }
  }
  EXPECT_GT(messages, 500u);
  // A cancelled admission (A11) is registered again; a cancelled discharge (A13) is followed by
  // the real one, which is the visit's last event.
  size_t a11 = 0, a13 = 0;
  for (auto& [visit, events] : visits) {
    std::stable_sort(events.begin(), events.end());
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].second == "A11") {
        ++a11;
        EXPECT_TRUE(std::any_of(events.begin() + static_cast<std::ptrdiff_t>(i), events.end(),
                                [](const auto& e) { return e.second == "A01"; }))
            << visit;
      }
      if (events[i].second == "A13") {
        ++a13;
        EXPECT_EQ(events.back().second, "A03") << visit;
        EXPECT_GT(events.back().first, events[i].first) << visit;
      }
    }
  }
  EXPECT_GT(a11, 0u);
  EXPECT_GT(a13, 0u);
  // Results answer orders and dispensations follow prescriptions (same numbers across systems);
  // an order may be missing only when its sender had no record of the person.
  size_t answered = 0;
  for (const std::string& placer : resulted) answered += ordered.count(placer);
  EXPECT_GT(answered, resulted.size() * 9 / 10);
  ASSERT_FALSE(dispensed.empty());
  for (const std::string& id : dispensed) EXPECT_EQ(prescribed.count(id), 1u) << id;
  EXPECT_LT(dispensed.size(), prescribed.size());  // some prescriptions are never dispensed
}

TEST_F(SynthRunTest, ProceduresImagingAndDispensationsAgreeAcrossFormats) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  // Imaging studies carry DICOM UIDs of the UUID-derived form, unique.
  std::set<std::string> uids;
  const std::regex uid("2\\.25\\.(0|[1-9][0-9]*)");
  size_t studies = 0;
  for (const std::string& line : Lines(t.at("fhir/ImagingStudy.ndjson"))) {
    const auto r = nlohmann::json::parse(line);
    const std::string study = r["identifier"][0]["value"].get<std::string>().substr(8);  // "urn:oid:"
    const std::string series = r["series"][0]["uid"];
    for (const std::string& u : {study, series}) {
      EXPECT_TRUE(std::regex_match(u, uid)) << u;
      EXPECT_LE(u.size(), 64u);
      EXPECT_TRUE(uids.insert(u).second) << "duplicate UID " << u;
    }
    EXPECT_EQ(r["series"][0]["modality"]["code"], r["modality"][0]["code"]);
    ++studies;
  }
  EXPECT_GT(studies, 0u);
  // Every FHIR Procedure is also a PR1 of the stay's discharge message (same code and time).
  std::set<std::string> pr1;  // "code|HL7 time"
  for (const auto& [path, bytes] : t) {
    if (path.rfind("hl7/", 0) != 0)
      continue;
    for (const auto& m : Messages(bytes)) {
      for (const std::string& seg : m) {
        if (seg.rfind("PR1|", 0) == 0)
          pr1.insert(Split(Field(seg, 3), '^')[0] + "|" + Field(seg, 5));
      }
    }
  }
  size_t procedures = 0;
  for (const std::string& line : Lines(t.at("fhir/Procedure.ndjson"))) {
    const auto r = nlohmann::json::parse(line);
    const std::string when = r["performedDateTime"];  // 2018-02-15T10:39:21+01:00
    const std::string hl7 = when.substr(0, 4) + when.substr(5, 2) + when.substr(8, 2) +
                            when.substr(11, 2) + when.substr(14, 2) + when.substr(17, 2) +
                            when.substr(19, 3) + when.substr(23, 2);
    EXPECT_TRUE(pr1.count(r["code"]["coding"][0]["code"].get<std::string>() + "|" + hl7)) << line;
    ++procedures;
  }
  EXPECT_GT(procedures, 0u);
  // A dispensation follows its prescription.
  std::map<std::string, std::string> authored;
  for (const std::string& line : Lines(t.at("fhir/MedicationRequest.ndjson"))) {
    const auto r = nlohmann::json::parse(line);
    authored[r["id"]] = r["authoredOn"];
  }
  size_t dispensed = 0;
  for (const std::string& line : Lines(t.at("fhir/MedicationDispense.ndjson"))) {
    const auto r = nlohmann::json::parse(line);
    const std::string ref = r["authorizingPrescription"][0]["reference"];
    ASSERT_TRUE(authored.count(ref.substr(18))) << ref;  // "MedicationRequest/"
    EXPECT_GT(r["whenHandedOver"].get<std::string>().substr(0, 10), authored[ref.substr(18)].substr(0, 10));
    ++dispensed;
  }
  EXPECT_GT(dispensed, authored.size() / 2);
  EXPECT_LT(dispensed, authored.size());
}

TEST_F(SynthRunTest, TransactionBundlesHoldTheSameResourcesAndChangeNoOtherOutput) {
  SynthOptions with = SmallOptions(dir_.Join("b"));
  with.formats.fhir_bundles = true;
  const Tree b = Run(with);
  const Tree plain = Run(SmallOptions(dir_.Join("p")));
  // Every other file is byte-identical: bundles draw no random numbers. (manifest.json differs.)
  size_t others = 0;
  for (const auto& [path, bytes] : plain) {
    if (path == "manifest.json")
      continue;
    ASSERT_TRUE(b.count(path)) << path;
    EXPECT_EQ(b.at(path), bytes) << path;
    ++others;
  }
  EXPECT_GT(others, 10u);
  // Bundles: transactions of PUT Type/id; together they hold exactly the NDJSON resources.
  std::multiset<std::string> ndjson;
  for (const auto& [path, bytes] : plain) {
    if (path.rfind("fhir/", 0) != 0)
      continue;
    for (const std::string& line : Lines(bytes)) {
      const auto r = nlohmann::json::parse(line);
      ndjson.insert(r["resourceType"].get<std::string>() + "/" + r["id"].get<std::string>() + " " + r.dump());
    }
  }
  std::set<std::string> region;  // "Type/id" of the region bundle
  std::multiset<std::string> bundled;
  size_t patients = 0;
  std::function<void(const nlohmann::json&, std::vector<std::string>*)> refs =
      [&](const nlohmann::json& j, std::vector<std::string>* out) {
        if (j.is_object()) {
          for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "reference" && it->is_string())
              out->push_back(*it);
            refs(*it, out);
          }
        } else if (j.is_array()) {
          for (const auto& v : j)
            refs(v, out);
        }
      };
  for (int pass = 0; pass < 2; ++pass) {  // the region bundle first
    for (const auto& [path, bytes] : b) {
      if (path.rfind("fhir-bundles/", 0) != 0 || (path == "fhir-bundles/region.json") != (pass == 0))
        continue;
      const auto bundle = nlohmann::json::parse(bytes);
      ASSERT_EQ(bundle["resourceType"], "Bundle") << path;
      ASSERT_EQ(bundle["type"], "transaction") << path;
      std::set<std::string> here;
      std::vector<std::string> references;
      for (const auto& e : bundle["entry"]) {
        const std::string key =
            e["resource"]["resourceType"].get<std::string>() + "/" + e["resource"]["id"].get<std::string>();
        EXPECT_EQ(e["request"]["method"], "PUT");
        EXPECT_EQ(e["request"]["url"], key);
        EXPECT_EQ(e["fullUrl"].get<std::string>().substr(e["fullUrl"].get<std::string>().size() - key.size()), key);
        here.insert(key);
        bundled.insert(key + " " + e["resource"].dump());
        refs(e["resource"], &references);
      }
      if (pass == 0) {
        region = here;
      } else {
        ++patients;
        for (const std::string& r : references) {
          EXPECT_TRUE(here.count(r) || region.count(r)) << path << ": " << r;
        }
      }
    }
  }
  EXPECT_EQ(patients, 120u);
  EXPECT_FALSE(region.empty());
  EXPECT_EQ(bundled, ndjson);
}

TEST_F(SynthRunTest, FhirResourcesParseAndEveryReferenceResolves) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  std::set<std::string> ids;  // "Type/id"
  std::vector<std::string> references;
  std::function<void(const nlohmann::json&)> collect = [&](const nlohmann::json& j) {
    if (j.is_object()) {
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "reference" && it->is_string())
          references.push_back(*it);
        collect(*it);
      }
    } else if (j.is_array()) {
      for (const auto& e : j)
        collect(e);
    }
  };
  for (const auto& [path, bytes] : t) {
    if (path.rfind("fhir/", 0) != 0)
      continue;
    const std::string type = path.substr(5, path.size() - 5 - 7);
    for (const std::string& line : Lines(bytes)) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << path;
      EXPECT_EQ(j["resourceType"], type);
      const std::string id = j["id"];
      EXPECT_TRUE(ids.insert(type + "/" + id).second) << "duplicate id in " << path;
      EXPECT_LE(id.size(), 64u);
      // Required elements of FHIR R4 (cardinality 1..1).
      if (type == "Encounter") {
        EXPECT_TRUE(j.contains("status") && j.contains("class"));
      }
      if (type == "Observation") {
        EXPECT_TRUE(j.contains("status") && j.contains("code"));
        EXPECT_EQ(j["code"]["coding"][0]["system"], "http://loinc.org");
        EXPECT_EQ(j["valueQuantity"]["system"], "http://unitsofmeasure.org");
      }
      if (type == "Condition") {
        EXPECT_TRUE(j.contains("subject"));
        EXPECT_EQ(j["code"]["coding"][0]["system"], "http://hl7.org/fhir/sid/icd-10");
        if (j.contains("abatementDateTime")) {
          EXPECT_EQ(j["clinicalStatus"]["coding"][0]["code"], "resolved");  // con-4
        }
      }
      if (type == "MedicationRequest") {
        EXPECT_TRUE(j.contains("status") && j.contains("intent") && j.contains("subject"));
        EXPECT_EQ(j["medicationCodeableConcept"]["coding"][0]["system"], "http://www.whocc.no/atc");
      }
      if (type == "Immunization") {
        EXPECT_TRUE(j.contains("status") && j.contains("vaccineCode") && j.contains("patient") &&
                    j.contains("occurrenceDateTime"));
      }
      if (type == "AllergyIntolerance") {
        EXPECT_TRUE(j.contains("patient"));
      }
      if (type == "Organization") {
        EXPECT_TRUE(j.contains("name"));  // org-1
        if (type == "Patient") {
          EXPECT_TRUE(ParseIsoDate(j["birthDate"].get<std::string>()).has_value());
        }
        for (const auto& ident : j["identifier"]) {
          const std::string system = ident["system"];
          const std::string value = ident["value"];
          if (system.ends_with("/dni") || system.ends_with("/nie")) {
            EXPECT_TRUE(IsValidDniOrNie(value));
          }
          if (system.ends_with("/nuss")) {
            EXPECT_TRUE(IsValidNuss(value));
          }
        }
      }
      collect(j);
    }
  }
  EXPECT_GT(references.size(), 1000u);
  for (const std::string& ref : references)
    EXPECT_TRUE(ids.count(ref)) << ref;
}

TEST_F(SynthRunTest, TruthMapsEverySourceRecordToAPerson) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> truth;
  const std::vector<std::string> rows = Lines(t.at("truth/source_records.csv"));
  ASSERT_EQ(rows[0], "source_system,local_id,person_id,duplicate,merged_into,discrepancy");
  for (size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string> f = Split(rows[i], ',');
    ASSERT_EQ(f.size(), 6u) << rows[i];
    EXPECT_TRUE(truth.emplace(std::make_pair(f[0], f[1]), f).second) << "duplicate truth row";
  }
  uint64_t merges = 0;
  for (const auto& [path, bytes] : t) {
    if (path.rfind("hl7/", 0) != 0)
      continue;
    const std::string source = Split(path, '/')[1];
    for (const auto& m : Messages(bytes)) {
      const std::string* pid = FindSegment(m, "PID");
      const std::vector<std::string> cx = Split(Split(Field(*pid, 3), '~')[0], '^');
      ASSERT_EQ(cx[4], "PI");
      EXPECT_TRUE(truth.count({source, cx[0]})) << source << " local id not in truth";
      if (const std::string* mrg = FindSegment(m, "MRG")) {
        ++merges;
        const std::string old_id = Split(Field(*mrg, 1), '^')[0];
        ASSERT_TRUE(truth.count({source, old_id}));
        const auto& row = truth.at({source, old_id});
        EXPECT_EQ(row[3], "true");
        EXPECT_EQ(row[4], cx[0]);
        EXPECT_EQ(row[2], truth.at({source, cx[0]})[2]);  // same person
      }
    }
  }
  for (const std::string& line : Lines(t.at("fhir/Patient.ndjson"))) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(truth.count({"FHIR", j["id"].get<std::string>()}));
  }
  for (const auto& [path, bytes] : t) {
    if (path.rfind("csv/LABLEG/lab_results_", 0) != 0)
      continue;
    const std::vector<std::string> lines = Lines(bytes);
    for (size_t i = 1; i < lines.size(); ++i) {
      EXPECT_TRUE(truth.count({"LABLEG", Split(lines[i], ';')[0]}));
    }
  }
  std::set<std::string> persons;
  for (const auto& [key, row] : truth)
    persons.insert(row[2]);
  EXPECT_EQ(persons.size(), 120u);
  (void)merges;  // merges are rare; their consistency is checked when they occur
}

TEST_F(SynthRunTest, ErrorRateZeroInjectsNoFaults) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  EXPECT_EQ(Lines(t.at("truth/faults.csv")).size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(t.at("manifest.json"))["truth"]["faults"], 0);
}

TEST_F(SynthRunTest, EveryListedFaultIsReallyPresentAndNothingElseChanges) {
  const Tree clean = Run(SmallOptions(dir_.Join("clean")));
  SynthOptions faulty_options = SmallOptions(dir_.Join("faulty"));
  faulty_options.error_rate = 0.05;
  const Tree faulty = Run(faulty_options);
  const std::vector<FaultRow> faults = ReadFaults(faulty);
  ASSERT_GT(faults.size(), 50u);
  std::map<std::string, std::set<uint64_t>> faulty_records;  // file -> record indexes
  std::set<std::string> kinds;
  for (const FaultRow& f : faults) {
    kinds.insert(f.kind);
    faulty_records[f.file].insert(f.index);
    ASSERT_TRUE(faulty.count(f.file)) << f.file;
    if (f.file.rfind("hl7/", 0) == 0) {
      const auto messages = Messages(faulty.at(f.file));
      const auto clean_messages = Messages(clean.at(f.file));
      ASSERT_LE(f.index, messages.size());
      const auto& m = messages[f.index - 1];
      EXPECT_EQ(Field(m[0], 10), f.record_id);
      EXPECT_NE(m, clean_messages[f.index - 1]) << f.kind;
      std::string joined;
      for (const auto& s : m)
        joined += s + "\r";
      if (f.kind == "hl7_malformed_segment") {
        EXPECT_NE(joined.find("\rP?D|"), std::string::npos);
      }
      if (f.kind == "hl7_wrong_delimiter") {
        EXPECT_NE(joined.find("\rPID;"), std::string::npos);
      }
      if (f.kind == "hl7_invalid_code") {
        EXPECT_EQ(Field(*FindSegment(m, "PID"), 8), "Q");
      }
      if (f.kind == "hl7_impossible_date") {
        EXPECT_EQ(Field(*FindSegment(m, "PID"), 7).substr(4), "0231");
      }
      if (f.kind == "hl7_truncated") {
        EXPECT_LT(joined.size(), [&] {
          std::string c;
          for (const auto& s : clean_messages[f.index - 1])
            c += s + "\r";
          return c.size();
        }());
      }
      if (f.kind == "hl7_bad_encoding") {
        EXPECT_FALSE(IsValidUtf8(joined));
      }
    } else if (f.file.rfind("fhir/", 0) == 0) {
      const auto lines = Lines(faulty.at(f.file));
      const auto clean_lines = Lines(clean.at(f.file));
      ASSERT_LE(f.index, lines.size());
      const std::string& line = lines[f.index - 1];
      EXPECT_NE(line, clean_lines[f.index - 1]);
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (f.kind == "fhir_malformed_json") {
        EXPECT_TRUE(j.is_discarded());
        continue;
      }
      ASSERT_FALSE(j.is_discarded()) << f.kind;
      EXPECT_EQ(j["resourceType"].get<std::string>() + "/" + j["id"].get<std::string>(),
                f.record_id);
      if (f.kind == "fhir_missing_required") {
        EXPECT_FALSE(j.contains(f.detail)) << f.detail;
      }
      if (f.kind == "fhir_invalid_code") {
        EXPECT_NE(line.find("\"not-a-"), std::string::npos);
      }
      if (f.kind == "fhir_bad_date") {
        EXPECT_NE(line.find("-02-30"), std::string::npos);
      }
      if (f.kind == "fhir_broken_reference") {
        EXPECT_NE(line.find("/missing-"), std::string::npos);
      }
    } else {
      const auto lines = Lines(faulty.at(f.file));
      const auto clean_lines = Lines(clean.at(f.file));
      ASSERT_LT(f.index - 1, lines.size());  // record_index is the line number, header = 1
      const std::string& line = lines[f.index - 1];
      EXPECT_NE(line, clean_lines[f.index - 1]);
      const std::vector<std::string> cols = Split(line, ';');
      if (f.kind == "csv_wrong_delimiter") {
        EXPECT_EQ(cols.size(), 1u);
      }
      if (f.kind == "csv_impossible_date") {
        EXPECT_EQ(cols[7].substr(0, 6), "31/02/");
      }
      if (f.kind == "csv_bad_number") {
        EXPECT_NE(cols[11].find(",,"), std::string::npos);
      }
      if (f.kind == "csv_missing_columns") {
        EXPECT_EQ(cols.size(), 9u);
      }
      if (f.kind == "csv_invalid_code") {
        EXPECT_EQ(cols[9].substr(0, 2), "ZZ");
      }
    }
  }
  EXPECT_GE(kinds.size(), 12u);
  // Records not listed as faulty are byte-identical to the clean run.
  for (const auto& [path, bytes] : faulty) {
    if (path.rfind("fhir/", 0) == 0 || path.rfind("csv/LABLEG/lab_results_", 0) == 0) {
      const auto lines = Lines(bytes);
      const auto clean_lines = Lines(clean.at(path));
      ASSERT_EQ(lines.size(), clean_lines.size()) << path;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (!faulty_records[path].count(i + 1)) {
          EXPECT_EQ(lines[i], clean_lines[i]) << path;
        }
      }
    } else if (path.rfind("hl7/", 0) == 0) {
      const auto messages = Messages(bytes);
      const auto clean_messages = Messages(clean.at(path));
      ASSERT_EQ(messages.size(), clean_messages.size()) << path;
      for (size_t i = 0; i < messages.size(); ++i) {
        if (!faulty_records[path].count(i + 1)) {
          EXPECT_EQ(messages[i], clean_messages[i]);
        }
      }
    }
  }
}

TEST_F(SynthRunTest, LegacyCsvIsLatin1WithSpanishConventionsAndAContract) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  const std::string& contract = t.at("csv/LABLEG/lab_results.contract.yaml");
  EXPECT_NE(contract.find("encoding: ISO-8859-1"), std::string::npos);
  EXPECT_NE(contract.find("delimiter: \";\""), std::string::npos);
  EXPECT_NE(contract.find("HBA1C: \"4548-4\""), std::string::npos);
  const std::string& csv = t.at("csv/LABLEG/lab_results_000000.csv");
  EXPECT_EQ(csv.rfind("NHC;APELLIDO1;APELLIDO2;NOMBRE;FECHA_NAC;", 0), 0u);
  // Latin-1: the micro sign is one byte 0xB5, never UTF-8's C2 B5.
  EXPECT_EQ(csv.find("\xC2\xB5"), std::string::npos);
  EXPECT_NE(csv.find("\xB5L"), std::string::npos);
  const std::vector<std::string> lines = Lines(csv);
  ASSERT_GT(lines.size(), 20u);
  for (size_t i = 0; i < lines.size(); ++i) {
    ASSERT_FALSE(lines[i].empty());
    EXPECT_EQ(lines[i].back(), '\r');
    const std::vector<std::string> cols = Split(lines[i].substr(0, lines[i].size() - 1), ';');
    ASSERT_EQ(cols.size(), 19u);
    if (i == 0)
      continue;
    EXPECT_EQ(cols[4].size(), 10u);
    EXPECT_EQ(cols[4][2], '/');
    EXPECT_TRUE(cols[5] == "H" || cols[5] == "M");
    EXPECT_EQ(cols[11].find('.'), std::string::npos) << "decimal comma expected";
    EXPECT_TRUE(cols[16] == "F" || cols[16] == "C");
  }
}

TEST_F(SynthRunTest, OutputPerPatientIsBounded) {
  const Tree t = Run(SmallOptions(dir_.Join("o")));
  uint64_t bytes = 0;
  for (const auto& [path, data] : t) {
    if (path != "fhir/Practitioner.ndjson" && path != "fhir/Organization.ndjson") {
      bytes += data.size();
    }
  }
  EXPECT_LT(bytes / 120, 400u * 1024) << "bytes per patient";
  // Files do not grow with patients here: one HL7 file per source system (37 hospital HIS and
  // 3 regional systems), one NDJSON per resource type, the CSV extract, truth and manifest.
  EXPECT_LT(t.size(), 120u);
}

TEST_F(SynthRunTest, RejectsBadOptions) {
  SynthOptions o = SmallOptions(dir_.Join("x"));
  o.patients = 0;
  EXPECT_THAT(RunSynth(o, &LocalFileSystem::Default()),
              StatusIs(StatusCode::kInvalidArgument, "--patients"));
  o = SmallOptions(dir_.Join("x"));
  o.error_rate = 1.5;
  EXPECT_THAT(RunSynth(o, &LocalFileSystem::Default()),
              StatusIs(StatusCode::kInvalidArgument, "--error-rate"));
  o = SmallOptions(dir_.Join("x"));
  o.start = "2020-02-30";
  EXPECT_THAT(RunSynth(o, &LocalFileSystem::Default()),
              StatusIs(StatusCode::kInvalidArgument, "--start"));
  o = SmallOptions(dir_.Join("x"));
  o.start = "2021-01-01";
  o.end = "2020-01-01";
  EXPECT_THAT(RunSynth(o, &LocalFileSystem::Default()),
              StatusIs(StatusCode::kInvalidArgument, "--end"));
  EXPECT_THAT(ParseSynthFormats("hl7,xml"), StatusIs(StatusCode::kInvalidArgument, "xml"));
  auto formats = ParseSynthFormats("fhir");
  ASSERT_THAT(formats, IsOk());
  EXPECT_TRUE(formats->fhir && !formats->hl7 && !formats->csv);
}

TEST_F(SynthRunTest, RefusesANonEmptyOutputDirectory) {
  MEDLAKE_ASSERT_OK(LocalFileSystem::Default().CreateDirectories(dir_.Join("busy")));
  MEDLAKE_ASSERT_OK(LocalFileSystem::Default().WriteFileAtomic(dir_.Join("busy/keep"), "x"));
  EXPECT_THAT(RunSynth(SmallOptions(dir_.Join("busy")), &LocalFileSystem::Default()),
              StatusIs(StatusCode::kAlreadyExists, "not empty"));
}

// --hl7-file-per-message writes the same messages, one per file named by its MSH-10, under a
// folder per source and batch file; faults point at the message's own file (record 1) and every
// other output is byte-identical.
TEST_F(SynthRunTest, Hl7CanBeWrittenOneMessagePerFile) {
  SynthOptions many = SmallOptions(dir_.Join("many"));
  SynthOptions one = SmallOptions(dir_.Join("one"));
  many.error_rate = one.error_rate = 0.05;
  one.hl7_file_per_message = true;
  const Tree a = Run(many);
  const Tree b = Run(one);
  std::vector<std::string> messages_a, messages_b;
  for (const auto& [path, bytes] : a) {
    if (path.rfind("hl7/", 0) != 0) continue;
    for (const auto& m : Messages(bytes)) {
      std::string text;
      for (const auto& seg : m) text += seg + "\r";
      messages_a.push_back(text);
    }
  }
  const std::regex name(R"(hl7/([A-Z_0-9]+)/(\d{6})/(\d+)\.hl7)");
  size_t files = 0;
  for (const auto& [path, bytes] : b) {
    if (path.rfind("hl7/", 0) != 0) {
      if (path == "manifest.json" || path == "truth/faults.csv") continue;
      auto same = a.find(path);
      ASSERT_NE(same, a.end()) << path;
      EXPECT_EQ(same->second, bytes) << path;
      continue;
    }
    ++files;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(path, m, name)) << path;
    const auto msgs = Messages(bytes);
    ASSERT_EQ(msgs.size(), 1u) << path;
    EXPECT_EQ(bytes.rfind("MSH|", 0), 0u) << path;
    EXPECT_EQ(Field(msgs[0][0], 10), m[3].str()) << path;
    messages_b.push_back(bytes);
  }
  EXPECT_GT(files, 500u);
  std::sort(messages_a.begin(), messages_a.end());
  std::sort(messages_b.begin(), messages_b.end());
  EXPECT_EQ(messages_a, messages_b);
  // The same faults, each at record 1 of its message's file, which holds the broken message.
  size_t hl7_faults_a = 0, hl7_faults_b = 0;
  for (const std::string& row : Lines(a.at("truth/faults.csv"))) hl7_faults_a += row.rfind("hl7/", 0) == 0;
  for (const std::string& row : Lines(b.at("truth/faults.csv"))) {
    if (row.rfind("hl7/", 0) != 0) continue;
    ++hl7_faults_b;
    const std::vector<std::string> f = Split(row, ',');
    ASSERT_GE(f.size(), 4u) << row;
    EXPECT_EQ(f[1], "1") << row;
    ASSERT_TRUE(b.count(f[0])) << row;
    EXPECT_NE(f[0].find("/" + f[2] + ".hl7"), std::string::npos) << row;
  }
  EXPECT_GT(hl7_faults_b, 10u);
  EXPECT_EQ(hl7_faults_a, hl7_faults_b);
}

TEST_F(SynthRunTest, FormatsCanBeSelected) {
  SynthOptions o = SmallOptions(dir_.Join("o"));
  o.formats = {false, true, false};
  const Tree t = Run(o);
  for (const auto& [path, bytes] : t) {
    EXPECT_EQ(path.rfind("hl7/", 0), std::string::npos) << path;
    EXPECT_EQ(path.rfind("csv/", 0), std::string::npos) << path;
  }
  for (const std::string& row : Lines(t.at("truth/source_records.csv"))) {
    EXPECT_TRUE(row.rfind("FHIR,", 0) == 0 || row.rfind("source_system", 0) == 0) << row;
  }
}

// ---- the model itself ------------------------------------------------------------------------

class HistoryTest : public ::testing::Test {
 protected:
  Region region_ = BuildRegion(11);
  Window window_{DateFromYmd(2015, 1, 1), DateFromYmd(2025, 12, 31)};
};

// The region is Madrid's size: 37 hospitals and about 430 primary care centres; every
// municipality and every postal code is served by a centre of its own, every centre refers to
// a hospital, every hospital receives referrals (so every HIS sees patients) and has its HIS.
TEST_F(HistoryTest, TheRegionHasMadridsHospitalsAndCentres) {
  EXPECT_EQ(region_.hospitals.size(), 37u);
  EXPECT_GE(region_.centres.size(), 400u);
  EXPECT_LE(region_.centres.size(), 460u);
  std::set<std::string> ids;
  for (const auto& h : region_.hospitals) ids.insert(h.id);
  for (const auto& c : region_.centres) ids.insert(c.id);
  EXPECT_EQ(ids.size(), region_.hospitals.size() + region_.centres.size());
  std::vector<int> referrals(region_.hospitals.size(), 0);
  for (const auto& c : region_.centres) {
    ASSERT_GE(c.referral_hospital, 0) << c.id;
    ASSERT_LT(static_cast<size_t>(c.referral_hospital), region_.hospitals.size()) << c.id;
    ++referrals[static_cast<size_t>(c.referral_hospital)];
    EXPECT_GE(c.practitioners.size(), 7u) << c.id;
  }
  for (size_t h = 0; h < referrals.size(); ++h) EXPECT_GT(referrals[h], 0) << region_.hospitals[h].id;
  const auto municipalities = MadridMunicipalities();
  ASSERT_EQ(region_.centre_by_postal_code.size(), municipalities.size());
  for (size_t m = 0; m < municipalities.size(); ++m) {
    ASSERT_EQ(region_.centre_by_postal_code[m].size(), municipalities[m].postal_codes.size());
    for (int c : region_.centre_by_postal_code[m]) {
      EXPECT_EQ(region_.centres[static_cast<size_t>(c)].municipality, static_cast<int>(m));
    }
  }
  int his = 0;
  for (const auto& source : region_.sources) his += source.code.rfind("HIS_H", 0) == 0 ? 1 : 0;
  EXPECT_EQ(his, 37);
}

TEST_F(HistoryTest, PeopleHaveValidIdentifiersAndRealPostalCodes) {
  int with_national_id = 0;
  for (uint64_t i = 0; i < 400; ++i) {
    Rng rng(DeriveSeed(11, "test", i));
    const Person p = GeneratePerson(region_, window_, i, &rng);
    if (!p.national_id.empty()) {
      ++with_national_id;
      EXPECT_TRUE(IsValidDniOrNie(p.national_id)) << i;
    }
    if (!p.nuss.empty()) {
      EXPECT_TRUE(IsValidNuss(p.nuss)) << i;
    }
    EXPECT_TRUE(IsValidCip(p.cip)) << i;
    EXPECT_FALSE(p.given.empty());
    EXPECT_FALSE(p.surname1.empty());
    for (const Address& a : p.addresses) {
      const auto& m = MadridMunicipalities()[static_cast<size_t>(a.municipality)];
      EXPECT_NE(std::find(m.postal_codes.begin(), m.postal_codes.end(), a.postal_code),
                m.postal_codes.end());
      EXPECT_EQ(region_.centres[static_cast<size_t>(a.centre)].municipality, a.municipality);
    }
    if (p.death) {
      EXPECT_GE(*p.death, p.birth);
    }
  }
  EXPECT_GT(with_national_id, 300);
}

TEST_F(HistoryTest, NothingHappensAfterDeathOrOutsideTheWindow) {
  for (uint64_t i = 0; i < 150; ++i) {
    const PatientHistory h = GeneratePatientHistory(region_, window_, 3, i);
    const Date last = h.person.death.value_or(window_.end);
    for (const Encounter& e : h.encounters) {
      EXPECT_LE(e.start, e.end);
      EXPECT_LE(DateOf(e.start), last) << i;
      EXPECT_GE(DateOf(e.start), window_.start) << i;
      if (e.hospital) {
        EXPECT_GE(e.record, 0);
      }
    }
    for (const Immunization& im : h.immunizations)
      EXPECT_LE(DateOf(im.when), last);
    for (const Observation& o : h.observations)
      EXPECT_LE(DateOf(o.effective), last + 1);
  }
}

TEST_F(HistoryTest, DiabeticsGetHba1cFollowUpThatImprovesWithTreatment) {
  int diabetics_followed = 0;
  double first_sum = 0;
  double last_sum = 0;
  for (uint64_t i = 0; i < 3000 && diabetics_followed < 15; ++i) {
    const PatientHistory h = GeneratePatientHistory(region_, window_, 5, i);
    std::vector<double> a1c;
    for (const Observation& o : h.observations) {
      if (o.loinc == "4548-4")
        a1c.push_back(o.value);
    }
    const bool diabetic = std::any_of(h.conditions.begin(), h.conditions.end(),
                                      [](const Condition& c) { return c.icd10 == "E11.9"; });
    if (!diabetic || a1c.size() < 6)
      continue;
    ++diabetics_followed;
    first_sum += a1c.front();
    last_sum += a1c.back();
    for (double v : a1c) {
      EXPECT_GT(v, 4.0);
      EXPECT_LT(v, 14.0);
    }
  }
  ASSERT_GE(diabetics_followed, 10);
  EXPECT_GT(first_sum / diabetics_followed, 7.0);
  EXPECT_LT(last_sum, first_sum) << "treatment lowers HbA1c on average";
}

TEST_F(HistoryTest, HypertensivesHaveBloodPressureRecorded) {
  int found = 0;
  for (uint64_t i = 0; i < 500 && found < 10; ++i) {
    const PatientHistory h = GeneratePatientHistory(region_, window_, 5, i);
    const bool htn = std::any_of(h.conditions.begin(), h.conditions.end(),
                                 [](const Condition& c) { return c.icd10 == "I10"; });
    if (!htn)
      continue;
    ++found;
    const auto sys = std::count_if(h.observations.begin(), h.observations.end(),
                                   [](const Observation& o) { return o.loinc == "8480-6"; });
    const auto dia = std::count_if(h.observations.begin(), h.observations.end(),
                                   [](const Observation& o) { return o.loinc == "8462-4"; });
    EXPECT_GT(sys, 0);
    EXPECT_EQ(sys, dia);
  }
  EXPECT_EQ(found, 10);
}

TEST_F(HistoryTest, LocalIdsAreUniquePerSourceAndDuplicatesDiffer) {
  std::set<std::string> seen;
  const SourceSystem& src = region_.sources[0];
  for (uint64_t i = 0; i < 5000; ++i) {
    EXPECT_TRUE(seen.insert(LocalPatientId(src, i, false)).second);
    EXPECT_TRUE(seen.insert(LocalPatientId(src, i, true)).second);
  }
}

}  // namespace
}  // namespace medlake::synth
