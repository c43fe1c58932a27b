#include "synth/csv_writer.h"

#include <cstdio>
#include <vector>

#include "synth/history.h"
#include "synth/random.h"
#include "synth/reference_data.h"

namespace medlake::synth {

std::string Utf8ToLatin1(std::string_view utf8) {
  bool ascii = true;
  for (char c : utf8)
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii)
    return std::string(utf8);
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
      const auto d = static_cast<unsigned char>(utf8[++i]);
      out += static_cast<char>(((c & 0x03) << 6) | (d & 0x3F));
    } else {
      out += '?';
      while (i + 1 < utf8.size() && (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80)
        ++i;
    }
  }
  return out;
}

std::string LegacyLabCsvPath(uint64_t file_number) {
  char name[48];
  std::snprintf(name, sizeof name, "lab_results_%06llu.csv",
                static_cast<unsigned long long>(file_number));
  return std::string("csv/LABLEG/") + name;
}

namespace {

constexpr std::string_view kHeader =
    "NHC;APELLIDO1;APELLIDO2;NOMBRE;FECHA_NAC;SEXO;NUM_PETICION;FECHA_EXTRACCION;"
    "HORA_EXTRACCION;COD_PRUEBA;PRUEBA;RESULTADO;UNIDAD;VAL_REF_MIN;VAL_REF_MAX;MARCA;ESTADO;"
    "FECHA_VALIDACION;HORA_VALIDACION\r\n";

std::string_view LegacyUnit(std::string_view ucum) {
  if (ucum == "mg/dL")
    return "mg/dl";
  if (ucum == "g/dL")
    return "g/dl";
  if (ucum == "10*3/uL")
    return "10^3/µL";
  if (ucum == "mmol/L")
    return "mmol/l";
  if (ucum == "m[IU]/L")
    return "µUI/ml";
  if (ucum == "U/L")
    return "U/l";
  if (ucum == "mg/L")
    return "mg/l";
  return ucum;
}

std::string DecimalComma(double value, int decimals) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  std::string s(buf);
  for (char& c : s) {
    if (c == '.')
      c = ',';
  }
  return s;
}

std::string HourMinute(LocalTime t) {
  const int secs = static_cast<int>(t - static_cast<LocalTime>(DateOf(t)) * 86400);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", secs / 3600, secs / 60 % 60);
  return buf;
}

std::string Field(std::string_view v) {
  if (v.find_first_of(";\"") == std::string_view::npos)
    return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JoinRow(const std::vector<std::string>& cols, char delimiter) {
  std::string row;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i > 0)
      row += delimiter;
    row += cols[i];
  }
  return row + "\r\n";
}

enum Column {
  kNhc,
  kApellido1,
  kApellido2,
  kNombre,
  kFechaNac,
  kSexo,
  kNumPeticion,
  kFechaExtraccion,
  kHoraExtraccion,
  kCodPrueba,
  kPrueba,
  kResultado,
  kUnidad,
  kRefMin,
  kRefMax,
  kMarca,
  kEstado,
  kFechaValidacion,
  kHoraValidacion,
  kColumnCount
};

}  // namespace

