// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The pool as the thumbnail grid shows it: selected images first in rank order, then the
// unselected ones, then those that could not be used; filtered by status and file name.
// One row per visible image, nothing per row but an int, so 100,000 images stay cheap.

#include "pool/pool_marks.h"
#include "worker/pipeline_worker.h"
#include "worker/pool_duplicates.h"

#include <QAbstractListModel>
#include <QImage>

#include <vector>

namespace freesel {

class ThumbnailCache;

class PoolModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        PoolIndexRole = Qt::UserRole + 1,
        RankRole,         ///< 1-based rank, 0 when not selected
        FailedRole,       ///< bool
        PatternCountRole, ///< int
        ThumbnailRole,    ///< QImage (null while decoding)
        PathRole,
        PseudoLabelRole, ///< int: the ELFS pseudo-label cluster, -1 when none
        MarkRole,        ///< int: a PoolMark (excluded or labelled by hand)
    };
    enum class Filter { All, Selected, Unselected, Failed, Duplicates };

    explicit PoolModel(ThumbnailCache* thumbnails, QObject* parent = nullptr);

    void setPool(const PoolSnapshot& pool);
    void setOutcome(const RunOutcome& outcome);

    void setFilter(Filter filter);
    Filter filter() const { return filter_; }
    void setSearchText(const QString& text);
    /// A content search's result: only these pool indices, in this order (empty: the usual
    /// selected / unselected / failed order again).
    void setRanking(const QList<int>& poolOrder);
    bool isRanked() const { return !ranking_.isEmpty(); }
    /// The user's marks (absolute pool paths), shown as badges.
    void setMarks(const ManualMarks& manualMarks);
    int markOf(int poolIndex) const;
    /// Near-duplicate groups for Filter::Duplicates: members of a group side by side, the kept
    /// one first.
    void setDuplicates(const PoolDuplicates& duplicates);
    const PoolDuplicates& duplicates() const { return duplicates_; }
    bool isDuplicateKept(int poolIndex) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;

    int poolIndexAt(int row) const { return order_[static_cast<size_t>(row)]; }
    int rowOf(int poolIndex) const;             ///< -1 when filtered out
    int poolIndexOf(const QString& path) const; ///< -1 when no image of the pool has that path
    int rankOf(int poolIndex) const { return ranks_[static_cast<size_t>(poolIndex)]; }
    bool isFailed(int poolIndex) const;
    int poolSize() const { return pool_.size(); }
    const PoolSnapshot& snapshot() const { return pool_; }
    const PoolEntry& entry(int poolIndex) const {
        return (*pool_.entries)[static_cast<size_t>(poolIndex)];
    }
    QString failure(int poolIndex) const;
    int selectedCount() const { return static_cast<int>(picks_.size()); }
    /// The score of rank `rank` and what it means ("first pick, drawn uniformly" for rank 1).
    QString scoreText(int rank) const;
    int failedCount() const;

private:
    void rebuild();
    void onThumbnail(int poolIndex);

    ThumbnailCache* thumbnails_;
    PoolSnapshot pool_;
    std::vector<int> picks_;
    std::vector<double> scores_; ///< aligned with picks_
    QString strategy_;
    std::vector<int> ranks_;
    std::vector<QString> failures_;
    std::vector<int> patternCounts_;
    std::vector<int> pseudoLabels_; ///< per pool image (empty: not an elfs run)
    std::vector<int> order_;        // visible rows -> pool index
    std::vector<int> rowOf_;        // pool index -> visible row or -1
    Filter filter_ = Filter::All;
    QString search_;
    QList<int> ranking_;
    std::vector<char> marks_; ///< per pool image: a PoolMark
    ManualMarks manualMarks_;
    PoolDuplicates duplicates_;
};

} // namespace freesel
