// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/pool_model.h"

#include "pool/pool_marks.h"
#include "pool/thumbnail_cache.h"
#include "worker/why_picked.h"

#include <QFileInfo>

#include <algorithm>
#include <cmath>

namespace freesel {

PoolModel::PoolModel(ThumbnailCache* thumbnails, QObject* parent)
    : QAbstractListModel(parent), thumbnails_(thumbnails) {
    connect(thumbnails_, &ThumbnailCache::thumbnailReady, this, &PoolModel::onThumbnail);
}

void PoolModel::setPool(const PoolSnapshot& pool) {
    pool_ = pool;
    const size_t n = static_cast<size_t>(pool.size());
    picks_.clear();
    ranks_.assign(n, 0);
    failures_.assign(n, QString());
    patternCounts_.assign(n, 0);
    pseudoLabels_.clear();
    marks_ = marksOfPool(pool_, manualMarks_);
    duplicates_ = {};
    QStringList paths;
    paths.reserve(static_cast<int>(n));
    for (const PoolEntry& entry : *pool.entries)
        paths.append(entry.path);
    thumbnails_->setPaths(paths);
    rebuild();
}

void PoolModel::setOutcome(const RunOutcome& outcome) {
    if (pool_.entries != outcome.pool.entries)
        setPool(outcome.pool);
    picks_ = outcome.picks;
    scores_ = outcome.scores;
    strategy_ = outcome.parameters.strategy;
    ranks_.assign(static_cast<size_t>(pool_.size()), 0);
    for (size_t r = 0; r < picks_.size(); ++r)
        ranks_[static_cast<size_t>(picks_[r])] = static_cast<int>(r) + 1;
    failures_ = outcome.failures;
    patternCounts_ = outcome.patternCounts;
    pseudoLabels_.clear();
    if (!outcome.elfs.pseudoLabels.empty()) {
        pseudoLabels_.assign(static_cast<size_t>(pool_.size()), -1);
        for (size_t i = 0; i < outcome.usableIndex.size(); ++i)
            if (const int k = outcome.usableIndex[i]; k >= 0)
                pseudoLabels_[i] = outcome.elfs.pseudoLabels[static_cast<size_t>(k)];
    }
    rebuild();
}

QString PoolModel::scoreText(int rank) const {
    const size_t r = static_cast<size_t>(rank - 1);
    const double score = r < scores_.size() ? scores_[r] : std::nan("");
    if (!std::isnan(score))
        return tr("score %1 (%2)").arg(score, 0, 'g', 4).arg(scoreMeaning(strategy_));
    if (r < picks_.size() && markOf(picks_[r]) == int(PoolMark::Included))
        return tr("no score: included by hand");
    if (rank == 1 && strategy_ != QLatin1String("random"))
        return tr("no score: the first pick, drawn uniformly");
    return tr("no score (%1)").arg(scoreMeaning(strategy_));
}

void PoolModel::setFilter(Filter filter) {
    if (filter_ == filter)
        return;
    filter_ = filter;
    rebuild();
}

void PoolModel::setSearchText(const QString& text) {
    if (search_ == text)
        return;
    search_ = text;
    rebuild();
}

bool PoolModel::isFailed(int poolIndex) const {
    return !failures_[static_cast<size_t>(poolIndex)].isEmpty();
}

QString PoolModel::failure(int poolIndex) const {
    return failures_[static_cast<size_t>(poolIndex)];
}

int PoolModel::failedCount() const {
    int count = 0;
    for (const QString& failure : failures_)
        count += failure.isEmpty() ? 0 : 1;
    return count;
}

void PoolModel::setRanking(const QList<int>& poolOrder) {
    ranking_ = poolOrder;
    rebuild();
}

void PoolModel::setMarks(const ManualMarks& manualMarks) {
    manualMarks_ = manualMarks;
    const std::vector<char> marks = marksOfPool(pool_, manualMarks);
    if (marks == marks_)
        return;
    marks_ = marks;
    if (!order_.empty())
        Q_EMIT dataChanged(index(0), index(static_cast<int>(order_.size()) - 1), {MarkRole});
}

int PoolModel::markOf(int poolIndex) const {
    return poolIndex >= 0 && poolIndex < static_cast<int>(marks_.size())
               ? marks_[static_cast<size_t>(poolIndex)]
               : 0;
}

void PoolModel::setDuplicates(const PoolDuplicates& duplicates) {
    duplicates_ = duplicates;
    if (filter_ == Filter::Duplicates)
        rebuild();
}

bool PoolModel::isDuplicateKept(int poolIndex) const {
    return std::find(duplicates_.keep.begin(), duplicates_.keep.end(), poolIndex) !=
           duplicates_.keep.end();
}

int PoolModel::rowOf(int poolIndex) const {
    if (poolIndex < 0 || poolIndex >= static_cast<int>(rowOf_.size()))
        return -1;
    return rowOf_[static_cast<size_t>(poolIndex)];
}

int PoolModel::poolIndexOf(const QString& path) const {
    for (int i = 0; i < poolSize(); ++i) // only on a user's click: a scan is fast enough
        if (entry(i).path == path)
            return i;
    return -1;
}

void PoolModel::rebuild() {
    beginResetModel();
    const int n = pool_.size();
    order_.clear();
    rowOf_.assign(static_cast<size_t>(n), -1);
    auto matches = [this](int i) {
        if (search_.isEmpty())
            return true;
        const QString& path = (*pool_.entries)[static_cast<size_t>(i)].relativePath;
        return path.contains(search_, Qt::CaseInsensitive);
    };
    auto add = [&](int i) {
        if (!matches(i))
            return;
        rowOf_[static_cast<size_t>(i)] = static_cast<int>(order_.size());
        order_.push_back(i);
    };
    for (int i : ranking_) // a content search ranks before any filter
        if (i >= 0 && i < n)
            add(i);
    if (!ranking_.isEmpty()) {
        endResetModel();
        return;
    }
    if (filter_ == Filter::Duplicates) {
        for (size_t g = 0; g < duplicates_.groups.size(); ++g) {
            add(duplicates_.keep[g]);
            for (int i : duplicates_.groups[g])
                if (i != duplicates_.keep[g] && i < n)
                    add(i);
        }
        endResetModel();
        return;
    }
    if (filter_ == Filter::All || filter_ == Filter::Selected)
        for (int i : picks_)
            add(i);
    if (filter_ == Filter::All || filter_ == Filter::Unselected)
        for (int i = 0; i < n; ++i)
            if (ranks_[static_cast<size_t>(i)] == 0 && !isFailed(i))
                add(i);
    if (filter_ == Filter::All || filter_ == Filter::Failed)
        for (int i = 0; i < n; ++i)
            if (isFailed(i))
                add(i);
    endResetModel();
}

int PoolModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(order_.size());
}

