#include "app/certificates_panel.h"

#include <QCheckBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include "app/core_messages.h"
#include "app/panel_text.h"
#include "core/config_file.h"
#include "core/server_config.h"
#include "core/server_config_edit.h"
#include "http/server/smartbot_server.h"
#include "http/transport/certificate_report.h"
#include "http/transport/self_signed_certificate.h"

namespace smartbot::gui {

namespace {
const QString kGeneratedCert = QStringLiteral("tls/server.crt"); // relative to the config folder
const QString kGeneratedKey = QStringLiteral("tls/server.key");

QLabel *valueLabel(QWidget *parent, const char *name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QLatin1String(name));
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QString utcText(const QDateTime &t)
{
    return t.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

ConfigFile serverConf(const QString &dir)
{
    if (!dir.isEmpty())
        if (auto read = ConfigFile::read(QDir(dir).filePath(QStringLiteral("server.conf"))); read)
            return read.value();
    return ConfigFile::fromText(ServerConfig::defaultConfigText());
}
} // namespace

CertificatesPanel::CertificatesPanel(http::SmartbotServer *server, QWidget *parent) : QWidget(parent), server_(server)
{
    enableCheck_ = new QCheckBox(this);
    enableCheck_->setObjectName(QStringLiteral("tlsEnableCheck"));
    certEdit_ = new QLineEdit(this);
    certEdit_->setObjectName(QStringLiteral("tlsCertEdit"));
    keyEdit_ = new QLineEdit(this);
    keyEdit_->setObjectName(QStringLiteral("tlsKeyEdit"));
    certBrowse_ = new QPushButton(this);
    keyBrowse_ = new QPushButton(this);
    certRow_ = new QWidget(this);
    auto *certLayout = new QHBoxLayout(certRow_);
    certLayout->setContentsMargins(0, 0, 0, 0);
    certLayout->addWidget(certEdit_, 1);
    certLayout->addWidget(certBrowse_);
    keyRow_ = new QWidget(this);
    auto *keyLayout = new QHBoxLayout(keyRow_);
    keyLayout->setContentsMargins(0, 0, 0, 0);
    keyLayout->addWidget(keyEdit_, 1);
    keyLayout->addWidget(keyBrowse_);
    filesGroup_ = new QGroupBox(this);
    filesForm_ = new QFormLayout(filesGroup_);
    filesForm_->addRow(enableCheck_);
    filesForm_->addRow(new QLabel(this), certRow_);
    filesForm_->addRow(new QLabel(this), keyRow_);

    subjectLabel_ = valueLabel(this, "certSubject");
    issuerLabel_ = valueLabel(this, "certIssuer");
    namesLabel_ = valueLabel(this, "certNames");
    validityLabel_ = valueLabel(this, "certValidity");
    publicKeyLabel_ = valueLabel(this, "certPublicKey");
    fingerprintLabel_ = valueLabel(this, "certFingerprint");
    fingerprintLabel_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    keyFileLabel_ = valueLabel(this, "certKeyFile");
    verdictLabel_ = valueLabel(this, "certVerdict");
    infoGroup_ = new QGroupBox(this);
    infoForm_ = new QFormLayout(infoGroup_);
    for (QLabel *l : {subjectLabel_, issuerLabel_, namesLabel_, validityLabel_, publicKeyLabel_, fingerprintLabel_,
                      keyFileLabel_, verdictLabel_})
        infoForm_->addRow(new QLabel(this), l);

    hostsEdit_ = new QLineEdit(this);
    hostsEdit_->setObjectName(QStringLiteral("tlsHostsEdit"));
    daysSpin_ = new QSpinBox(this);
    daysSpin_->setObjectName(QStringLiteral("tlsDaysSpin"));
    daysSpin_->setRange(1, 3650);
    daysSpin_->setValue(365);
    generateButton_ = new QPushButton(this);
    generateButton_->setObjectName(QStringLiteral("tlsGenerateButton"));
    generateGroup_ = new QGroupBox(this);
    generateForm_ = new QFormLayout(generateGroup_);
    generateForm_->addRow(new QLabel(this), hostsEdit_);
    generateForm_->addRow(new QLabel(this), daysSpin_);
    generateForm_->addRow(QString(), generateButton_);

    auto *content = new QWidget(this);
    auto *contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    for (QGroupBox *g : {filesGroup_, infoGroup_, generateGroup_}) {
        g->setParent(content);
        contentLayout->addWidget(g);
    }
    contentLayout->addStretch(1);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);

