// SPDX-License-Identifier: GPL-3.0-or-later
#include "pool/pool_browser.h"

#include "pool/pool_delegate.h"
#include "pool/pool_model.h"
#include "pool/pool_view_actions.h"
#include "pool/thumbnail_cache.h"
#include "run_parameters.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QSpinBox>
#include <QVBoxLayout>

namespace freesel {

namespace {
constexpr int kThumbnailSide = 112;
}

PoolBrowser::PoolBrowser(QWidget* parent)
    : QWidget(parent), thumbnails_(new ThumbnailCache(kThumbnailSide, 4000, this)),
      model_(new PoolModel(thumbnails_, this)), view_(new QListView(this)),
      filter_(new QComboBox(this)), search_(new QLineEdit(this)),
      contentSearch_(new QLineEdit(this)), within_(new QCheckBox(tr("Select within"), this)),
      withinTop_(new QSpinBox(this)), summary_(new QLabel(this)),
      placeholder_(new QLabel(view_->viewport())), actions_(new PoolViewActions(view_)),
      threshold_(new QDoubleSpinBox(this)) {
    filter_->setObjectName(QStringLiteral("poolFilter"));
    filter_->addItem(tr("All images"), int(PoolModel::Filter::All));
    filter_->addItem(tr("Selected"), int(PoolModel::Filter::Selected));
    filter_->addItem(tr("Unselected"), int(PoolModel::Filter::Unselected));
    filter_->addItem(tr("Failed"), int(PoolModel::Filter::Failed));
    filter_->addItem(tr("Near-duplicates"), int(PoolModel::Filter::Duplicates));
    threshold_->setObjectName(QStringLiteral("duplicateThreshold"));
    threshold_->setRange(0.5, 1.0);
    threshold_->setDecimals(3);
    threshold_->setSingleStep(0.005);
    threshold_->setValue(0.95);
    threshold_->setKeyboardTracking(false);
    threshold_->setToolTip(tr("Near-duplicates: images whose global features have at least this "
                              "cosine similarity; the first of each group (largest file) is "
                              "the one to keep (freesel duplicates does the same)"));
    threshold_->hide();
    search_->setObjectName(QStringLiteral("poolSearch"));
    search_->setPlaceholderText(tr("Search file name (Ctrl+F)"));
    search_->setClearButtonEnabled(true);
    contentSearch_->setObjectName(QStringLiteral("contentSearch"));
    contentSearch_->setPlaceholderText(tr("Search by content (CLIP), Enter"));
    contentSearch_->setToolTip(tr("Ranks the pool by CLIP similarity to the text (a pool run "
                                  "with the CLIP backend); clear it to see the selection again"));
    contentSearch_->setClearButtonEnabled(true);
    within_->setObjectName(QStringLiteral("selectWithin"));
    within_->setToolTip(tr("Run the selection (any strategy) only among the best matches of the "
                           "content search: the top percentage of the pool on the right"));
    withinTop_->setObjectName(QStringLiteral("selectWithinTop"));
    withinTop_->setRange(1, 100);
    withinTop_->setValue(10);
    withinTop_->setSuffix(QStringLiteral("%"));
    withinTop_->setToolTip(tr("Select within: the share of the pool, best matches first"));
    summary_->setObjectName(QStringLiteral("poolSummary"));

    view_->setObjectName(QStringLiteral("poolView"));
    view_->setViewMode(QListView::IconMode);
    view_->setMovement(QListView::Static);
    view_->setResizeMode(QListView::Adjust);
    view_->setUniformItemSizes(true);
    view_->setLayoutMode(QListView::Batched);
    view_->setBatchSize(500);
    view_->setSelectionMode(QAbstractItemView::ExtendedSelection); // mark several at once
    view_->setItemDelegate(new PoolDelegate(kThumbnailSide, view_));
    view_->setModel(model_);
    view_->setSpacing(2);

    // What to do on an empty grid (first start), instead of nothing at all.
    placeholder_->setObjectName(QStringLiteral("poolPlaceholder"));
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setText(tr("<p><b>No pool open yet.</b></p><p>Open a folder (Ctrl+O), a list "
                             "file or a COCO json from the File menu, then Run (Ctrl+R).</p>"
                             "<p>To look around first: <tt>freesel-studio --demo</tt> opens a "
                             "generated pool with its selection.</p>"));
    auto* empty = new QVBoxLayout(view_->viewport());
    empty->addWidget(placeholder_);
    auto* bar = new QHBoxLayout;
    bar->addWidget(filter_);
    bar->addWidget(threshold_);
    bar->addWidget(search_, 1);
    // The content search gets a row of its own: beside the file name search both fields were
    // squeezed to a few characters in a 1500 px window.
    auto* contentBar = new QHBoxLayout;
    contentBar->addWidget(contentSearch_, 1);
    contentBar->addWidget(within_);
    contentBar->addWidget(withinTop_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addLayout(contentBar);
    layout->addWidget(view_, 1);
    layout->addWidget(summary_); // below the grid: the search fields keep their width

    connect(filter_, &QComboBox::currentIndexChanged, this, [this] {
        const auto filter = static_cast<PoolModel::Filter>(filter_->currentData().toInt());
        threshold_->setVisible(filter == PoolModel::Filter::Duplicates);
        if (filter == PoolModel::Filter::Duplicates)
            Q_EMIT duplicatesRequested(threshold_->value());
        model_->setFilter(filter);
    });
    connect(threshold_, &QDoubleSpinBox::valueChanged, this,
            [this](double value) { Q_EMIT duplicatesRequested(value); });
    connect(search_, &QLineEdit::textChanged, model_, &PoolModel::setSearchText);
    connect(contentSearch_, &QLineEdit::returnPressed, this, [this] {
        if (!contentSearch_->text().trimmed().isEmpty())
            Q_EMIT contentSearchRequested(contentSearch_->text().trimmed());
    });
    connect(contentSearch_, &QLineEdit::textChanged, this, [this](const QString& text) {
        if (text.isEmpty())
            model_->setRanking({});
    });
    connect(model_, &QAbstractItemModel::modelReset, this, &PoolBrowser::updateSummary);
    connect(view_->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex& current) {
                if (current.isValid())
                    Q_EMIT imageChosen(current.data(PoolModel::PoolIndexRole).toInt());
            });
    updateSummary();
}

PoolBrowser::~PoolBrowser() {
    view_->setModel(nullptr);
    delete model_;
    delete thumbnails_;
}

void PoolBrowser::applySearchScope(RunParameters& parameters) const {
    const QString query = contentSearch_->text().trimmed();
    const bool scoped = within_->isChecked() && !query.isEmpty();
    parameters.withinQuery = scoped ? query : QString();
    parameters.withinTop = withinTop_->value();
    parameters.withinPercent = true;
}

void PoolBrowser::showImage(int poolIndex) {
    if (model_->rowOf(poolIndex) < 0) {
        search_->clear();
        filter_->setCurrentIndex(0);
    }
    const int row = model_->rowOf(poolIndex);
    if (row < 0)
        return;
    const QModelIndex index = model_->index(row);
    view_->setCurrentIndex(index);
    view_->scrollTo(index);
}

void PoolBrowser::updateSummary() {
    placeholder_->setVisible(model_->poolSize() == 0);
    summary_->setText(tr("%1 shown | %2 images, %3 selected, %4 failed")
                          .arg(model_->rowCount())
                          .arg(model_->poolSize())
                          .arg(model_->selectedCount())
                          .arg(model_->poolSize() ? model_->failedCount() : 0));
}

} // namespace freesel
