// SPDX-License-Identifier: GPL-3.0-or-later
#include "window/issues_model.h"

#include <QApplication>
#include <QStyle>

#include <algorithm>

namespace freesel {

namespace {

QIcon severityIcon(Issue::Severity severity) {
    QStyle* style = QApplication::style();
    switch (severity) {
    case Issue::Severity::Error:
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    case Issue::Severity::Warning:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Issue::Severity::Info:
        break;
    }
    return style->standardIcon(QStyle::SP_MessageBoxInformation);
}

QString severityName(Issue::Severity severity) {
    switch (severity) {
    case Issue::Severity::Error:
        return IssuesModel::tr("Error");
    case Issue::Severity::Warning:
        return IssuesModel::tr("Warning");
    case Issue::Severity::Info:
        break;
    }
    return IssuesModel::tr("Note");
}

} // namespace

IssuesModel::IssuesModel(QObject* parent) : QAbstractTableModel(parent) {}

void IssuesModel::add(const Issue& issue) {
    if (std::find(issues_.begin(), issues_.end(), issue) != issues_.end())
        return;
    const int row = count();
    beginInsertRows({}, row, row);
    issues_.push_back(issue);
    endInsertRows();
    Q_EMIT countChanged(count());
}

void IssuesModel::clear() {
    if (issues_.empty())
        return;
    beginResetModel();
    issues_.clear();
    endResetModel();
    Q_EMIT countChanged(0);
}

int IssuesModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : count();
}

int IssuesModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant IssuesModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= count())
        return {};
    const Issue& item = issue(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == TextColumn ? item.text : item.path;
    case Qt::DecorationRole:
        return index.column() == TextColumn ? QVariant(severityIcon(item.severity)) : QVariant();
    case Qt::ToolTipRole:
        return item.path.isEmpty()
                   ? QStringLiteral("%1: %2").arg(severityName(item.severity), item.text)
                   : QStringLiteral("%1: %2\n%3")
                         .arg(severityName(item.severity), item.text, item.path);
    case SeverityRole:
        return int(item.severity);
    case PathRole:
        return item.path;
    default:
        return {};
    }
}

QVariant IssuesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    return section == TextColumn ? tr("Issue") : tr("File");
}

} // namespace freesel
