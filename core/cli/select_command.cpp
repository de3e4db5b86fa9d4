// SPDX-License-Identifier: GPL-3.0-or-later
// freesel select POOL --budget N|P% --out FILE: scan, extract what the store lacks, patterns,
// selection, export. Every stage the store already holds is skipped.
#include "cli/command.h"
#include "cli/interrupt.h"
#include "cli/pipeline_options.h"
#include "cli/select_mpi.h"
#include "export/export_format.h"
#include "image/image_list.h"
#include "search_candidates.h"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <cstdio>
#include <stdexcept>

namespace freesel {

namespace {

const QString kUsage = QStringLiteral(
    "Usage: freesel select POOL --budget N|P% --out FILE [options]\n"
    "POOL is a folder (recursive), a list file (one path per line) or a COCO json.\n"
    "Runs whatever stages the feature store lacks: scan, decode, backbone, patterns,\n"
    "selection, export. Changing tau/K/eps or budget/seed/strategy never re-runs the network.");

struct SelectOptions {
    QString out;
    ExportFormat format = ExportFormat::Txt;
    StrategyKind strategy = StrategyKind::FreeSel;
    ExportOptions exportOptions;
    QString suspects; ///< --suspects FILE (strategy clip with labels); empty: none
};

/// --budget "N" images or "P%" of the usable pool into `run` (the session resolves a percentage
/// against the usable images); refused outside [0, ...] or [0%, 100%].
void readBudget(const QString& text, RunParameters& run) {
    bool ok = false;
    if (text.endsWith(QLatin1Char('%'))) {
        const double percent = text.chopped(1).toDouble(&ok);
        if (!ok || percent < 0.0 || percent > 100.0)
            throw UsageError(
                QStringLiteral("--budget as a percentage must be in [0%, 100%], got '%1'")
                    .arg(text));
        run.budget = percent;
        run.budgetPercent = true;
        return;
    }
    const qint64 count = text.toLongLong(&ok);
    if (!ok || count < 0)
        throw UsageError(
            QStringLiteral("--budget must be a count >= 0 or a percentage like 10%, got '%1'")
                .arg(text));
    run.budget = double(count);
    run.budgetPercent = false;
}

QJsonObject summaryJson(const RunParameters& run, const ExtractionReport& extraction,
                        const SelectionExport& exported, const ExportResult& written,
                        const QString& backendName, const QString& device, double seconds) {
    QJsonArray failed;
    for (const ExportImage& image : exported.images)
        if (image.failed)
            failed.append(QJsonObject{{QStringLiteral("path"), image.path},
                                      {QStringLiteral("error"), image.error}});
    QJsonArray selected;
    for (const Pick& pick : exported.picks)
        selected.append(exported.images[pick.image].path);
    return {{QStringLiteral("pool"), run.source},
            {QStringLiteral("backend"), backendName},
            {QStringLiteral("device"), device},
            {QStringLiteral("images"), extraction.total},
            {QStringLiteral("extracted"), extraction.extracted},
            {QStringLiteral("reused"), extraction.reused},
            {QStringLiteral("failed"), failed},
            {QStringLiteral("selected"), selected},
            {QStringLiteral("outputs"), QJsonArray::fromStringList(written.value())},
            {QStringLiteral("seconds"), seconds}};
}

/// What the selection ran with, for --json (a script can log or compare runs).
QJsonObject parametersJson(const Provenance& provenance, bool fellBack) {
    return {{QStringLiteral("tau"), provenance.tau},
            {QStringLiteral("K"), provenance.clusters},
            {QStringLiteral("eps"), provenance.eps},
            {QStringLiteral("budget"), provenance.budget},
            {QStringLiteral("seed"), QString::number(provenance.seed)},
            {QStringLiteral("strategy"), provenance.strategy},
            {QStringLiteral("input_size"), provenance.inputSize},
            {QStringLiteral("precision"), provenance.precision},
            {QStringLiteral("model"), provenance.model},
            {QStringLiteral("backend_fallback"), fellBack}};
}

/// Refuses an output that cannot be written before any work is done: the folder it goes in
/// must exist and be writable (a folder export may create missing folders: then their nearest
/// existing ancestor must be writable).
void checkOutputFolder(const QString& out, ExportFormat format) {
    if (out == QLatin1String("-"))
        return;
    const QFileInfo output(out);
    QFileInfo folder(output.isDir() ? output.absoluteFilePath() : output.absolutePath());
    if (format == ExportFormat::Folder)
        while (!folder.exists() && folder.absoluteFilePath() != folder.absolutePath())
            folder = QFileInfo(folder.absolutePath());
    if (!folder.isDir())
        throw UsageError(
            QStringLiteral("--out %1: the folder %2 does not exist").arg(out, folder.filePath()));
    if (!folder.isWritable())
        throw UsageError(
            QStringLiteral("--out %1: the folder %2 is not writable").arg(out, folder.filePath()));
}

/// --out -: the export is written to a scratch file, then copied to stdout (the provenance
/// sidecar is not kept). Returns what the exporter returned.
ExportResult exportToStdout(const SelectionExport& exported, ExportFormat format,
                            const ExportOptions& options) {
    QTemporaryDir scratch;
    const QString path = scratch.filePath(QStringLiteral("selection"));
    const ExportResult written = exportSelection(exported, format, path, options);
    if (!written)
        return written;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::environment(QStringLiteral("cannot read back %1").arg(path));
    const QByteArray bytes = file.readAll();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
    return QStringList{QStringLiteral("-")};
}
/// The select-only options, declared before the shared ones so --help lists them first.
void addSelectOptions(QCommandLineParser& parser) {
    addOption(parser, QStringLiteral("budget"),
              QStringLiteral("Images to select: a count, or a percentage like 10%."),
              QStringLiteral("N|P%"));
    addOption(parser, QStringLiteral("out"),
              QStringLiteral("Output file (a folder for --format folder; - for stdout)."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("format"),
              exportFormatList() +
                  QStringLiteral(" (default: the one the --out extension names, else txt)."),
              QStringLiteral("FORMAT"));
    addOption(parser, QStringLiteral("strategy"),
              QStringLiteral("freesel, fds, random, kcenter, kmeans or elfs; or clip (CLIP-powered "
                             "selection: runs the CLIP backend, needs --labels or --classes)."),
              QStringLiteral("NAME"), QStringLiteral("freesel"));
    addElfsOptions(parser);
    addOption(parser, QStringLiteral("labels"),
              QStringLiteral("clip: the pool's labels: a folder with one subfolder per class, a "
                             "COCO .json or a .csv of path,label."),
              QStringLiteral("PATH"));
    addClipOptions(parser);
    addOption(parser, QStringLiteral("labeled"),
              QStringLiteral("Images already annotated (a list, one per line, or any earlier "
                             "export): they seed the selection, are never picked again, and the "
                             "budget counts only new images."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("exclude"),
              QStringLiteral("Images never to select (a list or an export), e.g. rejected by "
                             "annotators."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("include"),
              QStringLiteral("Images to select whatever the strategy (a list or an export): they "
                             "come first and count in the budget; the strategy draws the rest "
                             "around them."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("within"),
              QStringLiteral("Select only among the best matches of this text (any strategy): "
                             "ranked by the cosine of the store's CLIP image embeddings and the "
                             "text's; runs the CLIP backend."),
              QStringLiteral("TEXT"));
    addOption(parser, QStringLiteral("within-top"),
              QStringLiteral("--within: how many matches are candidates, a count or a "
                             "percentage of the usable images (a percentage --budget then "
                             "counts the candidates)."),
              QStringLiteral("N|P%"), QStringLiteral("10%"));
    addOption(parser, QStringLiteral("suspects"),
              QStringLiteral("clip with --labels: also write the suspected label errors (labelled "
                             "images whose label is not among CLIP's top classes for them) to "
                             "this CSV: path, label, top_classes, sas, label_rank; lowest SAS "
                             "first."),
              QStringLiteral("FILE"));
    addOption(parser, QStringLiteral("suspects-top"),
              QStringLiteral("--suspects: a label is suspect when it is not among the image's "
                             "first N zero-shot classes (N >= 1)."),
              QStringLiteral("N"), QStringLiteral("3"));
    addOption(parser, QStringLiteral("overwrite"),
              QStringLiteral("Replace an earlier folder export."));
    addOption(parser, QStringLiteral("copy"),
              QStringLiteral("Folder export: copy images instead of symlinking."));
    addOption(parser, QStringLiteral("mpi"),
              QStringLiteral("Run under mpirun/srun: the ranks share the images and one exact "
                             "selection (freesel or fds; the store must hold every image); rank "
                             "0 writes the outputs (docs/SCALE.md)."));
}

/// --within TEXT and --within-top N|P%, checked before any work.
void readWithinOptions(const QCommandLineParser& parser, RunParameters& run) {
    run.withinQuery = parser.value(QStringLiteral("within")).trimmed();
    if (parser.isSet(QStringLiteral("within")) && run.withinQuery.isEmpty())
        throw UsageError(QStringLiteral("--within needs a text, e.g. --within \"night traffic\""));
    QString top = parser.value(QStringLiteral("within-top")).trimmed();
    run.withinPercent = top.endsWith(QLatin1Char('%'));
    if (run.withinPercent)
        top.chop(1);
    bool ok = false;
    run.withinTop = top.toDouble(&ok);
    if (!ok)
        throw UsageError(QStringLiteral("--within-top must be a count >= 1 or a percentage like "
                                        "20%, got '%1'")
                             .arg(parser.value(QStringLiteral("within-top"))));
    withinCount(run.withinTop, run.withinPercent, 1); // the range, named, before any work
}

/// --suspects needs labels to disagree with: refused before any work otherwise.
void readSuspectsOptions(const QCommandLineParser& parser, const RunParameters& run,
                         SelectOptions& options) {
    bool ok = false;
    options.exportOptions.suspectTop = parser.value(QStringLiteral("suspects-top")).toInt(&ok);
    if (!ok || options.exportOptions.suspectTop < 1)
        throw UsageError(QStringLiteral("--suspects-top must be a count >= 1, got '%1'")
                             .arg(parser.value(QStringLiteral("suspects-top"))));
    if (!parser.isSet(QStringLiteral("suspects")))
        return;
    options.suspects = parser.value(QStringLiteral("suspects"));
    if (options.strategy != StrategyKind::Clip)
        throw UsageError(QStringLiteral("--suspects lists the label errors CLIP suspects: it needs "
                                        "--strategy clip with --labels"));
    if (run.clipLabels.isEmpty())
        throw UsageError(QStringLiteral(
            "--suspects needs the pool's labels (--labels): with only --classes (zero-shot) "
            "every label is CLIP's own guess, so label-error detection is off"));
    checkOutputFolder(options.suspects, ExportFormat::Suspects);
}

/// The select command's own options; the run's (budget, strategy and its parameters, the
/// continued round's lists) go straight into `run`, the parameters the session runs with.
SelectOptions readSelectOptions(const QCommandLineParser& parser, RunParameters& run) {
    SelectOptions options;
    if (!parser.isSet(QStringLiteral("budget")))
        throw UsageError(
            QStringLiteral("--budget is required (a count, or a percentage like 10%)"));
    if (!parser.isSet(QStringLiteral("out")))
        throw UsageError(QStringLiteral("--out is required"));
    readBudget(parser.value(QStringLiteral("budget")), run); // before any work
    options.out = parser.value(QStringLiteral("out"));
    options.format = resolveExportFormat(parser.value(QStringLiteral("format")), options.out);
    if (options.out == QLatin1String("-") &&
        (options.format == ExportFormat::Folder || parser.isSet(QStringLiteral("json"))))
        throw UsageError(QStringLiteral("--out - writes the selection to stdout: not with --format "
                                        "folder or --json"));
    options.strategy = parseStrategyKind(parser.value(QStringLiteral("strategy")).toStdString());
    run.strategy = QString::fromStdString(strategyName(options.strategy));
    readElfsOptions(parser, run);
    readClipOptions(parser, run);
    readWithinOptions(parser, run);
    if (options.strategy == StrategyKind::Clip)
        run.clipOptions(); // before any work
    if (parser.isSet(QStringLiteral("labeled")))
        run.labeledImages = readImageList(parser.value(QStringLiteral("labeled"))).valueOrThrow();
    if (parser.isSet(QStringLiteral("exclude")))
        run.excludedImages = readImageList(parser.value(QStringLiteral("exclude"))).valueOrThrow();
    if (parser.isSet(QStringLiteral("include")))
        run.includedImages = readImageList(parser.value(QStringLiteral("include"))).valueOrThrow();
    readSuspectsOptions(parser, run, options);
    options.exportOptions.overwrite = parser.isSet(QStringLiteral("overwrite"));
    options.exportOptions.copyFiles = parser.isSet(QStringLiteral("copy"));
    return options;
}

} // namespace

int runSelectCommand(const QStringList& arguments) {
    QElapsedTimer timer;
    timer.start();
    QCommandLineParser parser;
    addSelectOptions(parser);
    PipelineOptions pipeline(parser, true);
    if (!parseCommandLine(parser, arguments, kUsage))
        return ExitOk;
    pipeline.read(QStringLiteral("select"));
    RunParameters& run = pipeline.run;
    const SelectOptions options = readSelectOptions(parser, run);

    checkOutputFolder(options.out, options.format);
    if (parser.isSet(QStringLiteral("mpi")))
        return runMpiSelection(run, options.strategy,
                               {options.out, options.format, options.exportOptions});

    CliSessionOutput output(!pipeline.json);
    PipelineSession session(&output, catchInterrupts());
    try {
        session.run(run);
    } catch (const StageCancelled& stop) {
        return reportInterrupted(session, stop, session.storeFolderFor(run));
    } catch (const std::invalid_argument&) {
        // e.g. no image could be read: the reasons first, then the error that follows from them
        for (const auto& [path, reason] : session.skippedImages())
            printError(skippedImageLine(path, reason));
        throw;
    }

    const SelectionExport exported = session.selectionExport();
    const ExportResult written =
        options.out == QLatin1String("-")
            ? exportToStdout(exported, options.format, options.exportOptions)
            : exportSelection(exported, options.format, options.out, options.exportOptions);
    written.status().throwIfFailed(); // a full disk is the machine's (exit 1), a bad path ours (2)
    if (!options.suspects.isEmpty())
        exportSelection(exported, ExportFormat::Suspects, options.suspects, options.exportOptions)
            .status()
            .throwIfFailed();

    const double seconds = timer.nsecsElapsed() * 1e-9;
    const ExtractionReport& report = session.extraction();
    int failed = 0;
    for (const ExportImage& image : exported.images)
        failed += image.failed ? 1 : 0;
    if (pipeline.json) {
        QJsonObject summary =
            summaryJson(run, report, exported, written, session.backend().backend->name(),
                        exported.provenance.device, seconds);
        summary.insert(QStringLiteral("parameters"),
                       parametersJson(exported.provenance, !session.backend().note.isEmpty()));
        summary.insert(QStringLiteral("pattern_rows"), session.patterns().patterns.rowsInFile()
                                                           ? QStringLiteral("file")
                                                           : QStringLiteral("memory"));
        QJsonArray notes;
        for (const std::string& note : session.elfs().notes)
            notes.append(QString::fromStdString(note));
        for (const std::string& note : session.clipScores().notes)
            notes.append(QString::fromStdString(note));
        for (const QString& warning : session.selectionWarnings())
            notes.append(warning);
        if (!notes.isEmpty())
            summary.insert(QStringLiteral("notes"), notes);
        printOut(QString::fromUtf8(QJsonDocument(summary).toJson(QJsonDocument::Indented)));
    } else {
        for (const ExportImage& image : exported.images)
            if (image.failed)
                printError(skippedImageLine(image.path, image.error));
        for (const std::string& note : session.elfs().notes)
            printError(QString::fromStdString(note));
        for (const QString& warning : session.selectionWarnings())
            printError(QStringLiteral("warning: ") + warning);
        for (const std::string& note : session.clipScores().notes)
            printError(QStringLiteral("note: ") + QString::fromStdString(note));
        if (!run.withinQuery.isEmpty())
            printError(QStringLiteral("note: selected within the %1 best matches of '%2'")
                           .arg(session.withinImages().size())
                           .arg(run.withinQuery));
        printError(QStringLiteral("selected %1 of %2 images (%3 extracted now, %4 from the store "
                                  "%5, %6 skipped) with %7 in %8 s -> %9")
                       .arg(session.selection().picks.size())
                       .arg(session.pool()->size())
                       .arg(report.extracted)
                       .arg(report.reused)
                       .arg(session.storeFolderFor(run))
                       .arg(failed)
                       .arg(exported.provenance.strategy)
                       .arg(seconds, 0, 'f', 1)
                       .arg(written.value().join(QStringLiteral(", "))));
    }
    return ExitOk;
}

} // namespace freesel