void RenderLegacyLabCsv(const Region& region, const PatientHistory& h, uint64_t seed,
                        uint64_t file_number, FaultInjector* faults, BatchOutput* out) {
  const SourceRecord* rec = nullptr;
  for (const SourceRecord& r : h.records) {
    if (r.source == region.legacy_lab_source)
      rec = &r;
  }
  if (rec == nullptr)
    return;
  Rng quirks(DeriveSeed(seed, "csv-quirks", h.person.index));
  const std::string path = LegacyLabCsvPath(file_number);
  Chunk& chunk = out->At(path);
  chunk.rolling = true;
  chunk.header = std::string(kHeader);
  auto base_row = [&](const LabOrder& order, const Observation& o) {
    std::vector<std::string> c(kColumnCount);
    c[kNhc] = rec->local_id;
    c[kApellido1] = Field(rec->surname1);
    c[kApellido2] = Field(rec->surname2);
    c[kNombre] = Field(rec->given);
    c[kFechaNac] = FormatSpanishDate(rec->birth);
    c[kSexo] = h.person.sex == Sex::kFemale ? "M" : "H";
    c[kNumPeticion] = order.placer_number;
    c[kFechaExtraccion] = FormatSpanishDate(DateOf(order.collected));
    c[kHoraExtraccion] = HourMinute(order.collected);
    c[kCodPrueba] = o.local_code;
    c[kPrueba] = Field(o.local_name);
    c[kResultado] = DecimalComma(o.value, o.decimals);
    c[kUnidad] = std::string(LegacyUnit(o.unit));
    if (o.low)
      c[kRefMin] = DecimalComma(*o.low, o.decimals);
    if (o.high)
      c[kRefMax] = DecimalComma(*o.high, o.decimals);
    c[kMarca] = o.flag;
    c[kEstado] = "F";
    c[kFechaValidacion] = FormatSpanishDate(DateOf(order.reported));
    c[kHoraValidacion] = HourMinute(order.reported);
    return c;
  };
  auto emit = [&](std::vector<std::string> cols, const std::string& record_id) {
    ++chunk.records;
    out->Count("csv/LABLEG/lab_results");
    char delimiter = ';';
    if (faults->Roll()) {
      PendingMark mark;
      mark.record = chunk.records;
      mark.record_id = record_id;
      switch (faults->Pick(5)) {
        case 0:
          delimiter = ',';
          mark.kind = "csv_wrong_delimiter";
          mark.detail = "row";
          break;
        case 1:
          cols[kFechaExtraccion] = "31/02/" + cols[kFechaExtraccion].substr(6);
          mark.kind = "csv_impossible_date";
          mark.detail = "FECHA_EXTRACCION";
          break;
        case 2:
          cols[kResultado] = cols[kResultado] + ",,5";
          mark.kind = "csv_bad_number";
          mark.detail = "RESULTADO";
          break;
        case 3:
          cols.resize(kCodPrueba);
          mark.kind = "csv_missing_columns";
          mark.detail = "row";
          break;
        default:
          cols[kCodPrueba] = "ZZ" + cols[kCodPrueba];
          mark.kind = "csv_invalid_code";
          mark.detail = "COD_PRUEBA";
          break;
      }
      chunk.faults.push_back(std::move(mark));
    }
    chunk.text += Utf8ToLatin1(JoinRow(cols, delimiter));
  };
  std::vector<std::pair<const LabOrder*, const Observation*>> corrections;
  for (const LabOrder& order : h.lab_orders) {
    if (!InLegacyLabArea(region, h, order.encounter))
      continue;
    for (size_t k = 0; k < order.observations.size(); ++k) {
      const Observation& o = h.observations[static_cast<size_t>(order.observations[k])];
      const std::string id = order.placer_number + "/" + o.local_code;
      emit(base_row(order, o), id);
      if (quirks.Chance(0.004)) {
        // The application exported the same row twice.
        ++chunk.records;
        out->Count("csv/LABLEG/lab_results");
        chunk.text += Utf8ToLatin1(JoinRow(base_row(order, o), ';'));
        chunk.quirks.push_back({chunk.records, id, "csv_duplicate_row", "repeats the row above"});
      }
      if (k == 0 && order.corrected_later)
        corrections.emplace_back(&order, &o);
    }
  }
  // Late corrections: a later row for the same request and test, ESTADO = C, new value.
  for (const auto& [order, o] : corrections) {
    std::vector<std::string> cols = base_row(*order, *o);
    const double corrected = o->value * (1.0 + (quirks.Chance(0.5) ? 0.08 : -0.08));
    cols[kResultado] = DecimalComma(corrected, o->decimals);
    cols[kMarca] = o->high && corrected > *o->high ? "H" : o->low && corrected < *o->low ? "L" : "";
    cols[kEstado] = "C";
    const Date when = DateOf(order->reported) + static_cast<Date>(quirks.Between(2, 20));
    cols[kFechaValidacion] = FormatSpanishDate(when);
    const std::string id = order->placer_number + "/" + o->local_code;
    emit(std::move(cols), id);
    chunk.quirks.push_back({chunk.records, id, "csv_late_correction",
                            "supersedes the earlier row with the same NUM_PETICION/COD_PRUEBA"});
  }
}

