#include "storage/iceberg/metadata_file.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <map>
#include <set>
#include <string>

#include "core/testing/status_matchers.h"

namespace medlake::storage::iceberg {
namespace {

// A small v2 table: one schema, unpartitioned, no snapshots yet.
TableMetadata EmptyTable() {
  constexpr const char* kDoc = R"({
    "format-version": 2, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "file:///lake/ns/t", "last-sequence-number": 0, "last-updated-ms": 1700000000000,
    "last-column-id": 2, "current-schema-id": 0,
    "schemas": [{"type": "struct", "schema-id": 0, "fields": [
      {"id": 1, "name": "id", "required": false, "type": "long"},
      {"id": 2, "name": "note", "required": false, "type": "string"}]}],
    "default-spec-id": 0, "partition-specs": [{"spec-id": 0, "fields": []}],
    "last-partition-id": 999, "default-sort-order-id": 0,
    "sort-orders": [{"order-id": 0, "fields": []}],
    "properties": {"write.metadata.compression-codec": "gzip"},
    "current-snapshot-id": -1, "snapshots": [], "snapshot-log": [], "metadata-log": []})";
  auto md = ParseTableMetadata(kDoc);
  EXPECT_TRUE(md.ok()) << md.status().ToString();
  return *md;
}

// What an append commit adds: a snapshot, its log entry, the previous metadata file's log entry.
void Append(TableMetadata* md) {
  const int64_t seq = md->last_sequence_number + 1;
  Snapshot s;
  s.snapshot_id = 1000 + seq * 7919;
  if (md->current_snapshot_id) s.parent_snapshot_id = *md->current_snapshot_id;
  s.sequence_number = seq;
  s.timestamp_ms = 1700000000000 + seq * 1000;
  s.manifest_list = "file:///lake/ns/t/metadata/snap-" + std::to_string(s.snapshot_id) + ".avro";
  s.summary = {{"operation", "append"}, {"added-records", std::to_string(seq % 17)},
               {"total-records", std::to_string(seq * 100)}};
  s.schema_id = 0;
  md->snapshots.push_back(s);
  md->snapshot_log.push_back({s.timestamp_ms, s.snapshot_id});
  md->metadata_log.push_back({s.timestamp_ms - 1, "file:///lake/ns/t/metadata/v" + std::to_string(seq) + ".metadata.json"});
  if (md->metadata_log.size() > 100) md->metadata_log.erase(md->metadata_log.begin());
  md->current_snapshot_id = s.snapshot_id;
  md->refs["main"] = SnapshotRef{s.snapshot_id, SnapshotRefType::kBranch, {}, {}, {}};
  md->last_sequence_number = seq;
  md->last_updated_ms = s.timestamp_ms;
}

// zlib's own gzip reader (not MetadataFileText): the test's independent decoder.
std::string Gunzip(const std::string& gz) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(inflateInit2(&zs, 16 + 15), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  int ret = Z_OK;
  while (ret == Z_OK) {
    char buf[65536];
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  EXPECT_EQ(ret, Z_STREAM_END) << "not one complete gzip member";
  EXPECT_EQ(zs.avail_in, 0u) << "bytes after the gzip member";
  inflateEnd(&zs);
  return out;
}

// `text` as one gzip member, compressed by zlib in one go.
std::string Gzip(const std::string& text) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, text.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - zs.avail_out);
  deflateEnd(&zs);
  return out;
}

