// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The Issues dock (Tiled's IssuesDock shape): the session's problems as a list with a severity
// icon, the text and the file; its title counts them, "Clear" empties it. Activating a row
// that names a file asks the window to show that file (pathActivated).

#include "window/issues_model.h"
#include "worker/pipeline_worker.h"

#include <QDockWidget>

class QPushButton;
class QTreeView;

namespace freesel {

/// A scan warning, "<path>: <reason>", as an issue with the path apart (the path itself may
/// hold ": ", so the longest prefix that exists on disk wins, else the first). A warning that
/// names no absolute path is all text.
Issue issueFromScanWarning(const QString& warning);

class IssuesDock : public QDockWidget {
    Q_OBJECT
public:
    explicit IssuesDock(QWidget* parent = nullptr);

    IssuesModel* model() const { return model_; }
    QTreeView* view() const { return view_; }
    QPushButton* clearButton() const { return clear_; }

    void reportScanWarnings(const QStringList& warnings);
    /// An image that could not be used; the path in `reason` is shortened to the file name.
    void reportSkippedImage(const QString& path, const QString& reason);
    /// The images a run could not use. Listed once per pool: when extraction ran (the images
    /// were just tried) or when the pool is another than the last run's (a store from an
    /// earlier session holds its failures), not on every re-run from the store, which would
    /// bring back what the user cleared.
    void reportFailures(const RunOutcome& outcome);
    void reportError(const QString& message);
    void reportNote(const QString& note);

Q_SIGNALS:
    void pathActivated(const QString& path);

private:
    void updateTitle();

    IssuesModel* model_;
    QTreeView* view_;
    QPushButton* clear_;
    QString failuresListedFor_; ///< the pool source of the last reportFailures
};

} // namespace freesel
