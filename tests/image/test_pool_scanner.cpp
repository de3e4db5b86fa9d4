// SPDX-License-Identifier: GPL-3.0-or-later
// Pool scanning: folder recursion, order, extension filter, symlink loops, list files and COCO
// json. Every input is generated in a temporary folder.

#include "image/pool_scanner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/imgcodecs.hpp>

#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace freesel;

namespace {

constexpr uid_t kNobody = 65534;

void writeImage(const QString& path) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    const cv::Mat image(8, 8, CV_8UC3, cv::Scalar(10, 20, 30));
    std::vector<uchar> bytes;
    QVERIFY(cv::imencode(".png", image, bytes)); // content only; the extension is the test
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size()));
}

void writeText(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(text);
}

QStringList relativePaths(const PoolScan& scan) {
    QStringList out;
    for (const PoolEntry& e : scan.entries)
        out << e.relativePath;
    return out;
}

QByteArray cocoJson(const QStringList& fileNames) {
    QJsonArray images;
    for (int i = 0; i < fileNames.size(); ++i)
        images.append(QJsonObject{{QStringLiteral("id"), 100 + i},
                                  {QStringLiteral("file_name"), fileNames[i]},
                                  {QStringLiteral("width"), 640 + i},
                                  {QStringLiteral("height"), 480}});
    return QJsonDocument(QJsonObject{{QStringLiteral("images"), images},
                                     {QStringLiteral("annotations"), QJsonArray()}})
        .toJson();
}

} // namespace

