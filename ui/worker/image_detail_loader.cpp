// SPDX-License-Identifier: GPL-3.0-or-later
#include "worker/image_detail_loader.h"

#include "patterns/attention_filter.h"
#include "patterns/pool_patterns.h"
#include "store/feature_store.h"
#include "store/store_preprocessing.h"

#include <QImageReader>
#include <QMetaObject>
#include <QMutexLocker>

#include <exception>

namespace freesel {

struct ImageDetailLoader::Shared {
    QMutex mutex;
    DetailContext context;
    std::unique_ptr<FeatureStore> store; // opened lazily on the task thread
    QString lastPath;
    QImage lastImage;
    QSize lastSourceSize; // of the file, as the decode threads saw it
};

namespace {

/// The file's own size with the orientation the image was read in (QImageReader applies the
/// EXIF orientation as OpenCV's decoder does; size() may be the stored, unrotated one).
QSize orientedSourceSize(QSize source, const QImage& image) {
    if (!source.isValid())
        return image.size();
    const bool landscape = source.width() > source.height();
    const bool imageLandscape = image.width() > image.height();
    if (landscape != imageLandscape && source.width() != source.height())
        source.transpose();
    return source;
}

/// gridCoverage of the original file, in the pixels of the (possibly downscaled) `image`.
QRectF gridAreaInImage(const FeatureStore& store, const QSize& source, const QImage& image) {
    const QRectF area = gridCoverage(source, storePreprocessing(store.header().fingerprint));
    if (area.isEmpty())
        return QRectF(image.rect());
    const double sx = double(image.width()) / source.width();
    const double sy = double(image.height()) / source.height();
    return {area.x() * sx, area.y() * sy, area.width() * sx, area.height() * sy};
}

} // namespace

ImageDetailLoader::ImageDetailLoader(QObject* parent)
    : QObject(parent), shared_(std::make_shared<Shared>()) {
    qRegisterMetaType<ImageDetail>();
    pool_.setMaxThreadCount(1);
}

ImageDetailLoader::~ImageDetailLoader() {
    pool_.clear();
    pool_.waitForDone();
}

void ImageDetailLoader::setContext(const DetailContext& context) {
    QMutexLocker lock(&shared_->mutex);
    shared_->context = context;
    shared_->store.reset();
}

void ImageDetailLoader::request(int poolIndex, const QString& path,
                                const PatternParameters& parameters) {
    const int generation = ++generation_;
    ++inFlight_;
    pool_.start([this, poolIndex, path, parameters, generation] {
        ImageDetail detail;
        const bool stale = generation != generation_.load();
        if (!stale)
            detail = compute(poolIndex, path, parameters, generation);
        QMetaObject::invokeMethod(
            this,
            [this, detail, stale, generation] {
                --inFlight_;
                if (!stale && generation == generation_.load())
                    Q_EMIT detailReady(detail);
            },
            Qt::QueuedConnection);
    });
}

ImageDetail ImageDetailLoader::compute(int poolIndex, const QString& path,
                                       const PatternParameters& parameters, int) const {
    ImageDetail detail;
    detail.poolIndex = poolIndex;
    detail.path = path;
    detail.parameters = parameters;
    QMutexLocker lock(&shared_->mutex); // one task at a time anyway; guards setContext
    if (shared_->lastPath == path) {
        detail.image = shared_->lastImage;
    } else {
        shared_->lastSourceSize = {};
        QImageReader reader(path);
        reader.setAutoTransform(true);
        const QSize size = reader.size();
        if (size.isValid() && (size.width() > 1024 || size.height() > 1024))
            reader.setScaledSize(size.scaled(1024, 1024, Qt::KeepAspectRatio));
        detail.image = reader.read();
        if (detail.image.isNull())
            detail.error = tr("cannot decode %1: %2").arg(path, reader.errorString());
        else
            detail.image = detail.image.convertToFormat(QImage::Format_RGB32);
        shared_->lastSourceSize = orientedSourceSize(size, detail.image);
        shared_->lastPath = path;
        shared_->lastImage = detail.image;
    }
    const DetailContext& context = shared_->context;
    if (context.storeFolder.isEmpty() || poolIndex < 0 ||
        poolIndex >= static_cast<int>(context.storeRecords.size()))
        return detail;
    const int record = context.storeRecords[static_cast<size_t>(poolIndex)];
    const int usable = context.usableIndex[static_cast<size_t>(poolIndex)];
    if (record < 0) // not extracted yet: the view asks for a run
        return detail;
    try {
        if (!shared_->store) {
            auto store = std::make_unique<FeatureStore>();
            if (const Status opened = store->openForReading(context.storeFolder); !opened) {
                detail.error = opened.message();
                return detail;
            }
            shared_->store = std::move(store);
        }
        if (usable < 0) { // extracted but failed: say why, not "run the selection"
            const StoreEntry& entry = shared_->store->entry(record);
            detail.error = entry.ok ? tr("Not used by this selection.")
                                    : tr("Not used by the selection: %1").arg(entry.error);
            return detail;
        }
        const ImageFeatures features = shared_->store->load(record);
        detail.grid = features.grid;
        if (!detail.image.isNull())
            detail.gridArea =
                gridAreaInImage(*shared_->store, shared_->lastSourceSize, detail.image);
        detail.attention = features.clsAttention;
        double sum = 0.0;
        for (float a : detail.attention)
            sum += a;
        if (sum > 0)
            for (float& a : detail.attention)
                a = static_cast<float>(a / sum);
        detail.mass = cumulativeAttentionMass(features.clsAttention.data(), features.grid.size());
        const ImagePatterns patterns = extractImagePatterns(
            features, parameters, imagePatternSeed(context.patternSeed, usable));
        detail.kept = patterns.kept;
        detail.labels = patterns.labels;
        detail.patternCount = static_cast<int>(patterns.patterns.rows());
        detail.hasFeatures = true;
    } catch (const std::exception& error) {
        detail.error = QString::fromUtf8(error.what());
    }
    return detail;
}

} // namespace freesel
