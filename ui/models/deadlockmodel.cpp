#include "models/deadlockmodel.h"

#include "models/healthstyle.h"

#include <QHash>
#include <QThread>

using namespace Qt::StringLiterals;

DeadlockModel::DeadlockModel(QObject* parent) : QAbstractListModel(parent) {}

void DeadlockModel::setRows(const QList<DeadlockRow>& rows) {
    Q_ASSERT(QThread::currentThread() == thread());
    QHash<QString, qsizetype> incoming;
    for (qsizetype i = 0; i < rows.size(); ++i)
        incoming.insert(rows[i].key, i);
    for (qsizetype i = m_rows.size() - 1; i >= 0; --i) {
        if (incoming.contains(m_rows[i].key))
            continue;
        beginRemoveRows({}, static_cast<int>(i), static_cast<int>(i));
        m_rows.removeAt(i);
        endRemoveRows();
    }
    QList<bool> used(rows.size(), false);
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        const qsizetype source = incoming.value(m_rows[i].key);
        used[source] = true;
        if (m_rows[i] != rows[source]) {
            m_rows[i] = rows[source];
            emit dataChanged(index(static_cast<int>(i)), index(static_cast<int>(i)));
        }
    }
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (used[i])
            continue;
        const int row = static_cast<int>(m_rows.size());
        beginInsertRows({}, row, row);
        m_rows << rows[i];
        endInsertRows();
    }
}

const DeadlockRow* DeadlockModel::deadlockAt(const QModelIndex& index) const {
    return index.isValid() && index.model() == this && index.row() < m_rows.size()
               ? &m_rows[index.row()]
               : nullptr;
}

int DeadlockModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant DeadlockModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const DeadlockRow& row = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        // Each edge with the file it is about: the pids alone do not say what to look at.
        return QString(row.cycleText + u'\n' + row.steps.join(u'\n') + u'\n' +
                       (row.certain ? tr("certain: every process in the cycle is single-threaded")
                                    : tr("likely: another thread could still release a lock")));
    case Qt::DecorationRole:
        return HealthStyle::icon(LockHealth::deadlocked);
    case Qt::ToolTipRole:
        return row.steps.join(u'\n');
    case PidsRole: {
        QVariantList pids;
        for (qint64 pid : row.pids)
            pids << pid;
        return pids;
    }
    case CertainRole:
        return row.certain;
    case StepsRole:
        return row.steps;
    default:
        return {};
    }
}
