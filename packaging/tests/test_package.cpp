// SPDX-License-Identifier: GPL-3.0-or-later
// The Debian package as a user gets it: cpack builds the .deb into a scratch folder (never the
// build folder's own package), its control fields are checked, it is unpacked with dpkg-deb -x
// into a scratch root (never installed onto this machine), and the binaries are run from there:
// versions, `freesel info` naming the installed data folder, the site weights folder, and a
// selection over a generated pool on the offline backend. The desktop entry and the AppStream
// metadata are validated with the Debian tools; icons and man pages must be where desktops and
// man look for them. A missing tool fails the test with the Debian package to install.

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace {

const QString kAppId = QStringLiteral(FREESEL_APP_ID);
const QString kVersion = QStringLiteral(FREESEL_VERSION);

struct Result {
    bool started = false;
    int exitCode = -1;
    QString out;
    QString err;

    QString describe() const {
        return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(exitCode).arg(out, err);
    }
};

Result execute(const QString& program, const QStringList& arguments,
               const QProcessEnvironment& environment = QProcessEnvironment::systemEnvironment(),
               int timeoutMs = 120000) {
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    Result result;
    result.started = process.waitForStarted();
    if (!result.started || !process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err =
            QStringLiteral("%1 did not start or finish: %2").arg(program, process.errorString());
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err += QString::fromUtf8(process.readAllStandardError());
    return result;
}

/// The tool's path, or empty with *message naming the Debian package that provides it.
QString findTool(const QString& tool, const QString& debianPackage, QString* message) {
    const QString path = QStandardPaths::findExecutable(tool);
    if (path.isEmpty())
        *message = QStringLiteral("%1 not found: install the Debian package %2 "
                                  "(scripts/setup installs it)")
                       .arg(tool, debianPackage);
    return path;
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// "Field: value" lines of `dpkg-deb -f`; continuation lines (leading space) are appended.
QMap<QString, QString> controlFields(const QString& text) {
    QMap<QString, QString> fields;
    QString last;
    for (const QString& line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        if (line.startsWith(QLatin1Char(' ')) && !last.isEmpty()) {
            fields[last] += QLatin1Char('\n') + line.trimmed();
            continue;
        }
        last = line.section(QLatin1Char(':'), 0, 0);
        fields[last] = line.section(QLatin1Char(':'), 1).trimmed();
    }
    return fields;
}

/// Width and height from a PNG's IHDR chunk; {-1, -1} when it is no PNG.
QSize pngSize(const QByteArray& png) {
    if (png.size() < 24 || !png.startsWith("\x89PNG\r\n\x1a\n") || png.mid(12, 4) != "IHDR")
        return {-1, -1};
    auto bigEndian = [&png](int at) {
        return int((uchar(png[at]) << 24) | (uchar(png[at + 1]) << 16) | (uchar(png[at + 2]) << 8) |
                   uchar(png[at + 3]));
    };
    return {bigEndian(16), bigEndian(20)};
}

/// A small scene per index, half PNG and half JPEG: coloured shapes on a distinct background.
void writePool(const QString& folder, int count) {
    QDir().mkpath(folder);
    for (int i = 0; i < count; ++i) {
        cv::Mat image(96, 128, CV_8UC3, cv::Scalar(40 * (i % 6), 255 - 30 * (i % 8), 20 * i));
        cv::circle(image, {20 + 7 * i, 30 + 3 * i}, 10 + i, cv::Scalar(255 - 20 * i, 60, 128),
                   cv::FILLED);
        cv::rectangle(image, {5 * i, 50}, {5 * i + 30, 90}, cv::Scalar(0, 20 * i, 200), cv::FILLED);
        const char* extension = i % 2 ? "jpg" : "png";
        const QString path = QStringLiteral("%1/scene_%2.%3")
                                 .arg(folder)
                                 .arg(i, 2, 10, QLatin1Char('0'))
                                 .arg(QLatin1String(extension));
        if (!cv::imwrite(path.toStdString(), image))
            qFatal("cannot write %s", qPrintable(path));
    }
}

} // namespace

class TestPackage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void controlFieldsAndDependencies();
    void filesLieWhereTheyBelong();
    void iconsHaveTheirSizes();
    void manPagesAreGzipped();
    void installedProgramsRun();
    void infoNamesTheInstalledDataFolder();
    void siteWeightsFolderIsSearchedFirst();
    void selectsFromAGeneratedPool();
    void desktopEntryValidates();
    void metainfoValidates();
    void licenceIsDeclared();

private:
    QString installed(const QString& relative) const {
        return root_ + QStringLiteral("/usr/") + relative;
    }
    QString dataFolder() const { return installed(QStringLiteral("share/freesel-studio")); }
    QString cli() const { return installed(QStringLiteral("bin/freesel")); }
    /// Run in the scratch root: caches and XDG data under the scratch folder, not the user's.
    QProcessEnvironment environment() const;

    QTemporaryDir scratch_;
    QString deb_;
    QString root_;
    QStringList contents_; ///< `dpkg-deb -c` paths, without the leading "."
};

QProcessEnvironment TestPackage::environment() const {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_CACHE_HOME"),
                       scratch_.filePath(QStringLiteral("cache")));
    environment.insert(QStringLiteral("XDG_DATA_HOME"),
                       scratch_.filePath(QStringLiteral("data-home")));
    environment.insert(QStringLiteral("XDG_DATA_DIRS"),
                       scratch_.filePath(QStringLiteral("data-dirs")));
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.remove(QStringLiteral("FREESEL_MODEL_DIR"));
    environment.remove(QStringLiteral("FREESEL_MANIFEST"));
    return environment;
}

