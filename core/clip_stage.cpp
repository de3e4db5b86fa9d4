// SPDX-License-Identifier: GPL-3.0-or-later
#include "clip_stage.h"

#include "backbone/clip_backend.h"
#include "selection/clip_labels.h"
#include "text/clip_prompts.h"

#include <QFileInfo>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace freesel {

const ClipBackend& requireClipBackend(const FeatureBackend& backend, const char* what) {
    const auto* clip = dynamic_cast<const ClipBackend*>(&backend);
    if (!clip)
        throw std::invalid_argument(
            QStringLiteral("%1 needs the CLIP backend (--backend clip, a CLIP --model such as "
                           "clip-vit-b32, or CLIP --weights), not '%2'")
                .arg(QString::fromUtf8(what), backend.name())
                .toStdString());
    return *clip;
}

PoolClipEmbeddings poolClipEmbeddings(const FeatureStore& store, const std::vector<int>& records) {
    PoolClipEmbeddings out;
    std::vector<std::vector<float>> rows;
    for (size_t i = 0; i < records.size(); ++i) {
        if (records[i] < 0 || !store.entry(records[i]).ok ||
            store.entry(records[i]).embeddingDims == 0)
            continue;
        rows.push_back(store.loadClipEmbedding(records[i]));
        out.poolIndex.push_back(int(i));
        if (rows.back().size() != rows.front().size())
            throw std::invalid_argument(
                QStringLiteral("%1: CLIP embeddings of different widths in one store")
                    .arg(store.folder())
                    .toStdString());
    }
    if (rows.empty())
        throw std::invalid_argument(
            QStringLiteral("the store %1 holds no CLIP embeddings (it was made by '%2')")
                .arg(store.folder(), store.header().fingerprint.backend)
                .toStdString());
    out.embeddings.resize(Eigen::Index(rows.size()), Eigen::Index(rows.front().size()));
    for (size_t r = 0; r < rows.size(); ++r)
        out.embeddings.row(Eigen::Index(r)) =
            Eigen::Map<const Eigen::RowVectorXf>(rows[r].data(), Eigen::Index(rows[r].size()));
    return out;
}

std::vector<SearchHit> searchPool(const ClipBackend& clip, const PoolClipEmbeddings& pool,
                                  const QString& text, int64_t top) {
    if (text.trimmed().isEmpty())
        throw std::invalid_argument("search: the query text is empty");
    const std::vector<float> query = clip.encodeTexts({text}).front();
    std::vector<SearchHit> hits = searchByEmbedding(
        pool.embeddings,
        Eigen::Map<const Eigen::VectorXf>(query.data(), Eigen::Index(query.size())), top);
    for (SearchHit& hit : hits) // row -> pool index (rows are in pool order: ties stay earlier)
        hit.image = pool.poolIndex[size_t(hit.image)];
    return hits;
}

void ClipSelectionOptions::validate() const {
    if (mode != QLatin1String("topk") && mode != QLatin1String("optimiser"))
        throw std::invalid_argument(
            QStringLiteral("--clip-mode must be topk or optimiser, got '%1'")
                .arg(mode)
                .toStdString());
    if (promptTemplate != QLatin1String("ensemble") &&
        !promptTemplate.contains(QStringLiteral("{}")))
        throw std::invalid_argument(
            QStringLiteral("--prompt-template must contain {} (where the class name goes) or be "
                           "'ensemble', got '%1'")
                .arg(promptTemplate)
                .toStdString());
    if (neighbours < 1)
        throw std::invalid_argument("--clip-neighbours must be >= 1, got " +
                                    std::to_string(neighbours));
    if (!(diversityWeight >= 0.0))
        throw std::invalid_argument("the diversity weight must be >= 0");
    if (trainAdapters && labels.isEmpty())
        throw std::invalid_argument(
            "--train-adapters trains on the pool's labels: give --labels (with only --classes "
            "every label would be CLIP's own zero-shot guess)");
    training.validate();
    if (labels.isEmpty() && classes.isEmpty())
        throw std::invalid_argument(
            "--strategy clip needs --labels (an ImageFolder folder, a COCO .json or a .csv "
            "path,label) or --classes FILE (class names, one per line, for zero-shot "
            "pseudo-labels)");
}

