#include "widgets/acquirepage.h"

#include "workers/acquirejob.h"
#include "session/desktopactions.h"
#include "models/heldlockmodel.h"
#include "session/inspectorsession.h"
#include "session/redishub.h"
#include "session/textformat.h"

#include <QAction>
#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace {
enum TargetIndex { FileTarget, SemaphoreTarget, LeaseTarget, ChannelTarget };
}

AcquirePage::AcquirePage(InspectorSession* session, QWidget* parent)
    : QWidget(parent), m_session(session), m_target(new QComboBox(this)),
      m_pages(new QStackedWidget(this)), m_path(new QLineEdit(this)),
      m_backend(new QComboBox(this)), m_exclusive(new QRadioButton(tr("Exclusive"), this)),
      m_shared(new QRadioButton(tr("Shared"), this)), m_semaphoreDirectory(new QLineEdit(this)),
      m_semaphoreName(new QLineEdit(this)), m_semaphoreMaximum(new QSpinBox(this)),
      m_connection(new QComboBox(this)), m_key(new QLineEdit(this)),
      m_leaseTtl(new QDoubleSpinBox(this)), m_keyLabel(new QLabel(tr("Key"), this)),
      m_ttlLabel(new QLabel(tr("Lease TTL"), this)), m_timeout(new QDoubleSpinBox(this)),
      m_forever(new QCheckBox(tr("Wait forever"), this)),
      m_acquire(new QPushButton(tr("Acquire"), this)), m_countdown(new QProgressBar(this)),
      m_cancelWait(new QPushButton(tr("Cancel wait"), this)), m_lastOutcome(new QLabel(this)),
      m_held(new QTableView(this)), m_release(new QPushButton(tr("Release"), this)),
      m_cancel(new QPushButton(tr("Cancel"), this)),
      m_releaseAll(new QPushButton(tr("Release all"), this)),
      m_clearFinished(new QPushButton(tr("Clear finished"), this)) {
    m_target->addItems(
        {tr("File lock"), tr("Semaphore slot"), tr("Redis lease"), tr("Redis channel lock")});

    m_pages->addWidget(buildFilePage());
    m_pages->addWidget(buildSemaphorePage());
    m_pages->addWidget(buildRedisPage());
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(buildForm());
    layout->addWidget(buildHeldBox(), 1);
    connectSignals();
    reloadConnections();
    updateForm();
    updateWaitState();
    updateButtons();
}

QWidget* AcquirePage::buildFilePage() {
    // File page.
    auto* filePage = new QWidget(this);
    auto* fileForm = new QFormLayout(filePage);
    fileForm->setContentsMargins(0, 0, 0, 0);
    m_path->setPlaceholderText(u"/tmp/myjob.lock"_s);
    m_backend->addItem(tr("flock (Python portalocker)"), u"flock"_s);
    m_backend->addItem(tr("posix (fcntl record lock)"), u"posix"_s);
    m_backend->addItem(tr("ofd (open file description)"), u"ofd"_s);
    fileForm->addRow(tr("Path"), m_path);
    fileForm->addRow(tr("Backend"), m_backend);

    return filePage;
}

QWidget* AcquirePage::buildSemaphorePage() {
    // Semaphore page.
    auto* semaphorePage = new QWidget(this);
    auto* semaphoreForm = new QFormLayout(semaphorePage);
    semaphoreForm->setContentsMargins(0, 0, 0, 0);
    m_semaphoreDirectory->setText(QDir::tempPath());
    m_semaphoreName->setText(u"bounded_semaphore"_s);
    m_semaphoreMaximum->setRange(1, 10000);
    m_semaphoreMaximum->setValue(1);
    semaphoreForm->addRow(tr("Directory"), m_semaphoreDirectory);
    semaphoreForm->addRow(tr("Name"), m_semaphoreName);
    semaphoreForm->addRow(tr("Slots"), m_semaphoreMaximum);

    return semaphorePage;
}

