// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/help_menu.h"

#include <QDialog>
#include <QFile>
#include <QKeySequence>
#include <QMenu>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace freesel {

namespace {

const char* const kShortcuts[][2] = {
    {"Ctrl+O", "Open a folder"},
    {"Ctrl+Shift+O", "Open a project"},
    {"Ctrl+S", "Save the project"},
    {"Ctrl+R", "Run the selection"},
    {"Esc", "Cancel the run after the current batch"},
    {"Ctrl+E", "Export the selection"},
    {"Ctrl+N", "Select the next N (the selected images become labelled)"},
    {"Ctrl+F", "Find an image by file name"},
    {"Ctrl+1 .. Ctrl+4", "Coverage, patterns, attention mass, log"},
    {"Space / double-click", "Full-size preview of the grid image"},
    {"X", "Exclude the chosen grid images from the selection"},
    {"L", "Mark the chosen grid images as labelled"},
    {"I", "Include them by hand: always selected, counted in the budget"},
    {"U", "Clear their mark"},
    {"Wheel / drag", "Zoom / pan the image view"},
    {"F or double-click, 1", "Fit the image / show it at 100 %"},
    {"Alt+A, Alt+T, Alt+P", "Attention, tau mask and patterns overlays"},
    {"Ctrl+Q", "Quit (asks to save a changed project)"},
};

void showPage(QWidget* parent, const QString& title, const QString& markdown) {
    auto* dialog = new QDialog(parent);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("helpPage"));
    dialog->setWindowTitle(title);
    auto* browser = new QTextBrowser(dialog);
    browser->setOpenExternalLinks(true);
    browser->setMarkdown(markdown);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(browser);
    dialog->resize(820, 640);
    dialog->show();
}

QString shortcutsMarkdown() {
    QString text = QStringLiteral("# Keyboard shortcuts\n\n| Keys | Action |\n|---|---|\n");
    for (const auto& row : kShortcuts)
        text +=
            QStringLiteral("| %1 | %2 |\n").arg(QString::fromLatin1(row[0]), QObject::tr(row[1]));
    return text;
}

QString document(const QString& name) {
    QFile file(QStringLiteral(":/freesel/docs/") + name);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll())
                                          : QObject::tr("%1 is missing from this build").arg(name);
}

} // namespace

void addHelpPages(QMenu* help, QWidget* parent) {
    QAction* keys = help->addAction(QObject::tr("&Keyboard shortcuts"), parent, [parent] {
        showPage(parent, QObject::tr("Keyboard shortcuts"), shortcutsMarkdown());
    });
    keys->setShortcut(QKeySequence::HelpContents);
    keys->setObjectName(QStringLiteral("helpShortcuts"));
    const struct {
        const char* title;
        const char* file;
    } pages[] = {{"&User guide (the Studio)", "GUI.md"},
                 {"&Command line", "CLI.md"},
                 {"&Algorithm", "ALGORITHM.md"}};
    for (const auto& page : pages) {
        const QString file = QString::fromLatin1(page.file);
        const QString title = QObject::tr(page.title);
        help->addAction(title, parent, [parent, title, file] {
            showPage(parent, QString(title).remove(QLatin1Char('&')), document(file));
        });
    }
    help->addSeparator();
}

} // namespace freesel
