// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "run_parameters.h"

#include <QGroupBox>

class QComboBox;
class QDoubleSpinBox;
class QSpinBox;

namespace freesel {

/// The parameters of the elfs strategy (docs/CLI.md, --elfs-*): pseudo-label clusters, proxy
/// epochs, beta (or the default for the keep ratio), mode, score and the clusterer.
class ElfsParametersBox : public QGroupBox {
    Q_OBJECT
public:
    explicit ElfsParametersBox(QWidget* parent = nullptr);
    void read(RunParameters& parameters) const;
    void write(const RunParameters& parameters);

    QSpinBox* clustersBox() const { return clusters_; }
    QSpinBox* epochsBox() const { return epochs_; }
    QDoubleSpinBox* betaBox() const { return beta_; }
    QComboBox* modeBox() const { return mode_; }
    QComboBox* scoreBox() const { return score_; }
    QComboBox* clustererBox() const { return clusterer_; }
    QComboBox* proxyBox() const { return proxy_; }
    QSpinBox* imageSizeBox() const { return imageSize_; }

Q_SIGNALS:
    void changed();

private:
    QSpinBox* clusters_;
    QSpinBox* epochs_;
    QDoubleSpinBox* beta_;
    QComboBox* mode_;
    QComboBox* score_;
    QComboBox* clusterer_;
    QComboBox* proxy_;
    QSpinBox* imageSize_;
};

} // namespace freesel