QWidget* AcquirePage::buildRedisPage() {
    // Redis page (lease and channel).
    auto* redisPage = new QWidget(this);
    auto* redisForm = new QFormLayout(redisPage);
    redisForm->setContentsMargins(0, 0, 0, 0);
    m_leaseTtl->setRange(0.1, 86400);
    m_leaseTtl->setValue(30);
    m_leaseTtl->setSuffix(u" s"_s);
    redisForm->addRow(tr("Connection"), m_connection);
    redisForm->addRow(m_keyLabel, m_key);
    redisForm->addRow(m_ttlLabel, m_leaseTtl);

    return redisPage;
}

// The form on the left: what to take, how, and the Acquire row with its countdown.
QWidget* AcquirePage::buildForm() {
    auto* modeRow = new QHBoxLayout;
    auto* modes = new QButtonGroup(this);
    modes->addButton(m_exclusive);
    modes->addButton(m_shared);
    m_exclusive->setChecked(true);
    modeRow->addWidget(m_exclusive);
    modeRow->addWidget(m_shared);
    modeRow->addStretch(1);

    m_timeout->setRange(0, 86400);
    m_timeout->setDecimals(1);
    m_timeout->setValue(5);
    m_timeout->setSuffix(u" s"_s);
    m_timeout->setToolTip(tr("0 = one attempt, no waiting"));
    auto* timeoutRow = new QHBoxLayout;
    timeoutRow->addWidget(m_timeout);
    timeoutRow->addWidget(m_forever);
    timeoutRow->addStretch(1);

    auto* formBox = new QGroupBox(tr("Take a lock"), this);
    auto* form = new QFormLayout;
    form->addRow(tr("What"), m_target);
    auto* formLayout = new QVBoxLayout(formBox);
    formLayout->addLayout(form);
    formLayout->addWidget(m_pages);
    auto* common = new QFormLayout;
    common->addRow(tr("Mode"), modeRow);
    common->addRow(tr("Timeout"), timeoutRow);
    formLayout->addLayout(common);
    m_acquire->setDefault(true);
    m_acquire->setToolTip(tr("Acquire (Ctrl+Return)"));
    m_acquire->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    auto* acquireRow = new QHBoxLayout;
    acquireRow->addWidget(m_acquire);
    acquireRow->addWidget(m_countdown, 1);
    acquireRow->addWidget(m_cancelWait);
    formLayout->addLayout(acquireRow);
    m_lastOutcome->setWordWrap(true);
    formLayout->addWidget(m_lastOutcome);
    formLayout->addStretch(1);
    formBox->setMinimumWidth(400);
    formBox->setMaximumWidth(560);

    return formBox;
}

// The table on the right: what this window holds and waits for.
QWidget* AcquirePage::buildHeldBox() {
    auto* heldBox = new QGroupBox(tr("What you hold and wait for"), this);
    m_held->setModel(m_session->heldLocks());
    m_held->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_held->setSelectionMode(QAbstractItemView::SingleSelection);
    m_held->setAlternatingRowColors(true);
    m_held->verticalHeader()->hide();
    m_held->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_held->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_held->setContextMenuPolicy(Qt::CustomContextMenu);
    m_held->horizontalHeader()->setStretchLastSection(true);
    m_held->setColumnWidth(HeldLockModel::LockColumn, 340);
    m_held->setColumnWidth(HeldLockModel::TypeColumn, 80);
    m_held->setColumnWidth(HeldLockModel::StateColumn, 110);
    m_held->setColumnWidth(HeldLockModel::TimeColumn, 110);
    auto* heldButtons = new QHBoxLayout;
    heldButtons->addWidget(m_release);
    heldButtons->addWidget(m_cancel);
    heldButtons->addStretch(1);
    heldButtons->addWidget(m_releaseAll);
    heldButtons->addWidget(m_clearFinished);
    auto* heldLayout = new QVBoxLayout(heldBox);
    heldLayout->addWidget(m_held, 1);
    heldLayout->addLayout(heldButtons);

    return heldBox;
}

