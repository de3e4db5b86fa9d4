// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "export/selection_export.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace freesel {

/// Chooses an export: every format of the CLI (txt, csv, json, coco, labelstudio, cvat,
/// embeddings, folder), the output path and the format's options.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(QWidget* parent = nullptr);

    QString format() const;
    void setFormat(const QString& format);
    QString outputPath() const;
    void setOutputPath(const QString& path);
    ExportOptions options() const;

private:
    void browse();
    void updateOptions();
    QComboBox* format_;
    QLineEdit* path_;
    QCheckBox* overwrite_;
    QCheckBox* copy_;
    QCheckBox* embeddingsForAll_;
    QLineEdit* labelStudioPrefix_;
    QCheckBox* rawScore_;
};

} // namespace freesel
