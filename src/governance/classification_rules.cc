#include "governance/classification_rules.h"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <optional>

#include "governance/tag_vocabulary.h"
#include "governance/value_patterns.h"

namespace medlake::governance {
namespace {

using Words = std::vector<std::string>;

bool Has(const Words& w, std::string_view word) {
  return std::find(w.begin(), w.end(), word) != w.end();
}

bool HasAny(const Words& w, std::initializer_list<std::string_view> words) {
  for (auto word : words) {
    if (Has(w, word)) return true;
  }
  return false;
}

// True when `phrase` occurs in `w` as consecutive words.
bool HasSeq(const Words& w, std::initializer_list<std::string_view> phrase) {
  if (phrase.size() > w.size()) return false;
  for (size_t i = 0; i + phrase.size() <= w.size(); ++i) {
    size_t k = 0;
    for (auto p : phrase) {
      if (w[i + k] != p) break;
      ++k;
    }
    if (k == phrase.size()) return true;
  }
  return false;
}

bool Is(const Words& w, std::string_view word) { return w.size() == 1 && w[0] == word; }

bool IsPersonTable(const Words& table) {
  return HasAny(table, {"patient", "patients", "person", "persons", "people", "paciente",
                        "pacientes", "persona", "personas", "resident", "residents"});
}

// The pii:* detail tag a column name stands for (first matching rule wins), or nullopt.
std::optional<std::string_view> IdentifierFromName(const Words& table, const Words& c) {
  if (HasAny(c, {"email", "mail", "correo"}) || HasSeq(c, {"e", "mail"})) return kTagPiiEmail;
  if (HasAny(c, {"phone", "telephone", "telefono", "movil", "mobile", "tel", "telf", "fax"})) {
    return kTagPiiPhone;
  }
  if (HasAny(c, {"dni", "nif", "nie"}) || HasSeq(c, {"national", "id"}) ||
      HasSeq(c, {"national", "identifier"}) || HasSeq(c, {"national", "identity"}) ||
      HasSeq(c, {"documento", "identidad"})) {
    return kTagPiiDni;
  }
  if (HasAny(c, {"cip", "cipa", "tsi"}) || HasSeq(c, {"health", "card"}) ||
      HasSeq(c, {"tarjeta", "sanitaria"})) {
    return kTagPiiCip;
  }
  if (HasAny(c, {"nuss", "naf", "ssn"}) || HasSeq(c, {"social", "security"}) ||
      HasSeq(c, {"seguridad", "social"})) {
    return kTagPiiNuss;
  }
  // In a patient table the local id (and the source key built from it) is the record number.
  if (HasAny(c, {"mrn", "nhc"}) || HasSeq(c, {"historia", "clinica"}) ||
      HasSeq(c, {"medical", "record"}) ||
      (IsPersonTable(table) && (c == Words{"local", "id"} || c == Words{"source", "key"}))) {
    return kTagPiiMrn;
  }
  if (HasSeq(c, {"postal", "code"}) || HasAny(c, {"postalcode", "postcode", "zip", "zipcode"}) ||
      HasSeq(c, {"codigo", "postal"}) || Is(c, "cp")) {
    return kTagPiiPostalCode;
  }
  if (HasAny(c, {"birthdate", "dob", "nacimiento", "fnac"}) ||
      (Has(c, "birth") &&
       (c.size() == 1 || HasAny(c, {"date", "datetime", "time", "day", "month", "year"})))) {
    return kTagPiiBirthDate;
  }
  if (HasAny(c, {"surname", "surnames", "apellido", "apellidos", "firstname", "lastname",
                 "fullname", "givenname", "familyname"}) ||
      HasSeq(c, {"given", "name"}) || HasSeq(c, {"family", "name"}) ||
      HasSeq(c, {"first", "name"}) || HasSeq(c, {"last", "name"}) ||
      HasSeq(c, {"middle", "name"}) || HasSeq(c, {"full", "name"}) ||
      HasSeq(c, {"maiden", "name"}) || HasSeq(c, {"patient", "name"}) ||
      HasSeq(c, {"person", "name"}) || HasSeq(c, {"nombre", "paciente"}) ||
      HasSeq(c, {"nombre", "completo"}) || HasSeq(c, {"nombre", "pila"}) || Is(c, "given") ||
      Is(c, "family") || ((Is(c, "name") || Is(c, "nombre")) && IsPersonTable(table))) {
    return kTagPiiName;
  }
  if (HasAny(c, {"address", "addr", "direccion", "domicilio", "street", "calle"})) {
    return kTagPiiAddress;
  }
  if (HasAny(c, {"sex", "sexo", "gender", "genero"})) return kTagPiiSex;
  if (HasAny(c, {"city", "ciudad", "municipality", "municipio", "localidad", "town"})) {
    return kTagPiiLocation;
  }
  return std::nullopt;
}

bool IsPatientLink(const Words& c) {
  if (Is(c, "patient") || Is(c, "subject") || Is(c, "person") || Is(c, "mpi") || Is(c, "empi")) {
    return true;
  }
  if (c.size() < 2 || !HasAny(c, {"patient", "person", "paciente", "persona", "subject"})) {
    return false;
  }
  const std::string& last = c.back();
  return last == "id" || last == "key" || last == "ref" || last == "reference" || last == "value" ||
         last == "uuid" || last == "link";
}

bool IsGeneticColumn(const Words& c) {
  return HasAny(c, {"gene", "genes", "variant", "variants", "genotype", "genotypes", "allele",
                    "alleles", "hgvs", "rsid", "zygosity"});
}

bool IsGeneticTable(const Words& w) {
  return HasAny(w, {"genomic", "genomics", "genetic", "genetics", "genome", "genomes", "variant",
                    "variants", "vcf", "genotype", "genotypes", "sequencing"});
}

// Rule 3: a column named for diagnoses.
bool IsDiagnosisName(const Words& table, const Words& c) {
  if (HasAny(c, {"diagnosis", "diagnoses", "diagnostico", "diagnosticos", "dx", "icd", "cie"})) {
    return true;
  }
  const std::string last = c.empty() ? "" : c.back();
  if (Has(c, "condition") && (last == "code" || last == "value")) return true;
  return HasAny(table, {"condition", "conditions", "diagnosis", "diagnoses", "diagnostico",
                        "diagnosticos", "problem", "problems"}) &&
         (last == "code" || last == "codigo");
}

// Rule 3: a column whose name says it holds codes, where ICD-10 shaped values are diagnoses
// (HL7 trigger events "A01" and vaccine lot numbers "J73000" look like ICD-10 codes too).
bool IsCodeName(const Words& c) {
  if (c.empty()) return false;
  const std::string& last = c.back();
  return HasAny(c, {"code", "codes", "codigo", "codigos"}) || last == "reason" ||
         last == "motivo" || last == "value";
}

// Addresses and phone numbers of organizations are not personal data.
bool IsOrganizationTable(const Words& table) {
  return HasAny(table,
                {"organization", "organizations", "organisation", "organizacion", "organizaciones",
                 "facility", "facilities", "hospital", "hospitals", "centro", "centros"}) ||
         HasSeq(table, {"care", "site"});
}

bool IsDirectDetail(std::string_view tag) {
  return tag == kTagPiiDni || tag == kTagPiiCip || tag == kTagPiiNuss || tag == kTagPiiMrn ||
         tag == kTagPiiName || tag == kTagPiiPhone || tag == kTagPiiEmail ||
         tag == kTagPiiAddress || tag == kTagPiiRecord;
}

bool IsQuasiDetail(std::string_view tag) {
  return tag == kTagPiiBirthDate || tag == kTagPiiPostalCode || tag == kTagPiiSex ||
         tag == kTagPiiLocation;
}

std::string_view SpecialTag(SpecialCategory c) {
  switch (c) {
    case SpecialCategory::kMentalHealth: return kTagSpecialMentalHealth;
    case SpecialCategory::kHiv: return kTagSpecialHiv;
    case SpecialCategory::kSexual: return kTagSpecialSexual;
    case SpecialCategory::kGenetic: return kTagSpecialGenetic;
    case SpecialCategory::kNone: break;
  }
  return "";
}

std::string CountText(int64_t n, int64_t of, std::string_view what) {
  return std::to_string(n) + " of " + std::to_string(of) + " sampled values are " +
         std::string(what);
}

// The value rules (2 and 3) for one sampled column.
struct ValueEvidence {
  std::set<std::string> tags;
  std::vector<std::string> reasons;
  int64_t icd = 0;          // ICD-10 shaped values
  bool icd_shaped = false;  // >= threshold of the sample are ICD-10 codes
  std::map<SpecialCategory, int64_t> special;
};

ValueEvidence ExamineValues(const std::vector<std::string>& values,
                            const ClassifierOptions& options) {
  ValueEvidence ev;
  const auto n = static_cast<int64_t>(values.size());
  if (n == 0) return ev;
  struct Kind {
    std::string_view tag;
    std::string_view label;
    int64_t count = 0;
  };
  Kind kinds[] = {{kTagPiiDni, "valid DNI/NIE", 0},
                  {kTagPiiNuss, "valid NUSS", 0},
                  {kTagPiiCip, "valid CIP", 0},
                  {kTagPiiPhone, "Spanish phone numbers", 0},
                  {kTagPiiEmail, "e-mail addresses", 0}};
  int64_t any_id = 0, records = 0, icd = 0;
  for (const auto& v : values) {
    bool matched[] = {IsDniValue(v) || IsNieValue(v), IsNussValue(v), IsCipValue(v),
                      IsSpanishPhoneValue(v), IsEmailValue(v)};
    bool any = false;
    for (size_t k = 0; k < std::size(kinds); ++k) {
      if (matched[k]) {
        ++kinds[k].count;
        any = true;
      }
    }
    if (any) ++any_id;
    if (IsClinicalRecordValue(v)) ++records;
    if (IsIcd10CodeValue(v)) {
      ++icd;
      SpecialCategory c = Icd10SpecialCategory(v);
      if (c != SpecialCategory::kNone) ++ev.special[c];
    }
  }
  auto share = [n](int64_t count) { return static_cast<double>(count) / static_cast<double>(n); };
  bool single = false;
  for (const auto& k : kinds) {
    if (share(k.count) >= options.threshold) {
      ev.tags.insert(std::string(k.tag));
      ev.reasons.push_back(CountText(k.count, n, k.label));
      single = true;
    }
  }
  if (!single && share(any_id) >= options.threshold) {
    for (const auto& k : kinds) {
      if (k.count > 0 && share(k.count) >= options.detail_share) ev.tags.insert(std::string(k.tag));
    }
    ev.reasons.push_back(
        CountText(any_id, n, "personal identifiers (DNI/NIE, NUSS, CIP, phone, e-mail)"));
  }
  if (share(records) >= options.threshold) {
    ev.tags.insert(std::string(kTagPiiRecord));
    ev.reasons.push_back(CountText(records, n, "HL7 v2 messages or FHIR resources"));
  }
  ev.icd = icd;
  ev.icd_shaped = share(icd) >= options.threshold;
  return ev;
}

std::string_view CategoryLabel(SpecialCategory c) {
  switch (c) {
    case SpecialCategory::kMentalHealth: return "mental health";
    case SpecialCategory::kHiv: return "HIV";
    case SpecialCategory::kSexual: return "sexual health";
    case SpecialCategory::kGenetic: return "genetic";
    case SpecialCategory::kNone: break;
  }
  return "";
}

}  // namespace

std::vector<std::string> NameWords(std::string_view name) {
  std::vector<std::string> words;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) words.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c == 0xC3 && i + 1 < name.size()) {
      // Latin-1 letters U+00C0..U+00FF are C3 80..C3 BF in UTF-8: fold the Spanish ones.
      auto d = static_cast<unsigned char>(name[++i]);
      unsigned cp = 0xC0u + (d - 0x80u);
      unsigned lower = cp < 0xE0 ? cp + 0x20 : cp;
      char folded = 0;
      if (lower >= 0xE0 && lower <= 0xE5) folded = 'a';
      if (lower >= 0xE8 && lower <= 0xEB) folded = 'e';
      if (lower >= 0xEC && lower <= 0xEF) folded = 'i';
      if (lower >= 0xF2 && lower <= 0xF6) folded = 'o';
      if (lower >= 0xF9 && lower <= 0xFC) folded = 'u';
      if (lower == 0xF1) folded = 'n';
      if (lower == 0xE7) folded = 'c';
      if (folded) {
        cur.push_back(folded);
      } else {
        flush();
      }
      continue;
    }
    bool upper = c >= 'A' && c <= 'Z';
    bool lower = c >= 'a' && c <= 'z';
    if (!upper && !lower) {
      flush();  // digits, separators and other bytes end a word
      continue;
    }
    if (upper && !cur.empty()) {
      char prev = name[i - 1];
      bool prev_lower = prev >= 'a' && prev <= 'z';
      bool prev_upper = prev >= 'A' && prev <= 'Z';
      bool next_lower = i + 1 < name.size() && name[i + 1] >= 'a' && name[i + 1] <= 'z';
      if (prev_lower || (prev_upper && next_lower)) flush();
    }
    cur.push_back(static_cast<char>(upper ? c - 'A' + 'a' : c));
  }
  flush();
  return words;
}

