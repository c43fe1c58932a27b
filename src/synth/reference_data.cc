#include "synth/reference_data.h"

#include <array>

namespace medlake::synth {
namespace {

using SV = std::string_view;

// Postal codes (Correos) of a representative subset of the Comunidad de Madrid's
// municipalities. Madrid city is listed with its district codes 28001..28055.
constexpr std::array<SV, 55> kMadridCity = {
    "28001", "28002", "28003", "28004", "28005", "28006", "28007", "28008", "28009", "28010",
    "28011", "28012", "28013", "28014", "28015", "28016", "28017", "28018", "28019", "28020",
    "28021", "28022", "28023", "28024", "28025", "28026", "28027", "28028", "28029", "28030",
    "28031", "28032", "28033", "28034", "28035", "28036", "28037", "28038", "28039", "28040",
    "28041", "28042", "28043", "28044", "28045", "28046", "28047", "28048", "28049", "28050",
    "28051", "28052", "28053", "28054", "28055"};
constexpr std::array<SV, 8> kMostoles = {"28931", "28932", "28933", "28934",
                                         "28935", "28936", "28937", "28938"};
constexpr std::array<SV, 7> kAlcala = {"28801", "28802", "28803", "28804",
                                       "28805", "28806", "28807"};
constexpr std::array<SV, 8> kFuenlabrada = {"28940", "28941", "28942", "28943",
                                            "28944", "28945", "28946", "28947"};
constexpr std::array<SV, 9> kLeganes = {"28911", "28912", "28913", "28914", "28915",
                                        "28916", "28917", "28918", "28919"};
constexpr std::array<SV, 9> kGetafe = {"28901", "28902", "28903", "28904", "28905",
                                       "28906", "28907", "28908", "28909"};
constexpr std::array<SV, 5> kAlcorcon = {"28921", "28922", "28923", "28924", "28925"};
constexpr std::array<SV, 1> kTorrejon = {"28850"};
constexpr std::array<SV, 5> kParla = {"28980", "28981", "28982", "28983", "28984"};
constexpr std::array<SV, 3> kAlcobendas = {"28100", "28108", "28109"};
constexpr std::array<SV, 4> kLasRozas = {"28230", "28231", "28232", "28290"};
constexpr std::array<SV, 4> kSanSebastian = {"28700", "28701", "28702", "28703"};
constexpr std::array<SV, 2> kPozuelo = {"28223", "28224"};
constexpr std::array<SV, 3> kRivas = {"28521", "28522", "28523"};
constexpr std::array<SV, 4> kCoslada = {"28820", "28821", "28822", "28823"};
constexpr std::array<SV, 4> kValdemoro = {"28340", "28341", "28342", "28343"};
constexpr std::array<SV, 3> kMajadahonda = {"28220", "28221", "28222"};
constexpr std::array<SV, 1> kColladoVillalba = {"28400"};
constexpr std::array<SV, 1> kAranjuez = {"28300"};
constexpr std::array<SV, 1> kArganda = {"28500"};
constexpr std::array<SV, 2> kBoadilla = {"28660", "28669"};
constexpr std::array<SV, 1> kPinto = {"28320"};
constexpr std::array<SV, 1> kColmenarViejo = {"28770"};
constexpr std::array<SV, 2> kTresCantos = {"28760", "28761"};
constexpr std::array<SV, 1> kSanFernando = {"28830"};
constexpr std::array<SV, 1> kGalapagar = {"28260"};
constexpr std::array<SV, 1> kArroyomolinos = {"28939"};
constexpr std::array<SV, 1> kVillaviciosa = {"28670"};
constexpr std::array<SV, 1> kNavalcarnero = {"28600"};
constexpr std::array<SV, 1> kCiempozuelos = {"28350"};
constexpr std::array<SV, 1> kTorrelodones = {"28250"};
constexpr std::array<SV, 1> kParacuellos = {"28860"};
constexpr std::array<SV, 1> kMejorada = {"28840"};
constexpr std::array<SV, 1> kAlgete = {"28110"};
constexpr std::array<SV, 1> kVillanuevaCanada = {"28691"};
constexpr std::array<SV, 1> kSanLorenzo = {"28200"};
constexpr std::array<SV, 1> kHumanes = {"28970"};
constexpr std::array<SV, 1> kVillalbilla = {"28810"};
constexpr std::array<SV, 1> kGuadarrama = {"28440"};
constexpr std::array<SV, 1> kBuitrago = {"28730"};
constexpr std::array<SV, 1> kMeco = {"28880"};
constexpr std::array<SV, 1> kElEscorial = {"28280"};

// Population weights are rounded thousands of residents (order of magnitude is what matters).
const std::array<Municipality, 42> kMunicipalities = {{
    {"Madrid", 3300, kMadridCity},
    {"Móstoles", 210, kMostoles},
    {"Alcalá de Henares", 197, kAlcala},
    {"Fuenlabrada", 193, kFuenlabrada},
    {"Leganés", 190, kLeganes},
    {"Getafe", 185, kGetafe},
    {"Alcorcón", 171, kAlcorcon},
    {"Torrejón de Ardoz", 135, kTorrejon},
    {"Parla", 133, kParla},
    {"Alcobendas", 118, kAlcobendas},
    {"Las Rozas de Madrid", 96, kLasRozas},
    {"San Sebastián de los Reyes", 90, kSanSebastian},
    {"Pozuelo de Alarcón", 87, kPozuelo},
    {"Rivas-Vaciamadrid", 96, kRivas},
    {"Coslada", 81, kCoslada},
    {"Valdemoro", 79, kValdemoro},
    {"Majadahonda", 72, kMajadahonda},
    {"Collado Villalba", 64, kColladoVillalba},
    {"Aranjuez", 60, kAranjuez},
    {"Arganda del Rey", 57, kArganda},
    {"Boadilla del Monte", 60, kBoadilla},
    {"Pinto", 53, kPinto},
    {"Colmenar Viejo", 52, kColmenarViejo},
    {"Tres Cantos", 49, kTresCantos},
    {"San Fernando de Henares", 39, kSanFernando},
    {"Galapagar", 35, kGalapagar},
    {"Arroyomolinos", 35, kArroyomolinos},
    {"Villaviciosa de Odón", 28, kVillaviciosa},
    {"Navalcarnero", 31, kNavalcarnero},
    {"Ciempozuelos", 25, kCiempozuelos},
    {"Torrelodones", 24, kTorrelodones},
    {"Paracuellos de Jarama", 26, kParacuellos},
    {"Mejorada del Campo", 23, kMejorada},
    {"Algete", 21, kAlgete},
    {"Villanueva de la Cañada", 23, kVillanuevaCanada},
    {"San Lorenzo de El Escorial", 19, kSanLorenzo},
    {"Humanes de Madrid", 20, kHumanes},
    {"Villalbilla", 15, kVillalbilla},
    {"Guadarrama", 17, kGuadarrama},
    {"Buitrago del Lozoya", 2, kBuitrago},
    {"Meco", 15, kMeco},
    {"El Escorial", 16, kElEscorial},
}};

constexpr std::array<SV, 60> kMale = {
    "Antonio",     "José",     "Manuel",   "Francisco",    "David",
    "Juan",        "Javier",   "Daniel",   "José Antonio", "Francisco Javier",
    "José Luis",   "Carlos",   "Jesús",    "Alejandro",    "Miguel",
    "José Manuel", "Rafael",   "Pablo",    "Pedro",        "Ángel",
    "Sergio",      "Fernando", "Jorge",    "Luis",         "Alberto",
    "Álvaro",      "Adrián",   "Diego",    "Raúl",         "Iván",
    "Enrique",     "Rubén",    "Ramón",    "Vicente",      "Óscar",
    "Andrés",      "Joaquín",  "Santiago", "Eduardo",      "Víctor",
    "Mario",       "Roberto",  "Jaime",    "Ignacio",      "Marcos",
    "Alfonso",     "Hugo",     "Lucas",    "Martín",       "Mateo",
    "Leo",         "Gonzalo",  "Nicolás",  "Julián",       "Emilio",
    "Tomás",       "Agustín",  "Salvador", "Guillermo",    "Íñigo"};
constexpr std::array<SV, 60> kFemale = {
    "María Carmen",  "María",        "Carmen",     "Ana María", "Laura",      "María Pilar",
    "María Dolores", "Isabel",       "Josefa",     "Marta",     "Cristina",   "Lucía",
    "Francisca",     "María Teresa", "Antonia",    "Dolores",   "Ana",        "Paula",
    "Sara",          "Elena",        "Raquel",     "Pilar",     "Manuela",    "Concepción",
    "Mercedes",      "Julia",        "Rosa María", "Beatriz",   "Nuria",      "Silvia",
    "Alba",          "Irene",        "Patricia",   "Andrea",    "Rocío",      "Montserrat",
    "Teresa",        "Rosario",      "Sofía",      "Martina",   "Valeria",    "Claudia",
    "Noelia",        "Sonia",        "Alicia",     "Marina",    "Inmaculada", "Encarnación",
    "Yolanda",       "Eva",          "Lorena",     "Natalia",   "Verónica",   "Susana",
    "Ángela",        "Begoña",       "Esther",     "Miriam",    "Carla",      "Noa"};
constexpr std::array<SV, 100> kSurnames = {
    "García",   "Rodríguez", "González",  "Fernández", "López",   "Martínez",  "Sánchez",
    "Pérez",    "Gómez",     "Martín",    "Jiménez",   "Ruiz",    "Hernández", "Díaz",
    "Moreno",   "Muñoz",     "Álvarez",   "Romero",    "Alonso",  "Gutiérrez", "Navarro",
    "Torres",   "Domínguez", "Vázquez",   "Ramos",     "Gil",     "Ramírez",   "Serrano",
    "Blanco",   "Molina",    "Morales",   "Suárez",    "Ortega",  "Delgado",   "Castro",
    "Ortiz",    "Rubio",     "Marín",     "Sanz",      "Núñez",   "Iglesias",  "Medina",
    "Garrido",  "Cortés",    "Castillo",  "Santos",    "Lozano",  "Guerrero",  "Cano",
    "Prieto",   "Méndez",    "Cruz",      "Calvo",     "Gallego", "Herrera",   "Márquez",
    "León",     "Peña",      "Vidal",     "Cabrera",   "Campos",  "Vega",      "Fuentes",
    "Carrasco", "Díez",      "Caballero", "Reyes",     "Nieto",   "Aguilar",   "Pascual",
    "Santana",  "Herrero",   "Montero",   "Lorenzo",   "Hidalgo", "Giménez",   "Ibáñez",
    "Ferrer",   "Durán",     "Santiago",  "Benítez",   "Vargas",  "Mora",      "Vicente",
    "Arias",    "Carmona",   "Crespo",    "Román",     "Pastor",  "Soto",      "Sáez",
    "Velasco",  "Moya",      "Soler",     "Parra",     "Esteban", "Bravo",     "Gallardo",
    "Rojas",    "Pardo"};

constexpr std::array<SV, 10> kRoMale = {"Andrei",   "Ion",        "Mihai",  "Alexandru", "Florin",
                                        "Gheorghe", "Constantin", "Adrian", "Marius",    "Ionut"};
constexpr std::array<SV, 10> kRoFemale = {"Ioana",    "Maria", "Elena",     "Andreea",  "Mihaela",
                                          "Cristina", "Ana",   "Alexandra", "Gabriela", "Daniela"};
constexpr std::array<SV, 12> kRoSurnames = {"Popescu",  "Ionescu", "Popa",    "Pop",
                                            "Radu",     "Dumitru", "Stan",    "Stoica",
                                            "Gheorghe", "Matei",   "Ciobanu", "Rusu"};
constexpr std::array<SV, 10> kMaMale = {"Mohamed", "Ahmed", "Youssef", "Hassan", "Said",
                                        "Mustafa", "Karim", "Omar",    "Rachid", "Hamza"};
constexpr std::array<SV, 10> kMaFemale = {"Fatima", "Khadija", "Aicha", "Naima", "Malika",
                                          "Samira", "Nadia",   "Salma", "Zineb", "Meryem"};
constexpr std::array<SV, 10> kMaSurnames = {"El Amrani", "Benali", "El Idrissi", "Bennani",
                                            "Alaoui",    "Tahiri", "El Fassi",   "Berrada",
                                            "Chaoui",    "Ouali"};
constexpr std::array<SV, 10> kCnMale = {"Wei",  "Jun", "Hao",  "Lei", "Jian",
                                        "Ming", "Tao", "Yong", "Bo",  "Chen"};
constexpr std::array<SV, 10> kCnFemale = {"Mei",  "Li",   "Ying", "Xiu", "Hua",
                                          "Fang", "Jing", "Yan",  "Lan", "Na"};
constexpr std::array<SV, 10> kCnSurnames = {"Wang", "Li",    "Zhang", "Liu", "Chen",
                                            "Yang", "Huang", "Zhao",  "Wu",  "Zhou"};
constexpr std::array<SV, 10> kItMale = {"Marco",  "Luca",   "Giuseppe", "Francesco", "Alessandro",
                                        "Andrea", "Matteo", "Lorenzo",  "Stefano",   "Paolo"};
constexpr std::array<SV, 10> kItFemale = {"Giulia",   "Francesca", "Chiara",  "Sara",   "Valentina",
                                          "Federica", "Elisa",     "Martina", "Silvia", "Giorgia"};
constexpr std::array<SV, 10> kItSurnames = {"Rossi",  "Russo",   "Ferrari", "Esposito", "Bianchi",
                                            "Romano", "Colombo", "Ricci",   "Marino",   "Greco"};
constexpr std::array<SV, 10> kUaMale = {"Oleksandr", "Andriy", "Serhiy", "Volodymyr", "Dmytro",
                                        "Mykola",    "Ivan",   "Yuriy",  "Vasyl",     "Taras"};
constexpr std::array<SV, 10> kUaFemale = {"Olena",    "Tetiana", "Nataliia", "Iryna",    "Oksana",
                                          "Svitlana", "Yuliia",  "Mariia",   "Kateryna", "Anna"};
constexpr std::array<SV, 10> kUaSurnames = {"Melnyk",     "Shevchenko", "Boyko",      "Kovalenko",
                                            "Bondarenko", "Tkachenko",  "Kravchenko", "Oliynyk",
                                            "Shevchuk",   "Koval"};

const std::array<ForeignNames, 5> kForeignPools = {{
    {kRoMale, kRoFemale, kRoSurnames, false},
    {kMaMale, kMaFemale, kMaSurnames, false},
    {kCnMale, kCnFemale, kCnSurnames, false},
    {kItMale, kItFemale, kItSurnames, false},
    {kUaMale, kUaFemale, kUaSurnames, false},
}};

// Approximate shares of Madrid's registered residents by nationality (order of magnitude from
// the public municipal register); Latin American residents use Spanish-style names.
constexpr std::array<Nationality, 12> kNationalities = {{
    {"ES", "España", 85.0, -1},
    {"RO", "Rumanía", 2.4, 0},
    {"MA", "Marruecos", 1.6, 1},
    {"CO", "Colombia", 1.5, -1},
    {"VE", "Venezuela", 1.5, -1},
    {"PE", "Perú", 1.0, -1},
    {"EC", "Ecuador", 0.9, -1},
    {"CN", "China", 0.9, 2},
    {"HN", "Honduras", 0.8, -1},
    {"IT", "Italia", 0.8, 3},
    {"UA", "Ucrania", 0.5, 4},
    {"PY", "Paraguay", 0.5, -1},
}};

constexpr std::array<SV, 6> kStreetTypes = {"Calle", "Avenida", "Plaza",
                                            "Paseo", "Camino",  "Ronda"};
// Generic street names of the kind found in every Spanish town (trees, virtues, places).
constexpr std::array<SV, 40> kStreetNames = {
    "Mayor",          "Real",           "de la Iglesia", "del Sol",
    "de los Olmos",   "de las Acacias", "del Pinar",     "de la Constitución",
    "de la Libertad", "de la Paz",      "del Río",       "de la Fuente",
    "Nueva",          "del Carmen",     "de San José",   "de Santa Ana",
    "de los Álamos",  "de la Estación", "del Prado",     "de la Cañada",
    "del Molino",     "de la Ermita",   "de las Eras",   "del Olivar",
    "de la Sierra",   "de Castilla",    "de Andalucía",  "de Toledo",
    "de Segovia",     "de Valencia",    "de la Vega",    "de los Rosales",
    "de la Huerta",   "del Parque",     "de la Luna",    "de las Flores",
    "del Cerro",      "de la Alameda",  "de Goya",       "de Cervantes"};

// Reference ranges are typical adult ranges; real laboratories publish their own.
const std::array<LabTest, 15> kLabTests = {{
    {"4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "HBA1C", "Hemoglobina glicada", "%", 4.0,
     5.6, 5.3, 0.3, 1},
    {"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "GLU", "Glucosa", "mg/dL", 70, 110, 92,
     9, 0},
    {"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "CREA", "Creatinina", "mg/dL", 0.6,
     1.2, 0.85, 0.15, 2},
    {"2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "COL", "Colesterol total", "mg/dL",
     120, 200, 190, 30, 0},
    {"13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "LDL",
     "Colesterol LDL", "mg/dL", 50, 130, 115, 28, 0},
    {"2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "HDL", "Colesterol HDL",
     "mg/dL", 40, 90, 55, 12, 0},
    {"2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "TG", "Triglicéridos", "mg/dL", 35,
     150, 110, 35, 0},
    {"718-7", "Hemoglobin [Mass/volume] in Blood", "HB", "Hemoglobina", "g/dL", 12.0, 17.0, 14.2,
     1.2, 1},
    {"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "LEU", "Leucocitos", "10*3/uL",
     4.0, 11.0, 7.0, 1.6, 1},
    {"777-3", "Platelets [#/volume] in Blood by Automated count", "PLAQ", "Plaquetas", "10*3/uL",
     150, 400, 250, 50, 0},
    {"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "NA", "Sodio", "mmol/L", 135, 145, 140,
     2, 0},
    {"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "K", "Potasio", "mmol/L", 3.5, 5.1,
     4.3, 0.35, 1},
    {"3016-3", "Thyrotropin [Units/volume] in Serum or Plasma", "TSH", "Tirotropina", "m[IU]/L",
     0.4, 4.0, 1.9, 0.7, 2},
    {"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "ALT",
     "GPT (ALT)", "U/L", 7, 40, 22, 8, 0},
    {"1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "PCR", "Proteína C reactiva",
     "mg/L", 0, 5, 2, 1.2, 1},
}};

const std::array<VitalSign, 5> kVitals = {{
    {"8480-6", "Systolic blood pressure", "mm[Hg]"},
    {"8462-4", "Diastolic blood pressure", "mm[Hg]"},
    {"29463-7", "Body weight", "kg"},
    {"8867-4", "Heart rate", "/min"},
    {"8310-5", "Body temperature", "Cel"},
}};

// CVX codes (CDC vaccine administered code set).
constexpr std::array<CodedConcept, 9> kVaccines = {{
    {"141", "Influenza, seasonal, injectable"},
    {"208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose"},
    {"33", "pneumococcal polysaccharide PPV23"},
    {"133", "Pneumococcal conjugate PCV 13"},
    {"115", "Tdap"},
    {"03", "MMR"},
    {"146", "DTaP,IPV,Hib,HepB"},
    {"21", "varicella"},
    {"165", "HPV9"},
}};

constexpr std::array<AllergyConcept, 7> kAllergies = {{
    {"91936005", "Allergy to penicillin", "medication"},
    {"293586001", "Allergy to aspirin", "medication"},
    {"91935009", "Allergy to peanuts", "food"},
    {"91930004", "Allergy to eggs", "food"},
    {"300916003", "Latex allergy", "environment"},
    {"232350006", "House dust mite allergy", "environment"},
    {"418689008", "Allergy to grass pollen", "environment"},
}};

}  // namespace

std::span<const Municipality> MadridMunicipalities() { return kMunicipalities; }
std::span<const Nationality> Nationalities() { return kNationalities; }
ForeignNames ForeignNamePool(int index) {
  return kForeignPools[static_cast<size_t>(index) % kForeignPools.size()];
}
std::span<const std::string_view> SpanishMaleNames() { return kMale; }
std::span<const std::string_view> SpanishFemaleNames() { return kFemale; }
std::span<const std::string_view> SpanishSurnames() { return kSurnames; }
std::span<const std::string_view> StreetTypes() { return kStreetTypes; }
std::span<const std::string_view> StreetNames() { return kStreetNames; }

const LabTest& LabHba1c() { return kLabTests[0]; }
const LabTest& LabGlucose() { return kLabTests[1]; }
const LabTest& LabCreatinine() { return kLabTests[2]; }
const LabTest& LabCholesterol() { return kLabTests[3]; }
const LabTest& LabLdl() { return kLabTests[4]; }
const LabTest& LabHdl() { return kLabTests[5]; }
const LabTest& LabTriglycerides() { return kLabTests[6]; }
const LabTest& LabHemoglobin() { return kLabTests[7]; }
const LabTest& LabLeukocytes() { return kLabTests[8]; }
const LabTest& LabPlatelets() { return kLabTests[9]; }
const LabTest& LabSodium() { return kLabTests[10]; }
const LabTest& LabPotassium() { return kLabTests[11]; }
const LabTest& LabTsh() { return kLabTests[12]; }
const LabTest& LabAlt() { return kLabTests[13]; }
const LabTest& LabCrp() { return kLabTests[14]; }
std::span<const LabTest> AllLabTests() { return kLabTests; }

const VitalSign& VitalSystolic() { return kVitals[0]; }
const VitalSign& VitalDiastolic() { return kVitals[1]; }
const VitalSign& VitalBodyWeight() { return kVitals[2]; }
const VitalSign& VitalHeartRate() { return kVitals[3]; }
const VitalSign& VitalBodyTemperature() { return kVitals[4]; }

std::span<const CodedConcept> Vaccines() { return kVaccines; }
std::span<const AllergyConcept> AllergyConcepts() { return kAllergies; }

}  // namespace medlake::synth
