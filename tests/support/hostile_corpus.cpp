// SPDX-License-Identifier: GPL-3.0-or-later
#include "support/hostile_corpus.h"

#include "support/gif_bytes.h"
#include "support/image_bytes.h"

#include <QDir>
#include <QFile>
#include <QSet>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio> // jpeglib.h needs FILE
#include <jpeglib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <random>

namespace hostile {

using namespace imagebytes;

namespace {

const QString kOrdinary = QStringLiteral("ordinary scene");

cv::Mat scene(int i, int width = 96, int height = 72) {
    cv::Mat image(height, width, CV_8UC3, cv::Scalar(30 * (i % 7), 200 - 25 * (i % 6), 90));
    cv::circle(image, {width / 3 + 5 * i, height / 2}, 8 + 3 * i, cv::Scalar(250, 40 * i, 20),
               cv::FILLED);
    cv::rectangle(image, {width / 2, 4 + i}, {width - 6, height / 2 + i},
                  cv::Scalar(10, 240 - 20 * i, 200), cv::FILLED);
    return image;
}

class CorpusWriter {
public:
    explicit CorpusWriter(const QString& folder) : root_(folder) { QDir().mkpath(folder); }

    QString path(const QString& relative) const { return root_.filePath(relative); }

    void bytes(const QString& relative, const QByteArray& content) {
        QDir().mkpath(QFileInfo(path(relative)).absolutePath());
        QFile file(path(relative));
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qFatal("hostile corpus: cannot write %s", qPrintable(path(relative)));
    }

    void add(const QString& kind, const QString& relative, Outcome outcome,
             const QString& reason = {}) {
        cases_.push_back({kind, relative, outcome, reason});
    }

    std::vector<Case> cases() const { return cases_; }

private:
    QDir root_;
    std::vector<Case> cases_;
};

/// CMYK and YCCK JPEGs (what print workflows and Photoshop write): OpenCV cannot encode them,
/// libjpeg can.
QByteArray fourChannelJpeg(J_COLOR_SPACE storedAs) {
    const int width = 40, height = 30;
    jpeg_compress_struct compress{};
    jpeg_error_mgr errors{};
    compress.err = jpeg_std_error(&errors);
    jpeg_create_compress(&compress);
    unsigned char* buffer = nullptr;
    unsigned long size = 0;
    jpeg_mem_dest(&compress, &buffer, &size);
    compress.image_width = width;
    compress.image_height = height;
    compress.input_components = 4;
    compress.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&compress);
    jpeg_set_colorspace(&compress, storedAs);
    jpeg_set_quality(&compress, 90, TRUE);
    jpeg_start_compress(&compress, TRUE);
    std::vector<JSAMPLE> row(size_t(width) * 4);
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            row[size_t(x) * 4 + 0] = JSAMPLE(255 - 6 * x); // Adobe's inverted CMYK
            row[size_t(x) * 4 + 1] = JSAMPLE(255 - 8 * y);
            row[size_t(x) * 4 + 2] = JSAMPLE(128);
            row[size_t(x) * 4 + 3] = JSAMPLE(230);
        }
        JSAMPROW rows[1] = {row.data()};
        jpeg_write_scanlines(&compress, rows, 1);
    }
    jpeg_finish_compress(&compress);
    const QByteArray jpeg(reinterpret_cast<const char*>(buffer), qsizetype(size));
    jpeg_destroy_compress(&compress);
    free(buffer);
    return jpeg;
}

/// A two-frame animated GIF (giflib): the first frame is the one used.
QByteArray animatedGif() {
    gifbytes::GifSpec spec;
    spec.palette = {{250, 30, 30}, {30, 30, 250}};
    cv::Mat first(24, 32, CV_8UC1, cv::Scalar(0));
    first(cv::Rect(8, 6, 12, 10)).setTo(1);
    spec.frames = {first, cv::Mat(24, 32, CV_8UC1, cv::Scalar(1))};
    return gifbytes::encodeGif(spec);
}

