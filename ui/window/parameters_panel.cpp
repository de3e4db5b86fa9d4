// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/parameters_panel.h"

#include "util/torch_info.h"
#include "weights/model_manifest.h"
#include "window/clip_parameters_box.h"
#include "window/elfs_parameters_box.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace freesel {

ParametersPanel::ParametersPanel(QWidget* parent)
    : QWidget(parent), source_(new QLineEdit(this)), recent_(new QComboBox(this)),
      backend_(new QComboBox(this)), model_(new QComboBox(this)), device_(new QComboBox(this)),
      precision_(new QComboBox(this)), inputSize_(new QSpinBox(this)), preset_(new QComboBox(this)),
      tau_(new QSlider(Qt::Horizontal, this)), tauLabel_(new QLabel(this)),
      clusters_(new QSpinBox(this)), eps_(new QSpinBox(this)), budget_(new QDoubleSpinBox(this)),
      budgetUnit_(new QComboBox(this)), strategy_(new QComboBox(this)), seed_(new QSpinBox(this)),
      elfs_(new ElfsParametersBox(this)), clip_(new ClipParametersBox(this)),
      run_(new QPushButton(tr("&Run"), this)), cancel_(new QPushButton(tr("Cancel"), this)) {
    source_->setObjectName(QStringLiteral("poolSource"));
    source_->setPlaceholderText(tr("Folder, list file or COCO json"));
    auto* folder = new QPushButton(tr("Folder..."), this);
    auto* list = new QPushButton(tr("List..."), this);
    auto* coco = new QPushButton(tr("COCO..."), this);
    folder->setToolTip(tr("Open a folder of images, searched recursively (Ctrl+O)"));
    list->setToolTip(tr("Open a text file with one image path per line"));
    coco->setToolTip(tr("Open a COCO annotation json (its images[] become the pool)"));
    recent_->setObjectName(QStringLiteral("recentPools"));
    recent_->setPlaceholderText(tr("Recent pools"));

    backend_->addItem(tr("auto (DINO if weights present)"), QStringLiteral("auto"));
    backend_->addItem(tr("offline (no weights)"), QStringLiteral("offline"));
    backend_->addItem(tr("DINO"), QStringLiteral("dino"));
    backend_->addItem(tr("CLIP"), QStringLiteral("clip"));
    backend_->setObjectName(QStringLiteral("backend"));
    const ModelManifest manifest = ModelManifest::builtin();
    for (const ModelInfo& info : manifest.models())
        model_->addItem(info.displayName, info.name);
    device_->setObjectName(QStringLiteral("device"));
    device_->addItem(tr("auto"), QStringLiteral("auto"));
    device_->addItem(tr("CPU"), QStringLiteral("cpu"));
    device_->addItem(tr("CUDA"), QStringLiteral("cuda"));
    precision_->addItem(QStringLiteral("auto"), QStringLiteral("auto"));
    precision_->addItem(QStringLiteral("float32"), QStringLiteral("float32"));
    precision_->addItem(QStringLiteral("bfloat16"), QStringLiteral("bfloat16"));
    precision_->addItem(QStringLiteral("float16 (CUDA)"), QStringLiteral("float16"));
    precision_->setToolTip(tr("DINO precision. bfloat16 is about twice as fast on CPUs with "
                              "AVX512-BF16 but changes some picks; float16 needs CUDA"));
    inputSize_->setRange(16, 1024);
    inputSize_->setSingleStep(16);
    inputSize_->setSuffix(QStringLiteral(" px"));
    inputSize_->setToolTip(tr("Square network input; a multiple of the patch size"));

    preset_->setObjectName(QStringLiteral("taskPreset"));
    preset_->addItem(tr("Custom"));
    preset_->addItem(tr("Detection (tau 0.5, K 5, 224)"));
    preset_->addItem(tr("Segmentation (K 10, 448)"));
    preset_->addItem(tr("Classification (K 1)"));
    tau_->setObjectName(QStringLiteral("tau"));
    tau_->setRange(5, 100);
    tau_->setToolTip(tr("Share of the [CLS] attention whose patches are kept (0.05 .. 1)"));
    clusters_->setObjectName(QStringLiteral("K"));
    clusters_->setRange(1, 64);
    clusters_->setToolTip(tr("K: semantic patterns per image (spectral clusters)"));
    eps_->setObjectName(QStringLiteral("eps"));
    eps_->setRange(1, 3);
    eps_->setToolTip(tr("eps: neighbourhood (Chebyshev, in patches) of the patch affinity"));
    budget_->setObjectName(QStringLiteral("budget"));
    budget_->setRange(0, 1e9);
    budget_->setDecimals(0);
    budgetUnit_->setObjectName(QStringLiteral("budgetUnit"));
    budgetUnit_->addItem(tr("images"));
    budgetUnit_->addItem(tr("% of pool"));
    strategy_->setObjectName(QStringLiteral("strategy"));
    strategy_->addItem(tr("FreeSel (D\u00b2 over patterns)"), QStringLiteral("freesel"));
    strategy_->addItem(tr("Farthest over patterns"), QStringLiteral("fds"));
    strategy_->addItem(tr("Random"), QStringLiteral("random"));
    strategy_->addItem(tr("k-center (Core-Set)"), QStringLiteral("kcenter"));
    strategy_->addItem(tr("k-means"), QStringLiteral("kmeans"));
    strategy_->addItem(tr("ELFS (pseudo-label training dynamics)"), QStringLiteral("elfs"));
    strategy_->addItem(tr("CLIP-powered (labels or class names)"), QStringLiteral("clip"));
    seed_->setObjectName(QStringLiteral("seed"));
    seed_->setRange(0, 2147483647);
    run_->setObjectName(QStringLiteral("runButton"));
    cancel_->setObjectName(QStringLiteral("cancelButton"));
    run_->setToolTip(tr("Run the stages the store lacks (Ctrl+R)"));
    cancel_->setToolTip(tr("Stop after the current batch (Esc)"));
    cancel_->setEnabled(false);

    auto* dataset = new QGroupBox(tr("Dataset"), this);
    auto* datasetLayout = new QVBoxLayout(dataset);
    datasetLayout->addWidget(source_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(folder);
    buttons->addWidget(list);
    buttons->addWidget(coco);
    datasetLayout->addLayout(buttons);
    datasetLayout->addWidget(recent_);

    auto* model = new QGroupBox(tr("Model"), this);
    auto* modelForm = new QFormLayout(model);
    modelForm->addRow(tr("Backend"), backend_);
    modelForm->addRow(tr("Model"), model_);
    weightsButton_ = new QPushButton(this);
    weightsButton_->setObjectName(QStringLiteral("weightsFile"));
    modelForm->addRow(tr("Weights"), weightsButton_);
    auto* clearWeights = new QAction(tr("Use the weight cache"), weightsButton_);
    weightsButton_->addAction(clearWeights);
    weightsButton_->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(clearWeights, &QAction::triggered, this, [this] { setWeightsFile(QString()); });
    connect(weightsButton_, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Local weights file"), QFileInfo(weights_).absolutePath(),
            tr("Checkpoints (*.pth *.pt *.safetensors *.bin *.ckpt);;All files (*)"));
        if (!path.isEmpty())
            setWeightsFile(path);
    });
    modelForm->addRow(tr("Device"), device_);
    deviceNote_ = new QLabel(tr("<span style='color:#c00'>CUDA is not available: %1. The run "
                                "would fail; choose auto or CPU.</span>")
                                 .arg(torchDescription().toHtmlEscaped()),
                             this);
    deviceNote_->setObjectName(QStringLiteral("deviceNote"));
    deviceNote_->setWordWrap(true);
    deviceNote_->hide();
    modelForm->addRow(deviceNote_);
    connect(device_, &QComboBox::currentIndexChanged, this, [this] {
        deviceNote_->setVisible(device_->currentData().toString() == QLatin1String("cuda") &&
                                !cudaAvailable());
    });
    modelForm->addRow(tr("Precision"), precision_);
    modelForm->addRow(tr("Input size"), inputSize_);

    auto* params = new QGroupBox(tr("Selection"), this);
    auto* form = new QFormLayout(params);
    form->addRow(tr("Task preset"), preset_);
    auto* tauRow = new QHBoxLayout;
    tauRow->addWidget(tau_, 1);
    tauRow->addWidget(tauLabel_);
    tauLabel_->setMinimumWidth(QFontMetrics(font()).horizontalAdvance(QStringLiteral("0.00 ")));
    form->addRow(tr("tau"), tauRow);
    form->addRow(tr("K"), clusters_);
    form->addRow(tr("eps"), eps_);
    auto* budgetRow = new QHBoxLayout;
    budgetRow->addWidget(budget_, 1);
    budgetRow->addWidget(budgetUnit_);
    form->addRow(tr("Budget"), budgetRow);
    form->addRow(tr("Strategy"), strategy_);
    form->addRow(tr("Seed"), seed_);

    auto* actions = new QHBoxLayout;
    actions->addWidget(run_, 1);
    actions->addWidget(cancel_);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(dataset);
    layout->addWidget(model);
    layout->addWidget(params);
    layout->addWidget(elfs_);
    layout->addWidget(clip_);
    layout->addLayout(actions);
    layout->addStretch(1);

    setParameters(RunParameters());

    connect(folder, &QPushButton::clicked, this, &ParametersPanel::browseFolder);
    connect(list, &QPushButton::clicked, this, &ParametersPanel::browseListFile);
    connect(coco, &QPushButton::clicked, this, &ParametersPanel::browseCocoJson);
    connect(recent_, &QComboBox::activated, this,
            [this](int index) { setSource(recent_->itemText(index)); });
    connect(source_, &QLineEdit::editingFinished, this, [this] {
        if (source_->isModified()) {
            source_->setModified(false);
            Q_EMIT sourceChanged(source_->text());
        }
    });
    connect(run_, &QPushButton::clicked, this, &ParametersPanel::runRequested);
    connect(cancel_, &QPushButton::clicked, this, &ParametersPanel::cancelRequested);
    connect(preset_, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            applyPreset(static_cast<TaskPreset>(index - 1));
    });
    auto changed = [this] {
        if (!loading_)
            Q_EMIT parametersChanged();
    };
    connect(tau_, &QSlider::valueChanged, this, [this, changed] {
        updateTauLabel();
        changed();
    });
    // Typed numbers count when the edit is finished (Enter, focus out) or by the arrows, not
    // per keystroke: typing "12" into K must not run K = 1 first.
    for (QSpinBox* box : {clusters_, eps_, inputSize_, seed_}) {
        box->setKeyboardTracking(false);
        connect(box, &QSpinBox::valueChanged, this, changed);
    }
    budget_->setKeyboardTracking(false);
    connect(budget_, &QDoubleSpinBox::valueChanged, this, changed);
    // Whole images for a count, tenths for a percentage: never "1000.0 images".
    connect(budgetUnit_, &QComboBox::currentIndexChanged, this,
            [this](int unit) { budget_->setDecimals(unit == 1 ? 1 : 0); });
    for (QComboBox* box : {budgetUnit_, strategy_, backend_, model_, device_, precision_})
        connect(box, &QComboBox::currentIndexChanged, this, changed);
    connect(elfs_, &ElfsParametersBox::changed, this, changed);
    connect(clip_, &ClipParametersBox::changed, this, changed);
    auto showElfs = [this] {
        elfs_->setVisible(strategy_->currentData().toString() == QLatin1String("elfs"));
        clip_->setVisible(strategy_->currentData().toString() == QLatin1String("clip"));
    };
    connect(strategy_, &QComboBox::currentIndexChanged, this, showElfs);
    showElfs();
}