void AcquirePage::connectSignals() {
    connect(m_target, &QComboBox::currentIndexChanged, this, &AcquirePage::updateForm);
    connect(m_connection, &QComboBox::currentIndexChanged, this,
            &AcquirePage::updateAcquireEnabled);
    connect(m_forever, &QCheckBox::toggled, m_timeout, &QWidget::setDisabled);
    connect(m_acquire, &QPushButton::clicked, this, &AcquirePage::acquire);
    connect(m_path, &QLineEdit::returnPressed, this, &AcquirePage::acquire);
    connect(m_cancelWait, &QPushButton::clicked, this, [this] {
        if (m_latest)
            m_latest->cancel();
    });
    connect(m_release, &QPushButton::clicked, this, &AcquirePage::releaseSelected);
    auto* release = new QAction(tr("Release"), m_held);
    release->setShortcut(QKeySequence::Delete);
    release->setShortcutContext(Qt::WidgetShortcut);
    m_held->addAction(release);
    connect(release, &QAction::triggered, this, [this] {
        releaseSelected();
        cancelSelected();
    });
    connect(m_cancel, &QPushButton::clicked, this, &AcquirePage::cancelSelected);
    connect(m_releaseAll, &QPushButton::clicked, m_session->heldLocks(),
            &HeldLockModel::releaseAll);
    connect(m_clearFinished, &QPushButton::clicked, m_session->heldLocks(),
            &HeldLockModel::clearFinished);
    connect(m_held, &QTableView::customContextMenuRequested, this, &AcquirePage::showContextMenu);
    connect(m_held->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AcquirePage::updateButtons);
    connect(m_session->heldLocks(), &HeldLockModel::jobStateChanged, this, [this] {
        updateWaitState();
        updateButtons();
    });
    connect(m_session->redis(), &RedisHub::connectionsChanged, this,
            &AcquirePage::reloadConnections);
    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, &AcquirePage::updateWaitState);
}

void AcquirePage::prefillFile(const QString& path) {
    m_target->setCurrentIndex(FileTarget);
    m_path->setText(path);
    m_acquire->setFocus();
}

void AcquirePage::prefillSemaphore(const QString& directory, const QString& name, int maximum) {
    m_target->setCurrentIndex(SemaphoreTarget);
    m_semaphoreDirectory->setText(directory);
    m_semaphoreName->setText(name);
    m_semaphoreMaximum->setValue(maximum);
    m_acquire->setFocus();
}

void AcquirePage::prefillRedis(bool channel, const QString& connectionId, const QString& key) {
    m_target->setCurrentIndex(channel ? ChannelTarget : LeaseTarget);
    const int index = m_connection->findData(connectionId);
    if (index >= 0)
        m_connection->setCurrentIndex(index);
    m_key->setText(key);
    m_acquire->setFocus();
}

void AcquirePage::setTimeoutMs(qint64 milliseconds) {
    m_forever->setChecked(milliseconds < 0);
    if (milliseconds >= 0)
        m_timeout->setValue(static_cast<double>(milliseconds) / 1000.0);
}

void AcquirePage::setShared(bool shared) {
    (shared ? m_shared : m_exclusive)->setChecked(true);
}

void AcquirePage::updateForm() {
    const int target = m_target->currentIndex();
    m_pages->setCurrentIndex(target <= SemaphoreTarget ? target : 2);
    const bool lease = target == LeaseTarget;
    m_keyLabel->setText(lease ? tr("Key") : tr("Channel"));
    m_key->setPlaceholderText(lease ? u"jobs:nightly"_s : u"nightly-report"_s);
    m_leaseTtl->setVisible(lease);
    m_ttlLabel->setVisible(lease);
    // Semaphore slots and leases are exclusive by nature.
    const bool modes = target == FileTarget || target == ChannelTarget;
    m_exclusive->setEnabled(modes);
    m_shared->setEnabled(modes);
    if (!modes)
        m_exclusive->setChecked(true);
    updateAcquireEnabled();
}