QVariant PoolModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= static_cast<int>(order_.size()))
        return {};
    const int i = order_[static_cast<size_t>(index.row())];
    const PoolEntry& e = entry(i);
    switch (role) {
    case Qt::DisplayRole:
        return QFileInfo(e.relativePath).fileName();
    case Qt::ToolTipRole: {
        QString tip = e.relativePath;
        if (const int rank = rankOf(i))
            tip += tr("\nselected: rank %1, %2").arg(rank).arg(scoreText(rank));
        if (isFailed(i))
            tip += tr("\nskipped: %1").arg(failure(i));
        if (markOf(i) != 0)
            tip += QLatin1Char('\n') + markDescription(static_cast<PoolMark>(markOf(i)));
        if (filter_ == Filter::Duplicates)
            tip += isDuplicateKept(i) ? tr("\nnear-duplicate group: keep (largest file)")
                                      : tr("\nnear-duplicate of the kept image before it");
        else if (patternCounts_[static_cast<size_t>(i)] > 0)
            tip += tr("\n%1 semantic patterns").arg(patternCounts_[static_cast<size_t>(i)]);
        return tip;
    }
    case PoolIndexRole:
        return i;
    case RankRole:
        return rankOf(i);
    case FailedRole:
        return isFailed(i) || thumbnails_->isBroken(i);
    case PatternCountRole:
        return patternCounts_[static_cast<size_t>(i)];
    case ThumbnailRole:
        return thumbnails_->thumbnail(i);
    case PathRole:
        return e.path;
    case PseudoLabelRole:
        return pseudoLabels_.empty() ? -1 : pseudoLabels_[static_cast<size_t>(i)];
    case MarkRole:
        return markOf(i);
    default:
        return {};
    }
}

void PoolModel::onThumbnail(int poolIndex) {
    const int row = rowOf(poolIndex);
    if (row < 0)
        return;
    const QModelIndex at = index(row);
    Q_EMIT dataChanged(at, at, {ThumbnailRole, FailedRole});
}

} // namespace freesel