void ParametersPanel::updateTauLabel() {
    tauLabel_->setText(QString::number(tau_->value() / 100.0, 'f', 2));
}

static void selectData(QComboBox* box, const QString& data) {
    const int index = box->findData(data);
    if (index >= 0)
        box->setCurrentIndex(index);
}

RunParameters ParametersPanel::parameters() const {
    RunParameters p;
    p.source = source_->text().trimmed();
    p.imageRoot = imageRoot_;
    p.backend = backend_->currentData().toString();
    p.model = model_->currentData().toString();
    p.weights = weights_;
    p.device = device_->currentData().toString();
    p.precision = precision_->currentData().toString();
    p.inputSize = inputSize_->value();
    p.tau = tau_->value() / 100.0;
    p.clusters = clusters_->value();
    p.eps = eps_->value();
    p.budget = budget_->value();
    p.budgetPercent = budgetUnit_->currentIndex() == 1;
    p.strategy = strategy_->currentData().toString();
    p.seed = static_cast<quint64>(seed_->value());
    p.storeDir = storeDir_;
    marks_.writeTo(p);
    elfs_->read(p);
    clip_->read(p);
    return p;
}

void ParametersPanel::setParameters(const RunParameters& p) {
    loading_ = true;
    source_->setText(p.source);
    imageRoot_ = p.imageRoot;
    weights_ = p.weights;
    updateWeightsButton();
    storeDir_ = p.storeDir;
    marks_ = ManualMarks::of(p);
    selectData(backend_, p.backend);
    selectData(model_, p.model);
    selectData(device_, p.device);
    selectData(precision_, p.precision);
    inputSize_->setValue(p.inputSize);
    tau_->setValue(static_cast<int>(std::lround(p.tau * 100)));
    clusters_->setValue(p.clusters);
    eps_->setValue(p.eps);
    budgetUnit_->setCurrentIndex(p.budgetPercent ? 1 : 0);
    budget_->setDecimals(p.budgetPercent ? 1 : 0);
    budget_->setValue(p.budget);
    selectData(strategy_, p.strategy);
    elfs_->write(p);
    clip_->write(p);
    seed_->setValue(static_cast<int>(std::min<quint64>(p.seed, 2147483647)));
    updateTauLabel();
    loading_ = false;
    Q_EMIT parametersChanged();
}

