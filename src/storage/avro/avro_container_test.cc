// Tests of Avro object container files: writer/reader round trips and corrupt files.
#include "storage/avro/avro_container.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/testing/status_matchers.h"
#include "storage/avro/avro_binary_internal.h"

namespace medlake::storage {
namespace {

constexpr const char* kManifestFileSchema =
    R"({"type":"record","name":"manifest_file","fields":[)"
    R"({"name":"manifest_path","type":"string","doc":"Location URI with FS scheme","field-id":500},)"
    R"({"name":"added_rows_count","type":"long","field-id":512},)"
    R"({"name":"partitions","type":["null",{"type":"array","items":{"type":"record","name":"r508","fields":[)"
    R"({"name":"contains_null","type":"boolean","field-id":509},)"
    R"({"name":"lower_bound","type":["null","bytes"],"default":null,"field-id":510}]},"element-id":508}],)"
    R"("default":null,"field-id":507}]})";

constexpr std::array<uint8_t, kAvroSyncSize> kSync = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

AvroSchema ManifestFileSchema() { return AvroSchema::Parse(kManifestFileSchema).value(); }

std::vector<AvroValue> MakeRecords(int n) {
  std::vector<AvroValue> records;
  for (int i = 0; i < n; ++i) {
    AvroValue partitions =
        i % 3 == 0 ? AvroValue::Union(0, AvroValue::Null())
                   : AvroValue::Union(
                         1, AvroValue::Array({AvroValue::Record(
                                {AvroValue::Boolean(i % 2 == 0),
                                 AvroValue::Union(1, AvroValue::Bytes(std::to_string(i)))})}));
    records.push_back(AvroValue::Record(
        {AvroValue::String("s3://bucket/t/metadata/m" + std::to_string(i) + ".avro"),
         AvroValue::Long(int64_t{i} * 1000), std::move(partitions)}));
  }
  return records;
}

AvroMetadata IcebergMetadata() {
  return {{"format-version", "2"},
          {"partition-spec", "[]"},
          {"partition-spec-id", "0"},
          {"content", "data"},
          {"schema", R"({"type":"struct","schema-id":0,"fields":[]})"}};
}

AvroWriterOptions Options(AvroCodec codec, size_t records_per_block = 1000) {
  AvroWriterOptions options;
  options.codec = codec;
  options.max_block_records = records_per_block;
  options.sync_marker = kSync;
  return options;
}

// The header of a container file, built by hand for malformed-file tests.
std::string Header(const std::vector<std::pair<std::string, std::string>>& metadata) {
  std::string out(kAvroMagic);
  internal::AppendAvroLong(static_cast<int64_t>(metadata.size()), &out);
  for (const auto& [k, v] : metadata) {
    internal::AppendAvroBytes(k, &out);
    internal::AppendAvroBytes(v, &out);
  }
  internal::AppendAvroLong(0, &out);
  out.append(reinterpret_cast<const char*>(kSync.data()), kSync.size());
  return out;
}

std::string Sync() {
  return std::string(reinterpret_cast<const char*>(kSync.data()), kSync.size());
}

Result<std::vector<AvroValue>> ReadAllOf(std::string bytes, AvroReaderOptions options = {}) {
  MEDLAKE_ASSIGN_OR_RETURN(auto reader, AvroFileReader::Open(std::move(bytes), options));
  return reader->ReadAll();
}

TEST(AvroContainerTest, RoundTripsEveryCodec) {
  const std::vector<AvroValue> records = MakeRecords(2500);
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate, AvroCodec::kSnappy}) {
    SCOPED_TRACE(std::string(AvroCodecName(codec)));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(
        std::string bytes,
        WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), records, Options(codec)));
    ASSERT_EQ(bytes.substr(0, 4), std::string("Obj\x01", 4));
    MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, AvroFileReader::Open(bytes));
    EXPECT_EQ(reader->codec(), codec);
    EXPECT_EQ(*reader->FindMetadata("avro.codec"), AvroCodecName(codec));
    EXPECT_EQ(*reader->FindMetadata("format-version"), "2");
    EXPECT_EQ(*reader->FindMetadata("partition-spec"), "[]");
    EXPECT_EQ(*reader->FindMetadata("content"), "data");
    EXPECT_EQ(reader->FindMetadata("nope"), nullptr);
    EXPECT_EQ(reader->metadata().size(), IcebergMetadata().size() + 2);
    EXPECT_EQ(*reader->FindMetadata("avro.schema"), kManifestFileSchema);
    EXPECT_EQ(reader->schema().ToJson(), kManifestFileSchema);
    EXPECT_EQ(reader->schema().root().FindField("added_rows_count")->field_id(), 512);
    MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> back, reader->ReadAll());
    ASSERT_EQ(back.size(), records.size());
    for (size_t i = 0; i < records.size(); ++i)
      ASSERT_EQ(back[i], records[i]) << i;
    // Three blocks of at most 1000 records: the sync marker appears after the header and each
    // block.
    size_t syncs = 0;
    for (size_t p = bytes.find(Sync()); p != std::string::npos; p = bytes.find(Sync(), p + 1))
      ++syncs;
    EXPECT_EQ(syncs, 4u);
  }
}

