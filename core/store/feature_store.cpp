// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/feature_store.h"

#include "store/store_format.h"
#include "util/save_file.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>

#include <cstring>
#include <mutex>
#include <stdexcept>

#include <unistd.h>

namespace freesel {

namespace fmt = store_format;

namespace {

/// Every failure of the store names its file; the category says who can fix it.
Status fail(ErrorCategory category, const QString& message) {
    return Error{category, message};
}

/// " (freesel, pid 1234 on host)" for the process holding `lock`, or "" when unknown.
QString lockHolder(const QLockFile& lock) {
    qint64 pid = 0;
    QString host, application;
    if (!lock.getLockInfo(&pid, &host, &application))
        return QString();
    return QStringLiteral(" (%1, pid %2 on %3)")
        .arg(application.isEmpty() ? QStringLiteral("unknown program") : application)
        .arg(pid)
        .arg(host);
}

QString identityText(const StoreHeader& h) {
    return h.fingerprint.canonical() + QStringLiteral("|patternsOnly=%1|patterns=%2")
                                           .arg(h.patternsOnly ? 1 : 0)
                                           .arg(h.patternParameters);
}

quint64 identityHash(const StoreHeader& h) {
    const QByteArray text = identityText(h).toUtf8();
    return fmt::checksum64(text.constData(), text.size());
}

/// A store opened from disk keeps its own version; a new one gets the current.
int versionOf(const StoreHeader& h) {
    return h.formatVersion > 0 ? h.formatVersion : fmt::kVersion;
}

QByteArray headerJson(const StoreHeader& h) {
    QJsonObject fingerprint{{QStringLiteral("backend"), h.fingerprint.backend},
                            {QStringLiteral("input"), h.fingerprint.input},
                            {QStringLiteral("radius"), h.fingerprint.radius}};
    QJsonObject root{{QStringLiteral("format"), QString::fromLatin1(fmt::kFormatName)},
                     {QStringLiteral("version"), versionOf(h)},
                     {QStringLiteral("fingerprint"), fingerprint},
                     {QStringLiteral("fingerprintText"), h.fingerprint.canonical()},
                     {QStringLiteral("patternsOnly"), h.patternsOnly},
                     {QStringLiteral("patternParameters"), h.patternParameters},
                     {QStringLiteral("created"), h.created}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray fileHeaderBytes(const StoreHeader& h) {
    fmt::FileHeader head{};
    std::memcpy(head.magic, fmt::kFileMagic, sizeof(head.magic));
    head.version = quint32(versionOf(h));
    head.headerBytes = sizeof(fmt::FileHeader);
    head.fingerprintHash = identityHash(h);
    return QByteArray(reinterpret_cast<const char*>(&head), sizeof(head));
}

StoreEntry entryFromRecord(const uchar* record, const fmt::RecordHeader& h, qint64 offset) {
    StoreEntry e;
    e.path = fmt::recordPath(record, h);
    e.size = h.fileSize;
    e.mtimeMs = h.mtimeMs;
    e.poolIndex = h.poolIndex;
    e.ok = h.status == fmt::StatusOk;
    e.error = fmt::recordError(record, h);
    e.grid = PatchGrid{h.rows, h.cols};
    e.dims = h.dims;
    e.radius = h.radius;
    e.patternCount = h.patternCount;
    e.embeddingDims = int(h.embeddingDims);
    e.sections = h.sections;
    e.offset = offset;
    e.bytes = qint64(sizeof(fmt::RecordHeader) + h.payloadBytes);
    return e;
}

fmt::RecordHeader headFor(const StoreKey& key, bool ok) {
    fmt::RecordHeader head{};
    head.status = ok ? fmt::StatusOk : fmt::StatusFailed;
    head.fileSize = key.size;
    head.mtimeMs = key.mtimeMs;
    head.poolIndex = key.poolIndex;
    return head;
}

/// Empty when the features have the sizes their grid and the store's radius imply.
QString featureProblem(const ImageFeatures& f, int radius, bool needTokens) {
    const size_t n = size_t(f.grid.size());
    if (f.grid.rows <= 0 || f.grid.cols <= 0 || f.dims <= 0)
        return QStringLiteral("empty grid or token width");
    if (needTokens && f.patchTokens.size() != n * size_t(f.dims))
        return QStringLiteral("patch tokens are not rows x cols x dims");
    if (!f.clsToken.empty() && f.clsToken.size() != size_t(f.dims))
        return QStringLiteral("[CLS] token is not dims wide");
    if (!f.clsAttention.empty() && f.clsAttention.size() != n)
        return QStringLiteral("CLS attention is not one value per patch");
    if (!f.neighbourhood.values().empty() &&
        (!(f.neighbourhood.grid() == f.grid) || f.neighbourhood.radius() != radius))
        return QStringLiteral("attention band radius %1 or grid differs from the store's "
                              "radius %2")
            .arg(f.neighbourhood.radius())
            .arg(radius);
    return {};
}

} // namespace

struct FeatureStore::Impl {
    std::unique_ptr<QLockFile> lock;
    QFile writer; // ReadWrite stores: appends
    QFile reader; // every store: the source of the read-only maps
    QHash<QString, int> latest;
    // load() may run on many threads; a map is only replaced under the mutex, and old maps
    // stay valid until close() because QFile keeps every mapping until it is closed.
    mutable std::mutex mapMutex;
    mutable std::atomic<const uchar*> base{nullptr};
    mutable std::atomic<qint64> mappedBytes{0};
};

QString StoreFingerprint::canonical() const {
    return QStringLiteral("backend=%1|input=%2|radius=%3").arg(backend, input).arg(radius);
}

QString resizeSpecFingerprint(const ResizeSpec& spec) {
    switch (spec.mode) {
    case ResizeSpec::Mode::None:
        return QStringLiteral("none");
    case ResizeSpec::Mode::Fixed:
        return QStringLiteral("fixed:%1x%2").arg(spec.width).arg(spec.height);
    case ResizeSpec::Mode::ShortSide:
        return QStringLiteral("short:%1/p%2/max%3")
            .arg(spec.shortSide)
            .arg(spec.patchSize)
            .arg(spec.maxLongSide);
    }
    return QStringLiteral("unknown");
}

QString StoreHeader::incompatibility(const StoreHeader& other) const {
    if (identityText(*this) == identityText(other))
        return {};
    return QStringLiteral("the store was made by '%1' but this run uses '%2'")
        .arg(identityText(*this), identityText(other));
}

FeatureStore::FeatureStore() : impl_(std::make_unique<Impl>()) {}

FeatureStore::~FeatureStore() {
    close();
}

bool FeatureStore::isOpen() const {
    return impl_->reader.isOpen();
}

void FeatureStore::close() {
    if (impl_->writer.isOpen())
        impl_->writer.flush();
    impl_->writer.close();
    impl_->reader.close(); // also unmaps every mapping
    impl_->base = nullptr;
    impl_->mappedBytes = 0;
    if (impl_->lock)
        impl_->lock->unlock();
    impl_->lock.reset();
    impl_->latest.clear();
    entries_.clear();
}

qint64 FeatureStore::sizeOnDisk(const QString& folder) {
    const QDir dir(folder);
    return QFileInfo(dir.filePath(QLatin1String(fmt::kHeaderFileName))).size() +
           QFileInfo(dir.filePath(QLatin1String(fmt::kRecordsFileName))).size();
}

Status FeatureStore::remove(const QString& folder) {
    const QDir dir(folder);
    if (!QFileInfo::exists(dir.filePath(QLatin1String(fmt::kHeaderFileName))))
        return Error::userInput(QStringLiteral("%1: no feature store there").arg(folder));
    QLockFile lock(dir.filePath(QLatin1String(fmt::kLockFileName)));
    lock.setStaleLockTime(0);
    if (!lock.tryLock(0))
        return Error::userInput(
            QStringLiteral("%1: the store is being written by another process%2; it is kept")
                .arg(folder, lockHolder(lock)));
    for (const char* name : {fmt::kRecordsFileName, fmt::kHeaderFileName}) {
        QFile file(dir.filePath(QLatin1String(name)));
        if (file.exists() && !file.remove())
            return Error{
                fileErrorCategory(file.error()),
                QStringLiteral("%1: cannot delete: %2").arg(file.fileName(), file.errorString())};
    }
    lock.unlock();        // deletes the lock file
    QDir().rmdir(folder); // only when empty
    return {};
}

Status FeatureStore::readHeaderFile(StoreHeader* header) {
    const QString path = QDir(folder_).filePath(QLatin1String(fmt::kHeaderFileName));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(
            ErrorCategory::UserInput,
            QStringLiteral("%1: cannot read the store header: %2").arg(path, file.errorString()));
    QJsonParseError parse;
    const QJsonObject root = QJsonDocument::fromJson(file.readAll(), &parse).object();
    if (parse.error != QJsonParseError::NoError ||
        root.value(QStringLiteral("format")).toString() != QLatin1String(fmt::kFormatName))
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: not a FreeSel feature store header").arg(path));
    const int version = root.value(QStringLiteral("version")).toInt();
    if (version < fmt::kOldestVersion || version > fmt::kVersion)
        return fail(
            ErrorCategory::UserInput,
            QStringLiteral("%1: store format version %2, this build reads versions %3 to %4")
                .arg(path)
                .arg(version)
                .arg(fmt::kOldestVersion)
                .arg(fmt::kVersion));
    header->formatVersion = version;
    const QJsonObject fp = root.value(QStringLiteral("fingerprint")).toObject();
    header->fingerprint.backend = fp.value(QStringLiteral("backend")).toString();
    header->fingerprint.input = fp.value(QStringLiteral("input")).toString();
    header->fingerprint.radius = fp.value(QStringLiteral("radius")).toInt();
    header->patternsOnly = root.value(QStringLiteral("patternsOnly")).toBool();
    header->patternParameters = root.value(QStringLiteral("patternParameters")).toString();
    header->created = root.value(QStringLiteral("created")).toString();
    return {};
}

Status FeatureStore::writeNewStore(const StoreHeader& header) {
    const QDir dir(folder_);
    // records.bin first, store.json last: a store.json only ever exists next to a valid log.
    if (const Status saved = saveFileAtomically(dir.filePath(QLatin1String(fmt::kRecordsFileName)),
                                                fileHeaderBytes(header));
        !saved)
        return Error{saved.error().category,
                     QStringLiteral("cannot create the store: %1").arg(saved.message())};
    if (const Status saved = saveFileAtomically(dir.filePath(QLatin1String(fmt::kHeaderFileName)),
                                                headerJson(header));
        !saved)
        return Error{saved.error().category,
                     QStringLiteral("cannot write the store header: %1").arg(saved.message())};
    return {};
}

Status FeatureStore::openForWriting(const QString& folder, const StoreHeader& wanted, bool reset) {
    close();
    folder_ = QDir::cleanPath(QFileInfo(folder).absoluteFilePath());
    mode_ = Mode::ReadWrite;
    const QDir dir(folder_);
    if (!QDir().mkpath(folder_))
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: cannot create the store folder").arg(folder_));
    impl_->lock = std::make_unique<QLockFile>(dir.filePath(QLatin1String(fmt::kLockFileName)));
    impl_->lock->setStaleLockTime(0); // stale only when the holder is dead, however long it runs
    if (!impl_->lock->tryLock(0)) {
        if (impl_->lock->error() == QLockFile::LockFailedError)
            return fail(ErrorCategory::UserInput,
                        QStringLiteral("%1: the store is being written by another process%2; "
                                       "wait for it to finish, or use another store (--store DIR)")
                            .arg(folder_, lockHolder(*impl_->lock)));
        if (impl_->lock->error() == QLockFile::PermissionError)
            return fail(ErrorCategory::UserInput,
                        QStringLiteral("%1: cannot write in the store folder (permission denied "
                                       "or a read-only file system)")
                            .arg(folder_));
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: cannot create the lock file %2 (is the disk full?)")
                        .arg(folder_, dir.filePath(QLatin1String(fmt::kLockFileName))));
    }

    const QString jsonPath = dir.filePath(QLatin1String(fmt::kHeaderFileName));
    const QString logPath = dir.filePath(QLatin1String(fmt::kRecordsFileName));
    StoreHeader existing;
    if (QFileInfo::exists(jsonPath)) {
        if (const Status read = readHeaderFile(&existing); !read && !reset)
            return read;
        const QString why = existing.incompatibility(wanted);
        if (!why.isEmpty() && !reset)
            return fail(ErrorCategory::UserInput,
                        QStringLiteral("%1: %2; refusing to mix them (reset the store to rebuild "
                                       "it)")
                            .arg(folder_, why));
        if (!why.isEmpty() && !(QFile::remove(jsonPath) && QFile::remove(logPath)))
            return fail(ErrorCategory::Environment,
                        QStringLiteral("%1: cannot reset the store").arg(folder_));
    } else if (QFileInfo(logPath).size() > qint64(sizeof(fmt::FileHeader)) && !reset) {
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: records without a store.json header; reset the store to "
                                   "rebuild it")
                        .arg(logPath));
    }
    if (!QFileInfo::exists(jsonPath)) {
        StoreHeader fresh = wanted;
        fresh.formatVersion = 0; // a new store is written in the current version
        fresh.created = QDateTime::currentDateTimeUtc().toString(Qt::ISODate);
        if (const Status written = writeNewStore(fresh); !written)
            return written;
    }
    if (const Status read = readHeaderFile(&header_); !read)
        return read;
    return openFolder(folder_, Mode::ReadWrite);
}