TEST(MetadataFileTest, GzipFileHoldsExactlyThePlainTextAtEveryHistoryLength) {
  TableMetadata md = EmptyTable();
  // Every length from 0 to 300 crosses the 32-snapshot and 256-entry run boundaries on both sides.
  for (int n = 0; n <= 300; ++n) {
    const std::string gz = SerializeMetadataFile(md, MetadataCodec::kGzip);
    ASSERT_GE(gz.size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    ASSERT_EQ(Gunzip(gz), SerializeTableMetadata(md)) << "with " << n << " snapshots";
    Append(&md);
  }
  const std::string plain = SerializeMetadataFile(md, MetadataCodec::kNone);
  EXPECT_EQ(plain, SerializeTableMetadata(md));
  const std::string gz = SerializeMetadataFile(md, MetadataCodec::kGzip);
  EXPECT_LT(gz.size() * 5, plain.size()) << "the history compresses well: " << gz.size() << " of " << plain.size();
  MEDLAKE_ASSERT_OK_AND_ASSIGN(TableMetadata back, ParseMetadataFile(gz));
  EXPECT_EQ(back, md);
}

TEST(MetadataFileTest, KeptRunsFollowEditsExpiryAndCopies) {
  TableMetadata md = EmptyTable();
  for (int i = 0; i < 200; ++i) Append(&md);
  ASSERT_EQ(Gunzip(SerializeMetadataFile(md, MetadataCodec::kGzip)), SerializeTableMetadata(md));

  // A copy that edits a snapshot inside a kept run writes the edit; the original does not.
  TableMetadata edited = md;
  edited.snapshots.Edit(40, [](Snapshot& s) { s.summary["added-records"] = "123456"; });
  const std::string edited_text = Gunzip(SerializeMetadataFile(edited, MetadataCodec::kGzip));
  EXPECT_EQ(edited_text, SerializeTableMetadata(edited));
  EXPECT_NE(edited_text.find("\"123456\""), std::string::npos);
  const std::string original_text = Gunzip(SerializeMetadataFile(md, MetadataCodec::kGzip));
  EXPECT_EQ(original_text, SerializeTableMetadata(md));
  EXPECT_EQ(original_text.find("\"123456\""), std::string::npos);

  // Expiring the oldest snapshots shifts every run; the log shrinks with them.
  TableMetadata expired = md;
  std::set<int64_t> ids;
  for (size_t i = 0; i < 45; ++i) ids.insert(md.snapshots[i].snapshot_id);
  RemoveSnapshots(&expired, ids);
  ASSERT_EQ(expired.snapshots.size(), 155u);
  EXPECT_EQ(Gunzip(SerializeMetadataFile(expired, MetadataCodec::kGzip)), SerializeTableMetadata(expired));

  // A log edited in place (same length, same positions) is not served from a stale run.
  TableMetadata relogged = md;
  relogged.snapshot_log[3].timestamp_ms += 1;
  EXPECT_EQ(Gunzip(SerializeMetadataFile(relogged, MetadataCodec::kGzip)), SerializeTableMetadata(relogged));

  // Further commits on the original keep matching.
  for (int i = 0; i < 70; ++i) {
    Append(&md);
    ASSERT_EQ(Gunzip(SerializeMetadataFile(md, MetadataCodec::kGzip)), SerializeTableMetadata(md)) << i;
  }
}

TEST(MetadataFileTest, ChunkRunsAreMadeOnceAndSharedByCopies) {
  TableMetadata md = EmptyTable();
  for (int i = 0; i < 70; ++i) Append(&md);  // chunks of 32, 32 and 6
  int made = 0;
  auto make = [&] {
    ++made;
    return SnapshotRunBytes{"run" + std::to_string(made), 7, 3, 0};
  };
  const SnapshotRunBytes* first = &md.snapshots.ChunkRun(1, make);
  EXPECT_EQ(first->bytes, "run1");
  EXPECT_EQ(&md.snapshots.ChunkRun(1, make), first);
  TableMetadata copy = md;
  Append(&copy);
  EXPECT_EQ(&copy.snapshots.ChunkRun(1, make), first);  // the copy shares the chunk
  EXPECT_EQ(made, 1);
  copy.snapshots.Edit(40, [](Snapshot& s) { s.summary["x"] = "y"; });
  EXPECT_EQ(copy.snapshots.ChunkRun(1, make).bytes, "run2");  // an edited chunk is a new chunk
  EXPECT_EQ(copy.snapshots[40].summary.at("x"), "y");
  EXPECT_EQ(md.snapshots[40].summary.count("x"), 0u);  // the original keeps its snapshot
  EXPECT_EQ(&md.snapshots.ChunkRun(1, make), first);
  EXPECT_EQ(&copy.snapshots.ChunkRun(0, make), &md.snapshots.ChunkRun(0, make));
  EXPECT_EQ(made, 3);
  // Appending to a copy does not change the original's last chunk, nor the other way round.
  EXPECT_EQ(md.snapshots.size(), 70u);
  EXPECT_EQ(copy.snapshots.size(), 71u);
  SnapshotList other = md.snapshots;
  Snapshot own = md.snapshots.back();
  own.snapshot_id = 999;
  other.push_back(own);
  EXPECT_EQ(other[70].snapshot_id, 999);
  EXPECT_NE(copy.snapshots[70].snapshot_id, 999);
  EXPECT_EQ(copy.snapshots[70].snapshot_id, copy.snapshot_log.back().snapshot_id);
  EXPECT_EQ(md.snapshots.size(), 70u);
  // Removing one re-packs the chunks: their runs are made again.
  copy.snapshots.erase(copy.snapshots.begin() + 3);
  EXPECT_EQ(copy.snapshots.size(), 70u);
  EXPECT_EQ(copy.snapshots[3].snapshot_id, md.snapshots[4].snapshot_id);
  EXPECT_EQ(copy.snapshots.ChunkRun(0, make).bytes, "run4");
  SnapshotList moved = std::move(copy.snapshots);
  EXPECT_EQ(moved.size(), 70u);
  EXPECT_TRUE(copy.snapshots.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
  copy.snapshots.push_back(md.snapshots[0]);
  EXPECT_EQ(copy.snapshots.size(), 1u);
}

TEST(MetadataFileTest, PlainBytesPassThroughAndGzipIsInflated) {
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string plain, MetadataFileText("{\"a\":1}"));
  EXPECT_EQ(plain, "{\"a\":1}");
  const std::string text(100000, 'x');
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string back, MetadataFileText(Gzip(text)));
  EXPECT_EQ(back, text);
  // Two members in a row are one file (RFC 1952), as `cat a.gz b.gz` makes.
  MEDLAKE_ASSERT_OK_AND_ASSIGN(std::string two, MetadataFileText(Gzip("{\"a\":") + Gzip("1}")));
  EXPECT_EQ(two, "{\"a\":1}");
}

