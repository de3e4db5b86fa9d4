// SPDX-License-Identifier: GPL-3.0-or-later
// The man page packaging/freesel.1.in against the program: every command `freesel --help` lists
// has its ".SS freesel NAME" section (and no section names a command that is gone), and every
// option any command's --help prints is described. Adding a command or an option without
// documenting it fails here.

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QtTest>

namespace {

QString run(const QStringList& arguments) {
    QProcess process;
    process.start(QStringLiteral(FREESEL_CLI_PATH), arguments);
    if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit)
        qFatal("freesel %s did not finish", qPrintable(arguments.join(QLatin1Char(' '))));
    return QString::fromUtf8(process.readAllStandardOutput());
}

/// The names in the "Commands:" block of `freesel --help`.
QStringList commandsOfHelp() {
    const QString help = run({QStringLiteral("--help")});
    const QString block =
        help.section(QStringLiteral("Commands:\n"), 1).section(QStringLiteral("\n\n"), 0, 0);
    QStringList names;
    static const QRegularExpression line(QStringLiteral("^  ([a-z][a-z-]*) "),
                                         QRegularExpression::MultilineOption);
    for (auto it = line.globalMatch(block); it.hasNext();)
        names << it.next().captured(1);
    return names;
}

/// The page's text with troff's escaped minus signs as plain '-'.
QString manPage() {
    QFile file(QStringLiteral(FREESEL_MAN_PAGE));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", FREESEL_MAN_PAGE);
    return QString::fromUtf8(file.readAll()).replace(QStringLiteral("\\-"), QStringLiteral("-"));
}

} // namespace

class TestManPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyCommandHasASection() {
        const QStringList commands = commandsOfHelp();
        QVERIFY2(commands.size() >= 8, qPrintable(commands.join(QLatin1Char(' '))));
        const QString page = manPage();
        QSet<QString> sections;
        static const QRegularExpression heading(
            QStringLiteral("^\\.SS \"?freesel ([a-z-]+)\"?[ \t]*$"),
            QRegularExpression::MultilineOption);
        for (auto it = heading.globalMatch(page); it.hasNext();)
            sections.insert(it.next().captured(1));
        for (const QString& command : commands)
            QVERIFY2(sections.contains(command),
                     qPrintable(QStringLiteral("%1: no \".SS freesel %2\" section for a command "
                                               "'freesel --help' lists")
                                    .arg(QStringLiteral(FREESEL_MAN_PAGE), command)));
        for (const QString& section : sections)
            QVERIFY2(commands.contains(section),
                     qPrintable(QStringLiteral("%1: section \"freesel %2\" names no command of "
                                               "'freesel --help'")
                                    .arg(QStringLiteral(FREESEL_MAN_PAGE), section)));
    }

    void everyOptionIsDescribed() {
        const QString page = manPage();
        static const QRegularExpression option(QStringLiteral("(?:^|\\s)(--[a-z][a-z-]*)"));
        for (const QString& command : commandsOfHelp()) {
            const QString help = run({command, QStringLiteral("--help")});
            QVERIFY2(!help.isEmpty(), qPrintable(command));
            for (auto it = option.globalMatch(help); it.hasNext();) {
                const QString name = it.next().captured(1);
                QVERIFY2(page.contains(name),
                         qPrintable(QStringLiteral("%1: option %2 of 'freesel %3' is not described")
                                        .arg(QStringLiteral(FREESEL_MAN_PAGE), name, command)));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestManPage)
#include "test_man_page.moc"
