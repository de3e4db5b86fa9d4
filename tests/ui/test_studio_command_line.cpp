// SPDX-License-Identifier: GPL-3.0-or-later
// freesel-studio's command line, run as a process: --help and --version with no display at
// all, --budget as a count or a percentage like the CLI's, a bad budget refused.
#include "image/demo_pool.h"

#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

namespace {

struct StudioRun {
    int exitCode = -1;
    QProcess::ExitStatus status = QProcess::CrashExit;
    QString out;
    QString err;
};

/// The Studio with `arguments`; `display`: false runs it with no display and no platform
/// plugin chosen (as on a server), true offscreen.
StudioRun runStudio(const QStringList& arguments, bool display, const QString& home) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        environment.remove(QString::fromLatin1(name));
    if (display)
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/cache"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(FREESEL_STUDIO_PATH), arguments);
    if (!process.waitForFinished(240000))
        process.kill();
    return {process.exitCode(), process.exitStatus(),
            QString::fromUtf8(process.readAllStandardOutput()),
            QString::fromUtf8(process.readAllStandardError())};
}

} // namespace

class TestStudioCommandLine : public QObject {
    Q_OBJECT
    QTemporaryDir home_;

private Q_SLOTS:
    void helpAndVersionNeedNoDisplay() {
        const StudioRun help = runStudio({QStringLiteral("--help")}, false, home_.path());
        QCOMPARE(help.status, QProcess::NormalExit); // it aborted with SIGABRT before
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains(QStringLiteral("--open <POOL>")), qPrintable(help.out));
        QVERIFY(help.out.contains(QStringLiteral("--demo")));
        const StudioRun version = runStudio({QStringLiteral("--version")}, false, home_.path());
        QCOMPARE(version.status, QProcess::NormalExit);
        QCOMPARE(version.exitCode, 0);
        QVERIFY2(version.out.startsWith(QStringLiteral("FreeSel Studio ")),
                 qPrintable(version.out));
    }

    void budgetTakesACountOrAPercentage() {
        const QString pool = home_.filePath(QStringLiteral("pool"));
        QCOMPARE(freesel::writeDemoPool(pool, 20, 3), QString());
        const QStringList common = {QStringLiteral("--open"), pool, QStringLiteral("--run"),
                                    QStringLiteral("--print-selection")};
        const StudioRun percent =
            runStudio(common + QStringList{QStringLiteral("--budget"), QStringLiteral("25%")}, true,
                      home_.path());
        QVERIFY2(percent.exitCode == 0, qPrintable(percent.err));
        QCOMPARE(percent.out.count(QLatin1Char('\n')), 1 + 5); // "backend ..." + 25% of 20
        const StudioRun count =
            runStudio(common + QStringList{QStringLiteral("--budget"), QStringLiteral("3")}, true,
                      home_.path());
        QVERIFY2(count.exitCode == 0, qPrintable(count.err));
        QCOMPARE(count.out.count(QLatin1Char('\n')), 1 + 3);
        for (const QString& bad :
             {QStringLiteral("0"), QStringLiteral("150%"), QStringLiteral("ten")}) {
            const StudioRun refused = runStudio(
                common + QStringList{QStringLiteral("--budget"), bad}, true, home_.path());
            QCOMPARE(refused.exitCode, 2);
            QVERIFY2(refused.err.contains(QStringLiteral("--budget")), qPrintable(refused.err));
        }
    }
};

QTEST_GUILESS_MAIN(TestStudioCommandLine)
#include "test_studio_command_line.moc"
