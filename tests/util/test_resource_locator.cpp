// SPDX-License-Identifier: GPL-3.0-or-later
// The data folder lookup (installed next to the executable, the build tree, the XDG folders) and
// the site-wide weights folders the weight cache searches before the per-user cache.

#include "util/resource_locator.h"
#include "weights/model_manifest.h"
#include "weights/weight_cache.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace freesel;

namespace {

void writeFile(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write %s", qPrintable(path));
}

QStringList paths(const QVector<DataDirectory>& dirs) {
    QStringList out;
    for (const DataDirectory& dir : dirs)
        out << dir.path;
    return out;
}

ModelInfo tinyModel() {
    ModelInfo model;
    model.name = QStringLiteral("tiny");
    model.fileName = QStringLiteral("tiny.pth");
    model.url = QUrl(QStringLiteral("https://example.org/tiny.pth"));
    return model;
}

} // namespace

class TestResourceLocator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    // An installed tree works from any prefix: the data folder is found relative to the
    // executable, e.g. after dpkg-deb -x into a scratch folder.
    void installedFolderIsRelativeToTheExecutable() {
        const QString prefix = dir_.filePath(QStringLiteral("prefix"));
        QDir().mkpath(prefix + QStringLiteral("/bin"));
        QDir().mkpath(prefix + QStringLiteral("/share/freesel-studio"));
        ResourceLocator::Layout layout;
        layout.executableDir = prefix + QStringLiteral("/bin");
        layout.installedRelative = QStringLiteral("../share/freesel-studio");
        const ResourceLocator locator(layout);
        QCOMPARE(locator.candidates().size(), 1);
        QCOMPARE(locator.candidates().first().path,
                 prefix + QStringLiteral("/share/freesel-studio"));
        QCOMPARE(locator.candidates().first().origin, QStringLiteral("installed"));
        QCOMPARE(locator.dataDirectories().size(), 1);
    }

    // The build tree's data folder applies only to programs inside the build tree, so an
    // installed binary never picks up a developer's build folder.
    void buildTreeOnlyForExecutablesInsideIt() {
        const QString build = dir_.filePath(QStringLiteral("build"));
        QDir().mkpath(build + QStringLiteral("/app"));
        QDir().mkpath(build + QStringLiteral("/data"));
        QDir().mkpath(dir_.filePath(QStringLiteral("elsewhere/bin")));
        ResourceLocator::Layout layout;
        layout.installedRelative = QStringLiteral("../share/freesel-studio");
        layout.buildTree = build;
        layout.buildTreeData = build + QStringLiteral("/data");

        layout.executableDir = build + QStringLiteral("/app");
        const QVector<DataDirectory> inside = ResourceLocator(layout).candidates();
        QCOMPARE(inside.size(), 2);
        QCOMPARE(inside[1].path, build + QStringLiteral("/data"));
        QCOMPARE(inside[1].origin, QStringLiteral("build tree"));
        QCOMPARE(paths(ResourceLocator(layout).dataDirectories()),
                 QStringList{build + QStringLiteral("/data")});

        layout.executableDir = dir_.filePath(QStringLiteral("elsewhere/bin"));
        QVERIFY(
            !paths(ResourceLocator(layout).candidates()).contains(build + QStringLiteral("/data")));
        // A sibling whose name starts like the build folder is not inside it.
        QDir().mkpath(build + QStringLiteral("-other/app"));
        layout.executableDir = build + QStringLiteral("-other/app");
        QVERIFY(
            !paths(ResourceLocator(layout).candidates()).contains(build + QStringLiteral("/data")));
    }

    // Installed first, then the XDG folders in their order; a folder named twice (prefix /usr:
    // installed and /usr/share/freesel-studio) is searched once.
    void orderAndDuplicates() {
        const QString prefix = dir_.filePath(QStringLiteral("usr"));
        const QString installed = prefix + QStringLiteral("/share/freesel-studio");
        const QString user = dir_.filePath(QStringLiteral("home/.local/share/freesel-studio"));
        ResourceLocator::Layout layout;
        layout.executableDir = prefix + QStringLiteral("/bin");
        layout.installedRelative = QStringLiteral("../share/freesel-studio");
        layout.systemDirs = {user, installed + QStringLiteral("/")};
        const QVector<DataDirectory> all = ResourceLocator(layout).candidates();
        QCOMPARE(paths(all), (QStringList{installed, user}));
        QCOMPARE(all[1].origin, QStringLiteral("system"));
        // None exists yet: nothing to search.
        QVERIFY(ResourceLocator(layout).dataDirectories().isEmpty());
        QDir().mkpath(user);
        QCOMPARE(paths(ResourceLocator(layout).dataDirectories()), QStringList{user});
    }

    void findAllKeepsTheSearchOrder() {
        const QString first = dir_.filePath(QStringLiteral("find/a"));
        const QString second = dir_.filePath(QStringLiteral("find/b"));
        const QString third = dir_.filePath(QStringLiteral("find/c"));
        QDir().mkpath(first);
        QDir().mkpath(second + QStringLiteral("/weights"));
        QDir().mkpath(third + QStringLiteral("/weights"));
        ResourceLocator::Layout layout;
        layout.systemDirs = {first, second, third};
        QCOMPARE(
            ResourceLocator(layout).findAll(QStringLiteral("weights")),
            (QStringList{second + QStringLiteral("/weights"), third + QStringLiteral("/weights")}));
    }

    // This test program runs from the build tree: its data folder (made at configure time by
    // packaging/CMakeLists.txt) is found; the installed path is the install-time relative one.
    void defaultLayoutOfThisProgram() {
        const ResourceLocator::Layout layout = ResourceLocator::defaultLayout();
        QCOMPARE(layout.executableDir, QCoreApplication::applicationDirPath());
        QVERIFY(!QDir::isAbsolutePath(layout.installedRelative));
        QVERIFY(layout.installedRelative.endsWith(QLatin1String("/freesel-studio")));
        bool buildTree = false;
        for (const DataDirectory& dir : ResourceLocator(layout).dataDirectories())
            buildTree = buildTree || (dir.origin == QLatin1String("build tree") &&
                                      dir.path == QDir::cleanPath(layout.buildTreeData));
        QVERIFY2(buildTree, qPrintable(layout.buildTreeData));
        QVERIFY(QFileInfo(layout.buildTreeData + QStringLiteral("/weights")).isDir());
    }

    // A checkpoint an administrator put in a site folder is used before the per-user cache;
    // downloads still go to the cache.
    void weightCacheSearchesSiteFoldersFirst() {
        const QString cacheDir = dir_.filePath(QStringLiteral("weights/cache"));
        const QString siteA = dir_.filePath(QStringLiteral("weights/siteA"));
        const QString siteB = dir_.filePath(QStringLiteral("weights/siteB"));
        const WeightCache cache(cacheDir, {siteA, siteB});
        ModelInfo model = tinyModel();
        QCOMPARE(cache.locate(model), cacheDir + QStringLiteral("/tiny.pth"));
        QVERIFY(!cache.isCached(model));

        writeFile(siteB + QStringLiteral("/tiny.pth"), "0123456789");
        QCOMPARE(cache.locate(model), siteB + QStringLiteral("/tiny.pth"));
        QVERIFY(cache.isCached(model));
        QVERIFY(cache.verifyCached(model).ok());
        QCOMPARE(cache.pathFor(model), cacheDir + QStringLiteral("/tiny.pth"));

        writeFile(cacheDir + QStringLiteral("/tiny.pth"), "0123456789ab");
        QCOMPARE(cache.locate(model), siteB + QStringLiteral("/tiny.pth"));
        // A site copy of the wrong size is passed over: the cache's copy has the manifest size.
        model.size = 12;
        QCOMPARE(cache.locate(model), cacheDir + QStringLiteral("/tiny.pth"));
        QVERIFY(cache.isCached(model));
    }

    void offlineHelpMentionsTheSiteFolder() {
        const WeightCache cache(dir_.filePath(QStringLiteral("help")), {});
        const QString help = cache.offlineHelp(tinyModel());
        QVERIFY(help.contains(QLatin1String("weights/")));
        QVERIFY(help.contains(QLatin1String("freesel info")));
    }

private:
    QTemporaryDir dir_;
};

QTEST_GUILESS_MAIN(TestResourceLocator)
#include "test_resource_locator.moc"