QString AcquirePage::readOnlyReason() const {
    const int target = m_target->currentIndex();
    if (target != LeaseTarget && target != ChannelTarget)
        return {};
    const QString connectionId = m_connection->currentData().toString();
    for (const RedisConnectionConfig& config : m_session->redis()->configs())
        if (config.id == connectionId && config.readOnly)
            return tr("The connection \"%1\" is read-only: it never acquires.")
                .arg(config.name.isEmpty() ? config.url() : config.name);
    return {};
}

void AcquirePage::updateAcquireEnabled() {
    const QString reason = readOnlyReason();
    m_acquire->setEnabled(reason.isEmpty());
    m_acquire->setToolTip(reason.isEmpty() ? tr("Acquire (Ctrl+Return)") : reason);
}

void AcquirePage::reloadConnections() {
    const QString current = m_connection->currentData().toString();
    m_connection->clear();
    for (const RedisConnectionConfig& config : m_session->redis()->configs())
        m_connection->addItem(config.displayName(), config.id);
    const int index = m_connection->findData(current);
    if (index >= 0)
        m_connection->setCurrentIndex(index);
    if (m_connection->count() == 0)
        m_connection->setPlaceholderText(tr("add a connection in the Redis tab"));
    updateAcquireEnabled(); // the read-only mark may have changed
}

AcquireRequest AcquirePage::request() const {
    AcquireRequest request;
    switch (m_target->currentIndex()) {
    case SemaphoreTarget:
        request.target = AcquireRequest::Target::semaphore;
        break;
    case LeaseTarget:
        request.target = AcquireRequest::Target::redisLease;
        break;
    case ChannelTarget:
        request.target = AcquireRequest::Target::redisChannel;
        break;
    default:
        request.target = AcquireRequest::Target::file;
        break;
    }
    request.timeoutMs =
        m_forever->isChecked() ? -1 : static_cast<qint64>(m_timeout->value() * 1000);
    request.shared = m_shared->isChecked();
    request.path = m_path->text().trimmed();
    request.backend = portalocker::parse_backend(m_backend->currentData().toString().toStdString())
                          .value_or(portalocker::default_backend());
    request.directory = m_semaphoreDirectory->text().trimmed();
    request.name = m_semaphoreName->text().trimmed();
    request.maximum = m_semaphoreMaximum->value();
    request.key = m_key->text();
    request.leaseTtlMs = static_cast<qint64>(m_leaseTtl->value() * 1000);
    const QString connectionId = m_connection->currentData().toString();
    for (const RedisConnectionConfig& config : m_session->redis()->configs())
        if (config.id == connectionId) {
            request.redis = config.toOptions();
            request.connectionId = config.id;
            request.connectionName = config.name.isEmpty() ? config.url() : config.name;
        }
    return request;
}

AcquireJob* AcquirePage::acquire() {
    const AcquireRequest wanted = request();
    QString problem;
    if (wanted.target == AcquireRequest::Target::file && !QDir::isAbsolutePath(wanted.path))
        problem = tr("Enter the absolute path of the file to lock.");
    else if (wanted.target == AcquireRequest::Target::semaphore && wanted.name.isEmpty())
        problem = tr("Enter the semaphore's name.");
    else if ((wanted.target == AcquireRequest::Target::redisLease ||
              wanted.target == AcquireRequest::Target::redisChannel) &&
             (wanted.key.isEmpty() || m_connection->currentIndex() < 0))
        problem = tr("Choose a Redis connection and enter a key or channel.");
    else if (!readOnlyReason().isEmpty())
        problem = readOnlyReason();
    if (!problem.isEmpty()) {
        m_lastOutcome->setText(u"<span style='color:#d32f2f'>"_s + problem.toHtmlEscaped() +
                               u"</span>"_s);
        return nullptr;
    }
    m_lastOutcome->clear();
    m_latest = m_session->heldLocks()->acquire(wanted);
    m_held->selectRow(m_session->heldLocks()->rowOf(m_latest));
    updateWaitState();
    return m_latest;
}

