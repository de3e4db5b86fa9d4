// SPDX-License-Identifier: GPL-3.0-or-later
#include "store/store_preprocessing.h"

#include <QRegularExpression>

namespace freesel {

std::optional<ResizeSpec> parseResizeSpecFingerprint(const QString& text) {
    if (text == QLatin1String("none"))
        return ResizeSpec::none();
    static const QRegularExpression fixed(QStringLiteral("^fixed:(\\d+)x(\\d+)$"));
    static const QRegularExpression shortSide(QStringLiteral("^short:(\\d+)/p(\\d+)/max(\\d+)$"));
    if (const auto m = fixed.match(text); m.hasMatch())
        return ResizeSpec::fixed(m.captured(1).toInt(), m.captured(2).toInt());
    if (const auto m = shortSide.match(text); m.hasMatch())
        return ResizeSpec::keepAspect(m.captured(1).toInt(), m.captured(2).toInt(),
                                      m.captured(3).toInt());
    return std::nullopt;
}

InputPreprocessing storePreprocessing(const StoreFingerprint& fingerprint) {
    InputPreprocessing out;
    const std::optional<ResizeSpec> resize = parseResizeSpecFingerprint(fingerprint.input);
    if (!resize || !resize->validate().isEmpty())
        return out;
    out.resize = *resize;
    const bool crops = fingerprint.backend.split(QLatin1Char('|'))
                           .contains(QLatin1String(kCentreCropFingerprintTag));
    if (crops && resize->mode == ResizeSpec::Mode::ShortSide)
        out.centreCrop = resize->shortSide;
    return out;
}

} // namespace freesel