/// A little-endian TIFF header with one IFD: width, height, 8-bit RGB, nothing else.
QByteArray tiffBombHeader(quint32 width, quint32 height) {
    auto entry = [](quint16 tag, quint16 type, quint32 value) {
        return le16(tag) + le16(type) + le32(1) + le32(value);
    };
    return QByteArray("II*\0", 4) + le32(8) + le16(4) + entry(256, 4, width) +
           entry(257, 4, height) + entry(258, 3, 8) + entry(277, 3, 3) + le32(0);
}

/// A BITMAPINFOHEADER BMP header claiming width x height 24-bit pixels, with no pixels.
QByteArray bmpBombHeader(qint32 width, qint32 height) {
    return QByteArray("BM", 2) + le32(54) + le32(0) + le32(54) + le32(40) + le32(quint32(width)) +
           le32(quint32(height)) + le16(1) + le16(24) + QByteArray(24, '\0');
}

QByteArray randomBytes(int count, unsigned seed) {
    std::mt19937 rng(seed);
    QByteArray out(count, '\0');
    for (char& c : out)
        c = char(rng());
    return out;
}

void writeUsable(CorpusWriter& w) {
    w.bytes("cmyk.jpg", fourChannelJpeg(JCS_CMYK));
    w.add("CMYK JPEG", "cmyk.jpg", Outcome::Used);
    w.bytes("ycck.jpg", fourChannelJpeg(JCS_YCCK));
    w.add("YCCK JPEG", "ycck.jpg", Outcome::Used);
    cv::Mat deep;
    scene(1).convertTo(deep, CV_16UC3, 257.0);
    w.bytes("sixteen_bit.png", encode(deep, ".png"));
    w.add("16-bit PNG", "sixteen_bit.png", Outcome::Used);
    const QByteArray palette("\xFF\x00\x00\x00\xFF\x00\x00\x00\xFF", 9);
    w.bytes("palette.png", buildPng(3, 2, 3, 1, QByteArray("\x00\x01\x02\x02\x01\x00", 6),
                                    pngChunk("PLTE", palette)));
    w.add("palette PNG", "palette.png", Outcome::Used);
    cv::Mat bgra;
    cv::cvtColor(scene(2), bgra, cv::COLOR_BGR2BGRA);
    bgra(cv::Rect(0, 0, 30, 30)).setTo(cv::Scalar(0, 0, 0, 0));
    w.bytes("alpha.png", encode(bgra, ".png"));
    w.add("RGBA PNG with transparency", "alpha.png", Outcome::Used);
    w.bytes("grey_alpha.png", buildPng(2, 1, 4, 2, QByteArray("\x10\xFF\xF0\x00", 4)));
    w.add("grey + alpha PNG", "grey_alpha.png", Outcome::Used);
    cv::Mat grey;
    cv::cvtColor(scene(3), grey, cv::COLOR_BGR2GRAY);
    w.bytes("grey.jpg", encode(grey, ".jpg"));
    w.add("greyscale JPEG", "grey.jpg", Outcome::Used);
    w.bytes("one_pixel.png", encode(cv::Mat(1, 1, CV_8UC3, cv::Scalar(1, 2, 3)), ".png"));
    w.add("1 x 1 image", "one_pixel.png", Outcome::Used);
    w.bytes("png_inside.jpg", encode(scene(4), ".png"));
    w.add("wrong extension (PNG named .jpg)", "png_inside.jpg", Outcome::Used);
    if (!cv::imwritemulti(w.path("multipage.tiff").toStdString(),
                          std::vector<cv::Mat>{scene(5), scene(6)}))
        qFatal("hostile corpus: cv::imwritemulti failed");
    w.add("multipage TIFF", "multipage.tiff", Outcome::Used);
    cv::Mat unit;
    scene(7).convertTo(unit, CV_32FC3, 1.0 / 255.0);
    w.bytes("float.tiff", encode(unit, ".tiff"));
    w.add("32-bit float TIFF", "float.tiff", Outcome::Used);
    w.bytes("progressive.jpg", encode(scene(8), ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
    w.add("progressive JPEG", "progressive.jpg", Outcome::Used);
    w.bytes("UPPER_CASE.JPEG", encode(scene(9), ".jpg"));
    w.add("upper-case extension", "UPPER_CASE.JPEG", Outcome::Used);
    w.bytes("panorama.png", encode(scene(10, 3000, 4), ".png"));
    w.add("extreme aspect ratio (3000 x 4)", "panorama.png", Outcome::Used);
    const QString longName = QString(200, QLatin1Char('n')) + QStringLiteral(".png");
    w.bytes(longName, encode(scene(11), ".png"));
    w.add("200-character file name", longName, Outcome::Used);
    const QString unicodeName = QString::fromUtf8("sch\xC3\xB6n_\xE7\x94\xBB\xE5\x83\x8F.png");
    w.bytes(unicodeName, encode(scene(12), ".png"));
    w.add("non-ASCII UTF-8 name", unicodeName, Outcome::Used);
    w.bytes("album.jpg/inside.png", encode(scene(13), ".png"));
    w.add("folder named like an image", "album.jpg/inside.png", Outcome::Used);
    w.bytes("photo.webp", encode(scene(14), ".webp"));
    w.add("WebP", "photo.webp", Outcome::Used);
    w.bytes("animated.gif", animatedGif());
    w.add("animated GIF", "animated.gif", Outcome::Used);
    if (!QFile::link(QStringLiteral("ordinary_0.png"), w.path("alias.png")))
        qFatal("hostile corpus: cannot create a symlink");
    w.add("symlink to an image", "alias.png", Outcome::Used);
}

void writeBroken(CorpusWriter& w) {
    const QByteArray jpeg = encode(scene(15), ".jpg");
    const QByteArray png = encode(scene(16), ".png");
    w.bytes("empty.jpg", {});
    w.add("zero-byte file", "empty.jpg", Outcome::Failed, "empty");
    w.bytes("truncated.jpg", jpeg.left(jpeg.size() / 2));
    w.add("truncated JPEG", "truncated.jpg", Outcome::Failed, "truncated");
    w.bytes("truncated.png", png.left(png.size() / 2));
    w.add("truncated PNG", "truncated.png", Outcome::Failed, "truncated or corrupt");
    QByteArray badCrc = png;
    const qsizetype idat = badCrc.indexOf("IDAT");
    badCrc[idat + 20] = char(badCrc[idat + 20] ^ 0x5A);
    w.bytes("bad_crc.png", badCrc);
    w.add("PNG with damaged compressed data", "bad_crc.png", Outcome::Failed, "corrupt");
    const QByteArray webp = encode(scene(17), ".webp");
    w.bytes("truncated.webp", webp.left(webp.size() / 2));
    w.add("truncated WebP", "truncated.webp", Outcome::Failed, "corrupt");
    w.bytes("error_page.jpg", "<!DOCTYPE html><html><body>404 Not Found</body></html>\n");
    w.add("HTML error page saved as .jpg", "error_page.jpg", Outcome::Failed, "not an image");
    w.bytes("noise.png", randomBytes(3000, 99));
    w.add("random bytes named .png", "noise.png", Outcome::Failed, "not an image");
    w.bytes("bomb.png", pngBombHeader(30000, 30000));
    w.add("PNG header declaring 30000 x 30000", "bomb.png", Outcome::Failed, "decompression");
    w.bytes("bomb.jpg", jpegBombHeader(30000, 30000));
    w.add("JPEG header declaring 30000 x 30000", "bomb.jpg", Outcome::Failed, "decompression");
    w.bytes("bomb.bmp", bmpBombHeader(30000, -30000));
    w.add("BMP header declaring 30000 x 30000", "bomb.bmp", Outcome::Failed, "decompression");
    w.bytes("bomb.tiff", tiffBombHeader(30000, 30000));
    w.add("TIFF header declaring 30000 x 30000", "bomb.tiff", Outcome::Failed, "decompression");
    const QByteArray gif = animatedGif();
    w.bytes("truncated.gif", gif.left(gif.size() / 2));
    w.add("truncated GIF", "truncated.gif", Outcome::Failed, "GIF data is damaged");
    cv::Mat signedSamples(20, 20, CV_16SC1, cv::Scalar(-300));
    w.bytes("signed.tiff", encode(signedSamples, ".tiff"));
    w.add("signed 16-bit TIFF", "signed.tiff", Outcome::Failed, "signed integer");
}

/// Raw bytes: "bad" + 0xFF + "name.png" is not valid UTF-8.
QByteArray undecodableName(const QString& folder) {
    return QFile::encodeName(folder) + "/bad\xFFname.png";
}

void writeFileSystemOddities(CorpusWriter& w, const CorpusOptions& options) {
    const QByteArray badName = undecodableName(w.path(QString()));
    if (FILE* file = std::fopen(badName.constData(), "wb")) {
        const QByteArray png = encode(scene(18), ".png");
        std::fwrite(png.constData(), 1, size_t(png.size()), file);
        std::fclose(file);
    } else {
        qFatal("hostile corpus: cannot write a non-UTF-8 name");
    }
    w.add("non-UTF-8 file name", QString::fromUtf8("bad\xEF\xBF\xBDname.png"), Outcome::Failed,
          "not valid UTF-8");
    if (!QFile::link(QStringLiteral("loop_b.jpg"), w.path("loop_a.jpg")) ||
        !QFile::link(QStringLiteral("loop_a.jpg"), w.path("loop_b.jpg")) ||
        !QFile::link(QStringLiteral("missing_target.png"), w.path("dangling.png")))
        qFatal("hostile corpus: cannot create symlinks");
    w.add("symlink loop", "loop_a.jpg", Outcome::Failed, "leads nowhere");
    w.add("symlink loop (other end)", "loop_b.jpg", Outcome::Failed, "leads nowhere");
    w.add("dangling symlink", "dangling.png", Outcome::Failed, "leads nowhere");
    if (::mkfifo(QFile::encodeName(w.path("fifo.jpg")).constData(), 0644) != 0)
        qFatal("hostile corpus: mkfifo failed");
    w.add("FIFO named like an image", "fifo.jpg", Outcome::Failed, "not a regular file");
    QDir().mkpath(w.path("nested"));
    if (!QFile::link(QStringLiteral(".."), w.path("nested/up")))
        qFatal("hostile corpus: cannot create a folder symlink");
    w.add("symlink loop between folders", "nested/up", Outcome::Warned, "already scanned");
    if (options.unreadableFile) {
        w.bytes("locked.jpg", encode(scene(19), ".jpg"));
        QFile::setPermissions(w.path("locked.jpg"), QFileDevice::Permissions());
        w.add("unreadable file (no permission)", "locked.jpg", Outcome::Failed, "cannot open");
    }
}

} // namespace

std::vector<Case> writeCorpus(const QString& folder, const CorpusOptions& options) {
    CorpusWriter w(folder);
    for (int i = 0; i < 8; ++i) {
        const QString name = QStringLiteral("ordinary_%1.png").arg(i);
        w.bytes(name, encode(scene(20 + i, 128, 96), ".png"));
        w.add(kOrdinary, name, Outcome::Used);
    }
    writeUsable(w);
    writeBroken(w);
    writeFileSystemOddities(w, options);
    w.bytes("notes.txt", "not an image extension: never part of the pool\n");
    return w.cases();
}

void prepareRemoval(const QString& folder) {
    ::unlink(undecodableName(folder).constData());
    QFile::setPermissions(QDir(folder).filePath(QStringLiteral("locked.jpg")),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner);
}

int hostileKindCount(const std::vector<Case>& cases) {
    QSet<QString> kinds;
    for (const Case& c : cases)
        if (c.kind != kOrdinary && !c.kind.endsWith(QLatin1String("(other end)")))
            kinds.insert(c.kind);
    return int(kinds.size());
}

} // namespace hostile