class TestPoolScanner : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void extensionsAreCaseInsensitive() {
        QVERIFY(hasPoolImageExtension(QStringLiteral("a.JPG")));
        QVERIFY(hasPoolImageExtension(QStringLiteral("a.b.TiFf")));
        QVERIFY(hasPoolImageExtension(QStringLiteral("x.webp")));
        QVERIFY(hasPoolImageExtension(QStringLiteral("x.gif")));
        QVERIFY(!hasPoolImageExtension(QStringLiteral("jpg")));
        QVERIFY(!hasPoolImageExtension(QStringLiteral("a.jpg.txt")));
        QVERIFY(!hasPoolImageExtension(QStringLiteral("a.svg")));
    }

    void folderIsRecursiveSortedAndFiltered() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QDir root(tmp.path());
        writeImage(root.filePath(QStringLiteral("b.jpg")));
        writeImage(root.filePath(QStringLiteral("a.PNG")));
        writeImage(root.filePath(QStringLiteral("sub/c.JpEg")));
        writeImage(root.filePath(QStringLiteral("sub/deep/d.tif")));
        writeImage(root.filePath(QStringLiteral("sub/deep/e.BMP")));
        writeImage(root.filePath(QStringLiteral("x.jpg/f.webp"))); // a folder named like an image
        writeImage(root.filePath(QStringLiteral("Z.gif")));
        writeImage(root.filePath(QStringLiteral(".hidden/g.jpg")));
        writeImage(root.filePath(QStringLiteral("._h.jpg")));
        writeText(root.filePath(QStringLiteral("notes.txt")), "not an image");
        writeText(root.filePath(QStringLiteral("sub/readme.jpg.txt")), "not an image");
        // A loop back to the root and an alias of a folder that is also reachable directly.
        QVERIFY(QFile::link(root.path(), root.filePath(QStringLiteral("sub/deep/loop"))));
        QVERIFY(QFile::link(root.filePath(QStringLiteral("sub")),
                            root.filePath(QStringLiteral("a_alias"))));
        // A symlinked folder outside the pool is followed.
        QTemporaryDir outside;
        writeImage(QDir(outside.path()).filePath(QStringLiteral("o.png")));
        QVERIFY(QFile::link(outside.path(), root.filePath(QStringLiteral("linked"))));

        const PoolScan scan = scanFolder(root.path());
        QVERIFY2(scan.ok(), qPrintable(scan.error));
        const QStringList expected{
            QStringLiteral("Z.gif"),          QStringLiteral("a.PNG"),
            QStringLiteral("b.jpg"),          QStringLiteral("linked/o.png"),
            QStringLiteral("sub/c.JpEg"),     QStringLiteral("sub/deep/d.tif"),
            QStringLiteral("sub/deep/e.BMP"), QStringLiteral("x.jpg/f.webp")};
        QCOMPARE(relativePaths(scan), expected);
        QCOMPARE(scan.root, QDir(root.path()).absolutePath());
        QCOMPARE(scan.warnings.filter(QStringLiteral("symlink")).size(), 2); // loop + alias

        const PoolEntry& b = scan.entries[2];
        QCOMPARE(b.path, root.filePath(QStringLiteral("b.jpg")));
        QCOMPARE(b.size, QFileInfo(b.path).size());
        QVERIFY(b.size > 0);
        QCOMPARE(b.mtimeMs, QFileInfo(b.path).lastModified().toMSecsSinceEpoch());
        QCOMPARE(b.cocoId, qint64(-1));

        // Deterministic: a second scan gives the same list.
        QCOMPARE(relativePaths(scanFolder(root.path())), expected);
    }

    void unreadableFolderDoesNotFailTheScan() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        // nobody (below) must reach the pool: open the temporary folder to others.
        QVERIFY(QFile::setPermissions(tmp.path(), QFileDevice::Permissions(0x7755)));
        writeImage(root.filePath(QStringLiteral("a.jpg")));
        writeImage(root.filePath(QStringLiteral("locked/b.jpg")));
        QVERIFY(QFile::setPermissions(root.filePath(QStringLiteral("locked")),
                                      QFileDevice::Permissions()));
        // Root reads any folder, and CI runs as root: scan in a child that drops to nobody (as
        // test_hostile_inputs does), so the unreadable branch runs wherever the suite runs.
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            if (::geteuid() == 0 &&
                (::setgroups(0, nullptr) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0))
                ::_exit(126);
            const PoolScan scan = scanFolder(root.path());
            const bool right = scan.ok() &&
                               relativePaths(scan) == QStringList{QStringLiteral("a.jpg")} &&
                               scan.warnings.filter(QStringLiteral("not readable")).size() == 1;
            ::_exit(right ? 0 : 1);
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QFile::setPermissions(root.filePath(QStringLiteral("locked")), QFileDevice::ReadOwner |
                                                                           QFileDevice::WriteOwner |
                                                                           QFileDevice::ExeOwner);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 0); // 126: could not drop root; 1: wrong scan
    }

    void missingFolderNamesThePath() {
        const QString missing = QStringLiteral("/nonexistent/freesel/pool");
        const PoolScan scan = scanFolder(missing);
        QVERIFY(!scan.ok());
        QVERIFY(scan.error.contains(missing));
        QVERIFY(scan.entries.empty());
        QVERIFY(scanPool(missing).error.contains(missing));
    }

    void listFileResolvesRelativePathsAndSkipsComments() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        writeImage(root.filePath(QStringLiteral("imgs/one.jpg")));
        writeImage(root.filePath(QStringLiteral("two.png")));
        const QString absoluteTwo = root.filePath(QStringLiteral("two.png"));
        const QByteArray text = "\xEF\xBB\xBF# my selection\n"
                                "\n"
                                "  imgs/one.jpg  \r\n"
                                "   # indented comment\n" +
                                absoluteTwo.toUtf8() +
                                "\n"
                                "missing.jpg\n"
                                "imgs/../imgs/one.jpg\n";
        const QString list = root.filePath(QStringLiteral("lists/pool.txt"));
        writeText(list, text);
        // Relative paths are resolved against the list's folder (lists/), so move the images'
        // reference accordingly: write the list next to the images instead.
        const QString local = root.filePath(QStringLiteral("pool.txt"));
        writeText(local, text);

        const PoolScan scan = scanPool(local);
        QVERIFY2(scan.ok(), qPrintable(scan.error));
        QCOMPARE(scan.entries.size(), size_t(3));
        QCOMPARE(scan.entries[0].path, root.filePath(QStringLiteral("imgs/one.jpg")));
        QCOMPARE(scan.entries[0].relativePath, QStringLiteral("imgs/one.jpg"));
        QVERIFY(scan.entries[0].exists());
        QCOMPARE(scan.entries[1].path, absoluteTwo);
        QCOMPARE(scan.entries[2].path, root.filePath(QStringLiteral("missing.jpg")));
        QVERIFY(!scan.entries[2].exists());
        QCOMPARE(scan.warnings.filter(QStringLiteral("missing.jpg")).size(), 1);
        QCOMPARE(scan.warnings.filter(QStringLiteral("more than once")).size(), 1);

        // From lists/, "imgs/one.jpg" points at lists/imgs/one.jpg: missing, but resolved there.
        const PoolScan nested = scanListFile(list);
        QVERIFY(nested.ok());
        QCOMPARE(nested.entries[0].path, root.filePath(QStringLiteral("lists/imgs/one.jpg")));
        QVERIFY(!nested.entries[0].exists());
        QVERIFY(nested.entries[1].exists()); // absolute paths are taken as they are

        const QString missingList = root.filePath(QStringLiteral("nope.txt"));
        QVERIFY(scanListFile(missingList).error.contains(missingList));
    }

    void cocoJsonKeepsIdsAndFindsTheImageRoot() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        writeImage(root.filePath(QStringLiteral("val2017/000001.jpg")));
        writeImage(root.filePath(QStringLiteral("val2017/000002.jpg")));
        const QString json = root.filePath(QStringLiteral("annotations/instances_val2017.json"));
        writeText(json, cocoJson({QStringLiteral("000001.jpg"), QStringLiteral("000002.jpg")}));

        const PoolScan scan = scanPool(json);
        QVERIFY2(scan.ok(), qPrintable(scan.error));
        QCOMPARE(scan.root, root.filePath(QStringLiteral("val2017")));
        QCOMPARE(scan.entries.size(), size_t(2));
        QCOMPARE(scan.entries[0].path, root.filePath(QStringLiteral("val2017/000001.jpg")));
        QCOMPARE(scan.entries[0].relativePath, QStringLiteral("000001.jpg"));
        QCOMPARE(scan.entries[0].cocoId, qint64(100));
        QCOMPARE(scan.entries[1].cocoId, qint64(101));
        QCOMPARE(scan.entries[1].width, 641);
        QCOMPARE(scan.entries[1].height, 480);
        QVERIFY(scan.entries[1].exists());
        QVERIFY(scan.warnings.isEmpty());

        // Explicit root wins; images missing there are kept with a warning.
        const PoolScan explicitRoot = scanCocoJson(json, root.path());
        QVERIFY(explicitRoot.ok());
        QVERIFY(!explicitRoot.entries[0].exists());
        QCOMPARE(explicitRoot.warnings.size(), 2);
    }

    void cocoJsonSiblingFolderAndJsonFolder() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        writeImage(root.filePath(QStringLiteral("pool/a.png")));
        const QString sibling = root.filePath(QStringLiteral("pool.json"));
        writeText(sibling, cocoJson({QStringLiteral("a.png")}));
        QCOMPARE(scanCocoJson(sibling).entries[0].path,
                 root.filePath(QStringLiteral("pool/a.png")));

        writeImage(root.filePath(QStringLiteral("here/b.png")));
        const QString inFolder = root.filePath(QStringLiteral("here/set.json"));
        writeText(inFolder, cocoJson({QStringLiteral("b.png")}));
        const PoolScan scan = scanCocoJson(inFolder);
        QCOMPARE(scan.entries[0].path, root.filePath(QStringLiteral("here/b.png")));
        QVERIFY(scan.entries[0].exists());

        // A tie (c.png both beside the json and in the folder named after it): the json's own
        // folder, the first candidate, wins. Rules out ties going to a later candidate.
        writeImage(root.filePath(QStringLiteral("tie/c.png")));
        writeImage(root.filePath(QStringLiteral("tie/set/c.png")));
        const QString tie = root.filePath(QStringLiteral("tie/set.json"));
        writeText(tie, cocoJson({QStringLiteral("c.png")}));
        QCOMPARE(scanCocoJson(tie).entries[0].path, root.filePath(QStringLiteral("tie/c.png")));
    }

    void badCocoJsonIsRefusedNamingTheFile() {
        QTemporaryDir tmp;
        const QDir root(tmp.path());
        const QString broken = root.filePath(QStringLiteral("broken.json"));
        writeText(broken, "{\"images\": [ {\"file_name\": ");
        PoolScan scan = scanPool(broken);
        QVERIFY(!scan.ok());
        QVERIFY(scan.error.contains(broken));
        QVERIFY(scan.error.contains(QStringLiteral("JSON")));

        const QString notCoco = root.filePath(QStringLiteral("other.json"));
        writeText(notCoco, "{\"categories\": []}");
        scan = scanPool(notCoco);
        QVERIFY(!scan.ok());
        QVERIFY(scan.error.contains(notCoco));
        QVERIFY(scan.error.contains(QStringLiteral("images")));

        const QString missing = root.filePath(QStringLiteral("missing.json"));
        QVERIFY(scanCocoJson(missing).error.contains(missing));
    }
};

QTEST_GUILESS_MAIN(TestPoolScanner)
#include "test_pool_scanner.moc"
