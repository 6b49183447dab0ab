#include "widgets/addwatchdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;
namespace inspect = portalocker::inspect;

namespace {
enum TypeIndex { FileType, DirectoryType, GlobType, SemaphoreType };
}

AddWatchDialog::AddWatchDialog(QWidget* parent)
    : QDialog(parent), m_host(new QComboBox(this)), m_hostLabel(new QLabel(tr("Host"), this)),
      m_browse(new QPushButton(tr("Browse…"), this)), m_type(new QComboBox(this)),
      m_pages(new QStackedWidget(this)), m_path(new QLineEdit(this)),
      m_directory(new QLineEdit(this)), m_name(new QLineEdit(this)), m_maximum(new QSpinBox(this)),
      m_pattern(new QLineEdit(this)),
      m_ownThreshold(new QCheckBox(tr("Own stuck threshold"), this)),
      m_stuckAfter(new QSpinBox(this)), m_hint(new QLabel(this)), m_error(new QLabel(this)) {
    setWindowTitle(tr("Add watch"));
    m_type->addItem(tr("File"));
    m_type->addItem(tr("Directory of lock files"));
    m_type->addItem(tr("Glob pattern"));
    m_type->addItem(tr("Bounded semaphore"));

    auto* pathPage = new QWidget(this);
    auto* pathLayout = new QHBoxLayout(pathPage);
    pathLayout->setContentsMargins(0, 0, 0, 0);
    pathLayout->addWidget(m_path, 1);
    pathLayout->addWidget(m_browse);
    m_pages->addWidget(pathPage);

    auto* semaphorePage = new QWidget(this);
    auto* semaphoreForm = new QFormLayout(semaphorePage);
    semaphoreForm->setContentsMargins(0, 0, 0, 0);
    m_directory->setText(QDir::tempPath());
    m_name->setText(u"bounded_semaphore"_s);
    m_maximum->setRange(1, 10000);
    m_maximum->setValue(3);
    m_pattern->setText(
        QString::fromUtf8(inspect::default_slot_pattern.data(),
                          static_cast<qsizetype>(inspect::default_slot_pattern.size())));
    semaphoreForm->addRow(tr("Directory"), m_directory);
    semaphoreForm->addRow(tr("Name"), m_name);
    semaphoreForm->addRow(tr("Slots"), m_maximum);
    semaphoreForm->addRow(tr("Slot file pattern"), m_pattern);
    m_pages->addWidget(semaphorePage);

    m_hint->setWordWrap(true);
    m_hint->setForegroundRole(QPalette::PlaceholderText);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(u"color: #d32f2f"_s);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Add watch"));
    auto* form = new QFormLayout;
    m_host->setObjectName(u"host"_s);
    m_host->addItem(tr("This computer"), QString());
    m_host->setToolTip(tr("Whose files: a remote host's watch is evaluated there, by its "
                          "lockctl"));
    form->addRow(m_hostLabel, m_host);
    m_hostLabel->setVisible(false);
    m_host->setVisible(false);
    form->addRow(tr("Watch"), m_type);
    // Stuck means contended: held longer than this while others wait, or a waiter waiting
    // longer. Some locks are meant to be held for hours, others for seconds.
    m_ownThreshold->setObjectName(u"ownThreshold"_s);
    m_stuckAfter->setObjectName(u"stuckAfter"_s);
    m_stuckAfter->setRange(1, 7 * 24 * 3600);
    m_stuckAfter->setValue(60);
    m_stuckAfter->setSuffix(tr(" s"));
    m_stuckAfter->setEnabled(false);
    m_ownThreshold->setToolTip(
        tr("Its locks count as stuck when held longer than this while others wait, or when a "
           "waiter waits longer; unchecked, the global threshold (Preferences) applies"));
    auto* threshold = new QHBoxLayout;
    threshold->addWidget(m_ownThreshold);
    threshold->addWidget(m_stuckAfter);
    threshold->addStretch(1);
    connect(m_ownThreshold, &QCheckBox::toggled, m_stuckAfter, &QWidget::setEnabled);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_pages);
    layout->addLayout(threshold);
    layout->addWidget(m_hint);
    layout->addWidget(m_error);
    layout->addStretch(1);
    layout->addWidget(buttons);
    resize(520, sizeHint().height());

    connect(m_type, &QComboBox::currentIndexChanged, this, &AddWatchDialog::updateState);
    connect(m_browse, &QPushButton::clicked, this, &AddWatchDialog::browse);
    connect(m_host, &QComboBox::currentIndexChanged, this, &AddWatchDialog::updateState);
    connect(buttons, &QDialogButtonBox::accepted, this, &AddWatchDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &AddWatchDialog::reject);
    for (QLineEdit* edit : {m_path, m_directory, m_name, m_pattern})
        connect(edit, &QLineEdit::textChanged, m_error, &QLabel::clear);
    updateState();
}

