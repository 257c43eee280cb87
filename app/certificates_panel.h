// CertificatesPanel: TLS for the API port. Turns [network] ssl_enable on or off and picks ssl_cert / ssl_key
// (server.conf, edited in place through core/server_config_edit.h), shows what the chosen files hold (subject,
// issuer, names, validity, key type, fingerprint, key file mode) and the server's own verdict on them
// (http/transport/certificate_report.h: the message start-up would refuse them with), and generates a
// self-signed certificate for the bind address and this machine's names (key written 0600). Saving TLS on with
// files the server would refuse is not possible. Threading: GUI thread (key generation takes milliseconds).
#pragma once

#include <QWidget>

class QCheckBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace smartbot::http {
class SmartbotServer;
}

namespace smartbot::gui {

class CertificatesPanel : public QWidget {
    Q_OBJECT
public:
    explicit CertificatesPanel(http::SmartbotServer *server, QWidget *parent = nullptr);

    void setConfigDir(const QString &dir); // re-reads its server.conf
    QString verdict() const;               // the server's message for the files shown; "" when it would use them

public Q_SLOTS:
    bool generate(); // a self-signed pair in <config>/tls/, chosen in the fields (not saved yet)
    bool save();     // ssl_enable, ssl_cert, ssl_key into server.conf
    void reload();

Q_SIGNALS:
    void restartRequested();
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    void inspect();     // fills the certificate's rows from the files in the fields
    void updateState(); // Save / Restart enabled, the message line
    QString resolved(const QLineEdit *edit) const;
    void browse(QLineEdit *edit, const QString &title);

    http::SmartbotServer *server_;
    QString configDir_;
    QString savedEnable_, savedCert_, savedKey_;       // as in server.conf now
    QString startedEnable_, startedCert_, startedKey_; // as when the running server started
    QString verdict_;

    QGroupBox *filesGroup_ = nullptr;
    QFormLayout *filesForm_ = nullptr;
    QCheckBox *enableCheck_ = nullptr;
    QLineEdit *certEdit_ = nullptr;
    QLineEdit *keyEdit_ = nullptr;
    QPushButton *certBrowse_ = nullptr;
    QPushButton *keyBrowse_ = nullptr;
    QWidget *certRow_ = nullptr;
    QWidget *keyRow_ = nullptr;

    QGroupBox *infoGroup_ = nullptr;
    QFormLayout *infoForm_ = nullptr;
    QLabel *subjectLabel_ = nullptr;
    QLabel *issuerLabel_ = nullptr;
    QLabel *namesLabel_ = nullptr;
    QLabel *validityLabel_ = nullptr;
    QLabel *publicKeyLabel_ = nullptr;
    QLabel *fingerprintLabel_ = nullptr;
    QLabel *keyFileLabel_ = nullptr;
    QLabel *verdictLabel_ = nullptr;

    QGroupBox *generateGroup_ = nullptr;
    QFormLayout *generateForm_ = nullptr;
    QLineEdit *hostsEdit_ = nullptr;
    QSpinBox *daysSpin_ = nullptr;
    QPushButton *generateButton_ = nullptr;

    QLabel *message_ = nullptr;
    QPushButton *saveButton_ = nullptr;
    QPushButton *restartButton_ = nullptr;
};

} // namespace smartbot::gui
