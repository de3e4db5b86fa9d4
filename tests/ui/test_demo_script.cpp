// SPDX-License-Identifier: GPL-3.0-or-later
// scripts/demo, the README's main command, as a newcomer runs it: with a display it opens the
// Studio on the demo with the selection run (offscreen here, with a fake DISPLAY), without one
// (or with --cli) it prints the ranked selection; both show the same picks.
#include <QDir>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct ScriptRun {
    int exitCode = -1;
    QString out;
    QString err;
};

/// scripts/demo with the test's build tree and a private cache; `display` sets DISPLAY (empty:
/// neither DISPLAY nor WAYLAND_DISPLAY).
ScriptRun runDemo(const QString& cache, const QString& display, const QStringList& arguments) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("FREESEL_BUILD_DIR"), QStringLiteral(FREESEL_BUILD_DIR));
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), cache);
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.remove(QStringLiteral("WAYLAND_DISPLAY"));
    environment.remove(QStringLiteral("DISPLAY"));
    if (!display.isEmpty())
        environment.insert(QStringLiteral("DISPLAY"), display);
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(FREESEL_SOURCE_DIR "/scripts/demo"), arguments);
    if (!process.waitForFinished(300000))
        process.kill();
    return {process.exitCode(), QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

/// The picks of `freesel-studio --print-selection` ("RANK PATH" lines), pool-relative.
QStringList studioPicks(const QString& out, const QString& pool) {
    QStringList picks;
    for (const QString& line : out.split(QLatin1Char('\n'))) {
        const QRegularExpressionMatch match =
            QRegularExpression(QStringLiteral("^(\\d+) (.+)$")).match(line);
        if (match.hasMatch()) {
            if (match.captured(1).toInt() != picks.size() + 1)
                return {}; // ranks out of order
            picks << QDir(pool).relativeFilePath(match.captured(2));
        }
    }
    return picks;
}

/// The picks of the terminal table ("rank score patterns image" rows), in rank order.
QStringList tablePicks(const QString& out) {
    QStringList picks;
    for (const QString& line : out.split(QLatin1Char('\n'))) {
        const QStringList cells = line.simplified().split(QLatin1Char(' '));
        if (cells.size() == 4 && cells[0].toInt() == picks.size() + 1)
            picks << cells[3];
    }
    return picks;
}

} // namespace

class TestDemoScript : public QObject {
    Q_OBJECT

    QTemporaryDir cache_;

    QString pool() const { return cache_.filePath(QStringLiteral("freesel/demo/pool")); }

private Q_SLOTS:
    void withADisplayTheStudioShowsTheDemoSelection() {
        QVERIFY(cache_.isValid());
        const ScriptRun studio =
            runDemo(cache_.path(), QStringLiteral(":99"), {QStringLiteral("--print-selection")});
        QVERIFY2(studio.exitCode == 0, qPrintable(studio.err));
        QVERIFY2(studio.err.contains(QStringLiteral("opening FreeSel Studio")),
                 qPrintable(studio.err));
        QVERIFY2(studio.out.contains(QStringLiteral("backend offline")), qPrintable(studio.out));
        const QStringList picks = studioPicks(studio.out, pool());
        QCOMPARE(picks.size(), 12);
        // The pool was written to the user cache, once.
        QCOMPARE(QDir(pool()).entryList(QDir::Files).size(), 120);

        // --cli forces the terminal table, with the same picks in the same order.
        const ScriptRun table =
            runDemo(cache_.path(), QStringLiteral(":99"), {QStringLiteral("--cli")});
        QVERIFY2(table.exitCode == 0, qPrintable(table.err));
        QVERIFY(!table.err.contains(QStringLiteral("opening FreeSel Studio")));
        QCOMPARE(tablePicks(table.out), picks);
    }

    void withoutADisplayItPrintsTheTable() {
        const ScriptRun table = runDemo(cache_.path(), QString(), {});
        QVERIFY2(table.exitCode == 0, qPrintable(table.err));
        QVERIFY(!table.err.contains(QStringLiteral("opening FreeSel Studio")));
        QVERIFY(table.out.startsWith(QStringLiteral("rank  score")));
        QCOMPARE(tablePicks(table.out).size(), 12);
    }
};

QTEST_GUILESS_MAIN(TestDemoScript)
#include "test_demo_script.moc"