    message_ = valueLabel(this, "tlsMessage");
    saveButton_ = new QPushButton(this);
    saveButton_->setObjectName(QStringLiteral("tlsSaveButton"));
    restartButton_ = new QPushButton(this);
    restartButton_->setObjectName(QStringLiteral("tlsRestartButton"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(message_, 1);
    buttons->addWidget(restartButton_, 0, Qt::AlignTop);
    buttons->addWidget(saveButton_, 0, Qt::AlignTop);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);

    connect(enableCheck_, &QCheckBox::toggled, this, &CertificatesPanel::inspect);
    connect(certEdit_, &QLineEdit::textChanged, this, &CertificatesPanel::inspect);
    connect(keyEdit_, &QLineEdit::textChanged, this, &CertificatesPanel::inspect);
    connect(certBrowse_, &QPushButton::clicked, this, [this] { browse(certEdit_, tr("Choose the certificate")); });
    connect(keyBrowse_, &QPushButton::clicked, this, [this] { browse(keyEdit_, tr("Choose the private key")); });
    connect(generateButton_, &QPushButton::clicked, this, &CertificatesPanel::generate);
    connect(saveButton_, &QPushButton::clicked, this, &CertificatesPanel::save);
    connect(restartButton_, &QPushButton::clicked, this, &CertificatesPanel::restartRequested);
    connect(server_, &http::SmartbotServer::runningChanged, this, [this](bool running) {
        startedEnable_ = startedCert_ = startedKey_ = QString();
        if (running) {
            const ConfigFile started = serverConf(server_->config().configDir);
            startedEnable_ = started.value(QStringLiteral("network"), QStringLiteral("ssl_enable"));
            startedCert_ = started.value(QStringLiteral("network"), QStringLiteral("ssl_cert"));
            startedKey_ = started.value(QStringLiteral("network"), QStringLiteral("ssl_key"));
        }
        updateState();
    });
    retranslateUi();
    reload();
}

void CertificatesPanel::retranslateUi()
{
    filesGroup_->setTitle(tr("HTTPS"));
    enableCheck_->setText(tr("Serve HTTPS (TLS 1.2 and later) on the API port instead of plain HTTP"));
    setRowLabel(filesForm_, certRow_, tr("Certificate (PEM):"));
    setRowLabel(filesForm_, keyRow_, tr("Private key (PEM):"));
    certEdit_->setPlaceholderText(tr("e.g. tls/server.crt (relative to the config folder)"));
    keyEdit_->setPlaceholderText(tr("e.g. tls/server.key (mode 0600)"));
    certBrowse_->setText(tr("Browse…"));
    keyBrowse_->setText(tr("Browse…"));
    infoGroup_->setTitle(tr("What the files hold"));
    setRowLabel(infoForm_, subjectLabel_, tr("Subject:"));
    setRowLabel(infoForm_, issuerLabel_, tr("Issuer:"));
    setRowLabel(infoForm_, namesLabel_, tr("Names:"));
    setRowLabel(infoForm_, validityLabel_, tr("Valid:"));
    setRowLabel(infoForm_, publicKeyLabel_, tr("Public key:"));
    setRowLabel(infoForm_, fingerprintLabel_, tr("SHA-256:"));
    setRowLabel(infoForm_, keyFileLabel_, tr("Key file:"));
    setRowLabel(infoForm_, verdictLabel_, tr("Server check:"));
    generateGroup_->setTitle(tr("Generate a self-signed certificate"));
    setRowLabel(generateForm_, hostsEdit_, tr("Names:"));
    hostsEdit_->setToolTip(tr("Host names and IP addresses clients use to reach this server, separated by commas. "
                              "Clients must be told to trust this certificate."));
    setRowLabel(generateForm_, daysSpin_, tr("Valid for (days):"));
    generateButton_->setText(tr("Generate"));
    generateButton_->setToolTip(tr("Writes tls/server.crt and tls/server.key (mode 0600) in the config folder "
                                   "and chooses them above."));
    saveButton_->setText(tr("Save"));
    restartButton_->setText(tr("Restart server"));
    inspect();
}

void CertificatesPanel::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslateUi();
    QWidget::changeEvent(event);
}

void CertificatesPanel::setConfigDir(const QString &dir)
{
    configDir_ = dir.isEmpty() ? QString() : QDir::fromNativeSeparators(dir);
    reload();
}

void CertificatesPanel::reload()
{
    const ConfigFile conf = serverConf(configDir_);
    const QString network = QStringLiteral("network");
    savedEnable_ = conf.value(network, QStringLiteral("ssl_enable"));
    savedCert_ = conf.value(network, QStringLiteral("ssl_cert"));
    savedKey_ = conf.value(network, QStringLiteral("ssl_key"));
    const QSignalBlocker b1(enableCheck_), b2(certEdit_), b3(keyEdit_);
    enableCheck_->setChecked(savedEnable_.toLower() == QLatin1String("true"));
    certEdit_->setText(savedCert_);
    keyEdit_->setText(savedKey_);
    const QString bind = conf.value(network, QStringLiteral("bind_address"));
    hostsEdit_->setText(
        http::defaultCertificateHosts(bind.isEmpty() ? ServerConfig{}.bindAddress : bind).join(QStringLiteral(", ")));
    inspect();
}

QString CertificatesPanel::resolved(const QLineEdit *edit) const
{
    const QString path = QDir::fromNativeSeparators(edit->text().trimmed());
    return path.isEmpty() || configDir_.isEmpty() ? path : QDir(configDir_).absoluteFilePath(path);
}

QString CertificatesPanel::verdict() const
{
    return verdict_;
}

void CertificatesPanel::inspect()
{
    const QString cert = resolved(certEdit_), key = resolved(keyEdit_);
    const QString none = tr("—");
    verdict_.clear();
    QString warning;
    http::CertificateReport report;
    if (!cert.isEmpty() && !key.isEmpty()) {
        report = http::inspectCertificateFiles(cert, key);
        verdict_ = report.problem;
        warning = report.warning;
    } else if (enableCheck_->isChecked()) {
        // What start-up says about HTTPS without both files.
        ConfigFile conf = ConfigFile::fromText(QStringLiteral("[network]\nssl_enable = true\n"));
        conf.setValue(QStringLiteral("network"), QStringLiteral("ssl_cert"), certEdit_->text().trimmed());
        conf.setValue(QStringLiteral("network"), QStringLiteral("ssl_key"), keyEdit_->text().trimmed());
        auto parsed = ServerConfig::parse(conf, configDir_);
        verdict_ = parsed ? QString() : QString::fromStdString(parsed.error());
    }
    if (report.certificateRead) {
        subjectLabel_->setText(report.subject);
        issuerLabel_->setText(report.selfSigned ? tr("%1 (self-signed)").arg(report.issuer) : report.issuer);
        namesLabel_->setText(report.names.isEmpty() ? tr("none: clients that check names will refuse it")
                                                    : report.names.join(QStringLiteral(", ")));
        const qint64 daysLeft = QDateTime::currentDateTimeUtc().daysTo(report.notAfter);
        validityLabel_->setText(tr("%1 to %2 UTC (%n day(s) left)", nullptr, int(qMax<qint64>(daysLeft, 0)))
                                    .arg(utcText(report.notBefore), utcText(report.notAfter)));
        publicKeyLabel_->setText(
            report.chainLength > 1 ? tr("%1, with %n more certificate(s) in the chain", nullptr, report.chainLength - 1)
                                         .arg(report.publicKey)
                                   : report.publicKey);
        fingerprintLabel_->setText(report.sha256);
    } else {
        for (QLabel *l : {subjectLabel_, issuerLabel_, namesLabel_, validityLabel_, publicKeyLabel_, fingerprintLabel_})
            l->setText(none);
    }
    keyFileLabel_->setText(report.keyMode.isEmpty() ? none : tr("mode %1").arg(report.keyMode));
    QPalette palette = verdictLabel_->palette();
    const QColor red(0xc0, 0x39, 0x2b), green(0x1e, 0x84, 0x49), amber(0xb9, 0x77, 0x0e);
    if (!verdict_.isEmpty()) {
        verdictLabel_->setText(localizedMessage(verdict_));
        palette.setColor(QPalette::WindowText, red);
    } else if (cert.isEmpty() || key.isEmpty()) {
        verdictLabel_->setText(tr("Choose a certificate and its key, or generate a self-signed pair below."));
        palette.setColor(QPalette::WindowText, palette.color(QPalette::Text));
    } else {
        verdictLabel_->setText(warning.isEmpty() ? tr("The server will use these files.")
                                                 : tr("The server will use these files, but: %1").arg(warning));
        palette.setColor(QPalette::WindowText, warning.isEmpty() ? green : amber);
    }
    verdictLabel_->setPalette(palette);
    updateState();
}

void CertificatesPanel::updateState()
{
    const bool savedOn = savedEnable_.toLower() == QLatin1String("true");
    const bool changed = enableCheck_->isChecked() != savedOn || certEdit_->text().trimmed() != savedCert_ ||
                         keyEdit_->text().trimmed() != savedKey_;
    const bool blocked = enableCheck_->isChecked() && !verdict_.isEmpty();
    saveButton_->setEnabled(changed && !blocked && !configDir_.isEmpty());
    const bool running = server_->isRunning() && !configDir_.isEmpty() &&
                         QFileInfo(server_->config().configDir) == QFileInfo(configDir_);
    const bool pending =
        running && (savedEnable_ != startedEnable_ || savedCert_ != startedCert_ || savedKey_ != startedKey_);
    restartButton_->setVisible(pending);
    if (configDir_.isEmpty())
        message_->setText(tr("Choose a config folder in the Server panel."));
    else if (blocked)
        message_->setText(tr("HTTPS cannot be turned on with these files (see the server check above)."));
    else if (changed)
        message_->setText(tr("Not saved yet."));
    else if (pending)
        message_->setText(tr("Saved; the running server uses the new TLS settings after a restart."));
    else
        message_->setText(savedOn ? tr("HTTPS is on.") : tr("HTTPS is off: the API is served as plain HTTP."));
}

bool CertificatesPanel::generate()
{
    if (configDir_.isEmpty()) {
        message_->setText(tr("Choose a config folder in the Server panel."));
        return false;
    }
    if (!QDir(configDir_).exists())
        if (auto created = ServerConfig::loadOrCreate(configDir_); !created) {
            message_->setText(QString::fromStdString(created.error()));
            return false;
        }
    const QString cert = QDir(configDir_).filePath(kGeneratedCert), key = QDir(configDir_).filePath(kGeneratedKey);
    if ((QFileInfo::exists(cert) || QFileInfo::exists(key)) && isVisible() &&
        QMessageBox::question(this, tr("Replace the certificate?"),
                              tr("%1 already exists. Replace it and its key? Clients that trust the old "
                                 "certificate will have to be told to trust the new one.")
                                  .arg(QDir::toNativeSeparators(cert))) != QMessageBox::Yes)
        return false;
    http::SelfSignedRequest request;
    request.hosts = hostsEdit_->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    request.days = daysSpin_->value();
    if (auto written = http::writeSelfSignedCertificate(request, cert, key); !written) {
        message_->setText(tr("No certificate generated: %1").arg(localizedMessage(written.error())));
        return false;
    }
    qInfo("self-signed certificate written to %s (key %s, mode 0600)", qPrintable(cert), qPrintable(key));
    certEdit_->setText(kGeneratedCert);
    keyEdit_->setText(kGeneratedKey);
    enableCheck_->setChecked(true);
    inspect();
    Q_EMIT statusMessage(tr("Self-signed certificate generated; save to use it"));
    return true;
}

bool CertificatesPanel::save()
{
    inspect();
    if (configDir_.isEmpty() || (enableCheck_->isChecked() && !verdict_.isEmpty()))
        return false;
    const QString network = QStringLiteral("network");
    auto saved = applyServerConfChanges(configDir_,
                                        {{network, QStringLiteral("ssl_enable"),
                                          enableCheck_->isChecked() ? QStringLiteral("true") : QStringLiteral("false")},
                                         {network, QStringLiteral("ssl_cert"), certEdit_->text().trimmed()},
                                         {network, QStringLiteral("ssl_key"), keyEdit_->text().trimmed()}});
    if (!saved) {
        message_->setText(QString::fromStdString(saved.error()));
        return false;
    }
    Q_EMIT statusMessage(tr("TLS settings saved to server.conf"));
    reload();
    return true;
}

void CertificatesPanel::browse(QLineEdit *edit, const QString &title)
{
    const QString start = resolved(edit).isEmpty() ? configDir_ : resolved(edit);
    const QString path =
        QFileDialog::getOpenFileName(this, title, start, tr("PEM files (*.pem *.crt *.key);;All files (*)"));
    if (path.isEmpty())
        return;
    // Inside the config folder: stored relative, so the folder can move (a backup restored elsewhere).
    const QString relative = QDir(configDir_).relativeFilePath(path);
    edit->setText(configDir_.isEmpty() || relative.startsWith(QLatin1String("..")) ? path : relative);
}

} // namespace smartbot::gui
