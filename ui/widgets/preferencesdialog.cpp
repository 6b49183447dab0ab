#include "widgets/preferencesdialog.h"

#include "widgets/traynotifier.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

PreferencesDialog::PreferencesDialog(QWidget* parent)
    : QDialog(parent), m_refresh(new QDoubleSpinBox(this)), m_stuck(new QSpinBox(this)),
      m_redis(new QDoubleSpinBox(this)),
      m_notify(new QCheckBox(tr("Notify me when a lock on any host becomes deadlocked or stuck, "
                                "or a Redis connection fails (tray icon)"),
                             this)) {
    setWindowTitle(tr("Preferences"));
    m_refresh->setRange(0.1, 3600);
    m_refresh->setDecimals(1);
    m_refresh->setSuffix(u" s"_s);
    m_stuck->setRange(1, 7 * 24 * 3600);
    m_stuck->setSuffix(u" s"_s);
    m_redis->setRange(0, 3600);
    m_redis->setDecimals(1);
    m_redis->setSuffix(u" s"_s);
    m_redis->setSpecialValueText(tr("only on request"));
    auto* form = new QFormLayout;
    form->addRow(tr("Refresh file locks every"), m_refresh);
    form->addRow(tr("A lock is stuck when held longer than"), m_stuck);
    form->addRow(tr("Rescan Redis every"), m_redis);
    auto* note = new QLabel(tr("Stuck locks and waits are tinted orange and sorted to the top, "
                               "after deadlocks and stopped holders."),
                            this);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    auto* notifyNote = new QLabel(TrayNotifier::unavailableReason(), this);
    notifyNote->setWordWrap(true);
    notifyNote->setForegroundRole(QPalette::PlaceholderText);
    notifyNote->setVisible(!notifyNote->text().isEmpty());
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_notify);
    layout->addWidget(notifyNote);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void PreferencesDialog::setRefreshIntervalMs(int milliseconds) {
    m_refresh->setValue(milliseconds / 1000.0);
}
int PreferencesDialog::refreshIntervalMs() const {
    return static_cast<int>(m_refresh->value() * 1000);
}
void PreferencesDialog::setStuckThresholdMs(qint64 milliseconds) {
    m_stuck->setValue(static_cast<int>(milliseconds / 1000));
}
qint64 PreferencesDialog::stuckThresholdMs() const {
    return qint64(m_stuck->value()) * 1000;
}
void PreferencesDialog::setRedisScanIntervalMs(int milliseconds) {
    m_redis->setValue(milliseconds / 1000.0);
}
int PreferencesDialog::redisScanIntervalMs() const {
    return static_cast<int>(m_redis->value() * 1000);
}
void PreferencesDialog::setNotificationsEnabled(bool enabled) {
    m_notify->setChecked(enabled);
}
bool PreferencesDialog::notificationsEnabled() const {
    return m_notify->isChecked();
}