TEST(AvroContainerTest, ReadersOfOneSchemaTextShareOneParsedSchema) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string a, WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), MakeRecords(3),
                                                            Options(AvroCodec::kNull)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string b, WriteAvroFile(ManifestFileSchema(), {}, MakeRecords(5),
                                                            Options(AvroCodec::kDeflate)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto ra, AvroFileReader::Open(a));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rb, AvroFileReader::Open(b));
  EXPECT_EQ(&ra->schema(), &rb->schema());
  // A different text gets its own schema, and the shared one outlives its first reader.
  AvroSchema other = AvroSchema::Parse(R"({"type":"record","name":"x","fields":[{"name":"n","type":"long"}]})").value();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string c, WriteAvroFile(other, {}, {AvroValue::Record({AvroValue::Long(7)})},
                                                            Options(AvroCodec::kNull)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto rc, AvroFileReader::Open(c));
  EXPECT_NE(&rc->schema(), &ra->schema());
  ra.reset();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> back, rb->ReadAll());
  EXPECT_EQ(back, MakeRecords(5));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> seven, rc->ReadAll());
  ASSERT_EQ(seven.size(), 1u);
  // A bad schema text is still refused on every read (errors are not kept).
  std::string broken = a;
  const size_t at = broken.find("manifest_file");
  ASSERT_NE(at, std::string::npos);
  broken[at - 9] = '!';  // inside the schema JSON, before "name"
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(AvroFileReader::Open(broken), StatusIs(StatusCode::kDataLoss, "avro.schema"));
  }
}

TEST(AvroContainerTest, DeflateCompressesAndIsReproducible) {
  const std::vector<AvroValue> records = MakeRecords(500);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string plain, WriteAvroFile(ManifestFileSchema(), {}, records,
                                                                Options(AvroCodec::kNull)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string deflated,
      WriteAvroFile(ManifestFileSchema(), {}, records, Options(AvroCodec::kDeflate)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string again, WriteAvroFile(ManifestFileSchema(), {}, records,
                                                                Options(AvroCodec::kDeflate)));
  EXPECT_LT(deflated.size(), plain.size() / 2);
  EXPECT_EQ(deflated, again);
  // Without a fixed marker each file gets a random one.
  AvroWriterOptions random_sync;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string r1,
                               WriteAvroFile(ManifestFileSchema(), {}, records, random_sync));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string r2,
                               WriteAvroFile(ManifestFileSchema(), {}, records, random_sync));
  EXPECT_NE(r1, r2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> back, ReadAllOf(r1));
  EXPECT_EQ(back, records);
}

TEST(AvroContainerTest, EmptyFileHasNoRecords) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string bytes,
      WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), {}, Options(AvroCodec::kDeflate)));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(auto reader, AvroFileReader::Open(bytes));
  AvroValue v;
  MEDLAKE_ASSERT_OK_AND_ASSIGN(bool more, reader->Next(&v));
  EXPECT_FALSE(more);
}

