// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/clip_prompts.h"

#include <QFile>
#include <QHash>

#include <stdexcept>

namespace freesel {

QString defaultClipTemplate() {
    return QStringLiteral("A photo of a {}");
}

const QStringList& clipEnsembleTemplates() {
    static const QStringList templates = {
        QStringLiteral("a bad photo of a {}."),
        QStringLiteral("a photo of many {}."),
        QStringLiteral("a sculpture of a {}."),
        QStringLiteral("a photo of the hard to see {}."),
        QStringLiteral("a low resolution photo of the {}."),
        QStringLiteral("a rendering of a {}."),
        QStringLiteral("graffiti of a {}."),
        QStringLiteral("a bad photo of the {}."),
        QStringLiteral("a cropped photo of the {}."),
        QStringLiteral("a tattoo of a {}."),
        QStringLiteral("the embroidered {}."),
        QStringLiteral("a photo of a hard to see {}."),
        QStringLiteral("a bright photo of a {}."),
        QStringLiteral("a photo of a clean {}."),
        QStringLiteral("a photo of a dirty {}."),
        QStringLiteral("a dark photo of the {}."),
        QStringLiteral("a drawing of a {}."),
        QStringLiteral("a photo of my {}."),
        QStringLiteral("the plastic {}."),
        QStringLiteral("a photo of the cool {}."),
        QStringLiteral("a close-up photo of a {}."),
        QStringLiteral("a black and white photo of the {}."),
        QStringLiteral("a painting of the {}."),
        QStringLiteral("a painting of a {}."),
        QStringLiteral("a pixelated photo of the {}."),
        QStringLiteral("a sculpture of the {}."),
        QStringLiteral("a bright photo of the {}."),
        QStringLiteral("a cropped photo of a {}."),
        QStringLiteral("a plastic {}."),
        QStringLiteral("a photo of the dirty {}."),
        QStringLiteral("a jpeg corrupted photo of a {}."),
        QStringLiteral("a blurry photo of the {}."),
        QStringLiteral("a photo of the {}."),
        QStringLiteral("a good photo of the {}."),
        QStringLiteral("a rendering of the {}."),
        QStringLiteral("a {} in a video game."),
        QStringLiteral("a photo of one {}."),
        QStringLiteral("a doodle of a {}."),
        QStringLiteral("a close-up photo of the {}."),
        QStringLiteral("a photo of a {}."),
        QStringLiteral("the origami {}."),
        QStringLiteral("the {} in a video game."),
        QStringLiteral("a sketch of a {}."),
        QStringLiteral("a doodle of the {}."),
        QStringLiteral("a origami {}."),
        QStringLiteral("a low resolution photo of a {}."),
        QStringLiteral("the toy {}."),
        QStringLiteral("a rendition of the {}."),
        QStringLiteral("a photo of the clean {}."),
        QStringLiteral("a photo of a large {}."),
        QStringLiteral("a rendition of a {}."),
        QStringLiteral("a photo of a nice {}."),
        QStringLiteral("a photo of a weird {}."),
        QStringLiteral("a blurry photo of a {}."),
        QStringLiteral("a cartoon {}."),
        QStringLiteral("art of a {}."),
        QStringLiteral("a sketch of the {}."),
        QStringLiteral("a embroidered {}."),
        QStringLiteral("a pixelated photo of a {}."),
        QStringLiteral("itap of the {}."),
        QStringLiteral("a jpeg corrupted photo of the {}."),
        QStringLiteral("a good photo of a {}."),
        QStringLiteral("a plushie {}."),
        QStringLiteral("a photo of the nice {}."),
        QStringLiteral("a photo of the small {}."),
        QStringLiteral("a photo of the weird {}."),
        QStringLiteral("the cartoon {}."),
        QStringLiteral("art of the {}."),
        QStringLiteral("a drawing of the {}."),
        QStringLiteral("a photo of the large {}."),
        QStringLiteral("a black and white photo of a {}."),
        QStringLiteral("the plushie {}."),
        QStringLiteral("a dark photo of a {}."),
        QStringLiteral("itap of a {}."),
        QStringLiteral("graffiti of the {}."),
        QStringLiteral("a toy {}."),
        QStringLiteral("itap of my {}."),
        QStringLiteral("a photo of a cool {}."),
        QStringLiteral("a photo of a small {}."),
        QStringLiteral("a tattoo of the {}."),
    };
    return templates;
}

QString fillClipTemplate(const QString& templ, const QString& className) {
    if (!templ.contains(QStringLiteral("{}")))
        throw std::invalid_argument(
            QStringLiteral("prompt template \"%1\" has no {} where the class name goes")
                .arg(templ)
                .toStdString());
    QString out = templ;
    return out.replace(QStringLiteral("{}"), className);
}

QStringList readClassNames(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        throw std::invalid_argument(QStringLiteral("cannot read class names from %1: %2")
                                        .arg(path, file.errorString())
                                        .toStdString());
    QStringList names;
    QHash<QString, int> seen;
    int lineNumber = 0;
    while (!file.atEnd()) {
        ++lineNumber;
        const QString line = QString::fromUtf8(file.readLine()).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        if (seen.contains(line))
            throw std::invalid_argument(QStringLiteral("%1 line %2: class \"%3\" already given on "
                                                       "line %4")
                                            .arg(path)
                                            .arg(lineNumber)
                                            .arg(line)
                                            .arg(seen.value(line))
                                            .toStdString());
        seen.insert(line, lineNumber);
        names << line;
    }
    if (names.isEmpty())
        throw std::invalid_argument(
            QStringLiteral("%1 lists no class names (one per line)").arg(path).toStdString());
    return names;
}

} // namespace freesel
