// SPDX-License-Identifier: GPL-3.0-or-later
// The "suspects" export of a CLIP-powered selection (issue 12): the labelled images whose label
// CLIP does not rank among the first few classes of the image, lowest semantic alignment
// first. What users of a noisy dataset want to look at before anything else.

#include "export/export_writers.h"
#include "selection/clip_selection.h"

#include <QStringList>

namespace freesel::exportdetail {

ExportResult writeSuspects(const SelectionExport& selection, const QString& path,
                           const ExportOptions& options) {
    if (!selection.hasClipScores)
        return Error::userInput(
            QStringLiteral("the suspects export lists label errors CLIP suspects: it needs a "
                           "selection with --strategy clip and --labels"));
    if (selection.clipZeroShot)
        return Error::userInput(QStringLiteral(
            "the suspects export needs the pool's labels (--labels): with only --classes every "
            "label is CLIP's own zero-shot guess, so no label can disagree with CLIP"));
    if (options.suspectTop < 1)
        return Error::userInput(
            QStringLiteral("--suspects-top must be >= 1, got %1").arg(options.suspectTop));
    std::vector<int> rank(selection.images.size(), -1);
    std::vector<double> sas(selection.images.size(), 0.0);
    std::vector<char> eligible(selection.images.size(), 0);
    for (size_t i = 0; i < selection.images.size(); ++i) {
        const ExportImage& image = selection.images[i];
        eligible[i] = !image.failed && image.clipLabelGiven && image.clipLabelRank >= 0;
        rank[i] = image.clipLabelRank;
        sas[i] = image.sas;
    }
    QString text =
        csvRecord({QStringLiteral("path"), QStringLiteral("label"), QStringLiteral("top_classes"),
                   QStringLiteral("sas"), QStringLiteral("label_rank")});
    for (int i : suspectedLabelErrors(rank, sas, eligible, options.suspectTop)) {
        const ExportImage& image = selection.images[size_t(i)];
        // top_classes: CLIP's first guesses for the image, best first, ';' between them
        text += csvRecord({absolutePath(image), image.clipLabel,
                           image.clipTopClasses.mid(0, options.suspectTop).join(QLatin1Char(';')),
                           scoreText(image.sas), QString::number(image.clipLabelRank + 1)});
    }
    return writeSingleFile(path, text.toUtf8());
}

} // namespace freesel::exportdetail
