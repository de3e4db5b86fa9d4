// SPDX-License-Identifier: GPL-3.0-or-later
// The weight-free offline backend: shapes, attention and band normalisation, saliency on a
// bright square, texture similarity of descriptors, determinism. Images are drawn here.

#include "backbone/offline_backend.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numeric>
#include <random>

using namespace freesel;

namespace {

cv::Mat flatWithSquare(int size, int squareSide, cv::Point topLeft) {
    cv::Mat rgb(size, size, CV_8UC3, cv::Scalar(90, 90, 90));
    cv::rectangle(rgb, cv::Rect(topLeft, cv::Size(squareSide, squareSide)),
                  cv::Scalar(250, 250, 250), cv::FILLED);
    return rgb;
}

/// Left half vertical stripes (period 8 px), right half a checkerboard of 4 px cells: two
/// textures with the same colours.
cv::Mat twoTextures(int size) {
    cv::Mat rgb(size, size, CV_8UC3);
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x) {
            const bool bright = x < size / 2 ? (x / 4) % 2 == 0 : ((x / 4) + (y / 4)) % 2 == 0;
            rgb.at<cv::Vec3b>(y, x) = bright ? cv::Vec3b(220, 200, 60) : cv::Vec3b(40, 60, 160);
        }
    return rgb;
}

cv::Mat noise(int rows, int cols, unsigned seed) {
    cv::Mat rgb(rows, cols, CV_8UC3);
    std::mt19937 gen(seed);
    for (auto it = rgb.begin<cv::Vec3b>(); it != rgb.end<cv::Vec3b>(); ++it)
        *it = cv::Vec3b(uchar(gen() % 256), uchar(gen() % 256), uchar(gen() % 256));
    cv::GaussianBlur(rgb, rgb, cv::Size(5, 5), 1.5);
    return rgb;
}

double cosine(const ImageFeatures& f, int a, int b) {
    double dot = 0, na = 0, nb = 0;
    for (int k = 0; k < f.dims; ++k) {
        const double x = f.patchTokens[size_t(a * f.dims + k)];
        const double y = f.patchTokens[size_t(b * f.dims + k)];
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    return dot / std::sqrt(na * nb);
}

} // namespace

