// SPDX-License-Identifier: GPL-3.0-or-later
// CLIP's BPE tokenizer against token ids written by an independent Python tokenizer
// (tests/generate_clip_tokens.py, tests/data/clip/tokenizer_cases.json) and against ids
// published by openai/CLIP; the gzip reader on hand-made data.
#include "text/clip_prompts.h"
#include "text/clip_tokenizer.h"
#include "text/gzip_data.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <stdexcept>

using namespace freesel;

class TestClipTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gunzipReadsGzip();
    void gunzipRejectsDamagedData();
    void vocabularyLayout();
    void publishedIds();
    void matchesReferenceTokenizer();
    void tooLongTextNamesIt();
    void sourceCopyEqualsInstalledCopy();
    void promptTemplates();
    void classNamesFile();
};

void TestClipTokenizer::gunzipReadsGzip() {
    // python3: gzip.compress(b"freesel clip\n", mtime=0)
    const QByteArray gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x4b\x2b\x4a\x4d\x2d\x4e\xcd"
                        "\x51\x48\xce\xc9\x2c\xe0\x02\x00\x2d\xfe\x4f\x42\x0d\x00\x00\x00",
                        33);
    QCOMPARE(gunzip(gz, QStringLiteral("mem")), QByteArray("freesel clip\n"));
}

void TestClipTokenizer::gunzipRejectsDamagedData() {
    const QByteArray gz("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x4b\x2b\x4a\x4d\x2d\x4e\xcd"
                        "\x51\x48\xce\xc9\x2c\xe0\x02\x00\x2d\xfe\x4f\x42\x0d\x00\x00\x00",
                        33);
    for (const QByteArray& bad : {gz.left(20), QByteArray("plain text"), QByteArray()}) {
        try {
            gunzip(bad, QStringLiteral("broken.gz"));
            QFAIL("damaged gzip accepted");
        } catch (const std::runtime_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).startsWith(QStringLiteral("broken.gz")), e.what());
        }
    }
    QByteArray crc = gz;
    crc[crc.size() - 6] = static_cast<char>(crc[crc.size() - 6] ^ 1); // CRC-32 must be checked
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, gunzip(crc, QStringLiteral("crc.gz")));
}

void TestClipTokenizer::vocabularyLayout() {
    const ClipTokenizer& tok = ClipTokenizer::shipped();
    // bytes_to_unicode: '!' first, U+0100 (byte 0) after the 188 printable bytes; then the
    // same 256 with "</w>", then the merges ("i n" is the first line), then the markers.
    QCOMPARE(tok.symbol(0), std::string("!"));
    QCOMPARE(tok.symbol(188), std::string("\u0100"));
    QCOMPARE(tok.symbol(256), std::string("!</w>"));
    QCOMPARE(tok.symbol(512), std::string("in"));
    QCOMPARE(tok.symbol(ClipTokenizer::kStartOfText), std::string("<|startoftext|>"));
    QCOMPARE(tok.symbol(ClipTokenizer::kEndOfText), std::string("<|endoftext|>"));
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, tok.symbol(ClipTokenizer::kVocabularySize));
}

void TestClipTokenizer::publishedIds() {
    // openai/CLIP: clip.tokenize("a photo of a dog")
    const std::vector<int> ids =
        ClipTokenizer::shipped().tokenize(QStringLiteral("a photo of a dog"));
    QCOMPARE(ids.size(), size_t(77));
    const std::vector<int> head(ids.begin(), ids.begin() + 8);
    QCOMPARE(head, (std::vector<int>{49406, 320, 1125, 539, 320, 1929, 49407, 0}));
}

