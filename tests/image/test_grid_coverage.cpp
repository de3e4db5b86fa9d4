// SPDX-License-Identifier: GPL-3.0-or-later
// Where the patch grid lies on the original image (image/grid_coverage.h), on hand-computed
// cases: CLIP's short-side resize + centre crop on landscape and portrait images (the crop's
// offset rounded as torchvision's CenterCrop, halves to even), DINO's squash and short-side
// resizes (the whole image), and the preprocessing read back from a store's fingerprint.
#include "image/grid_coverage.h"
#include "store/store_preprocessing.h"

#include <QTest>

using namespace freesel;

namespace {

InputPreprocessing clip224() {
    return {ResizeSpec::keepAspect(224, 1), 224};
}

void compareRect(const QRectF& actual, double x, double y, double w, double h) {
    const double tolerance = 1e-9;
    QVERIFY2(std::abs(actual.x() - x) < tolerance, qPrintable(QString::number(actual.x())));
    QVERIFY2(std::abs(actual.y() - y) < tolerance, qPrintable(QString::number(actual.y())));
    QVERIFY2(std::abs(actual.width() - w) < tolerance, qPrintable(QString::number(actual.width())));
    QVERIFY2(std::abs(actual.height() - h) < tolerance,
             qPrintable(QString::number(actual.height())));
}

} // namespace

class TestGridCoverage : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cropOffsetRoundsHalvesToEven() {
        QCOMPARE(centreCropOffset(224, 224), 0);
        QCOMPARE(centreCropOffset(298, 224), 37); // 37.0
        QCOMPARE(centreCropOffset(299, 224), 38); // 37.5 -> 38 (even)
        QCOMPARE(centreCropOffset(373, 224), 74); // 74.5 -> 74 (even), not 75
        QCOMPARE(centreCropOffset(375, 224), 76); // 75.5 -> 76 (even)
        QCOMPARE(centreCropOffset(1000, 224), 388);
    }

    void clipLandscape() {
        // 640 x 480: short side 480 -> 224, scale 224/480; width round(298.67) = 299.
        // Crop left = round(37.5) = 38 resized pixels; back on the image: x 38 * 640/299,
        // width 224 * 640/299; the full height.
        compareRect(gridCoverage({640, 480}, clip224()), 38.0 * 640 / 299, 0, 224.0 * 640 / 299,
                    480);
        // 1000 x 500: scale 224/500, width 448, left (448 - 224) / 2 = 112 -> 250 px, 500 wide.
        compareRect(gridCoverage({1000, 500}, clip224()), 250, 0, 500, 500);
    }

    void clipPortrait() {
        // 300 x 500: scale 224/300, height round(373.33) = 373, top round(74.5) = 74;
        // back: y 74 * 500/373, height 224 * 500/373; the full width.
        compareRect(gridCoverage({300, 500}, clip224()), 0, 74.0 * 500 / 373, 300,
                    224.0 * 500 / 373);
        // 224 x 448 (already at the input scale): the rows 112..335.
        compareRect(gridCoverage({224, 448}, clip224()), 0, 112, 224, 224);
    }

    void clipSquareIsWhole() { compareRect(gridCoverage({500, 500}, clip224()), 0, 0, 500, 500); }

    void dinoResizesCoverTheWholeImage() {
        const InputPreprocessing squash{ResizeSpec::fixed(224, 224), 0};
        compareRect(gridCoverage({640, 480}, squash), 0, 0, 640, 480);
        compareRect(gridCoverage({300, 500}, squash), 0, 0, 300, 500);
        const InputPreprocessing shortSide{ResizeSpec::keepAspect(224, 16), 0};
        compareRect(gridCoverage({640, 480}, shortSide), 0, 0, 640, 480);
        QVERIFY(gridCoverage({0, 10}, squash).isEmpty());
    }

    void preprocessingFromStoreFingerprint() {
        StoreFingerprint clip{QStringLiteral("clip|model=ViT-B/32|weights=x|precision=float32|") +
                                  QLatin1String(kCentreCropFingerprintTag),
                              QStringLiteral("short:224/p1/max0"), 1};
        const InputPreprocessing fromClip = storePreprocessing(clip);
        QCOMPARE(fromClip.centreCrop, 224);
        QVERIFY(fromClip.resize.mode == ResizeSpec::Mode::ShortSide);
        QCOMPARE(fromClip.resize.shortSide, 224);
        QCOMPARE(fromClip.resize.patchSize, 1);
        compareRect(gridCoverage({1000, 500}, fromClip), 250, 0, 500, 500);

        StoreFingerprint dino{QStringLiteral("dino|model=vit_small|weights=random:0"),
                              QStringLiteral("fixed:224x224"), 1};
        const InputPreprocessing fromDino = storePreprocessing(dino);
        QCOMPARE(fromDino.centreCrop, 0);
        QVERIFY(fromDino.resize.mode == ResizeSpec::Mode::Fixed);
        compareRect(gridCoverage({1000, 500}, fromDino), 0, 0, 1000, 500);

        // The fingerprint writer's texts parse back to the same spec.
        for (const ResizeSpec& spec : {ResizeSpec::none(), ResizeSpec::fixed(320, 240),
                                       ResizeSpec::keepAspect(448, 14, 900)})
            QCOMPARE(
                resizeSpecFingerprint(*parseResizeSpecFingerprint(resizeSpecFingerprint(spec))),
                resizeSpecFingerprint(spec));
        QVERIFY(!parseResizeSpecFingerprint(QStringLiteral("fixed:224")));
        // Unreadable: the whole image.
        StoreFingerprint odd{QStringLiteral("clip|") + QLatin1String(kCentreCropFingerprintTag),
                             QStringLiteral("weird"), 1};
        QCOMPARE(storePreprocessing(odd).centreCrop, 0);
    }
};

QTEST_APPLESS_MAIN(TestGridCoverage)
#include "test_grid_coverage.moc"
