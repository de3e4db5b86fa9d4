// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The problems of the session as a list (Tiled's issues model shape): images that could not be
// used, scan warnings, run errors and notes, each with a severity and, for an image, its path.
// The log keeps the full story with times; this list is what still needs looking at.

#include <QAbstractTableModel>
#include <QString>

#include <vector>

namespace freesel {

struct Issue {
    enum class Severity { Error, Warning, Info };
    Severity severity = Severity::Warning;
    QString text; ///< one line, without the path when the path is given
    QString path; ///< the image or file concerned; empty when none

    bool operator==(const Issue& other) const {
        return severity == other.severity && text == other.text && path == other.path;
    }
};

class IssuesModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { TextColumn, PathColumn, ColumnCount };
    enum Role {
        SeverityRole = Qt::UserRole + 1, ///< int(Issue::Severity)
        PathRole,                        ///< the path (every column)
    };

    explicit IssuesModel(QObject* parent = nullptr);

    /// Adds `issue` unless the same one is listed already: a re-run from the store reports the
    /// same skipped images again, and the list says each once.
    void add(const Issue& issue);
    void clear();
    int count() const { return static_cast<int>(issues_.size()); }
    const Issue& issue(int row) const { return issues_[static_cast<size_t>(row)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

Q_SIGNALS:
    void countChanged(int count);

private:
    std::vector<Issue> issues_;
};

} // namespace freesel
