// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/thumbnail_cache.h"

#include <QImageReader>
#include <QMetaObject>
#include <QMutexLocker>

namespace freesel {

namespace {
constexpr size_t kMaxBacklog = 512;
} // namespace

ThumbnailCache::ThumbnailCache(int side, int capacity, QObject* parent)
    : QObject(parent), side_(side) {
    cache_.setMaxCost(capacity);
    decoders_.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
}

ThumbnailCache::~ThumbnailCache() {
    {
        QMutexLocker lock(&mutex_);
        stack_.clear();
    }
    decoders_.waitForDone();
}

void ThumbnailCache::setPaths(const QStringList& paths) {
    QMutexLocker lock(&mutex_);
    ++generation_;
    stack_.clear();
    paths_ = paths;
    cache_.clear();
    pending_.clear();
    broken_.clear();
}

QImage ThumbnailCache::thumbnail(int index) {
    if (const QImage* image = cache_.object(index))
        return *image;
    if (index < 0 || index >= paths_.size() || pending_.contains(index) || broken_.contains(index))
        return {};
    pending_.insert(index);
    QMutexLocker lock(&mutex_);
    stack_.push_back({index, paths_[index], generation_});
    while (stack_.size() > kMaxBacklog) { // scrolled past: asked again when visible again
        pending_.remove(stack_.front().index);
        stack_.pop_front();
    }
    if (active_ < decoders_.maxThreadCount()) {
        ++active_;
        decoders_.start([this] { decodeLoop(); });
    }
    return {};
}

bool ThumbnailCache::takeRequest(Request* request) {
    QMutexLocker lock(&mutex_);
    if (stack_.empty()) {
        --active_;
        return false;
    }
    *request = stack_.back(); // newest first: what is on screen now
    stack_.pop_back();
    return true;
}

void ThumbnailCache::decodeLoop() {
    Request request;
    while (takeRequest(&request)) {
        QImageReader reader(request.path);
        reader.setAutoTransform(true);
        const QSize size = reader.size();
        if (size.isValid())
            reader.setScaledSize(size.scaled(side_, side_, Qt::KeepAspectRatio));
        QImage image = reader.read();
        if (!image.isNull() && (image.width() > side_ || image.height() > side_))
            image = image.scaled(side_, side_, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        if (!image.isNull())
            image = image.convertToFormat(QImage::Format_RGB32);
        QMetaObject::invokeMethod(
            this,
            [this, generation = request.generation, index = request.index, image] {
                deliver(generation, index, image);
            },
            Qt::QueuedConnection);
    }
}

void ThumbnailCache::deliver(int generation, int index, const QImage& image) {
    if (generation != generation_)
        return;
    pending_.remove(index);
    if (image.isNull())
        broken_.insert(index);
    else
        cache_.insert(index, new QImage(image), 1);
    Q_EMIT thumbnailReady(index);
}

} // namespace freesel