void AddWatchDialog::setPath(const QString& path) {
    m_type->setCurrentIndex(FileType);
    m_path->setText(path);
}

void AddWatchDialog::setHosts(const QStringList& destinations, const QStringList& onThisComputer) {
    const QString chosen = host();
    m_onThisComputer = onThisComputer;
    while (m_host->count() > 1)
        m_host->removeItem(1);
    for (const QString& destination : destinations)
        m_host->addItem(destination, destination);
    setHost(chosen);
}

void AddWatchDialog::setHost(const QString& host) {
    int index = m_host->findData(host);
    if (index < 0) {
        m_host->addItem(host, host);
        index = m_host->count() - 1;
    }
    m_host->setCurrentIndex(index);
    m_hostLabel->setVisible(m_host->count() > 1);
    m_host->setVisible(m_host->count() > 1);
}

QString AddWatchDialog::host() const {
    return m_host->currentData().toString();
}

void AddWatchDialog::updateState() {
    const int type = m_type->currentIndex();
    // The file dialog shows this computer's files: no help for a path on another host.
    const bool here = host().isEmpty() || m_onThisComputer.contains(host());
    m_browse->setEnabled(here);
    m_browse->setToolTip(here ? QString() : tr("Type the path as it is on %1").arg(host()));
    m_pages->setCurrentIndex(type == SemaphoreType ? 1 : 0);
    switch (type) {
    case FileType:
        m_path->setPlaceholderText(u"/var/lock/myjob.lock"_s);
        m_hint->setText(tr("Shown even while free; the file need not exist yet."));
        break;
    case DirectoryType:
        m_path->setPlaceholderText(u"/var/lock"_s);
        m_hint->setText(tr("Every regular file directly inside the directory."));
        break;
    case GlobType:
        m_path->setPlaceholderText(u"/tmp/*.lock"_s);
        m_hint->setText(tr("Every file matching the pattern (glob(3) syntax)."));
        break;
    case SemaphoreType:
        m_hint->setText(tr("Python portalocker's BoundedSemaphore: one slot file per slot, each "
                           "held by at most one process."));
        break;
    }
    m_error->clear();
}

void AddWatchDialog::browse() {
    // open(), not exec(): the window keeps refreshing behind the file dialog.
    auto* dialog = new QFileDialog(this, tr("Choose what to watch"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(m_type->currentIndex() == DirectoryType ? QFileDialog::Directory
                                                                : QFileDialog::AnyFile);
    if (!m_path->text().isEmpty())
        dialog->selectFile(m_path->text());
    connect(dialog, &QFileDialog::fileSelected, m_path, &QLineEdit::setText);
    dialog->open();
}

inspect::Watch AddWatchDialog::watch() const {
    inspect::Watch watch;
    switch (m_type->currentIndex()) {
    case DirectoryType:
        watch = inspect::Watch::directory(m_path->text().trimmed().toStdString());
        break;
    case GlobType:
        watch = inspect::Watch::glob(m_path->text().trimmed().toStdString());
        break;
    case SemaphoreType:
        watch = inspect::Watch::semaphore(
            m_directory->text().trimmed().toStdString(), m_name->text().trimmed().toStdString(),
            static_cast<unsigned>(m_maximum->value()), m_pattern->text().trimmed().toStdString());
        break;
    default:
        watch = inspect::Watch::file(m_path->text().trimmed().toStdString());
        break;
    }
    if (m_ownThreshold->isChecked())
        watch.stuck_after = std::chrono::seconds(m_stuckAfter->value());
    return watch;
}

void AddWatchDialog::setStuckAfter(std::optional<std::chrono::milliseconds> stuckAfter) {
    m_ownThreshold->setChecked(stuckAfter.has_value());
    if (stuckAfter)
        m_stuckAfter->setValue(static_cast<int>(std::max<qint64>(
            1, std::chrono::duration_cast<std::chrono::seconds>(*stuckAfter).count())));
}

QString AddWatchDialog::validationError() const {
    if (m_type->currentIndex() == SemaphoreType) {
        if (m_directory->text().trimmed().isEmpty() || m_name->text().trimmed().isEmpty())
            return tr("A semaphore needs a directory and a name.");
        std::string error;
        if (!inspect::format_slot_name(m_pattern->text().trimmed().toStdString(),
                                       m_name->text().trimmed().toStdString(), 0, &error))
            return tr("The slot file pattern is not valid: %1").arg(QString::fromStdString(error));
        return {};
    }
    if (m_path->text().trimmed().isEmpty())
        return tr("Enter a path.");
    if (m_type->currentIndex() != GlobType && !QDir::isAbsolutePath(m_path->text().trimmed()))
        return tr("Use an absolute path.");
    return {};
}

void AddWatchDialog::accept() {
    const QString error = validationError();
    if (!error.isEmpty()) {
        m_error->setText(error);
        return;
    }
    QDialog::accept();
}
