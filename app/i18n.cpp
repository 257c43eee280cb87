#include "app/i18n.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QPointer>
#include <QTranslator>

namespace smartbot::gui {

namespace {
QPointer<QTranslator> appTranslator;
QPointer<QTranslator> qtTranslator;

void removeInstalled()
{
    for (QPointer<QTranslator> *t : {&appTranslator, &qtTranslator}) {
        if (*t) {
            QCoreApplication::removeTranslator(*t);
            delete t->data();
        }
    }
}
} // namespace

QString currentLanguage()
{
    if (!appTranslator)
        return QStringLiteral("en");
    return appTranslator->language().replace(QLatin1Char('-'), QLatin1Char('_'));
}

bool installTranslations(const QString &lang)
{
    removeInstalled();
    const QString resources = QStringLiteral(":/i18n");
    const QString qtDir = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    auto *app = new QTranslator(QCoreApplication::instance());
    auto *qt = new QTranslator(QCoreApplication::instance());
    bool loaded = false;
    bool qtLoaded = false; // Qt's own strings (standard dialogs), where the system has them
    if (lang.isEmpty()) {
        loaded = app->load(QLocale::system(), QStringLiteral("smartbot"), QStringLiteral("_"), resources);
        qtLoaded = qt->load(QLocale::system(), QStringLiteral("qtbase"), QStringLiteral("_"), qtDir);
    } else {
        loaded = app->load(QStringLiteral("smartbot_") + lang, resources);
        qtLoaded = qt->load(QStringLiteral("qtbase_") + lang, qtDir);
    }
    if (loaded) {
        QCoreApplication::installTranslator(app);
        appTranslator = app;
    } else {
        delete app;
    }
    if (qtLoaded) {
        QCoreApplication::installTranslator(qt);
        qtTranslator = qt;
    } else {
        delete qt;
    }
    return loaded;
}

} // namespace smartbot::gui