Status FeatureStore::openForReading(const QString& folder) {
    close();
    folder_ = QDir::cleanPath(QFileInfo(folder).absoluteFilePath());
    mode_ = Mode::ReadOnly;
    if (!QFileInfo(folder_).isDir())
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: no such feature store").arg(folder_));
    if (const Status read = readHeaderFile(&header_); !read)
        return read;
    return openFolder(folder_, Mode::ReadOnly);
}

Status FeatureStore::openFolder(const QString& folder, Mode mode) {
    const QString logPath = QDir(folder).filePath(QLatin1String(fmt::kRecordsFileName));
    impl_->reader.setFileName(logPath);
    if (!impl_->reader.open(QIODevice::ReadOnly))
        return fail(
            ErrorCategory::Environment,
            QStringLiteral("%1: cannot open: %2").arg(logPath, impl_->reader.errorString()));
    fmt::FileHeader head{};
    const QByteArray expected = fileHeaderBytes(header_);
    if (impl_->reader.read(reinterpret_cast<char*>(&head), sizeof(head)) != sizeof(head) ||
        std::memcmp(&head, expected.constData(), sizeof(head)) != 0) {
        impl_->reader.close();
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: file header does not match store.json (wrong magic, "
                                   "version or fingerprint)")
                        .arg(logPath));
    }
    const qint64 size = impl_->reader.size();
    if (const Status scanned = scanRecords(size); !scanned) {
        impl_->reader.close();
        return scanned;
    }
    if (mode == Mode::ReadOnly)
        return {};
    impl_->writer.setFileName(logPath);
    // Unbuffered: each record is one write() anyway, and a failing write (disk full) then
    // reports the operating system's reason instead of a later flush's "Unknown error".
    if (!impl_->writer.open(QIODevice::ReadWrite | QIODevice::Unbuffered))
        return fail(ErrorCategory::Environment, QStringLiteral("%1: cannot open for writing: %2")
                                                    .arg(logPath, impl_->writer.errorString()));
    const qint64 end = size - tornBytes_;
    if (tornBytes_ > 0 && !impl_->writer.resize(end))
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: cannot truncate the torn tail: %2")
                        .arg(logPath, impl_->writer.errorString()));
    if (!impl_->writer.seek(end))
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: cannot seek to the end of the log").arg(logPath));
    return {};
}