std::string LegacyLabContract() {
  std::string y;
  y += "# Source contract of the legacy laboratory extract (synthetic). Format: "
       "CONTRACT_FORMAT.md\n";
  y += "contract_version: 1\n";
  y += "source: LABLEG\n";
  y += "dataset: lab_results\n";
  y += "description: \"Results exported by the old laboratory application of hospital H01\"\n";
  y += "files: \"lab_results_*.csv\"\n";
  y += "format:\n";
  y += "  type: csv\n";
  y += "  encoding: ISO-8859-1\n";
  y += "  delimiter: \";\"\n";
  y += "  quote: \"\\\"\"\n";
  y += "  header: true\n";
  y += "  line_terminator: \"\\r\\n\"\n";
  y += "  decimal_separator: \",\"\n";
  y += "  date_format: \"dd/MM/yyyy\"\n";
  y += "  time_format: \"HH:mm\"\n";
  y += "  timezone: \"Europe/Madrid\"\n";
  y += "keys:\n";
  y += "  record: [NUM_PETICION, COD_PRUEBA]\n";
  y += "  patient: [NHC]\n";
  y += "versioning:\n";
  y += "  status_column: ESTADO\n";
  y += "  final: F\n";
  y += "  corrected: C\n";
  y += "  latest_by: [FECHA_VALIDACION, HORA_VALIDACION]\n";
  y += "  duplicates: exact_rows_may_repeat\n";
  y += "columns:\n";
  struct Col {
    const char* name;
    const char* type;
    const char* required;
    const char* phi;
    const char* extra;
    const char* description;
  };
  static constexpr Col kCols[] = {
      {"NHC", "string", "true", "identifier", "", "the application's own patient number"},
      {"APELLIDO1", "string", "true", "name", "", "first surname"},
      {"APELLIDO2", "string", "false", "name", "",
       "second surname, empty for some foreign residents"},
      {"NOMBRE", "string", "true", "name", "", "given name"},
      {"FECHA_NAC", "date", "true", "birth_date", "", "date of birth"},
      {"SEXO", "code", "true", "none", "    values: {H: male, M: female}\n",
       "sex, Spanish letters"},
      {"NUM_PETICION", "string", "true", "none", "", "laboratory request number"},
      {"FECHA_EXTRACCION", "date", "true", "event_date", "", "specimen collection date"},
      {"HORA_EXTRACCION", "time", "true", "none", "", "specimen collection time"},
      {"COD_PRUEBA", "code", "true", "none", "    code_map: COD_PRUEBA\n", "local test code"},
      {"PRUEBA", "string", "true", "none", "", "local test name"},
      {"RESULTADO", "decimal", "true", "none", "", "numeric result, decimal comma"},
      {"UNIDAD", "string", "true", "none", "    unit_map: UNIDAD\n", "local unit spelling"},
      {"VAL_REF_MIN", "decimal", "false", "none", "", "reference range low"},
      {"VAL_REF_MAX", "decimal", "false", "none", "", "reference range high"},
      {"MARCA", "code", "false", "none", "    values: {H: high, L: low}\n",
       "abnormal flag, empty when normal"},
      {"ESTADO", "code", "true", "none", "    values: {F: final, C: corrected}\n", "result status"},
      {"FECHA_VALIDACION", "date", "true", "none", "", "validation date"},
      {"HORA_VALIDACION", "time", "true", "none", "", "validation time"},
  };
  for (const Col& c : kCols) {
    y += "  - name: ";
    y += c.name;
    y += "\n    type: ";
    y += c.type;
    y += "\n    required: ";
    y += c.required;
    y += "\n    phi: ";
    y += c.phi;
    y += "\n";
    y += c.extra;
    y += "    description: \"";
    y += c.description;
    y += "\"\n";
  }
  y += "code_maps:\n";
  y += "  COD_PRUEBA:\n";
  y += "    target_system: \"http://loinc.org\"\n";
  y += "    map:\n";
  for (const LabTest& t : AllLabTests()) {
    y += "      ";
    y += t.local_code;
    y += ": \"";
    y += t.loinc;
    y += "\"\n";
  }
  y += "unit_maps:\n";
  y += "  UNIDAD:\n";
  y += "    target_system: \"http://unitsofmeasure.org\"\n";
  y += "    map:\n";
  std::vector<std::string_view> seen;
  for (const LabTest& t : AllLabTests()) {
    const std::string_view local = LegacyUnit(t.ucum);
    bool dup = false;
    for (auto s : seen)
      dup = dup || s == local;
    if (dup)
      continue;
    seen.push_back(local);
    y += "      \"";
    y += local;
    y += "\": \"";
    y += t.ucum;
    y += "\"\n";
  }
  // The contract describes a Latin-1 file but is itself UTF-8 (YAML 1.2 default).
  return y;
}

}  // namespace medlake::synth
