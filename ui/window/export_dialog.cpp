// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/export_dialog.h"

#include "export/export_format.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
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
    for (const ExportFormatInfo& info : exportFormats()) {
        const QString extension = info.writesFolder()
                                      ? tr("a folder")
                                      : QStringLiteral(".") + QString::fromLatin1(info.extension);
        format_->addItem(QStringLiteral("%1 - %2 (%3)")
                             .arg(QString::fromLatin1(info.name), tr(info.description), extension),
                         QString::fromLatin1(info.name));
    }
    askOverwrite_ = [this](const QString& path) {
        return QMessageBox::question(this, tr("Replace the file?"),
                                     tr("%1 exists. Replace it?").arg(path)) == QMessageBox::Yes;
    };
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
    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::onFormatChanged);
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

bool ExportDialog::outputExists() const {
    const QFileInfo output(outputPath());
    return !outputPath().isEmpty() && output.exists() && !output.isDir();
}

void ExportDialog::done(int result) {
    if (result == QDialog::Accepted && outputExists() && !askOverwrite_(outputPath()))
        return; // stay open: the user picks another name
    QDialog::done(result);
}

/// The extension follows the format (picks.csv becomes picks.json for Label Studio), so a
/// format change never writes one format under another's name.
void ExportDialog::onFormatChanged() {
    const ExportFormat chosen = parseExportFormat(format());
    if (!exportFormatInfo(chosen).writesFolder())
        path_->setText(withFormatExtension(outputPath(), chosen));
    updateOptions();
}

void ExportDialog::updateOptions() {
    const unsigned options = exportFormatInfo(parseExportFormat(format())).options;
    overwrite_->setEnabled(options & OptionOverwrite);
    copy_->setEnabled(options & OptionCopyFiles);
    embeddingsForAll_->setEnabled(options & OptionEmbeddingsForAll);
    labelStudioPrefix_->setEnabled(options & OptionLabelStudioPrefix);
    rawScore_->setEnabled(options & OptionLabelStudioRawScore);
}

} // namespace freesel
