// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/elfs_parameters_box.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QSpinBox>

namespace freesel {

namespace {

/// The beta box's minimum stands for "the default for the keep ratio" (RunParameters: < 0).
constexpr double kAutoBeta = -0.01;

void selectData(QComboBox* box, const QString& data) {
    const int index = box->findData(data);
    if (index >= 0)
        box->setCurrentIndex(index);
}

} // namespace

ElfsParametersBox::ElfsParametersBox(QWidget* parent)
    : QGroupBox(tr("ELFS"), parent), clusters_(new QSpinBox(this)), epochs_(new QSpinBox(this)),
      beta_(new QDoubleSpinBox(this)), mode_(new QComboBox(this)), score_(new QComboBox(this)),
      clusterer_(new QComboBox(this)), proxy_(new QComboBox(this)), imageSize_(new QSpinBox(this)) {
    setObjectName(QStringLiteral("elfsParameters"));
    clusters_->setObjectName(QStringLiteral("elfsClusters"));
    clusters_->setRange(1, 10000);
    clusters_->setToolTip(tr("Pseudo-classes: spherical k-means clusters of the [CLS] features"));
    epochs_->setObjectName(QStringLiteral("elfsEpochs"));
    epochs_->setRange(1, 10000);
    epochs_->setToolTip(tr("Proxy training epochs (a fresh view of each image every epoch)"));
    beta_->setObjectName(QStringLiteral("elfsBeta"));
    beta_->setRange(kAutoBeta, 0.99);
    beta_->setSingleStep(0.05);
    beta_->setSpecialValueText(tr("auto (by keep ratio)"));
    beta_->setToolTip(tr("Fraction of the hardest images skipped (likely mis-clustered)"));
    mode_->setObjectName(QStringLiteral("elfsMode"));
    mode_->addItem(tr("Double-end window"), QStringLiteral("window"));
    mode_->addItem(tr("CCS (50 strata)"), QStringLiteral("ccs"));
    score_->setObjectName(QStringLiteral("elfsScore"));
    score_->addItem(tr("AUM"), QStringLiteral("aum"));
    score_->addItem(tr("Forgetting"), QStringLiteral("forgetting"));
    score_->addItem(tr("EL2N"), QStringLiteral("el2n"));
    clusterer_->setObjectName(QStringLiteral("elfsClusterer"));
    clusterer_->addItem(tr("Spherical k-means"), QStringLiteral("kmeans"));
    clusterer_->addItem(tr("TEMI heads (slow)"), QStringLiteral("temi"));
    clusterer_->setToolTip(tr("How the pseudo-labels are found: k-means in seconds, or the 16 "
                              "TEMI heads of the official code (about 100 times slower)"));
    proxy_->setObjectName(QStringLiteral("elfsProxy"));
    proxy_->addItem(tr("Token views (fast)"), QStringLiteral("tokens"));
    proxy_->addItem(tr("ResNet-18 on pixels (slow)"), QStringLiteral("resnet18"));
    proxy_->setToolTip(tr("The network whose training dynamics score the images: a small one on "
                          "patch-token views, or the paper's CIFAR ResNet-18 trained from "
                          "scratch (its estimated time is shown before it starts)"));
    imageSize_->setObjectName(QStringLiteral("elfsImageSize"));
    imageSize_->setRange(kMinPixelSide, kMaxPixelSide);
    imageSize_->setSuffix(tr(" px"));
    imageSize_->setToolTip(tr("ResNet-18 proxy: the side the images are decoded at (CIFAR: 32)"));

    auto* form = new QFormLayout(this);
    form->addRow(tr("Clusters"), clusters_);
    form->addRow(tr("Clusterer"), clusterer_);
    form->addRow(tr("Proxy"), proxy_);
    form->addRow(tr("Image size"), imageSize_);
    form->addRow(tr("Epochs"), epochs_);
    form->addRow(tr("Beta"), beta_);
    form->addRow(tr("Mode"), mode_);
    form->addRow(tr("Score"), score_);

    connect(proxy_, &QComboBox::currentIndexChanged, this, [this] {
        imageSize_->setEnabled(proxy_->currentData() == QStringLiteral("resnet18"));
    });
    imageSize_->setEnabled(false);
    for (QSpinBox* box : {clusters_, epochs_, imageSize_})
        connect(box, &QSpinBox::valueChanged, this, &ElfsParametersBox::changed);
    connect(beta_, &QDoubleSpinBox::valueChanged, this, &ElfsParametersBox::changed);
    for (QComboBox* box : {mode_, score_, clusterer_, proxy_})
        connect(box, &QComboBox::currentIndexChanged, this, &ElfsParametersBox::changed);
}

void ElfsParametersBox::read(RunParameters& p) const {
    p.elfsClusters = clusters_->value();
    p.elfsEpochs = epochs_->value();
    p.elfsBeta = beta_->value() <= kAutoBeta ? -1.0 : beta_->value();
    p.elfsMode = mode_->currentData().toString();
    p.elfsScore = score_->currentData().toString();
    p.elfsClusterer = clusterer_->currentData().toString();
    p.elfsProxy = proxy_->currentData().toString();
    p.elfsImageSize = imageSize_->value();
}

void ElfsParametersBox::write(const RunParameters& p) {
    clusters_->setValue(p.elfsClusters);
    epochs_->setValue(p.elfsEpochs);
    beta_->setValue(p.elfsBeta < 0.0 ? kAutoBeta : p.elfsBeta);
    selectData(mode_, p.elfsMode);
    selectData(score_, p.elfsScore);
    selectData(clusterer_, p.elfsClusterer);
    selectData(proxy_, p.elfsProxy);
    imageSize_->setValue(p.elfsImageSize);
}

} // namespace freesel