Status FeatureStore::scanRecords(qint64 fileSize) {
    tornBytes_ = 0;
    const uchar* base = mapped(fileSize);
    if (!base)
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: cannot map the record log").arg(impl_->reader.fileName()));
    qint64 offset = sizeof(fmt::FileHeader);
    fmt::RecordHeader head{};
    while (offset < fileSize) {
        if (!fmt::checkRecordHeader(base + offset, fileSize - offset, &head).isEmpty())
            break;
        addEntry(entryFromRecord(base + offset, head, offset));
        offset += entries_.back().bytes;
    }
    // Only the final record can have been torn by a kill after its header reached the disk.
    if (!entries_.empty()) {
        const StoreEntry& last = entries_.back();
        std::memcpy(&head, base + last.offset, sizeof(head));
        if (!fmt::payloadMatches(base + last.offset, head)) {
            offset = last.offset;
            impl_->latest.remove(last.path);
            entries_.pop_back();
            for (int i = 0; i < count(); ++i)
                impl_->latest.insert(entries_[size_t(i)].path, i);
        }
    }
    tornBytes_ = fileSize - offset;
    return {};
}

void FeatureStore::addEntry(StoreEntry entry) {
    impl_->latest.insert(entry.path, count());
    entries_.push_back(std::move(entry));
}

