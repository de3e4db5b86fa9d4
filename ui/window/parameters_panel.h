// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The left panel: the dataset (folder, list file or COCO json, recent pools), the backend
// (model, device, precision, input size), the FreeSel parameters (tau, K, eps), the budget,
// strategy and seed, task presets, and Run / Cancel.

#include "pool/pool_marks.h"
#include "run_parameters.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;
class QSpinBox;

namespace freesel {

class ElfsParametersBox;
class ClipParametersBox;

class ParametersPanel : public QWidget {
    Q_OBJECT
public:
    explicit ParametersPanel(QWidget* parent = nullptr);

    RunParameters parameters() const;
    void setParameters(const RunParameters& parameters);
    void setSource(const QString& source);
    void setRecentPools(const QStringList& pools);
    void applyPreset(TaskPreset preset);
    /// Every parameter back to its default; the pool and the marks stay.
    void resetToDefaults();
    /// Says so under the device when CUDA is chosen and this build or machine has none.
    QLabel* deviceNote() const { return deviceNote_; }
    void setRunning(bool running);
    /// The manual override (absolute pool paths): labelled, excluded and included images.
    void setMarks(const ManualMarks& marks);
    /// A local checkpoint instead of the weight cache (empty: the cache).
    void setWeightsFile(const QString& path);

    QPushButton* runButton() const { return run_; }
    QPushButton* cancelButton() const { return cancel_; }
    QSlider* tauSlider() const { return tau_; }
    QSpinBox* clustersBox() const { return clusters_; }
    QSpinBox* epsBox() const { return eps_; }
    QDoubleSpinBox* budgetBox() const { return budget_; }
    QComboBox* budgetUnitBox() const { return budgetUnit_; }
    QComboBox* strategyBox() const { return strategy_; }
    QComboBox* backendBox() const { return backend_; }
    QComboBox* presetBox() const { return preset_; }
    QSpinBox* seedBox() const { return seed_; }
    ElfsParametersBox* elfsBox() const { return elfs_; }
    ClipParametersBox* clipBox() const { return clip_; }
    QLineEdit* sourceField() const { return source_; }
    QPushButton* weightsButton() const { return weightsButton_; }

public Q_SLOTS:
    void browseFolder();
    void browseListFile();
    void browseCocoJson();

Q_SIGNALS:
    void sourceChanged(const QString& source);
    /// Any parameter changed (the window decides whether to re-run).
    void parametersChanged();
    void runRequested();
    void cancelRequested();

private:
    void updateTauLabel();
    QLineEdit* source_;
    QComboBox* recent_;
    QComboBox* backend_;
    QComboBox* model_;
    QComboBox* device_;
    QComboBox* precision_;
    QSpinBox* inputSize_;
    QComboBox* preset_;
    QSlider* tau_;
    QLabel* tauLabel_;
    QSpinBox* clusters_;
    QSpinBox* eps_;
    QDoubleSpinBox* budget_;
    QComboBox* budgetUnit_;
    QComboBox* strategy_;
    QSpinBox* seed_;
    ElfsParametersBox* elfs_; ///< shown while the strategy is elfs
    ClipParametersBox* clip_; ///< shown while the strategy is clip
    QPushButton* run_;
    QPushButton* cancel_;
    QPushButton* weightsButton_; ///< names the local weights file, or the cache
    QLabel* deviceNote_;
    void updateWeightsButton();
    QString imageRoot_, weights_, storeDir_;
    ManualMarks marks_;
    bool loading_ = false;
};

} // namespace freesel
