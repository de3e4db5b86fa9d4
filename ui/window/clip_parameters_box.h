// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "run_parameters.h"

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace freesel {

/// The parameters of the clip strategy (docs/CLI.md, --labels, --classes, --prompt-template,
/// --clip-mode, --train-adapters): where the labels come from, or the class names for zero-shot
/// labels.
class ClipParametersBox : public QGroupBox {
    Q_OBJECT
public:
    explicit ClipParametersBox(QWidget* parent = nullptr);
    void read(RunParameters& parameters) const;
    void write(const RunParameters& parameters);

    QLineEdit* classesEdit() const { return classes_; }
    QLineEdit* labelsEdit() const { return labels_; }
    QLineEdit* templateEdit() const { return template_; }
    QComboBox* modeBox() const { return mode_; }
    QCheckBox* trainAdaptersBox() const { return trainAdapters_; }

Q_SIGNALS:
    void changed();

private:
    QLineEdit* classes_;
    QLineEdit* labels_;
    QLineEdit* template_;
    QComboBox* mode_;
    QCheckBox* trainAdapters_;
};

} // namespace freesel
