// SPDX-License-Identifier: GPL-3.0-or-later
// Labels for the CLIP-powered selection from a folder per class, a COCO json and a CSV.
#include "selection/clip_labels.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <stdexcept>

using namespace freesel;

class TestClipLabels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void imageFolder();
    void cocoLargestBox();
    void csvPathLabel();
    void givenClassesFixTheOrder();

private:
    void write(const QString& relative, const QByteArray& bytes);
    QString path(const QString& relative) const { return dir_->filePath(relative); }

    std::unique_ptr<QTemporaryDir> dir_;
    QStringList pool_;
};

void TestClipLabels::write(const QString& relative, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path(relative)).absolutePath());
    QFile file(path(relative));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

void TestClipLabels::init() {
    dir_ = std::make_unique<QTemporaryDir>();
    pool_ = {path(QStringLiteral("dog/a.jpg")), path(QStringLiteral("cat/b.jpg")),
             path(QStringLiteral("dog/sub/c.jpg")), path(QStringLiteral("loose.jpg"))};
}

void TestClipLabels::imageFolder() {
    const PoolLabels l = labelsFromFolders(dir_->path(), pool_);
    QCOMPARE(l.classNames, (QStringList{QStringLiteral("cat"), QStringLiteral("dog")}));
    QCOMPARE(l.labels, (std::vector<int>{1, 0, 1, -1}));
    QCOMPARE(l.unlabelled(), 1);
}

void TestClipLabels::cocoLargestBox() {
    // b.jpg has a 2x3 cat box and a 4x1 dog box: the cat box (6) is larger than the dog (4).
    write(QStringLiteral("coco.json"), R"({
      "images": [{"id": 7, "file_name": "b.jpg"}, {"id": 8, "file_name": "dog/a.jpg"},
                 {"id": 9, "file_name": "elsewhere.jpg"}],
      "categories": [{"id": 3, "name": "dog"}, {"id": 1, "name": "cat"}],
      "annotations": [{"image_id": 7, "category_id": 3, "bbox": [0, 0, 4, 1]},
                      {"image_id": 7, "category_id": 1, "bbox": [5, 5, 2, 3]},
                      {"image_id": 8, "category_id": 3, "bbox": [0, 0, 1, 1]},
                      {"image_id": 8, "category_id": 1, "bbox": [0, 0, 1, 1]}]})");
    const PoolLabels l = labelsFromCoco(path(QStringLiteral("coco.json")), dir_->path(), pool_);
    // COCO's category order; a.jpg's two equal boxes: the first (dog) wins.
    QCOMPARE(l.classNames, (QStringList{QStringLiteral("dog"), QStringLiteral("cat")}));
    QCOMPARE(l.labels, (std::vector<int>{0, 1, -1, -1}));
    QCOMPARE(l.unmatchedEntries, 1);
    write(QStringLiteral("bad.json"), R"({"images": [{"id": 1, "file_name": "loose.jpg"}],
      "categories": [], "annotations": [{"image_id": 1, "category_id": 5, "bbox": [0,0,1,1]}]})");
    try {
        labelsFromCoco(path(QStringLiteral("bad.json")), dir_->path(), pool_);
        QFAIL("unknown category accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("bad.json")), e.what());
    }
}

void TestClipLabels::csvPathLabel() {
    write(QStringLiteral("labels.csv"), "path,label\ndog/a.jpg,puppy\n" +
                                            path(QStringLiteral("loose.jpg")).toUtf8() +
                                            ",\"kitten\"\nmissing.jpg,x\n");
    const PoolLabels l = labelsFromCsv(path(QStringLiteral("labels.csv")), dir_->path(), pool_);
    QCOMPARE(l.classNames, (QStringList{QStringLiteral("kitten"), QStringLiteral("puppy")}));
    QCOMPARE(l.labels, (std::vector<int>{1, -1, -1, 0}));
    QCOMPARE(l.unmatchedEntries, 1);
    write(QStringLiteral("broken.csv"), "dog/a.jpg puppy\n");
    try {
        labelsFromCsv(path(QStringLiteral("broken.csv")), dir_->path(), pool_);
        QFAIL("a line without a comma accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("broken.csv")), e.what());
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("line 1")), e.what());
    }
}

void TestClipLabels::givenClassesFixTheOrder() {
    const QStringList classes{QStringLiteral("dog"), QStringLiteral("cat")};
    QCOMPARE(labelsFromFolders(dir_->path(), pool_, classes).labels,
             (std::vector<int>{0, 1, 0, -1}));
    try {
        labelsFromFolders(dir_->path(), pool_, {QStringLiteral("dog")});
        QFAIL("a folder outside --classes accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("\"cat\"")), e.what());
    }
}

QTEST_GUILESS_MAIN(TestClipLabels)
#include "test_clip_labels.moc"