void TestPackage::initTestCase() {
    QVERIFY(scratch_.isValid());
    QString missing;
    const QString dpkgDeb = findTool(QStringLiteral("dpkg-deb"), QStringLiteral("dpkg"), &missing);
    QVERIFY2(!dpkgDeb.isEmpty(), qPrintable(missing));
    QVERIFY2(
        !findTool(QStringLiteral("dpkg-shlibdeps"), QStringLiteral("dpkg-dev"), &missing).isEmpty(),
        qPrintable(missing));
    QVERIFY2(!findTool(QStringLiteral("file"), QStringLiteral("file"), &missing).isEmpty(),
             qPrintable(missing));

    // A scratch output folder: cpack's staging tree and the .deb never race other runs.
    QElapsedTimer timer;
    timer.start();
    const QString out = scratch_.filePath(QStringLiteral("cpack"));
    const Result cpack =
        execute(QStringLiteral(FREESEL_CPACK),
                {QStringLiteral("-G"), QStringLiteral("DEB"), QStringLiteral("--config"),
                 QStringLiteral(FREESEL_BUILD_DIR "/CPackConfig.cmake"), QStringLiteral("-B"), out},
                QProcessEnvironment::systemEnvironment(), 400000);
    QVERIFY2(cpack.exitCode == 0, qPrintable(cpack.describe()));
    const QStringList debs = QDir(out).entryList({QStringLiteral("*.deb")}, QDir::Files);
    QVERIFY2(debs.size() == 1, qPrintable(debs.join(QLatin1Char(' ')) + cpack.describe()));
    deb_ = out + QLatin1Char('/') + debs.first();
    qInfo("cpack: %s in %.1f s", qPrintable(debs.first()), timer.elapsed() / 1000.0);

    root_ = scratch_.filePath(QStringLiteral("root"));
    const Result extract = execute(dpkgDeb, {QStringLiteral("-x"), deb_, root_});
    QVERIFY2(extract.exitCode == 0, qPrintable(extract.describe()));
    // QCoreApplication::applicationDirPath() is canonical: compare canonical paths.
    root_ = QFileInfo(root_).canonicalFilePath();
    const Result list = execute(dpkgDeb, {QStringLiteral("-c"), deb_});
    QVERIFY2(list.exitCode == 0, qPrintable(list.describe()));
    for (const QString& line : list.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        contents_ << line.section(QLatin1Char(' '), -1).mid(1);
}

void TestPackage::controlFieldsAndDependencies() {
    const Result info = execute(QStringLiteral("dpkg-deb"), {QStringLiteral("-f"), deb_});
    QVERIFY2(info.exitCode == 0, qPrintable(info.describe()));
    const QMap<QString, QString> fields = controlFields(info.out);
    QCOMPARE(fields.value(QStringLiteral("Package")), QStringLiteral("freesel-studio"));
    QCOMPARE(fields.value(QStringLiteral("Version")), kVersion);
    QCOMPARE(fields.value(QStringLiteral("Section")), QStringLiteral("graphics"));
    const Result arch = execute(QStringLiteral("dpkg"), {QStringLiteral("--print-architecture")});
    QCOMPARE(fields.value(QStringLiteral("Architecture")), arch.out.trimmed());
    QVERIFY(!fields.value(QStringLiteral("Maintainer")).isEmpty());
    QVERIFY(fields.value(QStringLiteral("Description")).contains(QLatin1String("annotat")));
    // dpkg-shlibdeps derived these from the binaries: the libraries we link must be there.
    const QString depends = fields.value(QStringLiteral("Depends"));
    qInfo("Depends: %s", qPrintable(depends));
    for (const char* package : {"libc6", "libqt6core6", "libqt6network6", "libqt6widgets6",
                                "libopencv-core", "libopencv-imgcodecs", "libtorch"})
        QVERIFY2(depends.contains(QLatin1String(package)),
                 qPrintable(
                     QStringLiteral("Depends lacks %1: %2").arg(QLatin1String(package), depends)));
}

void TestPackage::filesLieWhereTheyBelong() {
    const QStringList expected = {
        QStringLiteral("/usr/bin/freesel"),
        QStringLiteral("/usr/bin/freesel-studio"),
        QStringLiteral("/usr/share/applications/%1.desktop").arg(kAppId),
        QStringLiteral("/usr/share/metainfo/%1.metainfo.xml").arg(kAppId),
        QStringLiteral("/usr/share/icons/hicolor/scalable/apps/%1.svg").arg(kAppId),
        QStringLiteral("/usr/share/man/man1/freesel.1.gz"),
        QStringLiteral("/usr/share/man/man1/freesel-studio.1.gz"),
        QStringLiteral("/usr/share/freesel-studio/weights/README"),
        QStringLiteral("/usr/share/doc/freesel-studio/changelog.gz"),
        QStringLiteral("/usr/share/doc/freesel-studio/copyright"),
    };
    for (const QString& path : expected) {
        QVERIFY2(contents_.contains(path), qPrintable(path + QStringLiteral(" not in the .deb")));
        QVERIFY2(QFileInfo(root_ + path).isFile(), qPrintable(root_ + path));
    }
    for (const QString& path : contents_)
        QVERIFY2(path.startsWith(QLatin1String("/usr/")) || path == QLatin1String("/"),
                 qPrintable(path + QStringLiteral(": outside /usr")));
    for (const QString& program : {QStringLiteral("freesel"), QStringLiteral("freesel-studio")})
        QVERIFY(QFileInfo(installed(QStringLiteral("bin/") + program)).isExecutable());
    // Our libraries are static: nothing of ours beside the binaries, and no RPATH into a
    // build folder.
    for (const QString& path : contents_)
        QVERIFY2(!path.contains(QLatin1String("/lib/")), qPrintable(path));
    const Result dynamic = execute(QStringLiteral("readelf"), {QStringLiteral("-d"), cli()});
    QVERIFY2(dynamic.exitCode == 0, qPrintable(dynamic.describe()));
    QVERIFY2(!dynamic.out.contains(QLatin1String("PATH")), qPrintable(dynamic.out));
}

void TestPackage::iconsHaveTheirSizes() {
    const QString desktop = QString::fromUtf8(
        readFile(installed(QStringLiteral("share/applications/%1.desktop").arg(kAppId))));
    QVERIFY(desktop.contains(QStringLiteral("\nIcon=%1\n").arg(kAppId)));
    QVERIFY(desktop.contains(QLatin1String("\nExec=freesel-studio")));
    for (const QString& size :
         QStringLiteral(FREESEL_ICON_SIZES).split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString path =
            installed(QStringLiteral("share/icons/hicolor/%1x%1/apps/%2.png").arg(size, kAppId));
        QCOMPARE(pngSize(readFile(path)), QSize(size.toInt(), size.toInt()));
    }
    const QByteArray svg =
        readFile(installed(QStringLiteral("share/icons/hicolor/scalable/apps/%1.svg").arg(kAppId)));
    QVERIFY(svg.contains("<svg"));
}

void TestPackage::manPagesAreGzipped() {
    for (const QString& page : {QStringLiteral("freesel"), QStringLiteral("freesel-studio")}) {
        const QString path = installed(QStringLiteral("share/man/man1/%1.1.gz").arg(page));
        const QByteArray gz = readFile(path);
        // gzip -n: no file name (FLG.FNAME) and no time stamp, so the package is reproducible.
        QVERIFY2(gz.startsWith("\x1f\x8b") && !(gz[3] & 0x08) && gz.mid(4, 4) == QByteArray(4, 0),
                 qPrintable(path));
        const Result text = execute(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
        QVERIFY2(text.exitCode == 0, qPrintable(text.describe()));
        QVERIFY(text.out.contains(QLatin1String("\n.TH ")));
        QVERIFY2(text.out.contains(QStringLiteral("\"FreeSel Studio %1\"").arg(kVersion)),
                 qPrintable(path));
        QVERIFY(!text.out.contains(QLatin1String("@PROJECT_VERSION@")));
    }
}

void TestPackage::installedProgramsRun() {
    const Result cliVersion = execute(cli(), {QStringLiteral("--version")}, environment());
    QVERIFY2(cliVersion.exitCode == 0, qPrintable(cliVersion.describe()));
    QCOMPARE(cliVersion.out.trimmed(), QStringLiteral("freesel ") + kVersion);
    const Result guiVersion = execute(installed(QStringLiteral("bin/freesel-studio")),
                                      {QStringLiteral("--version")}, environment());
    QVERIFY2(guiVersion.exitCode == 0, qPrintable(guiVersion.describe()));
    QVERIFY2(guiVersion.out.contains(kVersion), qPrintable(guiVersion.describe()));
}

void TestPackage::infoNamesTheInstalledDataFolder() {
    const Result info =
        execute(cli(), {QStringLiteral("info"), QStringLiteral("--json")}, environment());
    QVERIFY2(info.exitCode == 0, qPrintable(info.describe()));
    const QJsonObject json = QJsonDocument::fromJson(info.out.toUtf8()).object();
    const QJsonObject first = json.value(QStringLiteral("data_dirs")).toArray().first().toObject();
    QCOMPARE(first.value(QStringLiteral("path")).toString(), dataFolder());
    QCOMPARE(first.value(QStringLiteral("origin")).toString(), QStringLiteral("installed"));
    QVERIFY(first.value(QStringLiteral("exists")).toBool());
    QCOMPARE(json.value(QStringLiteral("site_weights")).toArray().first().toString(),
             dataFolder() + QStringLiteral("/weights"));
    // Never the build tree's data: the binary runs outside it.
    QVERIFY2(!info.out.contains(QLatin1String("build tree")), qPrintable(info.out));

    const Result text = execute(cli(), {QStringLiteral("info")}, environment());
    QVERIFY2(text.out.contains(dataFolder() + QStringLiteral(" (installed)")),
             qPrintable(text.describe()));
}

void TestPackage::siteWeightsFolderIsSearchedFirst() {
    const QString manifest = scratch_.filePath(QStringLiteral("manifest.json"));
    QFile file(manifest);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("{\"version\":1,\"default\":\"tiny\",\"models\":[{\"name\":\"tiny\",\"family\":"
               "\"dino\",\"architecture\":{\"patch_size\":8,\"embed_dim\":48,\"depth\":2,"
               "\"num_heads\":3},\"url\":\"http://127.0.0.1:9/tiny.pth\",\"file_name\":"
               "\"tiny.pth\"}]}");
    file.close();
    const QString site = dataFolder() + QStringLiteral("/weights/tiny.pth");
    QFile weights(site);
    QVERIFY(weights.open(QIODevice::WriteOnly));
    weights.write("0123456789");
    weights.close();

    const QStringList manifestOption = {QStringLiteral("--manifest"), manifest};
    const Result path = execute(
        cli(),
        QStringList{QStringLiteral("models"), QStringLiteral("path"), QStringLiteral("tiny")} +
            manifestOption,
        environment());
    const Result list = execute(
        cli(),
        QStringList{QStringLiteral("models"), QStringLiteral("list"), QStringLiteral("--json")} +
            manifestOption,
        environment());
    QFile::remove(site);
    QVERIFY2(path.exitCode == 0, qPrintable(path.describe()));
    QCOMPARE(path.out.trimmed(), site);
    const QJsonObject tiny = QJsonDocument::fromJson(list.out.toUtf8()).array().first().toObject();
    QVERIFY2(tiny.value(QStringLiteral("cached")).toBool(), qPrintable(list.describe()));
}

void TestPackage::selectsFromAGeneratedPool() {
    const QString pool = scratch_.filePath(QStringLiteral("pool"));
    writePool(pool, 12);
    const QString picks = scratch_.filePath(QStringLiteral("picks.txt"));
    QElapsedTimer timer;
    timer.start();
    const Result select =
        execute(cli(),
                {QStringLiteral("select"), pool, QStringLiteral("--budget"), QStringLiteral("4"),
                 QStringLiteral("--backend"), QStringLiteral("offline"), QStringLiteral("--store"),
                 scratch_.filePath(QStringLiteral("store")), QStringLiteral("--out"), picks,
                 QStringLiteral("--threads"), QStringLiteral("2")},
                environment(), 300000);
    QVERIFY2(select.exitCode == 0, qPrintable(select.describe()));
    qInfo("select on 12 images: %.1f s", timer.elapsed() / 1000.0);
    const QStringList lines =
        QString::fromUtf8(readFile(picks)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QCOMPARE(QSet<QString>(lines.begin(), lines.end()).size(), 4);
    for (const QString& line : lines)
        QVERIFY2(line.startsWith(pool + QLatin1Char('/')) && QFileInfo::exists(line),
                 qPrintable(line));
    const QJsonObject provenance =
        QJsonDocument::fromJson(readFile(picks + QStringLiteral(".provenance.json"))).object();
    QVERIFY2(QJsonDocument(provenance).toJson().contains("offline"),
             qPrintable(QJsonDocument(provenance).toJson()));
}

void TestPackage::desktopEntryValidates() {
    QString missing;
    const QString validator = findTool(QStringLiteral("desktop-file-validate"),
                                       QStringLiteral("desktop-file-utils"), &missing);
    QVERIFY2(!validator.isEmpty(), qPrintable(missing));
    const Result result = execute(
        validator, {installed(QStringLiteral("share/applications/%1.desktop").arg(kAppId))});
    qInfo("desktop-file-validate: exit %d %s", result.exitCode,
          qPrintable((result.out + result.err).trimmed()));
    QVERIFY2(result.exitCode == 0 && !(result.out + result.err).contains(QLatin1String("error")),
             qPrintable(result.describe()));
}

void TestPackage::metainfoValidates() {
    QString missing;
    const QString validator =
        findTool(QStringLiteral("appstreamcli"), QStringLiteral("appstream"), &missing);
    QVERIFY2(!validator.isEmpty(), qPrintable(missing));
    const QString metainfo =
        installed(QStringLiteral("share/metainfo/%1.metainfo.xml").arg(kAppId));
    const Result file = execute(validator, {QStringLiteral("validate"), QStringLiteral("--no-net"),
                                            QStringLiteral("--pedantic"), metainfo});
    qInfo("appstreamcli validate: exit %d %s", file.exitCode,
          qPrintable((file.out + file.err).trimmed()));
    QVERIFY2(file.exitCode == 0, qPrintable(file.describe()));
    QVERIFY(QString::fromUtf8(readFile(metainfo))
                .contains(QStringLiteral("<release version=\"%1\"").arg(kVersion)));
    // The whole tree: the launchable desktop entry and the icon must be found beside it.
    const Result tree =
        execute(validator, {QStringLiteral("validate-tree"), QStringLiteral("--no-net"), root_});
    qInfo("appstreamcli validate-tree: exit %d %s", tree.exitCode,
          qPrintable((tree.out + tree.err).trimmed()));
    QVERIFY2(tree.exitCode == 0, qPrintable(tree.describe()));
}

void TestPackage::licenceIsDeclared() {
    // The DEP-5 copyright file: its format, our licence, and a stanza (Files:) per shipped
    // third-party file the source tree lists in packaging/copyright.
    const QString copyright = QString::fromUtf8(
        readFile(installed(QStringLiteral("share/doc/freesel-studio/copyright"))));
    QVERIFY(copyright.startsWith(QStringLiteral(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n")));
    QVERIFY(copyright.contains(QStringLiteral("Files: *\n")));
    QVERIFY(copyright.contains(QStringLiteral("License: GPL-3.0-or-later\n")));
    QVERIFY(copyright.contains(QStringLiteral("/usr/share/common-licenses/GPL-3")));
    // Every third-party file it names is really in the package (a stale stanza fails).
    static const QRegularExpression files(QStringLiteral("^Files: (.+)$"),
                                          QRegularExpression::MultilineOption);
    for (auto match = files.globalMatch(copyright); match.hasNext();) {
        for (const QString& pattern : match.next().captured(1).split(QLatin1Char(' '))) {
            if (pattern == QLatin1String("*"))
                continue;
            QVERIFY2(contents_.contains(QStringLiteral("/usr/") + pattern),
                     qPrintable(pattern + QStringLiteral(" is in the copyright file but not in "
                                                         "the .deb")));
        }
    }
    // The AppStream file declares the same licence, and CC0 for itself.
    const QString metainfo = QString::fromUtf8(
        readFile(installed(QStringLiteral("share/metainfo/%1.metainfo.xml").arg(kAppId))));
    QVERIFY(
        metainfo.contains(QStringLiteral("<project_license>GPL-3.0-or-later</project_license>")));
    QVERIFY(metainfo.contains(QStringLiteral("<metadata_license>CC0-1.0</metadata_license>")));
    // The source tree carries the full text.
    QVERIFY(readFile(QStringLiteral(FREESEL_SOURCE_DIR "/LICENSE"))
                .startsWith("                    GNU GENERAL PUBLIC LICENSE\n"));
}

QTEST_GUILESS_MAIN(TestPackage)
#include "test_package.moc"
