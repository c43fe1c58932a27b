#include "ingest/fhir/ndjson_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/testing/mem_file_system.h"
#include "core/testing/status_matchers.h"

namespace medlake::ingest::fhir {
namespace {

struct Got {
  std::string bytes;
  uint64_t line_number;
  uint64_t offset;
  uint64_t length;
  bool too_long;
  bool unterminated;
};

std::vector<Got> ReadAll(const std::string& content, NdjsonReaderOptions options,
                         uint64_t* blank = nullptr) {
  MemFileSystem fs;
  EXPECT_THAT(fs.WriteFileAtomic("/in.ndjson", content), IsOk());
  auto reader = NdjsonReader::Open(fs, "/in.ndjson", options);
  EXPECT_THAT(reader, IsOk());
  std::vector<Got> out;
  if (!reader.ok()) {
    return out;
  }
  NdjsonLine line;
  while (true) {
    Result<bool> more = (*reader)->Next(&line);
    EXPECT_THAT(more, IsOk());
    if (!more.ok() || !*more) {
      break;
    }
    out.push_back(Got{std::string(line.bytes), line.line_number, line.offset, line.length,
                      line.too_long, line.unterminated});
  }
  if (blank != nullptr) {
    *blank = (*reader)->blank_lines();
  }
  return out;
}

TEST(NdjsonReaderTest, YieldsLinesWithNumbersAndOffsets) {
  for (size_t chunk : {1, 2, 3, 5, 64, 4 << 20}) {
    NdjsonReaderOptions options;
    options.chunk_bytes = chunk;
    uint64_t blank = 0;
    std::vector<Got> got = ReadAll("{\"a\":1}\n\n{\"b\":22}\r\n  \r\n{\"c\":3}\n", options, &blank);
    ASSERT_EQ(got.size(), 3u) << chunk;
    EXPECT_EQ(got[0].bytes, "{\"a\":1}");
    EXPECT_EQ(got[0].line_number, 1u);
    EXPECT_EQ(got[0].offset, 0u);
    EXPECT_EQ(got[1].bytes, "{\"b\":22}");
    EXPECT_EQ(got[1].line_number, 3u);
    EXPECT_EQ(got[1].offset, 9u);
    EXPECT_EQ(got[2].bytes, "{\"c\":3}");
    EXPECT_EQ(got[2].line_number, 5u);
    EXPECT_EQ(got[2].offset, 23u);
    EXPECT_FALSE(got[2].unterminated);
    EXPECT_EQ(blank, 2u);
  }
}

TEST(NdjsonReaderTest, SkipsUtf8ByteOrderMarkKeepingFileOffsets) {
  std::vector<Got> got = ReadAll("\xEF\xBB\xBF{}\n{}\n", {});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bytes, "{}");
  EXPECT_EQ(got[0].offset, 3u);
  EXPECT_EQ(got[1].offset, 6u);
}

TEST(NdjsonReaderTest, DeliversUnterminatedLastLine) {
  for (size_t chunk : {1, 4, 100}) {
    NdjsonReaderOptions options;
    options.chunk_bytes = chunk;
    std::vector<Got> got = ReadAll("{\"a\":1}\n{\"trunc", options);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[1].bytes, "{\"trunc");
    EXPECT_TRUE(got[1].unterminated);
    EXPECT_EQ(got[1].line_number, 2u);
    EXPECT_EQ(got[1].offset, 8u);
  }
}

TEST(NdjsonReaderTest, RejectsOverLongLineAsOneRecordAndContinues) {
  for (size_t chunk : {1, 3, 7, 1000}) {
    NdjsonReaderOptions options;
    options.chunk_bytes = chunk;
    options.max_line_bytes = 10;
    const std::string big(25, 'x');
    std::vector<Got> got = ReadAll("{}\n" + big + "\n{\"ok\":1}\n" + big, options);
    ASSERT_EQ(got.size(), 4u) << chunk;
    EXPECT_EQ(got[0].bytes, "{}");
    EXPECT_TRUE(got[1].too_long);
    EXPECT_EQ(got[1].bytes, std::string(10, 'x'));
    EXPECT_EQ(got[1].length, 25u);
    EXPECT_EQ(got[1].offset, 3u);
    EXPECT_EQ(got[1].line_number, 2u);
    EXPECT_FALSE(got[1].unterminated);
    EXPECT_EQ(got[2].bytes, "{\"ok\":1}");
    EXPECT_EQ(got[2].offset, 29u);
    EXPECT_EQ(got[2].line_number, 3u);
    EXPECT_TRUE(got[3].too_long);
    EXPECT_TRUE(got[3].unterminated);
    EXPECT_EQ(got[3].length, 25u);
    EXPECT_EQ(got[3].line_number, 4u);
  }
}

TEST(NdjsonReaderTest, EmptyAndBlankOnlyFilesYieldNothing) {
  uint64_t blank = 0;
  EXPECT_TRUE(ReadAll("", {}).empty());
  EXPECT_TRUE(ReadAll("\n\r\n \n", {}, &blank).empty());
  EXPECT_EQ(blank, 3u);
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF", {}).empty());
}

TEST(NdjsonReaderTest, MissingFileIsNotFound) {
  MemFileSystem fs;
  EXPECT_THAT(NdjsonReader::Open(fs, "/nope.ndjson"), StatusIs(StatusCode::kNotFound, ""));
}

}  // namespace
}  // namespace medlake::ingest::fhir