TEST(AvroContainerTest, WriterChecksItsInput) {
  AvroMetadata reserved = {{"avro.codec", "null"}};
  EXPECT_THAT(AvroFileWriter::Make(ManifestFileSchema(), reserved),
              StatusIs(StatusCode::kInvalidArgument, "'avro.codec' is set by the writer"));
  AvroWriterOptions bad_level;
  bad_level.deflate_level = 12;
  EXPECT_THAT(AvroFileWriter::Make(ManifestFileSchema(), {}, bad_level),
              StatusIs(StatusCode::kInvalidArgument, "deflate level"));
  AvroSchema invalid;
  invalid.set_root(invalid.AddNode(AvroType::kArray));
  EXPECT_THAT(AvroFileWriter::Make(invalid, {}),
              StatusIs(StatusCode::kInvalidArgument, "array items"));

  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      auto writer, AvroFileWriter::Make(ManifestFileSchema(), {}, Options(AvroCodec::kNull)));
  EXPECT_THAT(writer->Append(AvroValue::Int(1)),
              StatusIs(StatusCode::kInvalidArgument, "expected record"));
  std::vector<AvroValue> records = MakeRecords(2);
  MEDLAKE_ASSERT_OK(writer->Append(records[0]));  // still usable after a rejected record
  MEDLAKE_ASSERT_OK(writer->Append(records[1]));
  EXPECT_EQ(writer->records_written(), 2);
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string bytes, writer->Finish());
  EXPECT_THAT(writer->Append(records[0]),
              StatusIs(StatusCode::kFailedPrecondition, "after Finish"));
  EXPECT_THAT(writer->Finish(), StatusIs(StatusCode::kFailedPrecondition, "twice"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> back, ReadAllOf(bytes));
  EXPECT_EQ(back, records);
}

TEST(AvroContainerTest, RejectsBadMagic) {
  EXPECT_THAT(AvroFileReader::Open(""), StatusIs(StatusCode::kDataLoss, "avro: bad magic"));
  EXPECT_THAT(AvroFileReader::Open("Obj"), StatusIs(StatusCode::kDataLoss, "avro: bad magic"));
  EXPECT_THAT(AvroFileReader::Open("PAR1xxxxxxxxxxxxxxxxxxxxxxxx"),
              StatusIs(StatusCode::kDataLoss, "avro: bad magic"));
  EXPECT_THAT(AvroFileReader::Open(std::string("Obj\x02", 4) + Header({}).substr(4)),
              StatusIs(StatusCode::kDataLoss, "avro: bad magic"));
}

TEST(AvroContainerTest, RejectsTruncatedHeader) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string bytes, WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), MakeRecords(3),
                                       Options(AvroCodec::kDeflate)));
  const size_t header_size = Header({}).size();  // lower bound of the real header's size
  for (size_t n = 4; n < header_size; ++n) {
    EXPECT_THAT(AvroFileReader::Open(bytes.substr(0, n)),
                StatusIs(StatusCode::kDataLoss, "avro: bad header"))
        << n;
  }
  // Header({avro.schema: "int"}): magic, count 1 at 4, key length 11 at 5, key, value length 5 at
  // 17, value, end of map at 23, sync marker at 24..39.
  const std::string small = Header({{"avro.schema", "\"int\""}});
  EXPECT_THAT(
      AvroFileReader::Open(small.substr(0, 10)),
      StatusIs(StatusCode::kDataLoss, "avro: bad header: length exceeds the input at offset 5"));
  EXPECT_THAT(
      AvroFileReader::Open(small.substr(0, 20)),
      StatusIs(StatusCode::kDataLoss, "avro: bad header: length exceeds the input at offset 17"));
  EXPECT_THAT(AvroFileReader::Open(small.substr(0, 23)),
              StatusIs(StatusCode::kDataLoss, "avro: bad header: truncated long at offset 23"));
  EXPECT_THAT(
      AvroFileReader::Open(small.substr(0, 30)),
      StatusIs(StatusCode::kDataLoss, "avro: bad header: truncated sync marker at offset 24"));
  MEDLAKE_EXPECT_OK(AvroFileReader::Open(small));
}

