#pragma once
// AddWatchDialog: name something to keep an eye on even while nobody locks it: one file, a
// directory of lock files, a glob pattern, or the slots of a bounded semaphore (the slot file
// pattern defaults to Python portalocker's "{name}.{number:02d}.lock"), on this computer or
// on one of the remote hosts (its agent evaluates the watch there).

#include <portalocker/inspect/watch.hpp>

#include <QDialog>

#include <chrono>
#include <optional>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;

class AddWatchDialog : public QDialog {
    Q_OBJECT
  public:
    explicit AddWatchDialog(QWidget* parent = nullptr);

    /// Pre-fills a file watch (from a lock's context menu).
    void setPath(const QString& path);
    /// The hosts to offer beside "This computer" (ssh destinations, and "This computer
    /// (administrator)"); the host box is shown only when there are any. `onThisComputer`:
    /// those among them whose files are this computer's (the elevated agent), where Browse...
    /// helps.
    void setHosts(const QStringList& destinations, const QStringList& onThisComputer = {});
    /// Chooses the host ("" = this computer); one not offered is added to the list.
    void setHost(const QString& host);
    /// The chosen host: "" = this computer, else one of the hosts (as setHosts() named it).
    QString host() const;
    /// Pre-fills the watch's own stuck threshold (nullopt: the global one).
    void setStuckAfter(std::optional<std::chrono::milliseconds> stuckAfter);
    /// The watch as entered (valid after accept()), with its own stuck threshold when
    /// "Own stuck threshold" is checked.
    portalocker::inspect::Watch watch() const;
    /// Empty when the input makes a usable watch, else what is missing.
    QString validationError() const;

    void accept() override;

  private:
    void browse();
    void updateState();

    QComboBox* m_host;
    QLabel* m_hostLabel;
    QStringList m_onThisComputer;
    QPushButton* m_browse;
    QComboBox* m_type;
    QStackedWidget* m_pages;
    QLineEdit* m_path;
    QLineEdit* m_directory;
    QLineEdit* m_name;
    QSpinBox* m_maximum;
    QLineEdit* m_pattern;
    QCheckBox* m_ownThreshold;
    QSpinBox* m_stuckAfter; ///< seconds
    QLabel* m_hint;
    QLabel* m_error;
};
