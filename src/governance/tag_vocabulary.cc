#include "governance/tag_vocabulary.h"

#include <string>

namespace medlake::governance {

Status ValidateTagName(std::string_view tag) {
  if (tag.empty()) return InvalidArgument("empty tag name");
  if (tag.size() > 64) return InvalidArgument("tag name longer than 64 characters");
  if (tag[0] < 'a' || tag[0] > 'z') {
    return InvalidArgument("invalid tag name '" + std::string(tag) +
                           "': it must start with a lowercase letter");
  }
  for (char c : tag) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
              c == '.' || c == '-';
    if (!ok) {
      return InvalidArgument("invalid tag name '" + std::string(tag) +
                             "': use lowercase letters, digits and _ : . - only");
    }
  }
  return Status::OK();
}

bool IsClassificationTag(std::string_view tag) {
  return tag == kTagPhi || tag == kTagDirectIdentifier || tag == kTagQuasiIdentifier ||
         tag == kTagSpecialCategory || tag.starts_with("pii:") || tag.starts_with("special:");
}

bool IsTableLevelClassificationTag(std::string_view tag) {
  return tag == kTagPhi || tag == kTagSpecialCategory || tag.starts_with("special:");
}

std::span<const std::string_view> ClassificationVocabulary() {
  static constexpr std::string_view kVocabulary[] = {
      kTagPhi,
      kTagDirectIdentifier,
      kTagQuasiIdentifier,
      kTagSpecialCategory,
      kTagPiiDni,
      kTagPiiCip,
      kTagPiiNuss,
      kTagPiiMrn,
      kTagPiiName,
      kTagPiiPhone,
      kTagPiiEmail,
      kTagPiiAddress,
      kTagPiiRecord,
      kTagPiiBirthDate,
      kTagPiiPostalCode,
      kTagPiiSex,
      kTagPiiLocation,
      kTagPiiPatientLink,
      kTagSpecialMentalHealth,
      kTagSpecialHiv,
      kTagSpecialSexual,
      kTagSpecialGenetic,
  };
  return kVocabulary;
}

}  // namespace medlake::governance
