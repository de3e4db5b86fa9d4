// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/pipeline_options.h"

#include "cli/command.h"
#include "cli/interrupt.h"
#include "patterns/pattern_rows.h"

#include <QCommandLineParser>
#include <QFileInfo>

namespace freesel {

PipelineOptions::PipelineOptions(QCommandLineParser& parser, bool patternOptions)
    : parser_(parser), patternOptions_(patternOptions) {
    if (patternOptions) {
        addOption(parser, QStringLiteral("seed"), QStringLiteral("Makes the run reproducible."),
                  QStringLiteral("S"), QStringLiteral("0"));
        addOption(parser, QStringLiteral("tau"),
                  QStringLiteral("Share of the [CLS] attention kept, (0, 1]."), QStringLiteral("T"),
                  QStringLiteral("0.5"));
        addOption(parser, QStringLiteral("K"),
                  QStringLiteral("Semantic patterns per image, [1, 64]."), QStringLiteral("K"),
                  QStringLiteral("5"));
        addOption(parser, QStringLiteral("eps"),
                  QStringLiteral("Neighbourhood (Chebyshev) of the patch affinity, [1, 3]."),
                  QStringLiteral("E"), QStringLiteral("2"));
        addOption(parser, QStringLiteral("pattern-rows"),
                  QStringLiteral("Where the semantic patterns are kept: auto (a file beside the "
                                 "store when they would fill over a quarter of the memory), "
                                 "memory or file. The selection is the same."),
                  QStringLiteral("WHERE"), QStringLiteral("auto"));
    }
    addOption(parser, QStringLiteral("backend"),
              QStringLiteral("auto (DINO when its weights are present), dino or offline; or clip "
                             "(also chosen when --model or --weights is CLIP)."),
              QStringLiteral("NAME"), QStringLiteral("auto"));
    addOption(parser, QStringLiteral("model"),
              QStringLiteral("DINO model name (see freesel models list), or a CLIP model: "
                             "clip-vit-b32, clip-vit-b16 or clip-vit-l14."),
              QStringLiteral("NAME"), QStringLiteral("dino_vits16"));
    addOption(parser, QStringLiteral("weights"),
              QStringLiteral("A local checkpoint file instead of the cache; its architecture is "
                             "read from it (checked against --model when that is given)."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("device"), QStringLiteral("auto, cpu, cuda or cuda:N."),
              QStringLiteral("DEVICE"), QStringLiteral("auto"));
    addOption(parser, QStringLiteral("precision"),
              QStringLiteral("DINO precision: auto (bfloat16 on CPUs with AVX512-BF16 or AMX, "
                             "float32 on other CPUs and on CUDA), float32, bfloat16 (CPU or "
                             "CUDA) or float16 (CUDA)."),
              QStringLiteral("P"), QStringLiteral("auto"));
    addOption(parser, QStringLiteral("store"),
              QStringLiteral("Feature store folder (default: in the user cache)."),
              QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("input-size"),
              QStringLiteral("Square network input side, a multiple of the patch size."),
              QStringLiteral("PX"), QStringLiteral("224"));
    addOption(parser, QStringLiteral("batch-size"), QStringLiteral("Images per forward pass."),
              QStringLiteral("N"), QStringLiteral("8"));
    addOption(parser, QStringLiteral("threads"), QStringLiteral("CPU threads (0: all cores)."),
              QStringLiteral("N"), QStringLiteral("0"));
    addOption(parser, QStringLiteral("image-root"),
              QStringLiteral("Folder of a COCO json's images."), QStringLiteral("DIR"));
    addOption(parser, QStringLiteral("json"),
              QStringLiteral("Print a machine-readable summary on stdout."));
    parser.addPositionalArgument(QStringLiteral("POOL"),
                                 QStringLiteral("Folder, list file or COCO json."));
}

double numberOption(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const double value = parser.value(name).toDouble(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a number, got '%2'").arg(name, parser.value(name)));
    return value;
}

int integerOption(const QCommandLineParser& parser, const QString& name) {
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (!ok)
        throw UsageError(
            QStringLiteral("--%1 needs a whole number, got '%2'").arg(name, parser.value(name)));
    return value;
}

void PipelineOptions::read(const QString& command, int extraArguments) {
    if (parser_.positionalArguments().size() != 1 + extraArguments)
        throw UsageError(
            extraArguments == 0
                ? QStringLiteral("%1 needs exactly one POOL (a folder, list file or COCO json)")
                      .arg(command)
                : QStringLiteral("%1 needs a POOL (a folder, list file or COCO json) and %2 "
                                 "more argument(s); see freesel %1 --help")
                      .arg(command)
                      .arg(extraArguments));
    run.source = parser_.positionalArguments().first();
    if (patternOptions_) {
        bool seedOk = false;
        run.seed = parser_.value(QStringLiteral("seed")).toULongLong(&seedOk);
        if (!seedOk)
            throw UsageError(QStringLiteral("--seed must be a whole number >= 0, got '%1'")
                                 .arg(parser_.value(QStringLiteral("seed"))));
        run.tau = numberOption(parser_, QStringLiteral("tau"));
        run.clusters = integerOption(parser_, QStringLiteral("K"));
        run.eps = integerOption(parser_, QStringLiteral("eps"));
        validatePatternParameters(run.patternParameters(), 3);
        run.patternRows = parser_.value(QStringLiteral("pattern-rows"));
        parsePatternRowsPlace(run.patternRows); // refuses anything else, naming the option
    }
    run.backend = parser_.value(QStringLiteral("backend"));
    run.model = parser_.value(QStringLiteral("model"));
    run.weights = parser_.value(QStringLiteral("weights"));
    run.checkModel = parser_.isSet(QStringLiteral("model"));
    run.device = parser_.value(QStringLiteral("device"));
    run.precision = parser_.value(QStringLiteral("precision"));
    run.threads = integerOption(parser_, QStringLiteral("threads"));
    run.batchSize = integerOption(parser_, QStringLiteral("batch-size"));
    if (run.batchSize < 1 || run.threads < 0)
        throw UsageError(QStringLiteral("--batch-size must be >= 1 and --threads >= 0"));
    run.inputSize = integerOption(parser_, QStringLiteral("input-size"));
    run.storeDir = parser_.value(QStringLiteral("store"));
    run.imageRoot = parser_.value(QStringLiteral("image-root"));
    json = parser_.isSet(QStringLiteral("json"));
}

void openStoreForReading(FeatureStore& store, const QString& folder) {
    if (!QFileInfo(folder).isDir())
        throw UsageError(QStringLiteral("no feature store at %1").arg(folder));
    store.openForReading(folder).throwIfFailed();
}

int reportInterrupted(const PipelineSession& session, const StageCancelled& stop,
                      const QString& storeDir) {
    const ExtractionReport& report = session.extraction();
    const int stored = report.reused + report.extracted + report.failed;
    printError(QStringLiteral("interrupted during %1: %2 of %3 images are in the store %4; run "
                              "the same command again to resume")
                   .arg(stop.stage())
                   .arg(stop.stage() == QLatin1String("extract") ? stored : report.total)
                   .arg(report.total)
                   .arg(storeDir));
    return kExitInterrupted;
}

void CliSessionOutput::stageStarted(const QString& stage) {
    detail_.clear();
    if (stage == QLatin1String("extract") || stage == QLatin1String("patterns") ||
        stage.startsWith(QLatin1String("elfs-")))
        bar_ = std::make_unique<ProgressBar>(stage, stage == QLatin1String("extract"));
}

void CliSessionOutput::stageDetail(const QString& /*stage*/, const QString& detail) {
    detail_ = detail;
}

bool CliSessionOutput::stageProgress(const QString& /*stage*/, int64_t done, int64_t total) {
    if (bar_)
        bar_->update(done, total, detail_);
    return true;
}

void CliSessionOutput::stageFinished(const QString& /*stage*/) {
    if (bar_)
        bar_->finish();
    bar_.reset();
}

void CliSessionOutput::notice(const QString& line) {
    printError(QStringLiteral("note: ") + line);
}

void CliSessionOutput::poolScanned(const PipelineSession& session) {
    for (const QString& warning : session.poolWarnings())
        printError(QStringLiteral("warning: ") + warning);
}

void CliSessionOutput::backendReady(const PipelineSession& session) {
    const BackendSelection& backend = session.backend();
    if (!backend.note.isEmpty())
        printError(QStringLiteral("note: ") + backend.note);
    if (backendLine_)
        printError(QStringLiteral("backend: %1 on %2")
                       .arg(backend.modelName, backend.backend->deviceDescription()));
}

void addElfsOptions(QCommandLineParser& parser) {
    addOption(parser, QStringLiteral("elfs-clusters"),
              QStringLiteral("elfs: pseudo-label clusters K."), QStringLiteral("K"),
              QStringLiteral("10"));
    addOption(parser, QStringLiteral("elfs-beta"),
              QStringLiteral("elfs: fraction of hardest images skipped, in [0, 1) (default: by "
                             "keep ratio, clamped to 1 - r)."),
              QStringLiteral("BETA"));
    addOption(parser, QStringLiteral("elfs-mode"),
              QStringLiteral("elfs: window (double-end) or ccs (50 strata)."),
              QStringLiteral("MODE"), QStringLiteral("window"));
    addOption(parser, QStringLiteral("elfs-score"),
              QStringLiteral("elfs: aum, forgetting or el2n."), QStringLiteral("SCORE"),
              QStringLiteral("aum"));
    addOption(parser, QStringLiteral("elfs-epochs"), QStringLiteral("elfs: proxy training epochs."),
              QStringLiteral("N"), QStringLiteral("50"));
    addOption(parser, QStringLiteral("elfs-proxy"),
              QStringLiteral("elfs: tokens (a small network on patch-token views, fast) or "
                             "resnet18 (the paper's CIFAR ResNet-18 on the pixels; slow on a CPU, "
                             "the estimate is printed first)."),
              QStringLiteral("NAME"), QStringLiteral("tokens"));
    addOption(parser, QStringLiteral("elfs-image-size"),
              QStringLiteral("elfs: with --elfs-proxy resnet18, the side images are decoded at, "
                             "8 to 256."),
              QStringLiteral("PX"), QStringLiteral("32"));
    addOption(parser, QStringLiteral("elfs-clusterer"),
              QStringLiteral("elfs: pseudo-labels by kmeans (spherical k-means, fast) or temi "
                             "(TEMI heads, 16 heads x 100 epochs: slow on a CPU)."),
              QStringLiteral("NAME"), QStringLiteral("kmeans"));
    addOption(parser, QStringLiteral("elfs-temi-epochs"),
              QStringLiteral("elfs: with --elfs-clusterer temi, training epochs of the heads (the "
                             "warm-up is the first fifth, at most 20)."),
              QStringLiteral("N"), QStringLiteral("100"));
}

/// The --elfs-* options, checked before any work (ranges by RunParameters::elfsParameters).
void readElfsOptions(const QCommandLineParser& parser, RunParameters& run) {
    run.elfsClusters = integerOption(parser, QStringLiteral("elfs-clusters"));
    run.elfsEpochs = integerOption(parser, QStringLiteral("elfs-epochs"));
    if (parser.isSet(QStringLiteral("elfs-beta"))) {
        bool ok = false;
        run.elfsBeta = parser.value(QStringLiteral("elfs-beta")).toDouble(&ok);
        if (!ok || run.elfsBeta < 0.0)
            throw UsageError(QStringLiteral("--elfs-beta must be a number in [0, 1), got '%1'")
                                 .arg(parser.value(QStringLiteral("elfs-beta"))));
    }
    run.elfsMode = parser.value(QStringLiteral("elfs-mode"));
    run.elfsScore = parser.value(QStringLiteral("elfs-score"));
    run.elfsClusterer = parser.value(QStringLiteral("elfs-clusterer"));
    run.elfsProxy = parser.value(QStringLiteral("elfs-proxy"));
    run.elfsImageSize = integerOption(parser, QStringLiteral("elfs-image-size"));
    run.elfsTemiEpochs = integerOption(parser, QStringLiteral("elfs-temi-epochs"));
    run.elfsParameters();
}

void addClipOptions(QCommandLineParser& parser) {
    addOption(parser, QStringLiteral("classes"),
              QStringLiteral("clip: class names, one per line; without --labels each image gets "
                             "CLIP's zero-shot label (label-noise detection is then off)."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("prompt-template"),
              QStringLiteral("clip: the text of a class, {} being its name, or ensemble (the 80 "
                             "ImageNet templates of openai/CLIP, averaged)."),
              QStringLiteral("TEXT"), QStringLiteral("A photo of a {}"));
    addOption(parser, QStringLiteral("clip-mode"),
              QStringLiteral("clip: topk (the exact top-k by a_i) or optimiser (replays the "
                             "official optimisation loop)."),
              QStringLiteral("MODE"), QStringLiteral("topk"));
    addOption(parser, QStringLiteral("train-adapters"),
              QStringLiteral("clip with --labels: train the image and text adapters (linear, "
                             "identity at start) with symmetric InfoNCE on the labels: AdamW lr "
                             "1e-3, no weight decay, 10 epochs, batch 256, temperature 1 / "
                             "CLIP's logit scale, batch order from --seed. The paper publishes "
                             "none of these. Default: identity adapters (zero-shot CLIP)."));
}

void readClipOptions(const QCommandLineParser& parser, RunParameters& run) {
    run.clipLabels = parser.value(QStringLiteral("labels"));
    run.clipClasses = parser.value(QStringLiteral("classes"));
    run.clipPromptTemplate = parser.value(QStringLiteral("prompt-template"));
    run.clipMode = parser.value(QStringLiteral("clip-mode"));
    run.clipTrainAdapters = parser.isSet(QStringLiteral("train-adapters"));
}

} // namespace freesel
