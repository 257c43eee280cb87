// LogPanel: the process log (LogBuffer) in a read-only view, newest at the bottom, capped in length.
#pragma once

#include <QWidget>

class QCheckBox;
class QPlainTextEdit;
class QPushButton;

namespace smartbot::gui {

class LogPanel : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxLines = 5000;

    explicit LogPanel(QWidget *parent = nullptr);
    QPlainTextEdit *view() const { return view_; }

public Q_SLOTS:
    void appendLine(const QString &line);
    void clear();

protected:
    void changeEvent(QEvent *event) override;

private:
    void retranslateUi();
    void showNewest(); // scrolled to the newest line, at its start

    QPlainTextEdit *view_ = nullptr;
    QCheckBox *followCheck_ = nullptr;
    QPushButton *clearButton_ = nullptr;
};

} // namespace smartbot::gui
