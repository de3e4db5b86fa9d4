// SPDX-License-Identifier: GPL-3.0-or-later
// freesel search and freesel select --strategy clip, run as processes on a generated pool with a
// generated CLIP checkpoint. The expected rankings are computed here, independently of the
// program: the image embeddings read back from the store the run wrote, the text embeddings by
// the tokenizer and text encoder called directly.
#include "backbone/clip_model.h"
#include "selection/clip_selection.h"
#include "store/feature_store.h"
#include "support/cli_test_support.h"
#include "support/clip_test_support.h"
#include "support/scene_pool.h"
#include "weights/clip_checkpoint.h"

#include <QJsonArray>
#include <QtTest>

#include <algorithm>
#include <map>

using namespace clitest;
using scenepool::writePool;
using namespace freesel;

namespace {

/// Pool path -> stored CLIP embedding, for every ok record of the store.
std::map<QString, Eigen::VectorXd> storedEmbeddings(const QString& folder) {
    FeatureStore store;
    if (!store.openForReading(folder))
        return {};
    std::map<QString, Eigen::VectorXd> out;
    for (int i = 0; i < store.count(); ++i)
        if (store.entry(i).ok) {
            const std::vector<float> e = store.loadClipEmbedding(i);
            out[store.entry(i).path] =
                Eigen::Map<const Eigen::VectorXf>(e.data(), Eigen::Index(e.size())).cast<double>();
        }
    return out;
}

Eigen::VectorXd textEmbedding(const ClipWeights& weights, const QString& text) {
    const std::vector<int> ids = ClipTokenizer::shipped().tokenize(text);
    const torch::Tensor row =
        torch::tensor(std::vector<int64_t>(ids.begin(), ids.end())).reshape({1, -1});
    const torch::Tensor e = clipEncodeText(weights, row)[0].to(torch::kFloat64).contiguous();
    return Eigen::Map<const Eigen::VectorXd>(e.data_ptr<double>(), e.numel());
}

double cosine(const Eigen::VectorXd& a, const Eigen::VectorXd& b) {
    return a.dot(b) / (a.norm() * b.norm());
}

QProcessEnvironment isolated(const QTemporaryDir& dir) {
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), dir.filePath(QStringLiteral("cache")));
    environment.insert(QStringLiteral("FREESEL_MODEL_DIR"), dir.filePath(QStringLiteral("models")));
    return environment;
}

} // namespace

class TestCliClip : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void searchRanksByCosine();
    void searchRefusesWhatItCannotDo();
    void selectClipZeroShotAsWritten();
    void selectClipWithFolderLabels();
    void selectClipRefusesMissingLabels();
    void compareRunsClipBesideTheOthers();
    void selectWithinQueryMatches();

private:
    QTemporaryDir dir_;
    QString pool_, checkpoint_;
    QStringList clipTopThree_; ///< the zero-shot top 3 by a_i, for the compare test
};

void TestCliClip::initTestCase() {
    QVERIFY(dir_.isValid());
    pool_ = writePool(dir_, 12, 64, 48, true);
    checkpoint_ = dir_.filePath(QStringLiteral("ViT-small.pt"));
    QVERIFY(test::writeClipCheckpoint(checkpoint_,
                                      test::seededClipTensors(test::smallClipConfig(), 11)));
}

