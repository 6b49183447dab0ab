#pragma once
// Sorting and filtering for FileLockModel: a filter text matched against path, pids, commands,
// users and kinds; an "only what needs attention" switch. Whatever the sort column and order,
// each lock's waiters follow right under it, in queue order. Sorting by status puts the worst
// first and, within one status, the oldest hold first.

#include <QSortFilterProxyModel>
#include <QStringList>

#include <optional>

struct FileLockRow;

class FileLockProxyModel : public QSortFilterProxyModel {
    Q_OBJECT
  public:
    explicit FileLockProxyModel(QObject* parent = nullptr);

    void setFilterText(const QString& text);
    QString filterText() const { return m_filterText; }
    void setOnlyAttention(bool only);
    bool onlyAttention() const { return m_onlyAttention; }
    /// Only the locks of one host ("" = this computer); nullopt: every host.
    void setHostFilter(std::optional<QString> host);
    const std::optional<QString>& hostFilter() const { return m_hostFilter; }

    /// Compares two locks by a column: < 0, 0, > 0 (public for tests).
    static int compareLocks(const FileLockRow& a, const FileLockRow& b, int column);

  protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

  private:
    QString m_filterText;
    QStringList m_terms;
    bool m_onlyAttention = false;
    std::optional<QString> m_hostFilter;
};