int FeatureStore::find(const QString& path, qint64 size, qint64 mtimeMs) const {
    const int index = impl_->latest.value(path, -1);
    if (index < 0)
        return -1;
    const StoreEntry& e = entries_[size_t(index)];
    return e.size == size && e.mtimeMs == mtimeMs ? index : -1;
}

Status FeatureStore::writeRecord(const QByteArray& record, StoreEntry entry) {
    QFile& out = impl_->writer;
    if (!out.isOpen())
        return fail(ErrorCategory::Internal,
                    QStringLiteral("%1: the store is not open for writing").arg(folder_));
    const qint64 start = out.pos();
    // The writer is unbuffered: once writeWhole returns, the record is in the kernel and a later
    // kill of this process cannot lose it.
    if (!writeWhole(out, record)) {
        const QString why = out.errorString();
        out.resize(start); // never leave a half record behind a live writer
        out.seek(start);
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: cannot append a record: %2").arg(out.fileName(), why));
    }
    entry.offset = start;
    addEntry(std::move(entry));
    return {};
}

Status FeatureStore::append(const StoreKey& key, const ImageFeatures& features,
                            const std::vector<float>& patterns, int patternCount) {
    const bool keepTokens = !header_.patternsOnly;
    const QString problem = featureProblem(features, header_.fingerprint.radius, keepTokens);
    if (!problem.isEmpty())
        return fail(
            ErrorCategory::Internal,
            QStringLiteral("%1: features of %2 not stored: %3").arg(folder_, key.path, problem));
    // A version-1 reader would reject the record; such a store only ever comes from a backend
    // without CLIP embeddings, whose fingerprint a CLIP backend cannot share.
    if (!features.clipEmbedding.empty() && versionOf(header_) < 2)
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: a version %2 store cannot keep CLIP embeddings; use a "
                                   "new store (--store DIR)")
                        .arg(folder_)
                        .arg(versionOf(header_)));
    if (patterns.size() != size_t(patternCount) * size_t(features.dims))
        return fail(ErrorCategory::Internal,
                    QStringLiteral("%1: patterns of %2 are not patternCount x dims")
                        .arg(folder_, key.path));
    fmt::RecordHeader head = headFor(key, true);
    head.rows = features.grid.rows;
    head.cols = features.grid.cols;
    head.dims = features.dims;
    head.radius = header_.fingerprint.radius;
    head.patternCount = patternCount;
    const QByteArray record =
        fmt::encodeRecord(head, key.path, QString(), &features, keepTokens, patterns);
    std::memcpy(&head, record.constData(), sizeof(head));
    return writeRecord(
        record, entryFromRecord(reinterpret_cast<const uchar*>(record.constData()), head, 0));
}

