// LogPanel: the process log (LogBuffer) in a read-only view, newest at the bottom, capped in length; filtered by level
// (all, warnings and errors, errors) and by text, and exported (the lines shown) to a file.
#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace smartbot::gui {

class LogPanel : public QWidget {
    Q_OBJECT
public:
    // The config folder whose [logging] dir "Open log folder" opens (disabled without a log file).
    void setConfigDir(const QString &dir);
    QString logFolder() const { return logDir_; }
    static constexpr int kMaxLines = 5000;

    explicit LogPanel(QWidget *parent = nullptr);
    QPlainTextEdit *view() const { return view_; }

    // The lines shown (after the filters) to `path`, one per line; false (and a message) when it cannot be written.
    bool exportTo(const QString &path);

public Q_SLOTS:
    void appendLine(const QString &line);
    void clear();

Q_SIGNALS:
    void statusMessage(const QString &text);

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    void showNewest(); // scrolled to the newest line, at its start
    bool matches(const QString &line) const;
    void refilter();
    void exportWithDialog();

    QPlainTextEdit *view_ = nullptr;
    QCheckBox *followCheck_ = nullptr;
    QPushButton *clearButton_ = nullptr;
    QComboBox *levelCombo_ = nullptr;
    QLineEdit *searchEdit_ = nullptr;
    QPushButton *exportButton_ = nullptr;
    QPushButton *folderButton_ = nullptr;
    QString logDir_;
    QStringList lines_; // every line kept (kMaxLines), whatever the filters show
};

} // namespace smartbot::gui
