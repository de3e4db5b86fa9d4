// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/issues_dock.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace freesel {

Issue issueFromScanWarning(const QString& warning) {
    Issue issue{Issue::Severity::Warning, warning, QString()};
    if (!warning.startsWith(QLatin1Char('/')))
        return issue;
    const QString separator = QStringLiteral(": ");
    qsizetype chosen = warning.indexOf(separator);
    for (qsizetype at = chosen; at >= 0; at = warning.indexOf(separator, at + 1)) {
        const QFileInfo info(warning.left(at));
        if (info.exists() || info.isSymLink())
            chosen = at;
    }
    if (chosen < 0)
        return issue;
    issue.path = warning.left(chosen);
    issue.text = warning.mid(chosen + separator.size());
    return issue;
}

IssuesDock::IssuesDock(QWidget* parent)
    : QDockWidget(parent), model_(new IssuesModel(this)), view_(new QTreeView(this)),
      clear_(new QPushButton(tr("Clear"), this)) {
    setObjectName(QStringLiteral("issuesDock")); // saveState() keys the dock by its name
    view_->setObjectName(QStringLiteral("issuesView"));
    view_->setModel(model_);
    view_->setRootIsDecorated(false);
    view_->setUniformRowHeights(true);
    view_->setAlternatingRowColors(true);
    // The text takes the room the paths leave; the tooltip has all of both.
    view_->header()->setStretchLastSection(false);
    view_->header()->setSectionResizeMode(IssuesModel::TextColumn, QHeaderView::Stretch);
    view_->header()->setSectionResizeMode(IssuesModel::PathColumn, QHeaderView::ResizeToContents);
    clear_->setObjectName(QStringLiteral("clearIssues"));
    clear_->setToolTip(tr("Remove every issue from the list (the log keeps them)"));
    auto* hint = new QLabel(tr("Double-click an image to show it"), this);
    hint->setEnabled(false); // a hint, drawn like disabled text

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(hint);
    buttons->addStretch(1);
    buttons->addWidget(clear_);
    auto* content = new QWidget(this);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(view_);
    layout->addLayout(buttons);
    setWidget(content);

    connect(clear_, &QPushButton::clicked, model_, &IssuesModel::clear);
    connect(model_, &IssuesModel::countChanged, this, &IssuesDock::updateTitle);
    connect(view_, &QTreeView::activated, this, [this](const QModelIndex& index) {
        const QString path = index.data(IssuesModel::PathRole).toString();
        if (!path.isEmpty())
            Q_EMIT pathActivated(path);
    });
    updateTitle();
}

void IssuesDock::reportScanWarnings(const QStringList& warnings) {
    for (const QString& warning : warnings)
        model_->add(issueFromScanWarning(warning));
}

void IssuesDock::reportSkippedImage(const QString& path, const QString& reason) {
    // Decoder reasons often start with the full path, which the File column shows already;
    // the file name keeps the sentence readable in a narrow column.
    QString text = reason;
    text.replace(path, QFileInfo(path).fileName());
    model_->add(Issue{Issue::Severity::Error, text, path});
}

void IssuesDock::reportFailures(const RunOutcome& outcome) {
    const bool newPool = failuresListedFor_ != outcome.parameters.source;
    failuresListedFor_ = outcome.parameters.source;
    if (!newPool && !outcome.extractionRan)
        return;
    for (size_t i = 0; i < outcome.failures.size(); ++i)
        if (!outcome.failures[i].isEmpty())
            reportSkippedImage((*outcome.pool.entries)[i].path, outcome.failures[i]);
}

void IssuesDock::reportError(const QString& message) {
    model_->add(Issue{Issue::Severity::Error, message, QString()});
}

void IssuesDock::reportNote(const QString& note) {
    model_->add(Issue{Issue::Severity::Info, note, QString()});
}

void IssuesDock::updateTitle() {
    const int count = model_->count();
    setWindowTitle(count == 0 ? tr("Issues") : tr("Issues (%1)").arg(count));
    clear_->setEnabled(count > 0);
}

} // namespace freesel
