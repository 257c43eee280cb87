// Test helper: a PostgreSQL server of the test's own, no system service assumed. initdb makes a cluster in a
// temporary folder, pg_ctl starts it on a free loopback port (and its Unix socket in the same folder) and stops it at
// the end. PostgreSQL refuses to run as root, so when the test runs as root the cluster belongs to `nobody` and its
// commands run through runuser. Local (socket) connections are trusted, for the test's own psql; TCP connections, the
// server's, need a password (scram-sha-256).
#pragma once

#include <QFile>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

class PostgresCluster {
public:
    ~PostgresCluster();
    // initdb + start. Empty on success, else why not (with the command's output).
    QString start();
    QString stop();    // pg_ctl stop -m fast (the cluster stays, so that restart() finds its data)
    QString restart(); // start again on the same port
    bool running() const { return running_; }
    quint16 port() const { return port_; }
    // psql as the superuser over the Unix socket; the statement's output (unaligned, tuples only), or the error in
    // *error.
    QString psql(const QString &sql, const QString &database = QStringLiteral("postgres"), QString *error = nullptr);
    // CREATE ROLE user LOGIN PASSWORD password; CREATE DATABASE name OWNER user. Empty on success.
    QString createDatabase(const QString &name, const QString &user, const QString &password);
    // The folder holding initdb and pg_ctl (PATH, or Debian's /usr/lib/postgresql/N/bin); empty when not installed.
    static QString binDir();
    // A loopback port that nobody listened on a moment ago (the cluster's own, or one to find closed).
    static quint16 freePort();

    // What a smartbotd config needs to use this cluster: the lines of a [database] section for database `name`
    // as `user` over TCP, with password_file = db.pass and then `extra` lines; and that db.pass written into
    // `dir` (mode `mode`). Empty on success, else why not.
    QString databaseSection(const QString &name, const QString &extra = {},
                            const QString &user = QStringLiteral("smartbot")) const;
    static QString writePasswordFile(const QString &dir, const QString &password,
                                     QFile::Permissions mode = QFile::ReadOwner | QFile::WriteOwner);

private:
    QString run(const QString &program, const QStringList &args, int timeoutMs = 60000, bool *ok = nullptr);
    QTemporaryDir dir_;
    QString data_;
    quint16 port_ = 0;
    bool running_ = false;
    bool asNobody_ = false;
};
