// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/clip_parameters_box.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace freesel {

namespace {

/// A path field with a browse button; `folder` browses for a folder, else for a file.
QWidget* pathRow(QLineEdit* edit, bool folder, const QString& title, QWidget* parent) {
    auto* row = new QWidget(parent);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* browse = new QPushButton(QStringLiteral("\u2026"), row);
    browse->setToolTip(title);
    layout->addWidget(edit, 1);
    layout->addWidget(browse);
    QObject::connect(browse, &QPushButton::clicked, edit, [edit, folder, title] {
        const QString path = folder ? QFileDialog::getExistingDirectory(edit, title, edit->text())
                                    : QFileDialog::getOpenFileName(edit, title, edit->text());
        if (!path.isEmpty()) {
            edit->setText(path);
            Q_EMIT edit->editingFinished();
        }
    });
    return row;
}

} // namespace

ClipParametersBox::ClipParametersBox(QWidget* parent)
    : QGroupBox(tr("CLIP-powered selection"), parent), classes_(new QLineEdit(this)),
      labels_(new QLineEdit(this)), template_(new QLineEdit(this)), mode_(new QComboBox(this)),
      trainAdapters_(new QCheckBox(tr("Train adapters on the labels"), this)) {
    setObjectName(QStringLiteral("clipParameters"));
    classes_->setObjectName(QStringLiteral("clipClasses"));
    classes_->setPlaceholderText(tr("names.txt (one class per line)"));
    classes_->setToolTip(tr("Class names; without labels each image gets CLIP's zero-shot label "
                            "(label-noise detection is then off)"));
    labels_->setObjectName(QStringLiteral("clipLabels"));
    labels_->setPlaceholderText(tr("optional: class folders, COCO .json or .csv"));
    labels_->setToolTip(tr("The pool's labels: a folder with one subfolder per class, a COCO "
                           ".json or a .csv of path,label"));
    template_->setObjectName(QStringLiteral("clipPromptTemplate"));
    template_->setToolTip(tr("The text of a class, {} being its name; 'ensemble': openai/CLIP's "
                             "80 ImageNet templates, averaged"));
    mode_->setObjectName(QStringLiteral("clipMode"));
    mode_->addItem(tr("Top-k by score"), QStringLiteral("topk"));
    mode_->addItem(tr("Official optimiser (replay)"), QStringLiteral("optimiser"));

    trainAdapters_->setObjectName(QStringLiteral("clipTrainAdapters"));
    // The same words as the CLI's --train-adapters help.
    trainAdapters_->setToolTip(
        tr("Needs Labels. Trains the image and text adapters (linear, identity at start) with "
           "symmetric InfoNCE on the labels: AdamW lr 1e-3, no weight decay, 10 epochs, batch "
           "256, temperature 1 / CLIP's logit scale, batch order from the seed. The paper "
           "publishes none of these. Off: identity adapters (zero-shot CLIP)."));

    auto* form = new QFormLayout(this);
    form->addRow(tr("Classes"), pathRow(classes_, false, tr("Class names file"), this));
    form->addRow(tr("Labels"), pathRow(labels_, true, tr("Labels folder"), this));
    form->addRow(tr("Prompt"), template_);
    form->addRow(tr("Mode"), mode_);
    form->addRow(QString(), trainAdapters_);

    for (QLineEdit* edit : {classes_, labels_, template_})
        connect(edit, &QLineEdit::editingFinished, this, &ClipParametersBox::changed);
    connect(mode_, &QComboBox::currentIndexChanged, this, &ClipParametersBox::changed);
    connect(trainAdapters_, &QCheckBox::toggled, this, &ClipParametersBox::changed);
}

void ClipParametersBox::read(RunParameters& p) const {
    p.clipClasses = classes_->text().trimmed();
    p.clipLabels = labels_->text().trimmed();
    p.clipPromptTemplate = template_->text().trimmed().isEmpty()
                               ? RunParameters().clipPromptTemplate
                               : template_->text().trimmed();
    p.clipMode = mode_->currentData().toString();
    p.clipTrainAdapters = trainAdapters_->isChecked();
}

void ClipParametersBox::write(const RunParameters& p) {
    classes_->setText(p.clipClasses);
    labels_->setText(p.clipLabels);
    template_->setText(p.clipPromptTemplate);
    const int index = mode_->findData(p.clipMode);
    if (index >= 0)
        mode_->setCurrentIndex(index);
    trainAdapters_->setChecked(p.clipTrainAdapters);
}

} // namespace freesel
