// SPDX-License-Identifier: GPL-3.0-or-later
// The image view's overlays follow the part of the image the patch grid covers: over the centre
// square of a landscape image when the detail says so (CLIP's crop), over the whole image
// otherwise (DINO's resize); what the crop cut off is darkened only with the mask on.
#include "viewer/overlay_renderer.h"

#include <QTest>

using namespace freesel;

namespace {

const QColor kGrey(128, 128, 128);

/// A 200 x 100 grey image with a 2 x 2 grid, every patch kept, patch p in pattern p.
ImageDetail detail(const QRectF& gridArea) {
    ImageDetail d;
    d.image = QImage(200, 100, QImage::Format_RGB32);
    d.image.fill(kGrey);
    d.hasFeatures = true;
    d.grid = PatchGrid{2, 2};
    d.gridArea = gridArea;
    d.attention = {0.25f, 0.25f, 0.25f, 0.25f};
    d.kept = {0, 1, 2, 3};
    d.labels = {0, 1, 2, 3};
    d.patternCount = 4;
    return d;
}

OverlayOptions clustersOnly() {
    OverlayOptions o;
    o.heatmap = false;
    o.mask = false;
    o.clusters = true;
    o.opacity = 1.0;
    return o;
}

} // namespace

class TestOverlayRenderer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cellsCoverTheCentreSquare() {
        // The centre 100 x 100 square: cells of 50 x 50 from x = 50.
        const QImage out = renderOverlays(detail(QRectF(50, 0, 100, 100)), clustersOnly());
        QCOMPARE(out.pixelColor(75, 25), patternColour(0));
        QCOMPARE(out.pixelColor(125, 25), patternColour(1));
        QCOMPARE(out.pixelColor(75, 75), patternColour(2));
        QCOMPARE(out.pixelColor(125, 75), patternColour(3));
        // Left and right of the square: the image as it was.
        for (const QPoint p : {QPoint(10, 10), QPoint(49, 90), QPoint(150, 10), QPoint(199, 99)})
            QCOMPARE(out.pixelColor(p), kGrey);
    }

    void cellsStretchOverTheWholeImageWithoutArea() {
        const QImage out = renderOverlays(detail(QRectF()), clustersOnly());
        QCOMPARE(out.pixelColor(10, 10), patternColour(0)); // cells of 100 x 50
        QCOMPARE(out.pixelColor(190, 10), patternColour(1));
        QCOMPARE(out.pixelColor(10, 90), patternColour(2));
        QCOMPARE(out.pixelColor(190, 90), patternColour(3));
    }

    void maskDarkensWhatTheCropCutOff() {
        OverlayOptions o = clustersOnly();
        o.clusters = false;
        o.mask = true;
        const QImage out = renderOverlays(detail(QRectF(50, 0, 100, 100)), o);
        QVERIFY(out.pixelColor(10, 50).lightness() < kGrey.lightness() - 40);
        QVERIFY(out.pixelColor(190, 50).lightness() < kGrey.lightness() - 40);
        QCOMPARE(out.pixelColor(100, 50), kGrey); // inside, every patch kept: untouched
    }
};

QTEST_MAIN(TestOverlayRenderer)
#include "test_overlay_renderer.moc"