Status FeatureStore::appendFailure(const StoreKey& key, const QString& reason) {
    fmt::RecordHeader head = headFor(key, false);
    const QByteArray record = fmt::encodeRecord(head, key.path, reason, nullptr, false, {});
    std::memcpy(&head, record.constData(), sizeof(head));
    return writeRecord(
        record, entryFromRecord(reinterpret_cast<const uchar*>(record.constData()), head, 0));
}

Status FeatureStore::appendRaw(const QByteArray& record) {
    fmt::RecordHeader head{};
    const auto* bytes = reinterpret_cast<const uchar*>(record.constData());
    const QString why = fmt::checkRecordHeader(bytes, record.size(), &head);
    if (!why.isEmpty() || !fmt::payloadMatches(bytes, head) ||
        qint64(sizeof(head) + head.payloadBytes) != record.size())
        return fail(ErrorCategory::UserInput,
                    QStringLiteral("%1: refusing a damaged record (%2)")
                        .arg(folder_, why.isEmpty() ? QStringLiteral("checksum") : why));
    return writeRecord(record, entryFromRecord(bytes, head, 0));
}

Status FeatureStore::flush(bool durable) {
    if (!impl_->writer.isOpen())
        return {};
    if (!impl_->writer.flush())
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: flush failed: %2")
                        .arg(impl_->writer.fileName(), impl_->writer.errorString()));
    if (durable && ::fsync(impl_->writer.handle()) != 0)
        return fail(ErrorCategory::Environment,
                    QStringLiteral("%1: fsync failed").arg(impl_->writer.fileName()));
    return {};
}

