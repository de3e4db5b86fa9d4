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
      beta_(new QDoubleSpinBox(this)), mode_(new QComboBox(this)), score_(new QComboBox(this)) {
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

    auto* form = new QFormLayout(this);
    form->addRow(tr("Clusters"), clusters_);
    form->addRow(tr("Epochs"), epochs_);
    form->addRow(tr("Beta"), beta_);
    form->addRow(tr("Mode"), mode_);
    form->addRow(tr("Score"), score_);

    for (QSpinBox* box : {clusters_, epochs_})
        connect(box, &QSpinBox::valueChanged, this, &ElfsParametersBox::changed);
    connect(beta_, &QDoubleSpinBox::valueChanged, this, &ElfsParametersBox::changed);
    for (QComboBox* box : {mode_, score_})
        connect(box, &QComboBox::currentIndexChanged, this, &ElfsParametersBox::changed);
}

void ElfsParametersBox::read(RunParameters& p) const {
    p.elfsClusters = clusters_->value();
    p.elfsEpochs = epochs_->value();
    p.elfsBeta = beta_->value() <= kAutoBeta ? -1.0 : beta_->value();
    p.elfsMode = mode_->currentData().toString();
    p.elfsScore = score_->currentData().toString();
}

void ElfsParametersBox::write(const RunParameters& p) {
    clusters_->setValue(p.elfsClusters);
    epochs_->setValue(p.elfsEpochs);
    beta_->setValue(p.elfsBeta < 0.0 ? kAutoBeta : p.elfsBeta);
    selectData(mode_, p.elfsMode);
    selectData(score_, p.elfsScore);
}

} // namespace freesel
