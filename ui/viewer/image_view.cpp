// SPDX-License-Identifier: GPL-3.0-or-later
#include "viewer/image_view.h"
#include "viewer/image_canvas.h"

#include <QCheckBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

namespace freesel {

ImageView::ImageView(QWidget* parent)
    : QWidget(parent), loader_(new ImageDetailLoader(this)), canvas_(new ImageCanvas(this)),
      heatmap_(new QCheckBox(tr("&Attention"), this)), mask_(new QCheckBox(tr("&Tau mask"), this)),
      clusters_(new QCheckBox(tr("&Patterns"), this)), opacity_(new QSlider(Qt::Horizontal, this)),
      title_(new QLabel(this)), legend_(new QLabel(this)), whyPicked_(new QLabel(this)),
      zoom_(new QLabel(this)) {
    heatmap_->setObjectName(QStringLiteral("overlayHeatmap"));
    mask_->setObjectName(QStringLiteral("overlayMask"));
    clusters_->setObjectName(QStringLiteral("overlayClusters"));
    opacity_->setObjectName(QStringLiteral("overlayOpacity"));
    heatmap_->setToolTip(tr("[CLS] attention of the last block: bright = attended (Alt+A)"));
    mask_->setToolTip(tr("The attention filter: greyed patches fall outside the tau share of "
                         "the attention and are ignored (Alt+T)"));
    clusters_->setToolTip(tr("Spectral clusters of the kept patches: one colour per semantic "
                             "pattern (Alt+P)"));
    heatmap_->setChecked(false);
    mask_->setChecked(true);
    clusters_->setChecked(true);
    opacity_->setRange(0, 100);
    opacity_->setValue(55);
    opacity_->setToolTip(tr("Overlay opacity"));
    title_->setWordWrap(true);
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    legend_->setWordWrap(true);
    legend_->setObjectName(QStringLiteral("patternLegend"));

    whyPicked_->setObjectName(QStringLiteral("whyPicked"));
    whyPicked_->setWordWrap(true);
    whyPicked_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    whyPicked_->hide();
    zoom_->setObjectName(QStringLiteral("zoomLabel"));
    auto* fit = new QPushButton(tr("Fit"), this);
    fit->setObjectName(QStringLiteral("zoomFit"));
    fit->setToolTip(tr("Fit the image to the view (F, or double-click the image)"));
    auto* actual = new QPushButton(tr("100%"), this);
    actual->setObjectName(QStringLiteral("zoomActual"));
    actual->setToolTip(tr("One image pixel per screen pixel (1); wheel zooms, drag pans"));
    connect(fit, &QPushButton::clicked, canvas_, &ImageCanvas::fitToWindow);
    connect(actual, &QPushButton::clicked, canvas_, &ImageCanvas::actualSize);
    connect(canvas_, &ImageCanvas::viewChanged, this, [this] {
        zoom_->setText(canvas_->image().isNull()
                           ? QString()
                           : tr("Zoom %1%").arg(qRound(canvas_->scale() * 100)));
    });
    auto* toggles = new QHBoxLayout;
    toggles->addWidget(heatmap_);
    toggles->addWidget(mask_);
    toggles->addWidget(clusters_);
    toggles->addStretch(1);
    toggles->addWidget(new QLabel(tr("Opacity"), this));
    toggles->addWidget(opacity_);
    toggles->addSpacing(12); // the zoom is not the opacity's value: keep them apart
    toggles->addWidget(zoom_);
    toggles->addWidget(fit);
    toggles->addWidget(actual);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(title_);
    layout->addLayout(toggles);
    layout->addWidget(canvas_, 1);
    layout->addWidget(legend_);
    layout->addWidget(whyPicked_);

    auto sync = [this] {
        options_.heatmap = heatmap_->isChecked();
        options_.mask = mask_->isChecked();
        options_.clusters = clusters_->isChecked();
        options_.opacity = opacity_->value() / 100.0;
        redraw();
    };
    connect(heatmap_, &QCheckBox::toggled, this, sync);
    connect(mask_, &QCheckBox::toggled, this, sync);
    connect(clusters_, &QCheckBox::toggled, this, sync);
    connect(opacity_, &QSlider::valueChanged, this, sync);
    connect(loader_, &ImageDetailLoader::detailReady, this, &ImageView::onDetail);
    sync();
}

void ImageView::setContext(const DetailContext& context) {
    loader_->setContext(context);
    requestDetail();
}

void ImageView::showImage(int poolIndex, const QString& path, int rank) {
    if (poolIndex != poolIndex_)
        setWhyPicked(QString());
    poolIndex_ = poolIndex;
    path_ = path;
    rank_ = rank;
    requestDetail();
}

void ImageView::setPatternParameters(const PatternParameters& parameters) {
    if (parameters.tau == parameters_.tau && parameters.clusters == parameters_.clusters &&
        parameters.eps == parameters_.eps)
        return;
    parameters_ = parameters;
    requestDetail();
}

void ImageView::setOverlayOptions(const OverlayOptions& options) {
    heatmap_->setChecked(options.heatmap);
    mask_->setChecked(options.mask);
    clusters_->setChecked(options.clusters);
    opacity_->setValue(static_cast<int>(options.opacity * 100 + 0.5));
}

void ImageView::requestDetail() {
    if (poolIndex_ < 0) {
        detail_ = {};
        redraw();
        return;
    }
    loader_->request(poolIndex_, path_, parameters_);
}

void ImageView::onDetail(const ImageDetail& detail) {
    detail_ = detail;
    redraw();
    Q_EMIT detailChanged(detail_);
}

void ImageView::redraw() {
    composed_ = renderOverlays(detail_, options_);
    // The zoom stays while the same image is redrawn (overlays, sliders); a new image fits.
    const bool sameImage = detail_.poolIndex == drawnIndex_ && drawnIndex_ >= 0;
    drawnIndex_ = detail_.poolIndex;
    canvas_->setImage(composed_, poolIndex_ < 0 ? tr("Pick an image in the grid") : detail_.error,
                      sameImage);
    if (poolIndex_ < 0 || detail_.poolIndex != poolIndex_) {
        title_->setText(poolIndex_ < 0 ? tr("No image") : tr("Loading..."));
        legend_->clear();
        return;
    }
    QString title =
        QStringLiteral("<b>%1</b>").arg(QFileInfo(detail_.path).fileName().toHtmlEscaped());
    title += rank_ > 0 ? tr(" &mdash; selected, rank %1").arg(rank_) : tr(" &mdash; not selected");
    if (detail_.hasFeatures)
        title += tr("<br>tau %1 keeps %2 of %3 patches &rarr; %4 patterns (K %5, eps %6)")
                     .arg(detail_.parameters.tau, 0, 'f', 2)
                     .arg(detail_.kept.size())
                     .arg(detail_.grid.size())
                     .arg(detail_.patternCount)
                     .arg(detail_.parameters.clusters)
                     .arg(detail_.parameters.eps);
    else if (!detail_.error.isEmpty())
        title += QStringLiteral("<br><span style='color:#b00'>%1</span>")
                     .arg(detail_.error.toHtmlEscaped());
    else
        title += tr("<br>Run the selection to see attention and patterns.");
    title_->setText(title);
    if (!detail_.hasFeatures || !options_.clusters) {
        legend_->setText(detail_.hasFeatures ? tr("Patterns overlay off.") : QString());
        return;
    }
    const std::vector<int> counts = patchesPerPattern(detail_);
    QString legend = tr("Patterns: ");
    for (size_t k = 0; k < counts.size(); ++k)
        legend += QStringLiteral("<span style='background:%1'>&nbsp;&nbsp;&nbsp;&nbsp;</span>"
                                 "&nbsp;%2 (%3)&nbsp;&nbsp; ")
                      .arg(patternColour(static_cast<int>(k)).name())
                      .arg(k + 1)
                      .arg(counts[k]);
    legend_->setText(legend + tr("<br><i>(n) = patches of that pattern</i>"));
}

QString ImageView::whyPickedText() const {
    return whyPicked_->text();
}

void ImageView::setWhyPicked(const QString& text) {
    whyPicked_->setText(text);
    whyPicked_->setVisible(!text.isEmpty());
}

} // namespace freesel