TEST(AvroContainerTest, RejectsBadHeaderContents) {
  EXPECT_THAT(AvroFileReader::Open(Header({{"format-version", "2"}})),
              StatusIs(StatusCode::kDataLoss, "avro: header has no avro.schema"));
  EXPECT_THAT(AvroFileReader::Open(Header({{"avro.schema", "{\"type\":\"nope\"}"}})),
              StatusIs(StatusCode::kDataLoss,
                       "avro: bad avro.schema in header: avro schema: unknown type name"));
  EXPECT_THAT(
      AvroFileReader::Open(Header({{"avro.schema", "\"int\""}, {"avro.codec", "zstandard"}})),
      StatusIs(StatusCode::kUnimplemented, "avro: unsupported codec 'zstandard'"));
  EXPECT_THAT(
      AvroFileReader::Open(Header({{"avro.schema", "\"int\""}, {"avro.schema", "\"int\""}})),
      StatusIs(StatusCode::kDataLoss, "duplicate metadata key 'avro.schema'"));
  // A metadata value whose length field is huge must not be allocated.
  std::string huge(kAvroMagic);
  internal::AppendAvroLong(1, &huge);
  internal::AppendAvroBytes("avro.schema", &huge);
  internal::AppendAvroLong(int64_t{1} << 60, &huge);
  huge += "\"int\"";
  EXPECT_THAT(AvroFileReader::Open(huge),
              StatusIs(StatusCode::kDataLoss, "length exceeds the input"));
  // So must a huge metadata count.
  std::string many(kAvroMagic);
  internal::AppendAvroLong(int64_t{1} << 40, &many);
  EXPECT_THAT(AvroFileReader::Open(many),
              StatusIs(StatusCode::kDataLoss, "metadata count exceeds the file"));
  // A missing codec means "null".
  std::string block;
  internal::AppendAvroLong(1, &block);
  internal::AppendAvroLong(1, &block);
  block += std::string("\x54", 1) + Sync();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> ints,
                               ReadAllOf(Header({{"avro.schema", "\"int\""}}) + block));
  EXPECT_EQ(ints, std::vector<AvroValue>{AvroValue::Int(42)});
}

TEST(AvroContainerTest, RejectsTruncatedBlock) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string bytes, WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), MakeRecords(50),
                                       Options(AvroCodec::kDeflate)));
  const size_t block_start = bytes.find(Sync()) + kAvroSyncSize;
  EXPECT_THAT(ReadAllOf(bytes.substr(0, bytes.size() - 1)),
              StatusIs(StatusCode::kDataLoss,
                       "avro: truncated block at offset " + std::to_string(block_start)));
  EXPECT_THAT(ReadAllOf(bytes.substr(0, bytes.size() - 100)),
              StatusIs(StatusCode::kDataLoss,
                       "avro: truncated block at offset " + std::to_string(block_start)));
  EXPECT_THAT(ReadAllOf(bytes.substr(0, block_start + 1)),
              StatusIs(StatusCode::kDataLoss, "avro: truncated block header at offset"));
  // Every cut inside the block is an error; a cut at the header's end is a valid empty file.
  for (size_t n = block_start + 1; n < bytes.size(); ++n) {
    EXPECT_THAT(ReadAllOf(bytes.substr(0, n)), StatusIs(StatusCode::kDataLoss, "avro: ")) << n;
  }
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> none,
                               ReadAllOf(bytes.substr(0, block_start)));
  EXPECT_TRUE(none.empty());
}

TEST(AvroContainerTest, RejectsWrongSyncMarker) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string bytes,
      WriteAvroFile(ManifestFileSchema(), {}, MakeRecords(5), Options(AvroCodec::kNull)));
  bytes.back() ^= 0x01;
  EXPECT_THAT(ReadAllOf(bytes),
              StatusIs(StatusCode::kDataLoss, "avro: sync marker mismatch after block at offset"));
}