namespace {

/// One text embedding per class: the template filled in, or the ensemble's mean of
/// L2-normalised prompt embeddings (openai/CLIP's zero-shot notebook).
Eigen::MatrixXf classEmbeddings(const ClipBackend& clip, const QStringList& classes,
                                const QString& promptTemplate) {
    const bool ensemble = promptTemplate == QLatin1String("ensemble");
    const QStringList templates = ensemble ? clipEnsembleTemplates() : QStringList{promptTemplate};
    Eigen::MatrixXf texts = Eigen::MatrixXf::Zero(classes.size(), clip.embeddingDims());
    for (qsizetype c = 0; c < classes.size(); ++c) {
        QStringList prompts;
        for (const QString& templ : templates)
            prompts << fillClipTemplate(templ, classes[c]);
        for (const std::vector<float>& row : clip.encodeTexts(prompts)) {
            Eigen::RowVectorXf v =
                Eigen::Map<const Eigen::RowVectorXf>(row.data(), Eigen::Index(row.size()));
            if (ensemble && v.norm() > 0)
                v /= v.norm();
            texts.row(c) += v / float(templates.size());
        }
    }
    return texts;
}

/// Labels of the pool from --labels (ImageFolder, COCO or CSV by what the path is).
PoolLabels readPoolLabels(const ClipSelectionOptions& options, const QString& poolRoot,
                          const QStringList& paths, const QStringList& classes) {
    const QFileInfo source(options.labels);
    if (source.isDir())
        return labelsFromFolders(options.labels, paths, classes);
    if (!source.isFile())
        throw std::invalid_argument(QStringLiteral("--labels %1: no such file or folder")
                                        .arg(options.labels)
                                        .toStdString());
    if (source.suffix().compare(QLatin1String("json"), Qt::CaseInsensitive) == 0)
        return labelsFromCoco(options.labels, poolRoot, paths, classes);
    if (source.suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0)
        return labelsFromCsv(options.labels, poolRoot, paths, classes);
    throw std::invalid_argument(QStringLiteral("--labels %1: give a folder (one subfolder per "
                                               "class), a COCO .json or a .csv")
                                    .arg(options.labels)
                                    .toStdString());
}

/// --train-adapters: A_I and A_T trained on the given labels only (never on CLIP's own
/// guesses), into `params`; the loss of the first and last epoch goes into the notes.
void trainAdapters(const ClipBackend& clip, const Eigen::MatrixXf& images,
                   const Eigen::MatrixXf& texts, const std::vector<int>& labels,
                   const std::vector<char>& given, const ClipSelectionOptions& options,
                   ClipScoreParams& params, ClipSelectionScores& scores) {
    std::vector<int> trainLabels = labels;
    for (size_t i = 0; i < trainLabels.size(); ++i)
        if (!given[i])
            trainLabels[i] = -1;
    AdapterTrainingOptions training = options.training;
    training.logitScale = clip.logitScale();
    const AdapterTrainingResult trained = trainClipAdapters(images, texts, trainLabels, training);
    params.imageAdapter = trained.image;
    params.textAdapter = trained.text;
    scores.notes.push_back(QStringLiteral("strategy clip: adapters trained for %1 epochs (InfoNCE "
                                          "loss %2 -> %3)")
                               .arg(training.epochs)
                               .arg(trained.epochLoss.front(), 0, 'f', 4)
                               .arg(trained.epochLoss.back(), 0, 'f', 4)
                               .toStdString());
}

} // namespace