class TestOfflineBackend : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void shapesMatchTheNetworkContract() {
        OfflineBackend backend;
        QCOMPARE(backend.patchSize(), 16);
        QCOMPARE(OfflineBackend::kDims, 134);
        const std::vector<ImageFeatures> out =
            backend.run({noise(224, 224, 1), noise(160, 320, 2)});
        QCOMPARE(out.size(), size_t(2));
        QCOMPARE(out[0].grid.rows, 14);
        QCOMPARE(out[0].grid.cols, 14);
        QCOMPARE(out[1].grid.rows, 10);
        QCOMPARE(out[1].grid.cols, 20);
        for (const ImageFeatures& f : out) {
            const size_t n = size_t(f.grid.size());
            QCOMPARE(f.dims, 134);
            QCOMPARE(f.patchTokens.size(), n * 134);
            QCOMPARE(f.clsToken.size(), size_t(134));
            QCOMPARE(f.clsAttention.size(), n);
            QCOMPARE(f.neighbourhood.radius(), 3);
            QVERIFY(f.neighbourhood.grid() == f.grid);
            QCOMPARE(f.neighbourhood.values().size(), n * 49);
            for (size_t i = 0; i < n; ++i) // unit-length tokens
                QVERIFY(std::abs(cosine(f, int(i), int(i)) - 1.0) < 1e-5);
        }
        QVERIFY(backend.fingerprint().contains(QStringLiteral("offline")));
        QVERIFY(!backend.deviceDescription().isEmpty());
    }

    void attentionAndBandRowsAreProbabilities() {
        OfflineBackend backend;
        const ImageFeatures f = backend.extract(noise(224, 224, 3));
        const double total = std::accumulate(f.clsAttention.begin(), f.clsAttention.end(), 0.0);
        QVERIFY(std::abs(total - 1.0) < 1e-5);
        for (float a : f.clsAttention)
            QVERIFY(a >= 0.0f);
        for (int i = 0; i < f.grid.size(); ++i) {
            double rowSum = 0.0;
            for (int j = 0; j < f.grid.size(); ++j) {
                const float v = f.neighbourhood.at(i, j);
                QVERIFY(v >= 0.0f && v <= 1.0f);
                if (f.grid.chebyshev(i, j) > 3)
                    QCOMPARE(v, 0.0f);
                rowSum += v;
            }
            QVERIFY2(std::abs(rowSum - 1.0) < 1e-5, qPrintable(QString::number(rowSum)));
            // The patch itself (cos = 1) is the most likely neighbour.
            for (int j = 0; j < f.grid.size(); ++j)
                QVERIFY(f.neighbourhood.at(i, i) >= f.neighbourhood.at(i, j));
        }
    }

    void brightSquareGetsTheMostAttention() {
        OfflineBackend backend;
        // A 32 x 32 square covering patches (rows 4-5, cols 8-9) of a flat grey image.
        const ImageFeatures f = backend.extract(flatWithSquare(224, 32, cv::Point(128, 64)));
        const auto top = std::max_element(f.clsAttention.begin(), f.clsAttention.end());
        const int patch = int(top - f.clsAttention.begin());
        const int row = f.grid.rowOf(patch), col = f.grid.colOf(patch);
        QVERIFY2(row >= 3 && row <= 6 && col >= 7 && col <= 10,
                 qPrintable(QStringLiteral("peak at row %1 col %2").arg(row).arg(col)));
        // The square's patches hold far more than their share (4 of 196 patches).
        double mass = 0.0;
        for (int r = 4; r <= 5; ++r)
            for (int c = 8; c <= 9; ++c)
                mass += f.clsAttention[size_t(f.grid.indexOf(r, c))];
        QVERIFY2(mass > 4.0 * 4.0 / 196.0, qPrintable(QString::number(mass)));
    }

    void sameTextureIsMoreSimilarThanOtherTexture() {
        OfflineBackend backend;
        const ImageFeatures f = backend.extract(twoTextures(224));
        // Patches well inside each half (SIFT sees ~5 patches around the centre).
        const int stripesA = f.grid.indexOf(3, 2), stripesB = f.grid.indexOf(10, 3);
        const int checksA = f.grid.indexOf(3, 11), checksB = f.grid.indexOf(10, 12);
        const double within = std::min(cosine(f, stripesA, stripesB), cosine(f, checksA, checksB));
        const double across =
            std::max({cosine(f, stripesA, checksA), cosine(f, stripesA, checksB),
                      cosine(f, stripesB, checksA), cosine(f, stripesB, checksB)});
        QVERIFY2(within > across + 0.1,
                 qPrintable(QStringLiteral("within %1 across %2").arg(within).arg(across)));
    }

    void outputIsDeterministic() {
        OfflineBackend backend;
        const cv::Mat image = noise(192, 256, 7);
        const ImageFeatures a = backend.extract(image);
        const ImageFeatures b = OfflineBackend().run({image}).front();
        QCOMPARE(a.patchTokens, b.patchTokens);
        QCOMPARE(a.clsToken, b.clsToken);
        QCOMPARE(a.clsAttention, b.clsAttention);
        QCOMPARE(a.neighbourhood.values(), b.neighbourhood.values());
    }

    void badInputIsRefusedNamingTheImage() {
        OfflineBackend backend;
        try {
            backend.run({noise(32, 32, 1), noise(30, 32, 1)});
            QFAIL("a 30-pixel side was accepted");
        } catch (const std::invalid_argument& e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("image 1")));
        }
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 OfflineBackend(OfflineBackend::Options{16, 3, 0.0f}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 OfflineBackend(OfflineBackend::Options{2, 3, 0.1f}));
    }
};

QTEST_GUILESS_MAIN(TestOfflineBackend)
#include "test_offline_backend.moc"
