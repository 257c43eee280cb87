// Translations: the app's .qm files are compiled into the binary under :/i18n (smartbot_<lang>.qm).
#pragma once

#include <QString>

namespace smartbot::gui {

// Installs the translation for lang ("zh_CN", "en", ...) or, when lang is empty, for QLocale::system().
// Replaces the one installed before, so widgets get a LanguageChange. Returns true when a translation was
// loaded; false means the English source strings are used (always the case for "en").
bool installTranslations(const QString &lang = {});

// The language in use: "zh_CN" when its translation is installed, else "en".
QString currentLanguage();

} // namespace smartbot::gui