TEST(AvroContainerTest, RejectsCorruptBlocks) {
  const std::string header = Header({{"avro.schema", "\"long\""}, {"avro.codec", "null"}});
  auto block = [](int64_t count, std::string_view payload) {
    std::string out;
    internal::AppendAvroLong(count, &out);
    internal::AppendAvroLong(static_cast<int64_t>(payload.size()), &out);
    out.append(payload);
    return out + Sync();
  };
  EXPECT_THAT(ReadAllOf(header + block(-1, "\x02")),
              StatusIs(StatusCode::kDataLoss, "negative record count in block at offset " +
                                                  std::to_string(header.size())));
  // Two records' bytes, count says one.
  EXPECT_THAT(ReadAllOf(header + block(1, "\x02\x04")),
              StatusIs(StatusCode::kDataLoss, "has 1 bytes after its last record"));
  // Count says three, bytes hold two.
  EXPECT_THAT(ReadAllOf(header + block(3, "\x02\x04")),
              StatusIs(StatusCode::kDataLoss, "record 2 of block at offset " +
                                                  std::to_string(header.size()) +
                                                  ": truncated long at offset 2"));
  // A huge count of zero-byte records is refused before decoding.
  const std::string null_header = Header({{"avro.schema", "\"null\""}});
  EXPECT_THAT(ReadAllOf(null_header + block(int64_t{1} << 50, "")),
              StatusIs(StatusCode::kDataLoss, "claims 1125899906842624 records in 0 bytes"));
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> nulls, ReadAllOf(null_header + block(3, "")));
  EXPECT_EQ(nulls.size(), 3u);
  // Empty blocks are skipped.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::vector<AvroValue> longs,
                               ReadAllOf(header + block(0, "") + block(1, "\x02") + block(0, "")));
  EXPECT_EQ(longs, std::vector<AvroValue>{AvroValue::Long(1)});
}

TEST(AvroContainerTest, RejectsCorruptCompressedBlocks) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string deflated,
                               WriteAvroFile(ManifestFileSchema(), {}, MakeRecords(2000),
                                             Options(AvroCodec::kDeflate, 5000)));
  const size_t block_start = deflated.find(Sync()) + kAvroSyncSize;
  // A small block limit turns a large block into a refused "bomb".
  AvroReaderOptions small;
  small.max_block_bytes = 1000;
  EXPECT_THAT(ReadAllOf(deflated, small),
              StatusIs(StatusCode::kDataLoss, "inflates to more than 1000 bytes"));
  // Damaged deflate data.
  std::string broken = deflated;
  for (size_t i = block_start + 8; i < block_start + 40; ++i)
    broken[i] = '\xff';
  EXPECT_THAT(ReadAllOf(broken), StatusIs(StatusCode::kDataLoss, "avro: "));

  MEDLAKE_ASSERT_OK_AND_ASSIGN(
      std::string snappy,
      WriteAvroFile(ManifestFileSchema(), {}, MakeRecords(200), Options(AvroCodec::kSnappy)));
  std::string bad_crc = snappy;
  bad_crc[bad_crc.size() - kAvroSyncSize - 1] ^= 0x01;  // last byte of the CRC
  EXPECT_THAT(ReadAllOf(bad_crc), StatusIs(StatusCode::kDataLoss, "snappy checksum mismatch"));
  EXPECT_THAT(ReadAllOf(snappy, small),
              StatusIs(StatusCode::kDataLoss, "uncompresses to more than 1000 bytes"));
}

TEST(AvroContainerTest, MutatedFilesNeverCrash) {
  std::vector<std::string> files;
  for (AvroCodec codec : {AvroCodec::kNull, AvroCodec::kDeflate, AvroCodec::kSnappy}) {
    files.push_back(
        WriteAvroFile(ManifestFileSchema(), IcebergMetadata(), MakeRecords(20), Options(codec, 7))
            .value());
  }
  std::mt19937 rng(99);
  for (int iter = 0; iter < 1500; ++iter) {
    std::string bytes = files[static_cast<size_t>(iter) % files.size()];
    const int flips = 1 + iter % 3;
    for (int k = 0; k < flips; ++k)
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (iter % 5 == 0)
      bytes.resize(rng() % bytes.size());
    Result<std::vector<AvroValue>> r = ReadAllOf(bytes);
    if (!r.ok()) {
      EXPECT_TRUE(r.status().code() == StatusCode::kDataLoss ||
                  r.status().code() == StatusCode::kUnimplemented)
          << r.status().ToString();
    }
  }
}

}  // namespace
}  // namespace medlake::storage
