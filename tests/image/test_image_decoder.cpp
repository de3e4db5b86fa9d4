// SPDX-License-Identifier: GPL-3.0-or-later
// Image decoding and preprocessing (the decode queue: test_decode_queue.cpp). Every input is
// generated here with OpenCV or built byte by byte (palette / grey+alpha PNG, EXIF APP1, bomb
// headers).

#include "image/decode_queue.h"
#include "image/image_decoder.h"
#include "image/image_header.h"
#include "image/image_preprocessing.h"
#include "image/jpeg_shrink.h"
#include "support/gif_bytes.h"
#include "support/image_bytes.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

using namespace freesel;
using namespace imagebytes;

namespace {

cv::Mat solidBgr(int width, int height, cv::Scalar bgr) {
    return cv::Mat(height, width, CV_8UC3, bgr);
}

cv::Vec3b rgbAt(const cv::Mat& rgb, int x, int y) {
    return rgb.at<cv::Vec3b>(y, x);
}

bool near(const cv::Vec3b& pixel, int r, int g, int b, int tolerance) {
    return std::abs(pixel[0] - r) <= tolerance && std::abs(pixel[1] - g) <= tolerance &&
           std::abs(pixel[2] - b) <= tolerance;
}

// APP1 "Exif" segment holding a big-endian TIFF with one IFD entry: Orientation (0x0112).
QByteArray exifOrientationSegment(quint16 orientation) {
    QByteArray tiff = QByteArray("MM\0\x2A", 4) + be32(8);
    tiff += be16(1);                                                        // one entry
    tiff += be16(0x0112) + be16(3) + be32(1) + be16(orientation) + be16(0); // SHORT, inline
    tiff += be32(0);                                                        // no next IFD
    const QByteArray payload = QByteArray("Exif\0\0", 6) + tiff;
    return QByteArray("\xFF\xE1", 2) + be16(quint16(payload.size() + 2)) + payload;
}

QByteArray withExif(const QByteArray& jpeg, quint16 orientation) {
    return jpeg.left(2) + exifOrientationSegment(orientation) + jpeg.mid(2); // right after SOI
}

// Left half red, right half blue: orientation changes are visible at the edges.
cv::Mat redLeftBlueRight(int width, int height) {
    cv::Mat image = solidBgr(width, height, cv::Scalar(255, 0, 0));
    image(cv::Rect(0, 0, width / 2, height)).setTo(cv::Scalar(0, 0, 255));
    return image;
}

} // namespace

class TestImageDecoder : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString write(const QString& name, const QByteArray& bytes) {
        const QString path = dir_.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void jpegIsRgbInInputOrder() {
        const QString path = write("red.jpg", encode(solidBgr(32, 24, {0, 0, 255}), ".jpg"));
        const DecodedImage image = decodeImageFile(path);
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(image.rgb.type(), CV_8UC3);
        QCOMPARE(image.rgb.cols, 32);
        QCOMPARE(image.rgb.rows, 24);
        QCOMPARE(image.originalWidth, 32);
        QCOMPARE(image.originalHeight, 24);
        QVERIFY(near(rgbAt(image.rgb, 10, 10), 255, 0, 0, 4)); // R first
        QVERIFY(image.error.isEmpty());
    }