void TestClipTokenizer::matchesReferenceTokenizer() {
    QFile file(QStringLiteral(FREESEL_SOURCE_DIR "/tests/data/clip/tokenizer_cases.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
    const int context = root.value(QStringLiteral("context_length")).toInt();
    QCOMPARE(context, ClipTokenizer::kContextLength);
    const QJsonArray cases = root.value(QStringLiteral("cases")).toArray();
    QVERIFY(cases.size() >= 30);
    int errors = 0;
    for (const QJsonValue& value : cases) {
        const QJsonObject c = value.toObject();
        const QString text = c.value(QStringLiteral("text")).toString();
        const bool truncate = c.value(QStringLiteral("truncate")).toBool();
        const QJsonValue expected = c.value(QStringLiteral("ids"));
        if (expected.isNull()) {
            ++errors;
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                     ClipTokenizer::shipped().tokenize(text, truncate));
            continue;
        }
        std::vector<int> want;
        for (const QJsonValue& id : expected.toArray())
            want.push_back(id.toInt());
        const std::vector<int> got = ClipTokenizer::shipped().tokenize(text, truncate);
        QVERIFY2(got == want, qPrintable(QStringLiteral("ids differ for \"%1\"").arg(text)));
    }
    QCOMPARE(errors, 1); // the 80-word text without truncation
}

void TestClipTokenizer::tooLongTextNamesIt() {
    QString text;
    for (int i = 0; i < 100; ++i)
        text += QStringLiteral("word%1 ").arg(i);
    try {
        ClipTokenizer::shipped().tokenize(text);
        QFAIL("100 words fitted into 77 tokens");
    } catch (const std::invalid_argument& e) {
        const QString message = QString::fromUtf8(e.what());
        QVERIFY2(message.contains(QStringLiteral("word0 word1")), e.what());
        QVERIFY2(message.contains(QStringLiteral("truncat")), e.what());
    }
    const std::vector<int> cut = ClipTokenizer::shipped().tokenize(text, true);
    QCOMPARE(cut.size(), size_t(77));
    QCOMPARE(cut.front(), ClipTokenizer::kStartOfText);
    QCOMPARE(cut.back(), ClipTokenizer::kEndOfText);
}

void TestClipTokenizer::sourceCopyEqualsInstalledCopy() {
    const ClipTokenizer fromSource = ClipTokenizer::fromGzipFile(
        QStringLiteral(FREESEL_SOURCE_DIR "/models/clip/bpe_simple_vocab_16e6.txt.gz"));
    const QString text = QStringLiteral("Ærøskøbing 🐶 isn't 42");
    QCOMPARE(fromSource.tokenize(text), ClipTokenizer::shipped().tokenize(text));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             ClipTokenizer::fromGzipFile(QStringLiteral("/nonexistent/vocab.gz")));
}

void TestClipTokenizer::promptTemplates() {
    QCOMPARE(fillClipTemplate(defaultClipTemplate(), QStringLiteral("dog")),
             QStringLiteral("A photo of a dog"));
    const QStringList& ensemble = clipEnsembleTemplates();
    QCOMPARE(ensemble.size(), 80);
    QStringList distinct = ensemble;
    QCOMPARE(distinct.removeDuplicates(), 0);
    for (const QString& t : ensemble) // every template fits CLIP's context with a long name
        QVERIFY(ClipTokenizer::shipped()
                    .tokenize(fillClipTemplate(t, QStringLiteral("great white shark")))
                    .back() == 0);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             fillClipTemplate(QStringLiteral("no slot"), QStringLiteral("x")));
}

void TestClipTokenizer::classNamesFile() {
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("classes.txt"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# animals\n dog \n\ncat\ngolden retriever\n");
    file.close();
    QCOMPARE(readClassNames(path), (QStringList{QStringLiteral("dog"), QStringLiteral("cat"),
                                                QStringLiteral("golden retriever")}));
    QVERIFY(file.open(QIODevice::Append));
    file.write("dog\n");
    file.close();
    try {
        readClassNames(path);
        QFAIL("duplicate class accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral("line 6")), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             readClassNames(dir.filePath(QStringLiteral("none.txt"))));
}

QTEST_GUILESS_MAIN(TestClipTokenizer)
#include "test_clip_tokenizer.moc"