const uchar* FeatureStore::mapped(qint64 end) const {
    if (end <= impl_->mappedBytes.load(std::memory_order_acquire))
        return impl_->base.load(std::memory_order_acquire);
    std::lock_guard<std::mutex> guard(impl_->mapMutex);
    if (end > impl_->mappedBytes.load()) {
        const qint64 size = impl_->reader.size();
        if (size < end)
            return nullptr;
        // QFile::map is not const, the mapping is shared read-only state: logically const.
        uchar* map = const_cast<QFile&>(impl_->reader).map(0, size);
        if (!map)
            return nullptr;
        impl_->base.store(map, std::memory_order_release);
        impl_->mappedBytes.store(size, std::memory_order_release);
    }
    return impl_->base.load();
}

QByteArray FeatureStore::rawRecord(int index) const {
    const StoreEntry& e = entry(index);
    const uchar* base = mapped(e.offset + e.bytes);
    if (!base)
        throw StoreError(QStringLiteral("%1: cannot map the record of %2").arg(folder_, e.path));
    return QByteArray(reinterpret_cast<const char*>(base + e.offset), qsizetype(e.bytes));
}

ImageFeatures FeatureStore::load(int index) const {
    if (index < 0 || index >= count())
        throw std::out_of_range(QStringLiteral("%1: no record %2 (the store holds %3)")
                                    .arg(folder_)
                                    .arg(index)
                                    .arg(count())
                                    .toStdString());
    const StoreEntry& e = entry(index);
    if (!e.ok)
        throw std::runtime_error(QStringLiteral("%1: %2 failed to extract: %3")
                                     .arg(folder_, e.path, e.error)
                                     .toStdString());
    const uchar* base = mapped(e.offset + e.bytes);
    fmt::RecordHeader head{};
    if (base)
        std::memcpy(&head, base + e.offset, sizeof(head));
    if (!base || !fmt::payloadMatches(base + e.offset, head))
        throw StoreError(
            QStringLiteral("%1: the record of %2 is damaged (checksum)").arg(folder_, e.path));
    return fmt::decodeFeatures(base + e.offset, head);
}

std::vector<float> FeatureStore::loadPatterns(int index) const {
    const StoreEntry& e = entry(index);
    const uchar* base = mapped(e.offset + e.bytes);
    if (!base || !e.ok)
        return {};
    fmt::RecordHeader head{};
    std::memcpy(&head, base + e.offset, sizeof(head));
    return fmt::decodePatterns(base + e.offset, head);
}

std::vector<float> FeatureStore::loadClipEmbedding(int index) const {
    if (index < 0 || index >= count() || !entry(index).ok || entry(index).embeddingDims == 0)
        return {};
    const StoreEntry& e = entry(index);
    const uchar* base = mapped(e.offset + e.bytes);
    fmt::RecordHeader head{};
    if (base)
        std::memcpy(&head, base + e.offset, sizeof(head));
    if (!base || !fmt::payloadMatches(base + e.offset, head))
        throw std::runtime_error(QStringLiteral("%1: the record of %2 is damaged (checksum)")
                                     .arg(folder_, e.path)
                                     .toStdString());
    return fmt::decodeClipEmbedding(base + e.offset, head);
}

QStringList FeatureStore::verify() const {
    QStringList problems;
    for (int i = 0; i < count(); ++i) {
        const StoreEntry& e = entry(i);
        const uchar* base = mapped(e.offset + e.bytes);
        fmt::RecordHeader head{};
        QString why = base ? fmt::checkRecordHeader(base + e.offset, e.bytes, &head)
                           : QStringLiteral("cannot map");
        if (why.isEmpty() && !fmt::payloadMatches(base + e.offset, head))
            why = QStringLiteral("payload checksum mismatch");
        if (!why.isEmpty())
            problems << QStringLiteral("record %1 (%2): %3").arg(i).arg(e.path, why);
    }
    return problems;
}

} // namespace freesel