void ParametersPanel::setMarks(const ManualMarks& marks) {
    if (marks == marks_)
        return;
    marks_ = marks;
    Q_EMIT parametersChanged();
}

void ParametersPanel::setWeightsFile(const QString& path) {
    if (path == weights_)
        return;
    weights_ = path;
    updateWeightsButton();
    Q_EMIT parametersChanged();
}

void ParametersPanel::updateWeightsButton() {
    weightsButton_->setText(weights_.isEmpty() ? tr("From the cache (choose a file...)")
                                               : QFileInfo(weights_).fileName());
    weightsButton_->setToolTip(
        weights_.isEmpty()
            ? tr("The model's weights come from the cache (downloaded on first use). Click to "
                 "use a local checkpoint instead, as freesel --weights does.")
            : tr("%1\nRight-click: use the weight cache again").arg(weights_));
}

void ParametersPanel::setSource(const QString& source) {
    source_->setText(source);
    Q_EMIT sourceChanged(source);
}

void ParametersPanel::setRecentPools(const QStringList& pools) {
    recent_->clear();
    recent_->addItems(pools);
    recent_->setCurrentIndex(-1);
    // The placeholder is drawn greyed, so the box looked disabled even with pools in it: the
    // count says there is something to choose, and an empty list really is disabled.
    recent_->setPlaceholderText(pools.isEmpty()
                                    ? tr("No recent pools yet")
                                    : tr("Recent pools (%1): choose one").arg(pools.size()));
    recent_->setEnabled(!pools.isEmpty());
}

void ParametersPanel::applyPreset(TaskPreset preset) {
    RunParameters p = parameters();
    applyTaskPreset(p, preset);
    setParameters(p);
    preset_->setCurrentIndex(static_cast<int>(preset) + 1);
}

void ParametersPanel::resetToDefaults() {
    const RunParameters current = parameters();
    RunParameters p;
    p.source = current.source;
    p.imageRoot = current.imageRoot;
    ManualMarks::of(current).writeTo(p);
    setParameters(p);
    preset_->setCurrentIndex(0);
}

void ParametersPanel::setRunning(bool running) {
    run_->setEnabled(!running);
    cancel_->setEnabled(running);
}

void ParametersPanel::browseFolder() {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open image folder"));
    if (!folder.isEmpty())
        setSource(folder);
}

void ParametersPanel::browseListFile() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open image list"), {},
                                                      tr("Lists (*.txt *.lst);;All files (*)"));
    if (!file.isEmpty())
        setSource(file);
}

void ParametersPanel::browseCocoJson() {
    const QString file = QFileDialog::getOpenFileName(this, tr("Open COCO annotations"), {},
                                                      tr("COCO json (*.json)"));
    if (!file.isEmpty())
        setSource(file);
}

} // namespace freesel