void AcquirePage::updateWaitState() {
    const bool waiting = m_latest && m_latest->state() == AcquireJob::State::waiting;
    m_countdown->setVisible(waiting);
    m_cancelWait->setVisible(waiting);
    if (waiting) {
        m_tick.start();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (m_latest->deadlineMs() < 0) {
            m_countdown->setRange(0, 0); // busy indicator: no end
            m_countdown->setFormat(
                tr("waiting %1").arg(TextFormat::durationCoarse(now - m_latest->startedMs())));
        } else {
            const qint64 total =
                std::max<qint64>(1, m_latest->deadlineMs() - m_latest->startedMs());
            const qint64 left = std::max<qint64>(0, m_latest->deadlineMs() - now);
            m_countdown->setRange(0, static_cast<int>(total));
            m_countdown->setValue(static_cast<int>(left));
            m_countdown->setFormat(tr("waiting… %1 left").arg(TextFormat::duration(left)));
        }
        return;
    }
    m_tick.stop();
    if (!m_latest)
        return;
    const QString what = m_latest->request().describe().toHtmlEscaped();
    switch (m_latest->state()) {
    case AcquireJob::State::held:
        m_lastOutcome->setText(tr("<b style='color:#2e7d32'>Acquired</b> %1 %2")
                                   .arg(what, m_latest->details().toHtmlEscaped()));
        break;
    case AcquireJob::State::timedOut:
        m_lastOutcome->setText(
            tr("<b style='color:#ef6c00'>Timed out</b> waiting for %1: it is held "
               "by someone else (see the File locks tab).")
                .arg(what));
        break;
    case AcquireJob::State::cancelled:
        m_lastOutcome->setText(tr("Cancelled the wait for %1.").arg(what));
        break;
    case AcquireJob::State::failed:
        m_lastOutcome->setText(
            tr("<b style='color:#d32f2f'>Failed:</b> %1").arg(m_latest->error().toHtmlEscaped()));
        break;
    default:
        break;
    }
}

void AcquirePage::updateButtons() {
    AcquireJob* job = m_session->heldLocks()->jobAt(m_held->currentIndex());
    m_release->setEnabled(job && (job->state() == AcquireJob::State::held ||
                                  job->state() == AcquireJob::State::lost));
    m_cancel->setEnabled(job && job->state() == AcquireJob::State::waiting);
}

void AcquirePage::releaseSelected() {
    if (AcquireJob* job = m_session->heldLocks()->jobAt(m_held->currentIndex()))
        job->release();
}

void AcquirePage::cancelSelected() {
    if (AcquireJob* job = m_session->heldLocks()->jobAt(m_held->currentIndex()))
        job->cancel();
}

void AcquirePage::showContextMenu(const QPoint& position) {
    AcquireJob* job = m_session->heldLocks()->jobAt(m_held->indexAt(position));
    if (!job)
        return;
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    QPointer<AcquireJob> guarded = job;
    menu->addAction(tr("Release"), this,
                    [guarded] {
                        if (guarded)
                            guarded->release();
                    })
        ->setEnabled(job->state() == AcquireJob::State::held ||
                     job->state() == AcquireJob::State::lost);
    menu->addAction(tr("Cancel wait"), this,
                    [guarded] {
                        if (guarded)
                            guarded->cancel();
                    })
        ->setEnabled(job->state() == AcquireJob::State::waiting);
    menu->addSeparator();
    const QString describe = job->request().describe();
    const QString details = job->details();
    menu->addAction(tr("Copy description"), this,
                    [describe] { DesktopActions::copyText(describe); });
    menu->addAction(tr("Copy details (slot, token)"), this,
                    [details] { DesktopActions::copyText(details); })
        ->setEnabled(!details.isEmpty());
    menu->popup(m_held->viewport()->mapToGlobal(position));
}
