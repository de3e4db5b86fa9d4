// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListView;

namespace freesel {

struct RunParameters;
class PoolModel;
class PoolViewActions;
class ThumbnailCache;

/// The centre of the window: the virtualised thumbnail grid with its status filter and file
/// name search. Emits the pool index of the image the user picks.
class PoolBrowser : public QWidget {
    Q_OBJECT
public:
    explicit PoolBrowser(QWidget* parent = nullptr);
    ~PoolBrowser() override; ///< detaches the view first: nothing paints from a dying model

    PoolModel* model() const { return model_; }
    QListView* view() const { return view_; }
    QComboBox* filterBox() const { return filter_; }
    QLineEdit* searchField() const { return search_; }
    /// Search by content (CLIP): Enter asks for a ranking, an empty field drops it.
    QLineEdit* contentSearchField() const { return contentSearch_; }
    /// "Select within": the next run selects among the content search's best matches only.
    QCheckBox* withinBox() const { return within_; }
    QSpinBox* withinTopBox() const { return withinTop_; } ///< the matches kept, in percent
    /// Adds the search scope to a run's parameters (withinQuery, withinTop) when "Select
    /// within" is checked and a content search is typed; clears it otherwise.
    void applySearchScope(RunParameters& parameters) const;
    PoolViewActions* actions() const { return actions_; }
    /// The cosine similarity of the near-duplicates filter (shown with that filter).
    QDoubleSpinBox* duplicateThresholdBox() const { return threshold_; }

    /// Makes `poolIndex` current (clearing the search/filter if it hides it).
    void showImage(int poolIndex);
    void updateSummary();

Q_SIGNALS:
    void imageChosen(int poolIndex);
    void contentSearchRequested(const QString& text);
    /// The near-duplicates filter was chosen or its threshold changed.
    void duplicatesRequested(double threshold);

private:
    ThumbnailCache* thumbnails_;
    PoolModel* model_;
    QListView* view_;
    QComboBox* filter_;
    QLineEdit* search_;
    QLineEdit* contentSearch_;
    QCheckBox* within_;
    QSpinBox* withinTop_;
    QLabel* summary_;
    QLabel* placeholder_; ///< guidance on an empty grid
    PoolViewActions* actions_;
    QDoubleSpinBox* threshold_;
};

} // namespace freesel
