// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Thumbnails of the pool, decoded off the GUI thread into a bounded cache. The newest request
// is decoded first (the images the user is looking at now), and a backlog of stale requests
// is dropped when the user scrolls fast through a huge pool.

#include <QCache>
#include <QImage>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QThreadPool>

#include <deque>

namespace freesel {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    explicit ThumbnailCache(int side = 128, int capacity = 4000, QObject* parent = nullptr);
    ~ThumbnailCache() override; ///< waits for the decoders, so none outlives the cache

    /// New pool: forgets every thumbnail and every pending request.
    void setPaths(const QStringList& paths);
    int side() const { return side_; }

    /// The cached thumbnail, or a null image while it is being decoded (thumbnailReady
    /// follows). A file that cannot be decoded gives a null image and no further requests.
    QImage thumbnail(int index);
    bool isBroken(int index) const { return broken_.contains(index); }
    int cachedCount() const { return cache_.count(); }

Q_SIGNALS:
    void thumbnailReady(int index);

private:
    struct Request {
        int index;
        QString path;
        int generation;
    };
    bool takeRequest(Request* request);
    void decodeLoop();
    void deliver(int generation, int index, const QImage& image);

    const int side_;
    QStringList paths_;
    QCache<int, QImage> cache_;
    QSet<int> pending_; // GUI thread only
    QSet<int> broken_;  // GUI thread only
    int generation_ = 0;
    QThreadPool decoders_;
    QMutex mutex_; // guards stack_ and active_
    std::deque<Request> stack_;
    int active_ = 0;
};

} // namespace freesel
