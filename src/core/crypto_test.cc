#include "core/crypto.h"

#include <gtest/gtest.h>

#include <set>

#include "core/testing/status_matchers.h"
#include "core/uuid.h"

namespace medlake {
namespace {

TEST(CryptoTest, Sha256KnownAnswers) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(CryptoTest, IncrementalSha256MatchesOneShot) {
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256("abc"));
}

TEST(CryptoTest, HmacSha256Rfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoTest, HmacSha256KeyMatchesOneShotHmac) {
  HmacSha256Key jefe("Jefe");
  EXPECT_EQ(HexEncode(jefe.Digest("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block is hashed first.
  HmacSha256Key long_key(std::string(131, '\xaa'));
  EXPECT_EQ(HexEncode(long_key.Digest("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  for (const char* v : {"", "a", "12345678Z"}) EXPECT_EQ(jefe.Digest(v), HmacSha256("Jefe", v)) << v;
  // Every message length around the one-block fast path (<= 55 bytes) and beyond, under keys
  // shorter than, as long as and longer than a block.
  int checked = 0;
  for (const std::string& key : {std::string(), std::string("k"), std::string(64, 'K'), std::string(65, 'L')}) {
    HmacSha256Key k(key);
    for (size_t n = 0; n <= 130; ++n) {
      std::string v;
      for (size_t i = 0; i < n; ++i) v += static_cast<char>('0' + (i * 7 + n) % 75);
      EXPECT_EQ(k.Digest(v), HmacSha256(key, v)) << key.size() << "/" << n;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 4 * 131);
}

TEST(CryptoTest, Pbkdf2Sha256KnownAnswer) {
  // RFC 7914 section 11 (PBKDF2-HMAC-SHA256, "passwd"/"salt", c=1), first 32 bytes.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto d, Pbkdf2Sha256("passwd", "salt", 1));
  EXPECT_EQ(HexEncode(d), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
  EXPECT_THAT(Pbkdf2Sha256("p", "s", 0), StatusIs(StatusCode::kInvalidArgument, "iteration"));
}

TEST(CryptoTest, RandomBytesDiffer) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string a, RandomBytes(32));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string b, RandomBytes(32));
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
}

TEST(CryptoTest, HexRoundTripAndErrors) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string raw, HexDecode("00ff10Ab"));
  EXPECT_EQ(HexEncode(raw), "00ff10ab");
  EXPECT_THAT(HexDecode("abc"), StatusIs(StatusCode::kInvalidArgument, "odd"));
  EXPECT_THAT(HexDecode("zz"), StatusIs(StatusCode::kInvalidArgument, "hex digit"));
}

TEST(CryptoTest, Base64Rfc4648Vectors) {
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(Base64Encode(plain[i]), coded[i]);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string back, Base64Decode(coded[i]));
    EXPECT_EQ(back, plain[i]);
  }
  EXPECT_FALSE(Base64Decode("Zm9").ok());
  EXPECT_FALSE(Base64Decode("Zm=v").ok());
  EXPECT_FALSE(Base64Decode("Z!9v").ok());
}

TEST(CryptoTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(UuidTest, RandomV4HasVersionAndVariantAndIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    MEDLAKE_ASSERT_OK_AND_ASSIGN(Uuid u, Uuid::RandomV4());
    EXPECT_EQ(u.version(), 4);
    EXPECT_EQ(u.bytes()[8] & 0xC0, 0x80);
    std::string s = u.ToString();
    EXPECT_EQ(s.size(), 36u);
    EXPECT_EQ(s[14], '4');
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(UuidTest, ParseRoundTripAndRejects) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(Uuid u, Uuid::Parse("F79C3E09-677C-4D38-A3E2-6D2D5E4B5C1A"));
  EXPECT_EQ(u.ToString(), "f79c3e09-677c-4d38-a3e2-6d2d5e4b5c1a");
  EXPECT_FALSE(Uuid::Parse("f79c3e09677c4d38a3e26d2d5e4b5c1a").ok());
  EXPECT_FALSE(Uuid::Parse("g79c3e09-677c-4d38-a3e2-6d2d5e4b5c1a").ok());
}

}  // namespace
}  // namespace medlake
