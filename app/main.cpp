// smartbot: the SmartBot desktop app. The chat server runs in this process; the window starts and stops it.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QTimer>
#include <cstdio>
#include <cstring>

#include "app/i18n.h"
#include "app/main_window.h"
#include "app/server_panel.h"
#include "core/log_buffer.h"

namespace {

const QCommandLineOption configOpt(QStringLiteral("config"), QStringLiteral("Config folder (server.conf, keys)."),
                                   QStringLiteral("DIR"));
const QCommandLineOption modelOpt(QStringLiteral("model"), QStringLiteral("Model folder."), QStringLiteral("DIR"));
const QCommandLineOption portOpt(QStringLiteral("port"), QStringLiteral("Port (0 = any free port)."),
                                 QStringLiteral("N"));
const QCommandLineOption bindOpt(QStringLiteral("bind"), QStringLiteral("Bind address."), QStringLiteral("ADDR"));
const QCommandLineOption startOpt(QStringLiteral("start"), QStringLiteral("Start the server at launch."));
const QCommandLineOption langOpt(QStringLiteral("lang"),
                                 QStringLiteral("Language (zh_CN or en); default: the system's."),
                                 QStringLiteral("LANG"));

void setUpApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("SmartBot"));
    QCoreApplication::setApplicationName(QStringLiteral("smartbot"));
    QCoreApplication::setApplicationVersion(QStringLiteral("0.1.0"));
}

void addOptions(QCommandLineParser &p)
{
    p.setApplicationDescription(QStringLiteral("SmartBot: a chat server with a desktop window."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOptions({configOpt, modelOpt, portOpt, bindOpt, startOpt, langOpt});
}

// --help and --version work without a display.
bool onlyWantsText(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *flag : {"-h", "--help", "-?", "--help-all", "-v", "--version"}) {
            if (std::strcmp(argv[i], flag) == 0)
                return true;
        }
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    if (onlyWantsText(argc, argv)) {
        QCoreApplication core(argc, argv);
        setUpApplication();
        QCommandLineParser p;
        addOptions(p);
        p.process(core); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    setUpApplication();
    smartbot::LogBuffer::instance().install(true);

    QCommandLineParser p;
    addOptions(p);
    p.process(app);

    int port = -1;
    if (p.isSet(portOpt)) {
        bool ok = false;
        port = p.value(portOpt).toInt(&ok);
        if (!ok || port < 0 || port > 65535) {
            std::fputs("smartbot: --port must be 0..65535\n", stderr);
            return 2;
        }
    }
    // --lang, else the language last chosen in the menu, else the system's.
    smartbot::gui::installTranslations(p.isSet(langOpt) ? p.value(langOpt)
                                                        : QSettings().value(QStringLiteral("ui/language")).toString());

    smartbot::gui::MainWindow window;
    smartbot::gui::ServerPanel *panel = window.serverPanel();
    if (p.isSet(configOpt))
        panel->setConfigDir(p.value(configOpt));
    if (p.isSet(modelOpt))
        panel->setModelDir(p.value(modelOpt));
    if (port >= 0)
        panel->setPort(port);
    if (p.isSet(bindOpt))
        panel->setBindAddress(p.value(bindOpt));
    window.show();
    if (p.isSet(startOpt))
        QTimer::singleShot(0, panel, &smartbot::gui::ServerPanel::startServer);
    return QApplication::exec();
}
