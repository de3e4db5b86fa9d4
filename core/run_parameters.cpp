// SPDX-License-Identifier: GPL-3.0-or-later
#include "run_parameters.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include <QCryptographicHash>
#include <QJsonArray>
#include <QStringList>

namespace freesel {

namespace {

// The key holds a digest, not the lists: a continued round may name 100,000 labelled images.
QString pathListDigest(const QStringList& paths) {
    QCryptographicHash hash(QCryptographicHash::Sha1);
    for (const QString& path : paths) {
        hash.addData(path.toUtf8());
        hash.addData(QByteArrayView("\n"));
    }
    return QString::number(paths.size()) + QLatin1Char(':') +
           QString::fromLatin1(hash.result().toHex().left(16));
}

QStringList stringList(const QJsonValue& value) {
    QStringList list;
    const QJsonArray array = value.toArray();
    for (const QJsonValue& item : array)
        list << item.toString();
    return list;
}

} // namespace

QString RunParameters::scanKey() const {
    return source + QLatin1Char('|') + imageRoot;
}

QString RunParameters::effectiveBackend() const {
    // The CLIP-powered selection needs CLIP embeddings: auto means the CLIP backend then.
    if ((strategy == QLatin1String("clip") || !withinQuery.isEmpty()) &&
        backend == QLatin1String("auto"))
        return QStringLiteral("clip");
    return backend;
}

BackendChoice RunParameters::backendChoice() const {
    BackendChoice choice;
    choice.backend = effectiveBackend();
    choice.model = model;
    choice.weights = weights;
    choice.checkModel = checkModel;
    choice.device = device;
    choice.precision = precision;
    choice.threads = threads;
    choice.batchSize = batchSize;
    return choice;
}

PatternParameters RunParameters::patternParameters() const {
    PatternParameters params;
    params.tau = tau;
    params.clusters = clusters;
    params.eps = eps;
    return params;
}

QString RunParameters::backendKey() const {
    return QStringList{effectiveBackend(), model, weights, device, precision}.join(
        QLatin1Char('|'));
}

QString RunParameters::extractionKey() const {
    return scanKey() + QStringLiteral("|%1|%2|%3|%4|%5|%6|%7")
                           .arg(effectiveBackend(), model, weights, device, precision)
                           .arg(inputSize)
                           .arg(storeDir);
}

QString RunParameters::patternKey() const {
    return extractionKey() +
           QStringLiteral("|%1|%2|%3|%4").arg(tau, 0, 'g', 17).arg(clusters).arg(eps).arg(seed);
}

QString RunParameters::selectionKey() const {
    QString key =
        patternKey() +
        QStringLiteral("|%1|%2|%3").arg(budget, 0, 'g', 17).arg(budgetPercent).arg(strategy);
    if (strategy == QLatin1String("elfs"))
        key += QStringLiteral("|%1|%2|%3|%4|%5")
                   .arg(elfsClusters)
                   .arg(elfsBeta, 0, 'g', 17)
                   .arg(elfsMode, elfsScore)
                   .arg(elfsEpochs) +
               QStringLiteral("|%1|%2|%3|%4")
                   .arg(elfsClusterer, elfsProxy)
                   .arg(elfsImageSize)
                   .arg(elfsTemiEpochs);
    if (strategy == QLatin1String("clip"))
        key += QStringLiteral("|%1|%2|%3|%4")
                   .arg(clipLabels, clipClasses, clipPromptTemplate, clipMode) +
               (clipTrainAdapters ? QStringLiteral("|adapters") : QString());
    if (!withinQuery.isEmpty())
        key += QStringLiteral("|within:%1|%2|%3")
                   .arg(withinTop, 0, 'g', 17)
                   .arg(withinPercent)
                   .arg(withinQuery);
    if (!labeledImages.isEmpty() || !excludedImages.isEmpty())
        key += QStringLiteral("|labeled:%1|excluded:%2")
                   .arg(pathListDigest(labeledImages), pathListDigest(excludedImages));
    if (!includedImages.isEmpty())
        key += QStringLiteral("|included:%1").arg(pathListDigest(includedImages));
    return key;
}

ClipSelectionOptions RunParameters::clipOptions() const {
    ClipSelectionOptions options;
    options.labels = clipLabels;
    options.classes = clipClasses;
    options.promptTemplate = clipPromptTemplate;
    options.mode = clipMode;
    options.trainAdapters = clipTrainAdapters;
    options.training.seed = seed;
    options.validate();
    return options;
}

ElfsParameters RunParameters::elfsParameters() const {
    ElfsParameters params;
    if (elfsClusters < 1)
        throw std::invalid_argument("--elfs-clusters must be >= 1, got " +
                                    std::to_string(elfsClusters));
    if (elfsEpochs < 1 || elfsEpochs > 10000)
        throw std::invalid_argument("--elfs-epochs must be in [1, 10000], got " +
                                    std::to_string(elfsEpochs));
    if (elfsBeta >= 1.0)
        throw std::invalid_argument("--elfs-beta must be in [0, 1), got " +
                                    std::to_string(elfsBeta));
    params.clusters = elfsClusters;
    params.epochs = elfsEpochs;
    params.beta = elfsBeta;
    params.mode = parseElfsMode(elfsMode.toStdString());
    params.score = parseElfsScore(elfsScore.toStdString());
    params.clusterer = parseElfsClusterer(elfsClusterer.toStdString());
    params.proxy = parseElfsProxy(elfsProxy.toStdString());
    if (elfsImageSize < kMinPixelSide || elfsImageSize > kMaxPixelSide)
        throw std::invalid_argument(
            "--elfs-image-size must be in [" + std::to_string(kMinPixelSide) + ", " +
            std::to_string(kMaxPixelSide) + "], got " + std::to_string(elfsImageSize));
    params.imageSize = elfsImageSize;
    if (elfsTemiEpochs < 1 || elfsTemiEpochs > 10000)
        throw std::invalid_argument("--elfs-temi-epochs must be in [1, 10000], got " +
                                    std::to_string(elfsTemiEpochs));
    params.temi.epochs = elfsTemiEpochs;
    params.temi.warmupEpochs = std::min(params.temi.warmupEpochs, elfsTemiEpochs / 5);
    params.device = device.toStdString();
    return params;
}

QJsonObject RunParameters::toJson() const {
    return {{QStringLiteral("source"), source},
            {QStringLiteral("imageRoot"), imageRoot},
            {QStringLiteral("backend"), backend},
            {QStringLiteral("model"), model},
            {QStringLiteral("weights"), weights},
            {QStringLiteral("device"), device},
            {QStringLiteral("precision"), precision},
            {QStringLiteral("inputSize"), inputSize},
            {QStringLiteral("tau"), tau},
            {QStringLiteral("K"), clusters},
            {QStringLiteral("eps"), eps},
            {QStringLiteral("budget"), budget},
            {QStringLiteral("budgetPercent"), budgetPercent},
            {QStringLiteral("strategy"), strategy},
            {QStringLiteral("seed"), QString::number(seed)},
            {QStringLiteral("store"), storeDir},
            {QStringLiteral("elfsClusters"), elfsClusters},
            {QStringLiteral("elfsBeta"), elfsBeta},
            {QStringLiteral("elfsMode"), elfsMode},
            {QStringLiteral("elfsScore"), elfsScore},
            {QStringLiteral("elfsEpochs"), elfsEpochs},
            {QStringLiteral("elfsClusterer"), elfsClusterer},
            {QStringLiteral("elfsProxy"), elfsProxy},
            {QStringLiteral("elfsImageSize"), elfsImageSize},
            {QStringLiteral("elfsTemiEpochs"), elfsTemiEpochs},
            {QStringLiteral("clipLabels"), clipLabels},
            {QStringLiteral("clipClasses"), clipClasses},
            {QStringLiteral("clipPromptTemplate"), clipPromptTemplate},
            {QStringLiteral("clipMode"), clipMode},
            {QStringLiteral("clipTrainAdapters"), clipTrainAdapters},
            {QStringLiteral("withinQuery"), withinQuery},
            {QStringLiteral("withinTop"), withinTop},
            {QStringLiteral("withinPercent"), withinPercent},
            {QStringLiteral("labeledImages"), QJsonArray::fromStringList(labeledImages)},
            {QStringLiteral("excludedImages"), QJsonArray::fromStringList(excludedImages)},
            {QStringLiteral("includedImages"), QJsonArray::fromStringList(includedImages)}};
}

RunParameters RunParameters::fromJson(const QJsonObject& o) {
    RunParameters p;
    p.source = o.value(QStringLiteral("source")).toString(p.source);
    p.imageRoot = o.value(QStringLiteral("imageRoot")).toString(p.imageRoot);
    p.backend = o.value(QStringLiteral("backend")).toString(p.backend);
    p.model = o.value(QStringLiteral("model")).toString(p.model);
    p.weights = o.value(QStringLiteral("weights")).toString(p.weights);
    p.device = o.value(QStringLiteral("device")).toString(p.device);
    p.precision = o.value(QStringLiteral("precision")).toString(p.precision);
    p.inputSize = o.value(QStringLiteral("inputSize")).toInt(p.inputSize);
    p.tau = o.value(QStringLiteral("tau")).toDouble(p.tau);
    p.clusters = o.value(QStringLiteral("K")).toInt(p.clusters);
    p.eps = o.value(QStringLiteral("eps")).toInt(p.eps);
    p.budget = o.value(QStringLiteral("budget")).toDouble(p.budget);
    p.budgetPercent = o.value(QStringLiteral("budgetPercent")).toBool(p.budgetPercent);
    p.strategy = o.value(QStringLiteral("strategy")).toString(p.strategy);
    p.seed = o.value(QStringLiteral("seed")).toString(QStringLiteral("0")).toULongLong();
    p.storeDir = o.value(QStringLiteral("store")).toString(p.storeDir);
    p.elfsClusters = o.value(QStringLiteral("elfsClusters")).toInt(p.elfsClusters);
    p.elfsBeta = o.value(QStringLiteral("elfsBeta")).toDouble(p.elfsBeta);
    p.elfsMode = o.value(QStringLiteral("elfsMode")).toString(p.elfsMode);
    p.elfsScore = o.value(QStringLiteral("elfsScore")).toString(p.elfsScore);
    p.elfsEpochs = o.value(QStringLiteral("elfsEpochs")).toInt(p.elfsEpochs);
    p.elfsClusterer = o.value(QStringLiteral("elfsClusterer")).toString(p.elfsClusterer);
    p.elfsProxy = o.value(QStringLiteral("elfsProxy")).toString(p.elfsProxy);
    p.elfsImageSize = o.value(QStringLiteral("elfsImageSize")).toInt(p.elfsImageSize);
    p.elfsTemiEpochs = o.value(QStringLiteral("elfsTemiEpochs")).toInt(p.elfsTemiEpochs);
    p.clipLabels = o.value(QStringLiteral("clipLabels")).toString(p.clipLabels);
    p.clipClasses = o.value(QStringLiteral("clipClasses")).toString(p.clipClasses);
    p.clipPromptTemplate =
        o.value(QStringLiteral("clipPromptTemplate")).toString(p.clipPromptTemplate);
    p.clipMode = o.value(QStringLiteral("clipMode")).toString(p.clipMode);
    p.clipTrainAdapters = o.value(QStringLiteral("clipTrainAdapters")).toBool(p.clipTrainAdapters);
    p.withinQuery = o.value(QStringLiteral("withinQuery")).toString(p.withinQuery);
    p.withinTop = o.value(QStringLiteral("withinTop")).toDouble(p.withinTop);
    p.withinPercent = o.value(QStringLiteral("withinPercent")).toBool(p.withinPercent);
    p.labeledImages = stringList(o.value(QStringLiteral("labeledImages")));
    p.excludedImages = stringList(o.value(QStringLiteral("excludedImages")));
    p.includedImages = stringList(o.value(QStringLiteral("includedImages")));
    return p;
}

void applyTaskPreset(RunParameters& parameters, TaskPreset preset) {
    // A preset sets every parameter of the pattern stage it governs (tau, K, eps, input
    // size), so the result does not depend on what was set before it.
    const RunParameters defaults;
    parameters.tau = defaults.tau;
    parameters.eps = defaults.eps;
    parameters.inputSize = defaults.inputSize;
    switch (preset) {
    case TaskPreset::Detection:
        parameters.clusters = 5;
        break;
    case TaskPreset::Segmentation:
        parameters.clusters = 10;
        parameters.inputSize = 448;
        break;
    case TaskPreset::Classification:
        parameters.clusters = 1;
        break;
    }
}

} // namespace freesel
