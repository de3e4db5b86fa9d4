// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// On-disk layout of a FreeSel feature store (one folder). Copy this block into the README.
//
//   <store>/store.json    header, written once with QSaveFile:
//       { "format": "freesel-feature-store", "version": 2,
//         "fingerprint": { "backend": ..., "input": ..., "radius": R },
//         "fingerprintText": "<canonical one-line form, compared verbatim>",
//         "patternsOnly": false, "patternParameters": "", "created": "<ISO 8601 UTC>" }
//   <store>/records.bin   append-only log of records (below), little-endian
//   <store>/store.lock    QLockFile held by the one process writing the store
//
// records.bin starts with a 32-byte file header:
//   0  char[8] "FSELSTOR"   8 u32 version (2; 1 still opens)   12 u32 file header bytes (32)
//   16 u64 first 8 bytes of SHA-1(fingerprintText): binds the log to its store.json
//   24 u64 reserved (0)
// then records, each starting on an 8-byte boundary:
//   0  char[4] "FSR1"       4 u32 record header bytes (96)
//   8  u64 payload bytes (multiple of 8)
//   16 u64 payload checksum: first 8 bytes of SHA-1(payload)
//   24 u32 status (0 ok, 1 failed)   28 u32 section mask (bits below)
//   32 i32 grid rows  36 i32 grid cols  40 i32 token width d  44 i32 radius R
//   48 i64 file size  56 i64 file mtime (ms since epoch)  64 i64 index in the pool list (-1)
//   72 u32 path bytes 76 u32 error bytes  80 i32 pattern count
//   84 u32 CLIP embedding width E (version 2; 0 without the section, reserved 0 in version 1)
//   88 u64 header checksum: first 8 bytes of SHA-1(header bytes 0..87)
// payload: path (UTF-8), error text (UTF-8), zero padding to 8, then the present sections in
// this order, each zero-padded to a multiple of 8 bytes (n = rows * cols, W = 2R + 1):
//   bit 0 patch tokens       n x d   float16 (IEEE binary16, OpenCV CV_16F conversion:
//                                    round to nearest even)
//   bit 1 [CLS] token        d       float32
//   bit 2 CLS attention      n       float32 (sums to 1)
//   bit 3 attention band     n x W^2 float16 (NeighbourhoodAttention layout)
//   bit 4 semantic patterns  k x d   float32 (patterns-only stores; k = pattern count)
//   bit 5 CLIP embedding     E       float32 (ln_post([CLS]) @ proj, not normalised;
//                                    version 2, CLIP backends only)
// Version 1 is version 2 without bit 5: a version-1 store opens, is read and resumed as it is
// (its store.json and file header keep version 1), and never receives a bit-5 record.
// A failed image is a record with status 1, its error text and no sections.
//
// Crash safety: a record is one write() of header + payload. A kill can only tear the last
// record; on open the log is read header by header (header checksum, payload inside the
// file) and the payload checksum of the final record is verified; the first bad record and
// everything after it is truncated away (ReadWrite) or ignored (ReadOnly), so a resumed run
// redoes at most the record being written. load() verifies the payload checksum of every
// record it reads. The catalog (path, size, mtime, status, offset) is rebuilt from the record
// headers on open; there is no separate index file that could disagree with the log.

#include <QtGlobal>

#include <cstdint>

namespace freesel::store_format {

static_assert(Q_BYTE_ORDER == Q_LITTLE_ENDIAN, "the store is read and written in place as "
                                               "little-endian; add byte swapping first");

constexpr int kVersion = 2;
/// The oldest version this build opens (its records are a subset of the current layout).
constexpr int kOldestVersion = 1;
constexpr char kFileMagic[8] = {'F', 'S', 'E', 'L', 'S', 'T', 'O', 'R'};
constexpr char kRecordMagic[4] = {'F', 'S', 'R', '1'};
constexpr char kHeaderFileName[] = "store.json";
constexpr char kRecordsFileName[] = "records.bin";
constexpr char kLockFileName[] = "store.lock";
constexpr char kFormatName[] = "freesel-feature-store";

enum Section : quint32 {
    Tokens = 1u << 0,
    ClsToken = 1u << 1,
    ClsAttention = 1u << 2,
    Band = 1u << 3,
    Patterns = 1u << 4,
    ClipEmbedding = 1u << 5,
};
constexpr quint32 kKnownSections =
    Tokens | ClsToken | ClsAttention | Band | Patterns | ClipEmbedding;

enum Status : quint32 { StatusOk = 0, StatusFailed = 1 };

struct FileHeader {
    char magic[8];
    quint32 version;
    quint32 headerBytes;
    quint64 fingerprintHash;
    quint64 reserved;
};
static_assert(sizeof(FileHeader) == 32, "FileHeader layout");

struct RecordHeader {
    char magic[4];
    quint32 headerBytes;
    quint64 payloadBytes;
    quint64 payloadChecksum;
    quint32 status;
    quint32 sections;
    qint32 rows;
    qint32 cols;
    qint32 dims;
    qint32 radius;
    qint64 fileSize;
    qint64 mtimeMs;
    qint64 poolIndex;
    quint32 pathBytes;
    quint32 errorBytes;
    qint32 patternCount;
    quint32 embeddingDims;  ///< E of the CLIP embedding section (was `reserved`, 0, in version 1)
    quint64 headerChecksum; ///< over the 88 bytes before it
};
static_assert(sizeof(RecordHeader) == 96, "RecordHeader layout");

constexpr qint64 alignUp(qint64 bytes) {
    return (bytes + 7) & ~qint64(7);
}

/// First 8 bytes of SHA-1 as an integer: a checksum against torn writes and bit rot, not
/// an authenticity check.
quint64 checksum64(const void* data, qint64 bytes);

} // namespace freesel::store_format

#include "backbone/image_features.h"

#include <QByteArray>
#include <QString>

#include <vector>

namespace freesel::store_format {

/// A complete record (header + payload). `head` supplies status, key fields, grid, dims and
/// radius; magic, sizes, section mask and checksums are filled in here. `features` may be
/// null (failed record); `keepTokens` false drops the patch tokens; `patterns` (patternCount
/// x dims) is written when non-empty.
QByteArray encodeRecord(RecordHeader head, const QString& path, const QString& error,
                        const ImageFeatures* features, bool keepTokens,
                        const std::vector<float>& patterns);

/// Checks the record header at `data` (magic, header checksum, payload within `available`
/// bytes, sections consistent). Empty when sound, else the reason.
QString checkRecordHeader(const uchar* data, qint64 available, RecordHeader* header);
bool payloadMatches(const uchar* record, const RecordHeader& header);

QString recordPath(const uchar* record, const RecordHeader& header);
QString recordError(const uchar* record, const RecordHeader& header);
/// Fills an ImageFeatures from an ok record (sections absent stay empty).
ImageFeatures decodeFeatures(const uchar* record, const RecordHeader& header);
std::vector<float> decodePatterns(const uchar* record, const RecordHeader& header);
/// The CLIP embedding section alone (empty when absent).
std::vector<float> decodeClipEmbedding(const uchar* record, const RecordHeader& header);

} // namespace freesel::store_format
