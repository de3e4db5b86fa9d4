// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/store_format.h"

#include <QCryptographicHash>

#include <opencv2/core.hpp>

#include <cstring>

namespace freesel::store_format {

namespace {

constexpr qint64 kChecksummedHeaderBytes = qint64(offsetof(RecordHeader, headerChecksum));
/// More patches than any ViT grid has (2048 x 2048); also keeps rows * cols an int, as
/// PatchGrid::size() computes it.
constexpr qint64 kMaxPatches = qint64(1) << 22;

/// Byte offsets of each section inside the payload; -1 when absent.
struct Layout {
    qint64 tokens = -1, cls = -1, attention = -1, band = -1, patterns = -1, embedding = -1;
    qint64 payloadBytes = 0;
};

qint64 patchCount(const RecordHeader& h) {
    return qint64(h.rows) * h.cols;
}

qint64 bandWidth(const RecordHeader& h) {
    const qint64 window = 2 * qint64(h.radius) + 1;
    return window * window;
}

Layout layoutOf(const RecordHeader& h) {
    Layout layout;
    qint64 at = alignUp(qint64(h.pathBytes) + h.errorBytes);
    auto place = [&](quint32 bit, qint64 bytes, qint64* offset) {
        if (h.sections & bit) {
            *offset = at;
            at += alignUp(bytes);
        }
    };
    const qint64 n = patchCount(h);
    place(Tokens, n * h.dims * 2, &layout.tokens);
    place(ClsToken, qint64(h.dims) * 4, &layout.cls);
    place(ClsAttention, n * 4, &layout.attention);
    place(Band, n * bandWidth(h) * 2, &layout.band);
    place(Patterns, qint64(h.patternCount) * h.dims * 4, &layout.patterns);
    place(ClipEmbedding, qint64(h.embeddingDims) * 4, &layout.embedding);
    layout.payloadBytes = at;
    return layout;
}

/// Float16 <-> float32 through OpenCV (round to nearest even, hardware F16C where present).
void toHalf(const float* source, qint64 count, char* target) {
    if (count <= 0)
        return;
    const cv::Mat in(1, int(count), CV_32F, const_cast<float*>(source));
    cv::Mat out(1, int(count), CV_16F, target);
    in.convertTo(out, CV_16F);
}

void fromHalf(const uchar* source, qint64 count, float* target) {
    if (count <= 0)
        return;
    const cv::Mat in(1, int(count), CV_16F, const_cast<uchar*>(source));
    cv::Mat out(1, int(count), CV_32F, target);
    in.convertTo(out, CV_32F);
}

// memcpy with an empty vector's null data() is undefined even for 0 bytes: hence the checks.
void writeFloats(const std::vector<float>& values, char* target) {
    if (!values.empty())
        std::memcpy(target, values.data(), values.size() * sizeof(float));
}

std::vector<float> readFloats(const uchar* source, qint64 count) {
    std::vector<float> values(static_cast<size_t>(count));
    if (count > 0)
        std::memcpy(values.data(), source, size_t(count) * sizeof(float));
    return values;
}

quint32 sectionsFor(const ImageFeatures* f, bool keepTokens, bool hasPatterns) {
    quint32 sections = hasPatterns ? Patterns : 0u;
    if (!f)
        return sections;
    if (keepTokens && !f->patchTokens.empty())
        sections |= Tokens;
    if (!f->clsToken.empty())
        sections |= ClsToken;
    if (!f->clsAttention.empty())
        sections |= ClsAttention;
    if (!f->neighbourhood.values().empty())
        sections |= Band;
    if (!f->clipEmbedding.empty())
        sections |= ClipEmbedding;
    return sections;
}

void writeSections(const Layout& layout, const ImageFeatures* f, qint64 n,
                   const std::vector<float>& patterns, char* payload) {
    if (layout.tokens >= 0)
        toHalf(f->patchTokens.data(), n * f->dims, payload + layout.tokens);
    if (layout.cls >= 0)
        writeFloats(f->clsToken, payload + layout.cls);
    if (layout.attention >= 0)
        writeFloats(f->clsAttention, payload + layout.attention);
    if (layout.band >= 0)
        toHalf(f->neighbourhood.values().data(), qint64(f->neighbourhood.values().size()),
               payload + layout.band);
    if (layout.patterns >= 0)
        writeFloats(patterns, payload + layout.patterns);
    if (layout.embedding >= 0)
        writeFloats(f->clipEmbedding, payload + layout.embedding);
}

} // namespace

quint64 checksum64(const void* data, qint64 bytes) {
    const QByteArray digest = QCryptographicHash::hash(
        QByteArrayView(static_cast<const char*>(data), bytes), QCryptographicHash::Sha1);
    quint64 value = 0;
    std::memcpy(&value, digest.constData(), sizeof(value));
    return value;
}

QByteArray encodeRecord(RecordHeader head, const QString& path, const QString& error,
                        const ImageFeatures* features, bool keepTokens,
                        const std::vector<float>& patterns) {
    const QByteArray path8 = path.toUtf8();
    const QByteArray error8 = error.toUtf8();
    std::memcpy(head.magic, kRecordMagic, sizeof(head.magic));
    head.headerBytes = sizeof(RecordHeader);
    head.pathBytes = quint32(path8.size());
    head.errorBytes = quint32(error8.size());
    head.sections = sectionsFor(features, keepTokens, !patterns.empty());
    head.embeddingDims =
        (head.sections & ClipEmbedding) ? quint32(features->clipEmbedding.size()) : 0u;
    const Layout layout = layoutOf(head);
    head.payloadBytes = quint64(layout.payloadBytes);

    QByteArray record(qsizetype(sizeof(RecordHeader) + layout.payloadBytes), '\0');
    char* payload = record.data() + sizeof(RecordHeader);
    std::memcpy(payload, path8.constData(), size_t(path8.size()));
    std::memcpy(payload + path8.size(), error8.constData(), size_t(error8.size()));
    writeSections(layout, features, patchCount(head), patterns, payload);

    head.payloadChecksum = checksum64(payload, layout.payloadBytes);
    head.headerChecksum = checksum64(&head, kChecksummedHeaderBytes);
    std::memcpy(record.data(), &head, sizeof(head));
    return record;
}

QString checkRecordHeader(const uchar* data, qint64 available, RecordHeader* header) {
    if (available < qint64(sizeof(RecordHeader)))
        return QStringLiteral("record header cut short (%1 bytes left)").arg(available);
    std::memcpy(header, data, sizeof(RecordHeader));
    if (std::memcmp(header->magic, kRecordMagic, sizeof(kRecordMagic)) != 0)
        return QStringLiteral("no record magic");
    if (header->headerChecksum != checksum64(header, kChecksummedHeaderBytes))
        return QStringLiteral("record header checksum mismatch");
    // The checksum passed, so these fields are what the writer wrote; the bounds only guard
    // against a store written by a broken or hostile program.
    const RecordHeader& h = *header;
    if (h.headerBytes != sizeof(RecordHeader) || (h.sections & ~kKnownSections) ||
        h.status > StatusFailed || h.rows < 0 || h.cols < 0 || h.rows > 65535 || h.cols > 65535 ||
        patchCount(h) > kMaxPatches || h.dims < 0 || h.dims > (1 << 20) || h.radius < 0 ||
        h.radius > 255 || h.patternCount < 0 || h.patternCount > (1 << 20) ||
        h.pathBytes > (1u << 20) || h.errorBytes > (1u << 24) || h.embeddingDims > (1u << 16) ||
        ((h.sections & ClipEmbedding) != 0) != (h.embeddingDims != 0))
        return QStringLiteral("record header fields out of range");
    if (qint64(h.payloadBytes) != layoutOf(h).payloadBytes)
        return QStringLiteral("record payload size disagrees with its sections");
    if (qint64(h.payloadBytes) > available - qint64(sizeof(RecordHeader)))
        return QStringLiteral("record payload cut short");
    return {};
}

bool payloadMatches(const uchar* record, const RecordHeader& header) {
    return checksum64(record + sizeof(RecordHeader), qint64(header.payloadBytes)) ==
           header.payloadChecksum;
}

QString recordPath(const uchar* record, const RecordHeader& header) {
    return QString::fromUtf8(reinterpret_cast<const char*>(record) + sizeof(RecordHeader),
                             qsizetype(header.pathBytes));
}

QString recordError(const uchar* record, const RecordHeader& header) {
    return QString::fromUtf8(reinterpret_cast<const char*>(record) + sizeof(RecordHeader) +
                                 header.pathBytes,
                             qsizetype(header.errorBytes));
}

ImageFeatures decodeFeatures(const uchar* record, const RecordHeader& h) {
    const Layout layout = layoutOf(h);
    const uchar* payload = record + sizeof(RecordHeader);
    const qint64 n = patchCount(h);
    ImageFeatures f;
    f.grid = PatchGrid{h.rows, h.cols};
    f.dims = h.dims;
    if (layout.tokens >= 0) {
        f.patchTokens.resize(size_t(n * h.dims));
        fromHalf(payload + layout.tokens, n * h.dims, f.patchTokens.data());
    }
    if (layout.cls >= 0)
        f.clsToken = readFloats(payload + layout.cls, h.dims);
    if (layout.attention >= 0)
        f.clsAttention = readFloats(payload + layout.attention, n);
    // Only a stored band is allocated: its size is then bounded by the record's own bytes,
    // where rows x cols x (2R + 1)^2 zeros for an absent one would not be.
    if (layout.band >= 0) {
        f.neighbourhood = NeighbourhoodAttention(f.grid, h.radius);
        fromHalf(payload + layout.band, n * bandWidth(h), f.neighbourhood.values().data());
    }
    if (layout.embedding >= 0)
        f.clipEmbedding = readFloats(payload + layout.embedding, h.embeddingDims);
    return f;
}

std::vector<float> decodePatterns(const uchar* record, const RecordHeader& h) {
    const Layout layout = layoutOf(h);
    if (layout.patterns < 0)
        return {};
    return readFloats(record + sizeof(RecordHeader) + layout.patterns,
                      qint64(h.patternCount) * h.dims);
}

std::vector<float> decodeClipEmbedding(const uchar* record, const RecordHeader& h) {
    const Layout layout = layoutOf(h);
    if (layout.embedding < 0)
        return {};
    return readFloats(record + sizeof(RecordHeader) + layout.embedding, h.embeddingDims);
}

} // namespace freesel::store_format
