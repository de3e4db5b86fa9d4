// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Two selections of one pool side by side: the images of A, of B, or their difference (in A
// only, in B only, in both), as thumbnails with a badge saying which.

#include <QListWidget>

#include <vector>

namespace freesel {

class ThumbnailCache;

class SelectionDiffView : public QListWidget {
    Q_OBJECT

public:
    enum class Mode { OnlyA, OnlyB, Both, Union };

    explicit SelectionDiffView(QWidget* parent = nullptr);

    /// Every pool image's path (thumbnails are decoded off the GUI thread).
    void setPool(const QStringList& paths);
    /// Pool indices, in pick order.
    void setSelections(const std::vector<int>& a, const std::vector<int>& b);
    void setMode(Mode mode);
    /// The pool indices shown, in order (A's order first, then B's).
    const std::vector<int>& shown() const { return shown_; }

private:
    void rebuild();
    void onThumbnail(int index);

    ThumbnailCache* thumbnails_;
    std::vector<int> a_, b_, shown_;
    Mode mode_ = Mode::Union;
};

} // namespace freesel
