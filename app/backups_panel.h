// BackupsPanel: the backups of the config folder, over the same engine as `smartbotd backup` and POST /admin/backups
// (server/backup/backup.h): the list in [backup] dir (time, size, members, whether the secrets are sealed, models);
// create (backup::makeServerBackup, with the passphrase typed here or [backup] passphrase_file), verify and restore
// into another folder, each on a worker thread with a progress bar and a clear result; and the schedule
// ([backup] schedule, keep, passphrase_file in server.conf, used by the server from its next start).
// Threading: GUI thread; the work runs on Qt's global thread pool and reports back through queued calls.
#pragma once

#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class BackupsPanel : public QWidget {
    Q_OBJECT
public:
    explicit BackupsPanel(http::SmartbotServer *server, QWidget *parent = nullptr);
    ~BackupsPanel() override; // waits for work in progress

    void setConfigDir(const QString &dir);
    bool busy() const { return busy_; }
    QString resultText() const; // the last action's result line

public Q_SLOTS:
    void refresh();
    void createBackup();
    void verifySelected();
    // Into restoreDir (the field); a non-empty folder only when force (it is moved aside first).
    void restoreSelected(bool force = false);
    bool saveSchedule();

Q_SIGNALS:
    void finished(bool ok, const QString &text); // an action ended (also shown in the panel)
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    void readConfig();
    QString selectedPath() const;
    // Runs work off the UI thread with the progress bar; done gets (ok, text) on the UI thread.
    void
    runInBackground(const QString &what,
                    std::function<std::pair<bool, QString>(const std::function<void(double, const QString &)> &)> work);
    void setBusy(bool busy);
    void showResult(bool ok, const QString &text);

    http::SmartbotServer *server_;
    QString configDir_;
    QString backupDir_;
    QString restoreSuggestion_; // <config>-restored, shown until the user types another folder
    bool busy_ = false;
    std::shared_ptr<std::atomic_int> inFlight_ = std::make_shared<std::atomic_int>(0);

    QGroupBox *listGroup_ = nullptr;
    QLabel *folderLabel_ = nullptr;
    QPushButton *refreshButton_ = nullptr;
    QTableWidget *table_ = nullptr;

    QGroupBox *actionsGroup_ = nullptr;
    QFormLayout *actionsForm_ = nullptr;
    QLineEdit *passphraseEdit_ = nullptr;
    QCheckBox *modelsCheck_ = nullptr;
    QPushButton *createButton_ = nullptr;
    QPushButton *verifyButton_ = nullptr;
    QLineEdit *restoreEdit_ = nullptr;
    QPushButton *restoreBrowse_ = nullptr;
    QPushButton *restoreButton_ = nullptr;
    QWidget *restoreRow_ = nullptr;
    QWidget *buttonsRow_ = nullptr;
    QProgressBar *progress_ = nullptr;
    QLabel *result_ = nullptr;

    QGroupBox *scheduleGroup_ = nullptr;
    QFormLayout *scheduleForm_ = nullptr;
    QComboBox *scheduleCombo_ = nullptr;
    QSpinBox *keepSpin_ = nullptr;
    QLineEdit *passFileEdit_ = nullptr;
    QPushButton *saveScheduleButton_ = nullptr;
};

} // namespace smartbot::gui