void TestCliClip::searchRanksByCosine() {
    const QString store = dir_.filePath(QStringLiteral("search-store"));
    const QString hits = dir_.filePath(QStringLiteral("hits.txt"));
    const QString query = QStringLiteral("a red circle on green");
    const Run run =
        runFreesel({QStringLiteral("search"), pool_, query, QStringLiteral("--weights"),
                    checkpoint_, QStringLiteral("--store"), store, QStringLiteral("--top"),
                    QStringLiteral("0"), QStringLiteral("--out"), hits},
                   isolated(dir_));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const std::map<QString, Eigen::VectorXd> images = storedEmbeddings(store);
    QCOMPARE(int(images.size()), 12);
    const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
    const Eigen::VectorXd text = textEmbedding(weights, query);
    std::vector<std::pair<double, QString>> expected;
    for (const auto& [path, embedding] : images)
        expected.push_back({cosine(embedding, text), path});
    std::stable_sort(expected.begin(), expected.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    QVERIFY(expected.front().first - expected.back().first > 1e-3); // the order means something
    QStringList ranking;
    for (const auto& hit : expected)
        ranking << hit.second;
    QCOMPARE(readLines(hits), ranking);

    // --json: the top 3 with their cosines, from the store (no extraction the second time)
    const Run json =
        runFreesel({QStringLiteral("search"), pool_, query, QStringLiteral("--weights"),
                    checkpoint_, QStringLiteral("--store"), store, QStringLiteral("--top"),
                    QStringLiteral("3"), QStringLiteral("--json")},
                   isolated(dir_));
    QVERIFY2(json.exitCode == 0, qPrintable(json.err));
    const QJsonArray rows = json.json().value(QStringLiteral("hits")).toArray();
    QCOMPARE(rows.size(), 3);
    for (int k = 0; k < 3; ++k) {
        const QJsonObject row = rows[k].toObject();
        QCOMPARE(row.value(QStringLiteral("path")).toString(), ranking[k]);
        QVERIFY(std::abs(row.value(QStringLiteral("cosine")).toDouble() -
                         expected[size_t(k)].first) < 1e-5);
    }
}

void TestCliClip::searchRefusesWhatItCannotDo() {
    const Run noText = runFreesel({QStringLiteral("search"), pool_}, isolated(dir_));
    QCOMPARE(noText.exitCode, 2);
    const Run offline = runFreesel({QStringLiteral("search"), pool_, QStringLiteral("a dog"),
                                    QStringLiteral("--backend"), QStringLiteral("offline")},
                                   isolated(dir_));
    QCOMPARE(offline.exitCode, 2);
    QVERIFY2(offline.err.contains(QStringLiteral("CLIP backend")), qPrintable(offline.err));
    const Run noWeights =
        runFreesel({QStringLiteral("search"), pool_, QStringLiteral("a dog")}, isolated(dir_));
    QCOMPARE(noWeights.exitCode, 2);
    QVERIFY2(noWeights.err.contains(QStringLiteral("freesel models download clip-vit-b32")),
             qPrintable(noWeights.err));
    const Run badTop = runFreesel({QStringLiteral("search"), pool_, QStringLiteral("a dog"),
                                   QStringLiteral("--top"), QStringLiteral("-1")},
                                  isolated(dir_));
    QCOMPARE(badTop.exitCode, 2);
    QVERIFY(badTop.err.contains(QStringLiteral("--top")));
}

void TestCliClip::selectClipZeroShotAsWritten() {
    const QString classes = dir_.filePath(QStringLiteral("names.txt"));
    QVERIFY(writeFile(classes, "red circle\nblue sky\n# a comment\ngreen field\n"));
    const QString picks = dir_.filePath(QStringLiteral("picks.txt"));
    // The command of the issue, as written (the store goes to the isolated cache).
    const Run run = runFreesel(
        {QStringLiteral("select"), pool_, QStringLiteral("--strategy"), QStringLiteral("clip"),
         QStringLiteral("--classes"), classes, QStringLiteral("--weights"), checkpoint_,
         QStringLiteral("--budget"), QStringLiteral("25%"), QStringLiteral("--out"), picks},
        isolated(dir_));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY2(run.err.contains(QStringLiteral("label-noise detection is off")), qPrintable(run.err));

    // Independently: zero-shot labels, scores and the top 3 by a_i from the stored embeddings.
    const QString csv = dir_.filePath(QStringLiteral("picks.csv"));
    const QString store = dir_.filePath(QStringLiteral("select-store"));
    const Run table = runFreesel({QStringLiteral("select"), pool_, QStringLiteral("--strategy"),
                                  QStringLiteral("clip"), QStringLiteral("--classes"), classes,
                                  QStringLiteral("--weights"), checkpoint_,
                                  QStringLiteral("--budget"), QStringLiteral("25%"),
                                  QStringLiteral("--store"), store, QStringLiteral("--out"), csv},
                                 isolated(dir_));
    QVERIFY2(table.exitCode == 0, qPrintable(table.err));
    const std::map<QString, Eigen::VectorXd> images = storedEmbeddings(store);
    const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
    const QStringList names{QStringLiteral("red circle"), QStringLiteral("blue sky"),
                            QStringLiteral("green field")};
    Eigen::MatrixXf texts(3, 32), rows(Eigen::Index(images.size()), 32);
    for (int c = 0; c < 3; ++c)
        texts.row(c) =
            textEmbedding(weights, QStringLiteral("A photo of a ") + names[c]).cast<float>();
    QStringList paths;
    for (const auto& [path, embedding] : images) {
        rows.row(paths.size()) = embedding.cast<float>().transpose();
        paths << path;
    }
    const std::vector<int> labels = zeroShotLabels(rows, texts);
    const ClipScores scores = clipScores(rows, texts, labels);
    QStringList expected;
    for (int row : topKByScore(scores.combined, 3))
        expected << paths[row];
    QCOMPARE(readLines(picks), expected);
    const QStringList lines = readLines(csv);
    QVERIFY(lines.first().trimmed().endsWith(QStringLiteral("clip_label,sas,sds,clip_score")));
    for (int k = 1; k < lines.size(); ++k) {
        const QStringList fields = lines[k].trimmed().split(QLatin1Char(','));
        const int row = int(paths.indexOf(fields[0]));
        QVERIFY(row >= 0);
        QCOMPARE(fields[fields.size() - 4], names[labels[size_t(row)]]);
        QVERIFY(std::abs(fields[fields.size() - 3].toDouble() - scores.sas[size_t(row)]) < 1e-5);
        QVERIFY(std::abs(fields.last().toDouble() - scores.combined[size_t(row)]) < 1e-4);
        if (k <= 3)
            QCOMPARE(fields[0], expected[k - 1]);
    }
    clipTopThree_ = expected;
}

void TestCliClip::compareRunsClipBesideTheOthers() {
    QVERIFY2(!clipTopThree_.isEmpty(), "runs after selectClipZeroShotAsWritten");
    const QString classes = dir_.filePath(QStringLiteral("names.txt"));
    const QString report = dir_.filePath(QStringLiteral("report"));
    const Run run =
        runFreesel({QStringLiteral("compare"), pool_, QStringLiteral("--strategies"),
                    QStringLiteral("clip,random"), QStringLiteral("--budgets"), QStringLiteral("3"),
                    QStringLiteral("--seeds"), QStringLiteral("2"), QStringLiteral("--classes"),
                    classes, QStringLiteral("--weights"), checkpoint_, QStringLiteral("--store"),
                    dir_.filePath(QStringLiteral("select-store")), QStringLiteral("--out"), report},
                   isolated(dir_));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    const QJsonObject json =
        QJsonDocument::fromJson(readAll(report + QStringLiteral("/summary.json"))).object();
    int clipRuns = 0;
    for (const QJsonValue& selection : json.value(QStringLiteral("selections")).toArray()) {
        if (selection[QStringLiteral("strategy")].toString() != QLatin1String("clip"))
            continue;
        ++clipRuns; // the same top 3 by a_i as freesel select, whatever the seed
        QStringList images;
        for (const QJsonValue& image : selection[QStringLiteral("images")].toArray())
            images << image.toString();
        QCOMPARE(images, clipTopThree_);
    }
    QCOMPARE(clipRuns, 2);
}

void TestCliClip::selectClipWithFolderLabels() {
    // An ImageFolder: the first 6 images under cat/, the rest under dog/.
    const QString root = dir_.filePath(QStringLiteral("folders"));
    QStringList files = QDir(pool_).entryList(QDir::Files, QDir::Name);
    for (int i = 0; i < files.size(); ++i) {
        const QString folder = root + (i < 6 ? QStringLiteral("/cat") : QStringLiteral("/dog"));
        QDir().mkpath(folder);
        QVERIFY(
            QFile::copy(pool_ + QLatin1Char('/') + files[i], folder + QLatin1Char('/') + files[i]));
    }
    const QString json = dir_.filePath(QStringLiteral("labelled.json"));
    const QString suspects = dir_.filePath(QStringLiteral("suspects.csv"));
    const QString store = dir_.filePath(QStringLiteral("folder-store"));
    const Run run = runFreesel({QStringLiteral("select"),         root,
                                QStringLiteral("--strategy"),     QStringLiteral("clip"),
                                QStringLiteral("--labels"),       root,
                                QStringLiteral("--weights"),      checkpoint_,
                                QStringLiteral("--clip-mode"),    QStringLiteral("optimiser"),
                                QStringLiteral("--budget"),       QStringLiteral("4"),
                                QStringLiteral("--out"),          json,
                                QStringLiteral("--store"),        store,
                                QStringLiteral("--suspects"),     suspects,
                                QStringLiteral("--suspects-top"), QStringLiteral("1")},
                               isolated(dir_));
    QVERIFY2(run.exitCode == 0, qPrintable(run.err));
    QVERIFY(!run.err.contains(QStringLiteral("label-noise detection is off")));
    const QJsonObject root_ = QJsonDocument::fromJson(readAll(json)).object();
    const QJsonArray scored = root_.value(QStringLiteral("clip_scores")).toArray();
    QCOMPARE(scored.size(), 12);
    for (const QJsonValue& value : scored) {
        const QJsonObject row = value.toObject();
        const QString folder =
            QFileInfo(row.value(QStringLiteral("path")).toString()).dir().dirName();
        QCOMPARE(row.value(QStringLiteral("clip_label")).toString(), folder);
        QVERIFY(row.value(QStringLiteral("sds")).toDouble() > 0);
    }
    QVERIFY(!root_.value(QStringLiteral("selected")).toArray().isEmpty());

    // The suspects, independently: a cat image whose "A photo of a dog" cosine is higher (and
    // the other way round), by SAS ascending.
    const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
    const Eigen::VectorXd cat = textEmbedding(weights, QStringLiteral("A photo of a cat"));
    const Eigen::VectorXd dog = textEmbedding(weights, QStringLiteral("A photo of a dog"));
    std::vector<std::pair<double, QString>> doubted;
    for (const auto& [path, embedding] : storedEmbeddings(store)) {
        const bool isCat = QFileInfo(path).dir().dirName() == QLatin1String("cat");
        const double own = cosine(embedding, isCat ? cat : dog);
        if (cosine(embedding, isCat ? dog : cat) > own)
            doubted.push_back({own, path});
    }
    std::sort(doubted.begin(), doubted.end());
    QVERIFY2(!doubted.empty() && doubted.size() < 12, "the generated pool has no mix to doubt");
    const QStringList lines = readLines(suspects);
    QCOMPARE(lines.size(), int(doubted.size()) + 1);
    QCOMPARE(lines[0].trimmed(), QStringLiteral("path,label,top_classes,sas,label_rank"));
    for (size_t k = 0; k < doubted.size(); ++k) {
        const QStringList fields = lines[int(k) + 1].trimmed().split(QLatin1Char(','));
        QCOMPARE(fields[0], doubted[k].second);
        const QString label = QFileInfo(fields[0]).dir().dirName();
        QCOMPARE(fields[1], label);
        QCOMPARE(fields[2],
                 label == QLatin1String("cat") ? QStringLiteral("dog") : QStringLiteral("cat"));
        QVERIFY(std::abs(fields[3].toDouble() - doubted[k].first) < 1e-5);
        QCOMPARE(fields[4], QStringLiteral("2"));
    }
}

void TestCliClip::selectClipRefusesMissingLabels() {
    const Run run = runFreesel({QStringLiteral("select"), pool_, QStringLiteral("--strategy"),
                                QStringLiteral("clip"), QStringLiteral("--weights"), checkpoint_,
                                QStringLiteral("--budget"), QStringLiteral("3"),
                                QStringLiteral("--out"), dir_.filePath(QStringLiteral("x.txt"))},
                               isolated(dir_));
    QCOMPARE(run.exitCode, 2);
    QVERIFY2(run.err.contains(QStringLiteral("--classes")), qPrintable(run.err));
    const Run mode = runFreesel({QStringLiteral("select"), pool_, QStringLiteral("--strategy"),
                                 QStringLiteral("clip"), QStringLiteral("--classes"), checkpoint_,
                                 QStringLiteral("--clip-mode"), QStringLiteral("best"),
                                 QStringLiteral("--budget"), QStringLiteral("3"),
                                 QStringLiteral("--out"), dir_.filePath(QStringLiteral("x.txt"))},
                                isolated(dir_));
    QCOMPARE(mode.exitCode, 2);
    QVERIFY2(mode.err.contains(QStringLiteral("--clip-mode")), qPrintable(mode.err));
    // Suspected label errors need labels to doubt: refused in zero-shot mode, before any work.
    const Run zeroShot = runFreesel(
        {QStringLiteral("select"), pool_, QStringLiteral("--strategy"), QStringLiteral("clip"),
         QStringLiteral("--classes"), dir_.filePath(QStringLiteral("names.txt")),
         QStringLiteral("--weights"), checkpoint_, QStringLiteral("--budget"), QStringLiteral("3"),
         QStringLiteral("--out"), dir_.filePath(QStringLiteral("x.txt")),
         QStringLiteral("--suspects"), dir_.filePath(QStringLiteral("s.csv"))},
        isolated(dir_));
    QCOMPARE(zeroShot.exitCode, 2);
    QVERIFY2(zeroShot.err.contains(QStringLiteral("--labels")) &&
                 zeroShot.err.contains(QStringLiteral("zero-shot")),
             qPrintable(zeroShot.err));
    QVERIFY(!QFile::exists(dir_.filePath(QStringLiteral("x.txt"))));
}

void TestCliClip::selectWithinQueryMatches() {
    // Every strategy picks only among the query's best matches, computed here from the store.
    const QString store = dir_.filePath(QStringLiteral("within-store"));
    const QString query = QStringLiteral("night traffic scenes");
    const QString classes = dir_.filePath(QStringLiteral("within-names.txt"));
    QVERIFY(writeFile(classes, "road\nsky\n"));
    for (const QString& strategy :
         {QStringLiteral("freesel"), QStringLiteral("random"), QStringLiteral("clip")}) {
        const QString picks = dir_.filePath(QStringLiteral("within-%1.txt").arg(strategy));
        QStringList args{QStringLiteral("select"),       pool_,
                         QStringLiteral("--strategy"),   strategy,
                         QStringLiteral("--weights"),    checkpoint_,
                         QStringLiteral("--store"),      store,
                         QStringLiteral("--within"),     query,
                         QStringLiteral("--within-top"), QStringLiteral("5"),
                         QStringLiteral("--budget"),     QStringLiteral("60%"),
                         QStringLiteral("--out"),        picks};
        if (strategy == QLatin1String("clip"))
            args << QStringLiteral("--classes") << classes;
        const Run run = runFreesel(args, isolated(dir_));
        QVERIFY2(run.exitCode == 0, qPrintable(strategy + QStringLiteral(": ") + run.err));
        QVERIFY2(run.err.contains(QStringLiteral("within the 5 best matches")),
                 qPrintable(run.err));
        const ClipWeights weights = loadClipCheckpoint(checkpoint_.toStdString());
        const Eigen::VectorXd text = textEmbedding(weights, query);
        std::vector<std::pair<double, QString>> ranked;
        for (const auto& [path, embedding] : storedEmbeddings(store))
            ranked.push_back({-cosine(embedding, text), path});
        QCOMPARE(int(ranked.size()), 12);
        std::sort(ranked.begin(), ranked.end());
        QVERIFY(ranked[4].first < ranked[5].first); // no tie at the boundary
        QStringList top;
        for (int k = 0; k < 5; ++k)
            top << ranked[size_t(k)].second;
        const QStringList picked = readLines(picks);
        QCOMPARE(picked.size(), 3); // 60% of the 5 candidates
        for (const QString& path : picked)
            QVERIFY2(top.contains(path), qPrintable(strategy + QStringLiteral(": ") + path));
    }
    // Without CLIP embeddings there is nothing to search: the error names the backend to use.
    const Run offline = runFreesel(
        {QStringLiteral("select"), pool_, QStringLiteral("--backend"), QStringLiteral("offline"),
         QStringLiteral("--store"), dir_.filePath(QStringLiteral("offline-store")),
         QStringLiteral("--within"), query, QStringLiteral("--budget"), QStringLiteral("2"),
         QStringLiteral("--out"), dir_.filePath(QStringLiteral("offline.txt"))},
        isolated(dir_));
    QCOMPARE(offline.exitCode, 2);
    QVERIFY2(offline.err.contains(QStringLiteral("--within")) &&
                 offline.err.contains(QStringLiteral("--backend clip")),
             qPrintable(offline.err));
    const Run badTop = runFreesel({QStringLiteral("select"), pool_, QStringLiteral("--within"),
                                   query, QStringLiteral("--within-top"), QStringLiteral("0"),
                                   QStringLiteral("--budget"), QStringLiteral("2"),
                                   QStringLiteral("--out"), dir_.filePath(QStringLiteral("b.txt"))},
                                  isolated(dir_));
    QCOMPARE(badTop.exitCode, 2);
    QVERIFY2(badTop.err.contains(QStringLiteral("--within-top")), qPrintable(badTop.err));
}

QTEST_GUILESS_MAIN(TestCliClip)
#include "test_cli_clip.moc"
