// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace freesel {

ExportDialog::ExportDialog(QWidget* parent)
    : QDialog(parent), format_(new QComboBox(this)), path_(new QLineEdit(this)),
      overwrite_(new QCheckBox(tr("Replace an earlier export in that folder"), this)),
      copy_(new QCheckBox(tr("Copy the images instead of symlinking them"), this)),
      embeddingsForAll_(new QCheckBox(tr("Every decoded image, not only the selected"), this)),
      labelStudioPrefix_(new QLineEdit(this)),
      rawScore_(new QCheckBox(tr("Raw FreeSel score instead of the rank score"), this)) {
    setWindowTitle(tr("Export selection"));
    format_->setObjectName(QStringLiteral("exportFormat"));
    path_->setObjectName(QStringLiteral("exportPath"));
    const QStringList descriptions = {tr("ranked list of paths (.txt)"),
                                      tr("CSV: path, rank, score, patterns"),
                                      tr("JSON with provenance"),
                                      tr("COCO image-only subset (.json)"),
                                      tr("Label Studio tasks (.json)"),
                                      tr("CVAT manifest (.jsonl)"),
                                      tr("Lightly-style embeddings (.csv)"),
                                      tr("folder of links or copies")};
    const QStringList names = exportFormatNames();
    for (int i = 0; i < names.size(); ++i)
        format_->addItem(QStringLiteral("%1 - %2").arg(names[i], descriptions.value(i)), names[i]);
    labelStudioPrefix_->setText(ExportOptions().labelStudioPrefix);
    auto* browse = new QPushButton(tr("Browse..."), this);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(path_, 1);
    pathRow->addWidget(browse);
    auto* form = new QFormLayout;
    form->addRow(tr("Format"), format_);
    form->addRow(tr("Output"), pathRow);
    form->addRow(QString(), overwrite_);
    form->addRow(QString(), copy_);
    form->addRow(QString(), embeddingsForAll_);
    form->addRow(tr("Label Studio URL prefix"), labelStudioPrefix_);
    form->addRow(QString(), rawScore_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(browse, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateOptions);
    connect(path_, &QLineEdit::textChanged, this, [this, buttons] {
        buttons->button(QDialogButtonBox::Ok)->setEnabled(!path_->text().trimmed().isEmpty());
    });
    buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
    updateOptions();
}

QString ExportDialog::format() const {
    return format_->currentData().toString();
}

void ExportDialog::setFormat(const QString& format) {
    const int index = format_->findData(format);
    if (index >= 0)
        format_->setCurrentIndex(index);
}

QString ExportDialog::outputPath() const {
    return path_->text().trimmed();
}

void ExportDialog::setOutputPath(const QString& path) {
    path_->setText(path);
}

ExportOptions ExportDialog::options() const {
    ExportOptions options;
    options.overwrite = overwrite_->isChecked();
    options.copyFiles = copy_->isChecked();
    options.embeddingsForAll = embeddingsForAll_->isChecked();
    options.labelStudioPrefix = labelStudioPrefix_->text();
    options.labelStudioRawScore = rawScore_->isChecked();
    return options;
}

void ExportDialog::browse() {
    const QString path =
        format() == QStringLiteral("folder")
            ? QFileDialog::getExistingDirectory(this, tr("Export into folder"))
            : QFileDialog::getSaveFileName(this, tr("Export selection"), path_->text());
    if (!path.isEmpty())
        path_->setText(path);
}

void ExportDialog::updateOptions() {
    const QString f = format();
    overwrite_->setEnabled(f == QStringLiteral("folder"));
    copy_->setEnabled(f == QStringLiteral("folder"));
    embeddingsForAll_->setEnabled(f == QStringLiteral("embeddings"));
    labelStudioPrefix_->setEnabled(f == QStringLiteral("labelstudio"));
    rawScore_->setEnabled(f == QStringLiteral("labelstudio"));
}

} // namespace freesel