TEST(MetadataFileTest, DamagedGzipIsDataLoss) {
  const TableMetadata md = [] {
    TableMetadata m = EmptyTable();
    for (int i = 0; i < 100; ++i) Append(&m);
    return m;
  }();
  const std::string gz = SerializeMetadataFile(md, MetadataCodec::kGzip);
  EXPECT_THAT(MetadataFileText(gz.substr(0, gz.size() / 2)), StatusIs(StatusCode::kDataLoss, "truncated"));
  EXPECT_THAT(MetadataFileText(gz.substr(0, gz.size() - 3)), StatusIs(StatusCode::kDataLoss, "truncated"));
  std::string flipped = gz;
  flipped[gz.size() - 6] ^= 0x5a;  // inside the CRC-32
  EXPECT_THAT(MetadataFileText(flipped), StatusIs(StatusCode::kDataLoss, "corrupt"));
  std::string bad_block = gz;
  bad_block[10] = 0x07;  // a final block of the reserved type 3
  EXPECT_THAT(MetadataFileText(bad_block), StatusIs(StatusCode::kDataLoss, "corrupt"));
  EXPECT_THAT(MetadataFileText(gz + "junk"), StatusIs(StatusCode::kDataLoss, "garbage after its end"));
  EXPECT_THAT(MetadataFileText(Gzip(std::string(5000, 'a')), 4096),
              StatusIs(StatusCode::kDataLoss, "inflates to more than 4096 bytes"));
  EXPECT_THAT(ParseMetadataFile(Gzip("{not json")), StatusIs(StatusCode::kDataLoss, "not valid JSON"));
  EXPECT_THAT(MetadataFileText("\x1f\x8b"), StatusIs(StatusCode::kDataLoss, "truncated"));
}

TEST(MetadataFileTest, CodecPropertyAndFileNames) {
  auto codec = [](const std::map<std::string, std::string>& props) {
    auto c = MetadataCodecOf(props);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : MetadataCodec::kNone;
  };
  EXPECT_EQ(codec({}), MetadataCodec::kNone);
  EXPECT_EQ(codec({{kMetadataCompressionCodec, "GZIP"}}), MetadataCodec::kGzip);
  EXPECT_EQ(codec({{kMetadataCompressionCodec, "gzip"}, {"other", "x"}}), MetadataCodec::kGzip);
  EXPECT_EQ(codec({{kMetadataCompressionCodec, "none"}}), MetadataCodec::kNone);
  EXPECT_THAT(MetadataCodecOf({{kMetadataCompressionCodec, "zstd"}}),
              StatusIs(StatusCode::kInvalidArgument, "write.metadata.compression-codec = 'zstd'"));
  EXPECT_STREQ(MetadataFileSuffix(MetadataCodec::kGzip), ".gz.metadata.json");
  EXPECT_STREQ(MetadataFileSuffix(MetadataCodec::kNone), ".metadata.json");
  EXPECT_TRUE(IsMetadataFileName("v3.metadata.json"));
  EXPECT_TRUE(IsMetadataFileName("v3.gz.metadata.json"));
  EXPECT_TRUE(IsMetadataFileName("00003-5b1c.metadata.json.gz"));
  EXPECT_FALSE(IsMetadataFileName("v3.metadata.json.tmp"));
  EXPECT_FALSE(IsMetadataFileName(".metadata.json"));
}

}  // namespace
}  // namespace medlake::storage::iceberg