TableFindings ClassifyColumns(std::string_view ns, std::string_view table,
                              const std::vector<ColumnSample>& columns,
                              const ClassifierOptions& options) {
  const Words table_words = NameWords(table);
  Words scope_words = NameWords(ns);
  scope_words.insert(scope_words.end(), table_words.begin(), table_words.end());

  const bool organization = IsOrganizationTable(table_words);
  std::vector<ColumnFinding> all(columns.size());
  std::vector<bool> diagnosis(columns.size(), false);
  bool about_persons = false;
  std::map<SpecialCategory, std::vector<std::string>> special_columns;
  for (size_t i = 0; i < columns.size(); ++i) {
    const ColumnSample& col = columns[i];
    ColumnFinding& f = all[i];
    f.column = col.name;
    const Words c = NameWords(col.name);
    std::optional<std::string_view> id;
    if (!organization) id = IdentifierFromName(table_words, c);
    if (id) {
      f.tags.insert(std::string(*id));
      f.reasons.push_back("column name");
    } else if (IsPatientLink(c)) {
      f.tags.insert(std::string(kTagPiiPatientLink));
      f.reasons.push_back("column name (patient link)");
    }
    if (IsGeneticColumn(c)) {
      f.tags.insert(std::string(kTagSpecialGenetic));
      f.reasons.push_back("column name (genetic data)");
      special_columns[SpecialCategory::kGenetic].push_back(col.name);
    }
    ValueEvidence ev;
    if (col.sampled) ev = ExamineValues(col.values, options);
    if (!organization) {
      f.tags.insert(ev.tags.begin(), ev.tags.end());
      f.reasons.insert(f.reasons.end(), ev.reasons.begin(), ev.reasons.end());
    }
    diagnosis[i] =
        (IsDiagnosisName(table_words, c) && ev.icd > 0) || (IsCodeName(c) && ev.icd_shaped);
    if (diagnosis[i]) {
      for (const auto& [category, count] : ev.special) {
        f.tags.insert(std::string(SpecialTag(category)));
        f.reasons.push_back("ICD-10 codes of " + std::string(CategoryLabel(category)) +
                            " in the sample (" + std::to_string(count) + ")");
        special_columns[category].push_back(col.name);
      }
    }
    // Base tags from the detail tags.
    std::set<std::string> base;
    for (const auto& t : f.tags) {
      if (IsDirectDetail(t)) base.insert(std::string(kTagDirectIdentifier));
      if (IsQuasiDetail(t)) base.insert(std::string(kTagQuasiIdentifier));
      if (t.starts_with("special:")) base.insert(std::string(kTagSpecialCategory));
      if (t.starts_with("pii:") || t.starts_with("special:")) base.insert(std::string(kTagPhi));
    }
    f.tags.insert(base.begin(), base.end());
    if (f.tags.count(std::string(kTagDirectIdentifier)) ||
        f.tags.count(std::string(kTagPiiPatientLink))) {
      about_persons = true;
    }
  }

  TableFindings out;
  const bool genetic_table = IsGeneticTable(scope_words);
  if (genetic_table) about_persons = true;
  // Diagnosis codes of identified persons are health data about them (rule 5).
  for (size_t i = 0; i < all.size(); ++i) {
    if (diagnosis[i] && about_persons && !all[i].tags.count(std::string(kTagPhi))) {
      all[i].tags.insert(std::string(kTagPhi));
      all[i].reasons.push_back("diagnosis codes of identified persons");
    }
  }
  std::vector<std::string> phi_columns;
  for (auto& f : all) {
    if (f.tags.empty()) continue;
    if (f.tags.count(std::string(kTagPhi))) phi_columns.push_back(f.column);
    out.columns.push_back(std::move(f));
  }
  auto join = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < 5; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > 5) s += ", ... (" + std::to_string(names.size()) + " columns)";
    return s;
  };
  if (!phi_columns.empty()) {
    out.table_tags.insert(std::string(kTagPhi));
    out.table_reasons.push_back("phi: column " + join(phi_columns));
  }
  for (const auto& [category, names] : special_columns) {
    out.table_tags.insert(std::string(kTagSpecialCategory));
    out.table_tags.insert(std::string(SpecialTag(category)));
    out.table_reasons.push_back(std::string(SpecialTag(category)) + ": column " + join(names));
  }
  if (genetic_table) {
    out.table_tags.insert(std::string(kTagPhi));
    out.table_tags.insert(std::string(kTagSpecialCategory));
    out.table_tags.insert(std::string(kTagSpecialGenetic));
    out.table_reasons.push_back("special:genetic: namespace or table name");
  }
  return out;
}

}  // namespace medlake::governance