SelectionResult selectClip(const ClipBackend& clip, const FeatureStore& store,
                           const std::vector<PoolEntry>& pool, const QString& poolRoot,
                           const std::vector<int>& records, int64_t budget,
                           const ClipSelectionOptions& options, ClipSelectionScores& scores) {
    options.validate();
    const PoolClipEmbeddings embedded = poolClipEmbeddings(store, records);
    const QStringList given =
        options.classes.isEmpty() ? QStringList() : readClassNames(options.classes);
    QStringList paths;
    for (int index : embedded.poolIndex)
        paths << pool[size_t(index)].path;
    std::vector<int> labels(embedded.poolIndex.size(), -1);
    scores = ClipSelectionScores();
    if (!options.labels.isEmpty()) {
        const PoolLabels read = readPoolLabels(options, poolRoot, paths, given);
        labels = read.labels;
        scores.classNames = read.classNames;
    } else {
        scores.classNames = given;
        scores.zeroShot = true;
        scores.notes.push_back(
            "strategy clip: no labels given, so each image's label is CLIP's zero-shot guess "
            "among the --classes; label-noise detection is off (SAS then measures how typical "
            "an image is of its class, not whether its label is wrong)");
    }
    if (scores.classNames.isEmpty())
        throw std::invalid_argument("--strategy clip: the labels name no class");
    const Eigen::MatrixXf texts = classEmbeddings(clip, scores.classNames, options.promptTemplate);
    const std::vector<int> guesses = zeroShotLabels(embedded.embeddings, texts);
    std::vector<char> labelled(labels.size()); // from --labels, not guessed
    int guessed = 0;
    for (size_t i = 0; i < labels.size(); ++i)
        if (labels[i] >= 0) {
            labelled[i] = 1;
        } else {
            labels[i] = guesses[i];
            ++guessed;
        }
    if (!scores.zeroShot && guessed > 0)
        scores.notes.push_back("strategy clip: " + std::to_string(guessed) +
                               " images without a label in " + options.labels.toStdString() +
                               " got CLIP's zero-shot label");
    ClipScoreParams params;
    params.neighbours = options.neighbours;
    params.diversityWeight = options.diversityWeight;
    if (options.trainAdapters)
        trainAdapters(clip, embedded.embeddings, texts, labels, labelled, options, params, scores);
    const ClipScores computed = clipScores(embedded.embeddings, texts, labels, params);
    // The ranking behind the suspects export compares what SAS compares (adapted features).
    const ClassRanking ranking =
        rankClasses(params.imageAdapter.apply(embedded.embeddings), params.textAdapter.apply(texts),
                    labels, ClipSelectionScores::kRankedClasses);

    std::vector<int> chosen; // rows, best first
    if (options.mode == QLatin1String("optimiser")) {
        const OptimiserReplay replay = replayOfficialOptimiser(
            computed.alignment, computed.diversity, budget, options.diversityWeight);
        chosen = replay.kept;
        std::stable_sort(chosen.begin(), chosen.end(), [&](int a, int b) {
            return computed.combined[size_t(a)] > computed.combined[size_t(b)];
        });
        if (int64_t(chosen.size()) != budget || !replay.converged)
            scores.notes.push_back("strategy clip, optimiser: kept " +
                                   std::to_string(chosen.size()) + " of the budget " +
                                   std::to_string(budget) + " after " +
                                   std::to_string(replay.steps) + " steps" +
                                   (replay.converged ? "" : " (not converged)"));
    } else {
        chosen = topKByScore(computed.combined, budget);
    }

    const double nan = std::numeric_limits<double>::quiet_NaN();
    scores.label.assign(pool.size(), -1);
    scores.sas.assign(pool.size(), nan);
    scores.sds.assign(pool.size(), nan);
    scores.combined.assign(pool.size(), nan);
    scores.labelGiven.assign(pool.size(), 0);
    scores.labelRank.assign(pool.size(), -1);
    scores.topClasses.assign(pool.size(), {});
    for (size_t row = 0; row < embedded.poolIndex.size(); ++row) {
        const size_t image = size_t(embedded.poolIndex[row]);
        scores.labelGiven[image] = labelled[row];
        scores.labelRank[image] = ranking.labelRank[row];
        scores.topClasses[image] = ranking.top[row];
        scores.label[image] = labels[row];
        scores.sas[image] = computed.sas[row];
        scores.sds[image] = computed.sds[row];
        scores.combined[image] = computed.combined[row];
    }
    SelectionResult result;
    for (int row : chosen)
        result.picks.push_back({embedded.poolIndex[size_t(row)], computed.combined[size_t(row)]});
    return result;
}

} // namespace freesel
