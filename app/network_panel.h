// NetworkPanel: the [network] and [limits] settings of server.conf (bind address, port, allow list, trusted
// proxies, CORS origins, sizes, timeouts, connection limits, queue, rate limits), edited in place: the file keeps
// its comments (core/config_file.h). Every keystroke is checked by ServerConfig::parse, the start-up check itself,
// and its message is shown with the field it names; Save is possible only when the whole file passes. While the
// server runs, saved values that differ from what it started with are marked "restart needed", and Restart asks
// the Server panel to restart (restartRequested). Threading: GUI thread.
#pragma once

#include <QWidget>

#include <vector>

#include "core/config_file.h"

class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class NetworkPanel : public QWidget {
    Q_OBJECT
public:
    explicit NetworkPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    // The folder whose server.conf is edited (created with the defaults when missing); re-reads it.
    void setConfigDir(const QString &dir);
    QString configDir() const { return configDir_; }
    // The field of [section] key (for tests and for focusing the one an error names); null when there is none.
    QLineEdit *field(const QString &section, const QString &key) const;
    QString errorText() const; // the start-up check's message for the values shown, "" when they pass

public Q_SLOTS:
    bool save();   // writes the values shown to server.conf; false (and the reason shown) when it cannot
    void reload(); // drops unsaved edits

Q_SIGNALS:
    void restartRequested();
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Field {
        const char *section;
        const char *key;
        const char *label;
        const char *hint;
        int group;
        QLineEdit *edit = nullptr;
    };
    void buildUi();
    void retranslateUi();
    void validate();
    void updateRestartMarks();
    ConfigFile edited() const; // the file as read with the fields' values in it

    http::SmartbotServer *server_;
    QString configDir_;
    ConfigFile file_;
    ConfigFile started_; // server.conf as it was when the running server started
    std::vector<Field> fields_;
    std::vector<QGroupBox *> groups_;
    std::vector<QFormLayout *> forms_;
    QLabel *intro_ = nullptr;
    QLabel *message_ = nullptr;
    QPushButton *saveButton_ = nullptr;
    QPushButton *revertButton_ = nullptr;
    QPushButton *restartButton_ = nullptr;
    QString readError_;
};

} // namespace smartbot::gui
