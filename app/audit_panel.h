// AuditPanel: who did what, from where and when (the audit log every admin action writes: HTTP, CLI and this app),
// and usage per key or token subject (requests, prompt and generated tokens, last request), each filterable by text,
// read from the running server's Authenticator (the same records GET /admin/audit and /admin/usage serve). Refresh
// re-reads them. Disabled, with a line saying why, while the server is stopped. Threading: GUI thread.
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class AuditPanel : public QWidget {
    Q_OBJECT
public:
    explicit AuditPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void refresh();

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // re-reads when the panel is shown

private:
    void retranslateUi();
    void applyFilter();

    http::SmartbotServer *server_;
    QLabel *notice_ = nullptr;
    QLineEdit *filterEdit_ = nullptr;
    QLabel *limitLabel_ = nullptr;
    QSpinBox *limitSpin_ = nullptr;
    QPushButton *refreshButton_ = nullptr;
    QLabel *auditLabel_ = nullptr;
    QTableWidget *auditTable_ = nullptr;
    QLabel *usageLabel_ = nullptr;
    QTableWidget *usageTable_ = nullptr;
};

} // namespace smartbot::gui
