// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "export/selection_export.h"

#include <QDialog>

#include <functional>

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace freesel {

/// Chooses an export: every format of the CLI (core's exportFormats() table), the output path
/// and the format's options. The path's extension follows the format; an existing file is only
/// replaced after a question.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    explicit ExportDialog(QWidget* parent = nullptr);

    QString format() const;
    void setFormat(const QString& format);
    QString outputPath() const;
    void setOutputPath(const QString& path);
    ExportOptions options() const;

    /// True when the output file exists: accepting then asks before replacing it.
    bool outputExists() const;
    /// Replaces the question asked before overwriting (tests answer it without a message box).
    void setOverwriteQuestion(std::function<bool(const QString& path)> ask) {
        askOverwrite_ = std::move(ask);
    }

    void done(int result) override;

private:
    void browse();
    void onFormatChanged();
    void updateOptions();
    std::function<bool(const QString&)> askOverwrite_;
    QComboBox* format_;
    QLineEdit* path_;
    QCheckBox* overwrite_;
    QCheckBox* copy_;
    QCheckBox* embeddingsForAll_;
    QLineEdit* labelStudioPrefix_;
    QCheckBox* rawScore_;
};

} // namespace freesel