    void pngIsExact() {
        cv::Mat bgr = solidBgr(5, 3, {10, 20, 30});
        bgr.at<cv::Vec3b>(2, 4) = cv::Vec3b(0, 255, 0);
        const DecodedImage image = decodeImageFile(write("exact.png", encode(bgr, ".png")));
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(30, 20, 10));
        QCOMPARE(rgbAt(image.rgb, 4, 2), cv::Vec3b(0, 255, 0));
        QVERIFY(image.rgb.isContinuous());
    }

    void sixteenBitIsScaled() {
        cv::Mat bgr16(4, 4, CV_16UC3, cv::Scalar(65535, 32896, 0)); // 32896 = 128 * 257
        const DecodedImage colour = decodeImageFile(write("deep.png", encode(bgr16, ".png")));
        QVERIFY2(colour.ok(), qPrintable(colour.error));
        QCOMPARE(colour.rgb.type(), CV_8UC3);
        QCOMPARE(rgbAt(colour.rgb, 1, 1), cv::Vec3b(0, 128, 255));

        cv::Mat grey16(4, 4, CV_16UC1, cv::Scalar(257 * 200));
        const DecodedImage grey = decodeImageFile(write("deepgrey.png", encode(grey16, ".png")));
        QVERIFY2(grey.ok(), qPrintable(grey.error));
        QCOMPARE(rgbAt(grey.rgb, 3, 3), cv::Vec3b(200, 200, 200));
    }

    void greyBecomesRgb() {
        const cv::Mat grey(6, 7, CV_8UC1, cv::Scalar(77));
        const DecodedImage png = decodeImageFile(write("grey.png", encode(grey, ".png")));
        QVERIFY2(png.ok(), qPrintable(png.error));
        QCOMPARE(png.rgb.type(), CV_8UC3);
        QCOMPARE(rgbAt(png.rgb, 6, 5), cv::Vec3b(77, 77, 77));
        const DecodedImage jpeg = decodeImageFile(write("grey.jpg", encode(grey, ".jpg")));
        QVERIFY2(jpeg.ok(), qPrintable(jpeg.error));
        QVERIFY(near(rgbAt(jpeg.rgb, 3, 3), 77, 77, 77, 2));
    }

    void alphaIsCompositedOnWhite() {
        cv::Mat bgra(2, 3, CV_8UC4, cv::Scalar(0, 0, 255, 255)); // opaque red
        bgra.at<cv::Vec4b>(0, 1) = cv::Vec4b(0, 0, 255, 0);      // fully transparent red
        bgra.at<cv::Vec4b>(0, 2) = cv::Vec4b(0, 0, 255, 128);    // half transparent red
        // 254 at alpha 100: 254 * 100/255 + 255 * 155/255 = 254.61, which rounds to 255 (and
        // truncates to 254: rules out compositing without rounding); 0 at alpha 100 is 155.
        bgra.at<cv::Vec4b>(1, 1) = cv::Vec4b(254, 0, 254, 100);
        const DecodedImage image = decodeImageFile(write("alpha.png", encode(bgra, ".png")));
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(image.rgb.type(), CV_8UC3);
        QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(255, 0, 0));
        QCOMPARE(rgbAt(image.rgb, 1, 0), cv::Vec3b(255, 255, 255));
        QCOMPARE(rgbAt(image.rgb, 2, 0), cv::Vec3b(255, 127, 127));
        QCOMPARE(rgbAt(image.rgb, 1, 1), cv::Vec3b(255, 155, 255));
    }

    void greyAlphaPngIsComposited() {
        // colour type 4: (grey, alpha) pairs
        const QByteArray pixels("\x00\xFF\x00\x00\xC8\xFF\xC8\x00", 8);
        const DecodedImage image =
            decodeImageFile(write("greyalpha.png", buildPng(2, 2, 4, 2, pixels)));
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(image.rgb.size(), cv::Size(2, 2));
        QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(0, 0, 0));       // opaque black
        QCOMPARE(rgbAt(image.rgb, 1, 0), cv::Vec3b(255, 255, 255)); // transparent -> white
        QCOMPARE(rgbAt(image.rgb, 0, 1), cv::Vec3b(200, 200, 200));
    }

    void palettePngIsExpanded() {
        const QByteArray palette("\xFF\x00\x00\x00\xFF\x00\x00\x00\xFF", 9); // red, green, blue
        const QByteArray indices("\x00\x01\x02\x02\x01\x00", 6);             // 3 x 2
        const QByteArray png = buildPng(3, 2, 3, 1, indices, pngChunk("PLTE", palette));
        QCOMPARE(probeImageHeader(png).width, 3);
        const DecodedImage image = decodeImageFile(write("palette.png", png));
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(255, 0, 0));
        QCOMPARE(rgbAt(image.rgb, 1, 0), cv::Vec3b(0, 255, 0));
        QCOMPARE(rgbAt(image.rgb, 2, 0), cv::Vec3b(0, 0, 255));
        QCOMPARE(rgbAt(image.rgb, 0, 1), cv::Vec3b(0, 0, 255));

        // tRNS makes index 1 transparent: composited to white.
        const QByteArray trns =
            pngChunk("PLTE", palette) + pngChunk("tRNS", QByteArray("\xFF\x00\xFF", 3));
        const QByteArray transparent = buildPng(3, 2, 3, 1, indices, trns);
        QVERIFY(probeImageHeader(transparent).mayHaveAlpha);
        const DecodedImage withAlpha = decodeImageFile(write("palette_trns.png", transparent));
        QVERIFY2(withAlpha.ok(), qPrintable(withAlpha.error));
        QCOMPARE(rgbAt(withAlpha.rgb, 0, 0), cv::Vec3b(255, 0, 0));
        QCOMPARE(rgbAt(withAlpha.rgb, 1, 0), cv::Vec3b(255, 255, 255));
    }

    void exifOrientationIsApplied() {
        const QByteArray jpeg = encode(redLeftBlueRight(40, 20), ".jpg");
        const DecodedImage plain = decodeImageFile(write("upright.jpg", jpeg));
        QVERIFY2(plain.ok(), qPrintable(plain.error));
        QCOMPARE(plain.rgb.size(), cv::Size(40, 20));
        QVERIFY(near(rgbAt(plain.rgb, 2, 10), 255, 0, 0, 40));

        // 6: rotate 90 degrees clockwise to display; the stored left edge becomes the top.
        const DecodedImage rotated = decodeImageFile(write("rot6.jpg", withExif(jpeg, 6)));
        QVERIFY2(rotated.ok(), qPrintable(rotated.error));
        QCOMPARE(rotated.rgb.size(), cv::Size(20, 40));
        QCOMPARE(rotated.originalWidth, 20);
        QCOMPARE(rotated.originalHeight, 40);
        QVERIFY(near(rgbAt(rotated.rgb, 10, 2), 255, 0, 0, 40));
        QVERIFY(near(rgbAt(rotated.rgb, 10, 37), 0, 0, 255, 40));

        // 3: rotate 180 degrees; red ends up on the right.
        const DecodedImage flipped = decodeImageFile(write("rot3.jpg", withExif(jpeg, 3)));
        QVERIFY2(flipped.ok(), qPrintable(flipped.error));
        QCOMPARE(flipped.rgb.size(), cv::Size(40, 20));
        QVERIFY(near(rgbAt(flipped.rgb, 37, 10), 255, 0, 0, 40));
    }

    void jpegScaleIsTheLargestThatCoversTheTarget() {
        const ResizeSpec square = ResizeSpec::fixed(224, 224);
        QCOMPARE(jpegScaleDenominator(4000, 3000, square), 8); // 3000 / 8 = 375 >= 224
        QCOMPARE(jpegScaleDenominator(1600, 1200, square), 4); // 150 < 224 <= 300
        QCOMPARE(jpegScaleDenominator(1000, 448, square), 2);  // 224 exactly at 1/2
        QCOMPARE(jpegScaleDenominator(1000, 447, square), 2);  // libjpeg rounds up: 224
        QCOMPARE(jpegScaleDenominator(1000, 446, square), 1);  // ceil(446 / 2) = 223 < 224
        QCOMPARE(jpegScaleDenominator(600, 400, square), 1);
        QCOMPARE(jpegScaleDenominator(4000, 3000, ResizeSpec::none()), 1);
        QCOMPARE(jpegScaleDenominator(0, 3000, square), 1);
        // Keep-aspect 224 of 4000 x 1000 is 896 x 224: 1/4 leaves 1000 x 250, 1/8 only 500.
        QCOMPARE(jpegScaleDenominator(4000, 1000, ResizeSpec::keepAspect(224, 16)), 4);
        // A fixed 448 x 224 target must fit either way round (EXIF may turn the image).
        QCOMPARE(jpegScaleDenominator(4000, 2000, ResizeSpec::fixed(448, 224)), 4);
        // 1800 x 1797 at 1/8 and 1/4 has equal sides (225 x 225, 450 x 450): a turned image
        // could not be told from an upright one, so 1/2 (900 x 899) is the largest allowed.
        QCOMPARE(jpegScaleDenominator(1800, 1797, square), 2);
        QCOMPARE(jpegScaleDenominator(1800, 1800, square), 8);
    }

    void uprightSizeFollowsTheDecodedShape() {
        QCOMPARE(uprightSize(4000, 3000, 8, cv::Size(500, 375)), cv::Size(4000, 3000));
        QCOMPARE(uprightSize(4000, 3000, 8, cv::Size(375, 500)), cv::Size(3000, 4000));
        QCOMPARE(uprightSize(1001, 999, 1, cv::Size(999, 1001)), cv::Size(999, 1001));
        QCOMPARE(uprightSize(1003, 803, 4, cv::Size(251, 201)), cv::Size(1003, 803));
    }

    void shrinkOnLoadKeepsOrientationAndSize() {
        // 1920 x 960 stored; EXIF 6 turns it to 960 x 1920. Target 224: 1/4 (480 x 240) is the
        // largest scale whose short side still covers 224.
        const QByteArray jpeg = encode(redLeftBlueRight(1920, 960), ".jpg");
        DecodeOptions shrink;
        shrink.shrinkFor = ResizeSpec::fixed(224, 224);
        const DecodedImage upright = decodeImageFile(write("big.jpg", jpeg), shrink);
        QVERIFY2(upright.ok(), qPrintable(upright.error));
        QCOMPARE(upright.rgb.size(), cv::Size(480, 240));
        QCOMPARE(upright.originalWidth, 1920);
        QCOMPARE(upright.originalHeight, 960);
        QVERIFY(near(rgbAt(upright.rgb, 5, 120), 255, 0, 0, 40));

        const DecodedImage turned = decodeImageFile(write("big6.jpg", withExif(jpeg, 6)), shrink);
        QVERIFY2(turned.ok(), qPrintable(turned.error));
        QCOMPARE(turned.rgb.size(), cv::Size(240, 480));
        QCOMPARE(turned.originalWidth, 960);
        QCOMPARE(turned.originalHeight, 1920);
        QVERIFY(near(rgbAt(turned.rgb, 120, 5), 255, 0, 0, 40));   // stored left edge on top
        QVERIFY(near(rgbAt(turned.rgb, 120, 474), 0, 0, 255, 40)); // stored right at the bottom

        // Other formats are never reduced (OpenCV would only resize after a full decode).
        const DecodedImage png =
            decodeImageFile(write("big.png", encode(redLeftBlueRight(1920, 960), ".png")), shrink);
        QCOMPARE(png.rgb.size(), cv::Size(1920, 960));
    }

    void shrinkOnLoadGivesTheFullDecodeTargetAndPixels() {
        // A textured photo-like image: the queue's output must have the size the full decode
        // gets, and pixels within the rounding of two box filters of it.
        cv::Mat bgr(1500, 2300, CV_8UC3);
        cv::randu(bgr, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::GaussianBlur(bgr, bgr, cv::Size(0, 0), 6.0);
        cv::normalize(bgr, bgr, 0, 255, cv::NORM_MINMAX);
        const QString path =
            write("photo.jpg", encode(bgr, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 92}));
        const ResizeSpec spec = ResizeSpec::keepAspect(224, 16);
        const DecodedImage full = decodeImageFile(path);
        QVERIFY2(full.ok(), qPrintable(full.error));
        const cv::Mat reference = resizeForModel(full.rgb, spec);
        const DecodedImage shrunk = DecodeQueue::decodeAndResize({}, spec)(path);
        QVERIFY2(shrunk.ok(), qPrintable(shrunk.error));
        QCOMPARE(shrunk.originalWidth, 2300);
        QCOMPARE(shrunk.originalHeight, 1500);
        QCOMPARE(shrunk.rgb.size(), reference.size()); // 336 x 224, 1/4 decode (575 x 375)
        cv::Mat diff;
        cv::absdiff(shrunk.rgb, reference, diff);
        const double meanDiff = cv::mean(diff.reshape(1))[0];
        QVERIFY2(meanDiff < 2.0, qPrintable(QString::number(meanDiff)));
    }

    void truncatedFilesAreCorrupt() {
        cv::Mat noise(64, 64, CV_8UC3);
        cv::randu(noise, 0, 255);
        const QByteArray jpeg = encode(noise, ".jpg");
        const QByteArray png = encode(noise, ".png");
        const DecodedImage j = decodeImageFile(write("cut.jpg", jpeg.left(jpeg.size() / 2)));
        QCOMPARE(j.status, DecodeStatus::Corrupt);
        QVERIFY(j.error.contains(QLatin1String("cut.jpg")));
        QVERIFY(j.error.contains(QLatin1String("truncated")));
        QVERIFY(j.rgb.empty());
        const DecodedImage p = decodeImageFile(write("cut.png", png.left(png.size() / 2)));
        QCOMPARE(p.status, DecodeStatus::Corrupt);
        QVERIFY(p.error.contains(QLatin1String("cut.png")));
    }

    void missingEmptyAndDirectory() {
        const DecodedImage missing = decodeImageFile(dir_.filePath("nope.png"));
        QCOMPARE(missing.status, DecodeStatus::FileMissing);
        QVERIFY(missing.error.contains(QLatin1String("nope.png")));
        const DecodedImage empty = decodeImageFile(write("empty.jpg", {}));
        QCOMPARE(empty.status, DecodeStatus::Empty);
        QVERIFY(empty.error.contains(QLatin1String("empty.jpg")));
        QVERIFY(QDir(dir_.path()).mkpath("folder.png"));
        QCOMPARE(decodeImageFile(dir_.filePath("folder.png")).status, DecodeStatus::Unreadable);
        QCOMPARE(decodeStatusName(DecodeStatus::TooLarge), QStringLiteral("too-large"));
    }

    void contentDecidesNotExtension() {
        const QString pngAsJpg =
            write("really_png.jpg", encode(solidBgr(8, 8, {0, 255, 0}), ".png"));
        const DecodedImage image = decodeImageFile(pngAsJpg);
        QVERIFY2(image.ok(), qPrintable(image.error));
        QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(0, 255, 0));
        const DecodedImage text = decodeImageFile(write("notes.png", "just some text\n"));
        QCOMPARE(text.status, DecodeStatus::NotAnImage);
        QVERIFY(text.error.contains(QLatin1String("notes.png")));
        QByteArray junk(4096, '\0');
        std::mt19937 rng(7);
        for (char& c : junk)
            c = char(rng());
        QCOMPARE(decodeImageFile(write("junk.jpg", junk)).status, DecodeStatus::NotAnImage);
        // A GIF header with no image after it: recognised, and refused as damaged.
        const QByteArray gif = QByteArray("GIF89a\x0A\x00\x05\x00\x00\x00\x00", 13);
        QCOMPARE(probeImageHeader(gif).width, 10);
        const DecodedImage headerOnly = decodeImageFile(write("header_only.gif", gif));
        QCOMPARE(headerOnly.status, DecodeStatus::Corrupt);
        QVERIFY(headerOnly.error.contains(QLatin1String("GIF")));
    }

    void gifFirstFrameIsUsed() {
        gifbytes::GifSpec spec;
        spec.palette = {{200, 10, 10}, {10, 200, 10}, {10, 10, 200}, {0, 0, 0}};
        cv::Mat first(9, 4, CV_8UC1, cv::Scalar(0)); // red, with a blue row and a hole
        first.row(5).setTo(2);
        first.at<uchar>(2, 3) = 3;                                    // the transparent index
        spec.frames = {first, cv::Mat(9, 4, CV_8UC1, cv::Scalar(1))}; // second frame: green
        spec.transparentIndex = 3;
        for (const bool interlaced : {false, true}) {
            spec.interlaced = interlaced;
            const QByteArray gif = gifbytes::encodeGif(spec);
            const DecodedImage image = decodeImageFile(write("anim.gif", gif));
            QVERIFY2(image.ok(), qPrintable(image.error));
            QCOMPARE(image.rgb.size(), cv::Size(4, 9));
            QCOMPARE(rgbAt(image.rgb, 0, 0), cv::Vec3b(200, 10, 10)); // first frame, not green
            QCOMPARE(rgbAt(image.rgb, 1, 5), cv::Vec3b(10, 10, 200)); // row 5 in its place
            QCOMPARE(rgbAt(image.rgb, 0, 4), cv::Vec3b(200, 10, 10));
            QCOMPARE(rgbAt(image.rgb, 3, 2), cv::Vec3b(255, 255, 255)); // transparent: white
            const DecodedImage cut = decodeImageFile(write("cut.gif", gif.left(gif.size() / 3)));
            QCOMPARE(cut.status, DecodeStatus::Corrupt);
            QVERIFY2(cut.error.contains(QLatin1String("GIF")), qPrintable(cut.error));
        }
        // The frame's own size is bounded too, not only the screen's.
        DecodeOptions small;
        small.maxPixels = 20;
        QCOMPARE(decodeImageFile(write("anim.gif", gifbytes::encodeGif(spec)), small).status,
                 DecodeStatus::TooLarge);
    }

    void bombHeadersAreRefusedBeforeDecoding() {
        // Only a header: decoding would fail as corrupt, so TooLarge proves the early check.
        const QByteArray png = pngBombHeader(30000, 30000);
        const DecodedImage p = decodeImageFile(write("bomb.png", png));
        QCOMPARE(p.status, DecodeStatus::TooLarge);
        QVERIFY(p.error.contains(QLatin1String("bomb.png")));
        QVERIFY(p.error.contains(QLatin1String("30000 x 30000")));
        QVERIFY(p.error.contains(QLatin1String("before decoding")));

        const QByteArray jpeg = jpegBombHeader(30000, 30000);
        const DecodedImage j = decodeImageFile(write("bomb.jpg", jpeg));
        QCOMPARE(j.status, DecodeStatus::TooLarge);
        QVERIFY(j.error.contains(QLatin1String("bomb.jpg")));

        // The limit is configurable and applies to real images too.
        DecodeOptions small;
        small.maxPixels = 5000;
        const QString normal = write("normal.png", encode(solidBgr(100, 100, {1, 2, 3}), ".png"));
        QCOMPARE(decodeImageFile(normal, small).status, DecodeStatus::TooLarge);
        QVERIFY(decodeImageFile(normal).ok());
        small.maxFileBytes = 10;
        QCOMPARE(decodeImageFile(normal, small).status, DecodeStatus::TooLarge);
    }

    void headerProbeReadsEveryFormat() {
        const cv::Mat image = solidBgr(37, 23, {9, 8, 7});
        const struct {
            const char* ext;
            ImageFormat format;
        } cases[] = {{".jpg", ImageFormat::Jpeg},
                     {".png", ImageFormat::Png},
                     {".bmp", ImageFormat::Bmp},
                     {".tiff", ImageFormat::Tiff},
                     {".webp", ImageFormat::WebP}};
        for (const auto& c : cases) {
            const ImageHeader header = probeImageHeader(encode(image, c.ext));
            QCOMPARE(int(header.format), int(c.format));
            QCOMPARE(header.width, 37);
            QCOMPARE(header.height, 23);
            const DecodedImage decoded = decodeImageBytes(encode(image, c.ext), c.ext);
            QVERIFY2(decoded.ok(), qPrintable(decoded.error));
            QCOMPARE(decoded.rgb.size(), cv::Size(37, 23));
        }
        QVERIFY(!probeImageHeader(QByteArray("\xFF\xD8\xFF", 3)).hasDimensions());
    }

    void hostileBytesNeverCrash() {
        cv::Mat noise(48, 48, CV_8UC3);
        cv::randu(noise, 0, 255);
        std::mt19937 rng(1234);
        for (const char* ext : {".jpg", ".png", ".bmp", ".tiff", ".webp"}) {
            const QByteArray original = encode(noise, ext);
            for (int round = 0; round < 60; ++round) {
                QByteArray bytes = original;
                const int flips = 1 + int(rng() % 12);
                for (int k = 0; k < flips; ++k)
                    bytes[int(rng() % quint32(bytes.size()))] = char(rng());
                if (round % 3 == 0)
                    bytes.truncate(int(rng() % quint32(bytes.size())) + 1);
                const DecodedImage result = decodeImageBytes(bytes, QStringLiteral("fuzz"));
                if (result.ok())
                    QCOMPARE(result.rgb.type(), CV_8UC3);
                else
                    QVERIFY(result.error.startsWith(QLatin1String("fuzz: ")));
            }
        }
    }

    void unicodeAndLongPaths() {
        const QByteArray png = encode(solidBgr(4, 4, {0, 0, 255}), ".png");
        const DecodedImage unicode = decodeImageFile(write(QStringLiteral("bild_ü_日本.png"), png));
        QVERIFY2(unicode.ok(), qPrintable(unicode.error));
        QString deep = QStringLiteral("long");
        for (int i = 0; i < 12; ++i)
            deep += QStringLiteral("/segment_%1_abcdefghijklmnopqrstuvwxyz").arg(i);
        QVERIFY(QDir(dir_.path()).mkpath(deep));
        const QString path = write(deep + QStringLiteral("/image.png"), png);
        QVERIFY(path.size() > 300);
        const DecodedImage longPath = decodeImageFile(path);
        QVERIFY2(longPath.ok(), qPrintable(longPath.error));
        QCOMPARE(rgbAt(longPath.rgb, 0, 0), cv::Vec3b(255, 0, 0));
    }

    void resizeModes() {
        QCOMPARE(targetSize(300, 200, ResizeSpec::fixed(224, 224)), cv::Size(224, 224));
        QCOMPARE(targetSize(300, 200, ResizeSpec::keepAspect(224, 16)), cv::Size(336, 224));
        // 1000 x 333: 224/333 scales the width to 672.7 -> 42 patches of 16.
        QCOMPARE(targetSize(1000, 333, ResizeSpec::keepAspect(224, 16)), cv::Size(672, 224));
        QCOMPARE(targetSize(333, 1000, ResizeSpec::keepAspect(224, 14)), cv::Size(224, 672));
        QCOMPARE(targetSize(10, 5, ResizeSpec::keepAspect(8, 16)), cv::Size(16, 16)); // >= 1 patch
        QCOMPARE(targetSize(1000, 100, ResizeSpec::keepAspect(224, 16, 448)), cv::Size(448, 48));
        QCOMPARE(targetSize(640, 480, ResizeSpec::none()), cv::Size(640, 480));

        const cv::Mat rgb(200, 300, CV_8UC3, cv::Scalar(10, 200, 30));
        const cv::Mat fixed = resizeForModel(rgb, ResizeSpec::fixed(224, 160));
        QCOMPARE(fixed.size(), cv::Size(224, 160));
        QCOMPARE(fixed.at<cv::Vec3b>(80, 100), cv::Vec3b(10, 200, 30)); // flat stays flat
        const cv::Mat aspect = resizeForModel(rgb, ResizeSpec::keepAspect(448, 16));
        QCOMPARE(aspect.size(), cv::Size(672, 448));
        QCOMPARE(aspect.cols % 16, 0);
        QCOMPARE(aspect.rows % 16, 0);
        QCOMPARE(aspect.type(), CV_8UC3);
    }

    void resizeValidationNamesTheParameter() {
        QVERIFY(ResizeSpec::fixed(224, 224).validate().isEmpty());
        QVERIFY(ResizeSpec::fixed(0, 224).validate().contains(QLatin1String("width")));
        QVERIFY(ResizeSpec::keepAspect(224, 0).validate().contains(QLatin1String("patchSize")));
        QVERIFY(ResizeSpec::keepAspect(-5, 16).validate().contains(QLatin1String("shortSide")));
    }

    void normalisationIsPlanarChw() {
        cv::Mat rgb(1, 2, CV_8UC3);
        rgb.at<cv::Vec3b>(0, 0) = cv::Vec3b(255, 0, 0);
        rgb.at<cv::Vec3b>(0, 1) = cv::Vec3b(0, 255, 51);
        const std::vector<float> chw = toNormalizedChw(rgb);
        QCOMPARE(int(chw.size()), 6);
        // The ImageNet statistics DINO was trained with (torchvision's published values),
        // written out here rather than read from the implementation's Normalization.
        const double mean[3] = {0.485, 0.456, 0.406}, stdev[3] = {0.229, 0.224, 0.225};
        QVERIFY(qAbs(chw[0] - (1.0 - mean[0]) / stdev[0]) < 1e-5); // R plane, pixel 0: 2.2489
        QVERIFY(qAbs(chw[1] - (0.0 - mean[0]) / stdev[0]) < 1e-5); // R plane, pixel 1: -2.1179
        QVERIFY(qAbs(chw[2] - (0.0 - mean[1]) / stdev[1]) < 1e-5); // G plane, pixel 0
        QVERIFY(qAbs(chw[3] - (1.0 - mean[1]) / stdev[1]) < 1e-5); // G plane, pixel 1
        QVERIFY(qAbs(chw[4] - (0.0 - mean[2]) / stdev[2]) < 1e-5); // B plane, pixel 0
        QVERIFY(qAbs(chw[5] - (0.2 - mean[2]) / stdev[2]) < 1e-5); // B plane, pixel 1
    }
};

QTEST_GUILESS_MAIN(TestImageDecoder)
#include "test_image_decoder.moc"
