// JwtKeySource: where a server's JWT signing keys live, and how they are rotated. Two kinds:
//  - JwtKeyFiles (core/jwt_keyring.h): files in the data folder's auth/, for one server (SQLite);
//  - DatabaseKeyring (core/database_keyring.h): sealed rows in a PostgreSQL database, shared by every server that uses
//    it, so that a token issued by one is accepted by all and a rotation reaches all of them.
// The server asks stamp() before it signs or verifies (at most every pollMs()) and load()s again when it changed.
// Threading: one thread at a time (the server thread, or a CLI command).
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <memory>

#include "core/server_config.h"
#include "core/token_service.h"

namespace smartbot {

class Storage;

struct JwtKeyring {
    QByteArray current;
    QList<TokenService::PreviousKey> previous; // each accepted until its acceptUntil
};

class JwtKeySource {
public:
    virtual ~JwtKeySource() = default;
    // acceptSeconds: how long after its retirement a key still verifies (retiredKeyAcceptSeconds() of the
    // configuration in force: a reload may change it).
    virtual Result<JwtKeyring> load(qint64 now, qint64 acceptSeconds) = 0;
    // A new current key; the one before is accepted for acceptSeconds more, older ones past that are deleted.
    // Returns the new kid.
    virtual Result<QString> rotate(qint64 now, qint64 acceptSeconds) = 0;
    // Changes whenever load() would return other keys. An error: cannot tell now (keep the keys already loaded).
    virtual Result<QString> stamp() = 0;
    // How often stamp() is worth asking: 0 = every time (a stat); more for a database round trip.
    virtual int pollMs() const = 0;
    // Whether other servers rotate these keys too: then a token whose kid is unknown here may be new, and is a reason
    // to look again before refusing it.
    virtual bool shared() const = 0;
};

// How long a retired key still verifies: [auth] max_token_hours + leeway (no token it signed can be valid later).
qint64 retiredKeyAcceptSeconds(const ServerConfig &config);

// The source config names: the database when it is PostgreSQL, else auth/ in [storage] data_dir (whose keys
// loadOrCreateSecrets() has created). With PostgreSQL this server's own keys (ownKey when given, the app's keychain
// key; else auth/'s) are sealed into the database: as its keys when it holds none yet, else as retired ones, so that
// the tokens this server issued before stay valid. The error says what to fix (a missing or different [database]
// secrets_key_file).
Result<std::unique_ptr<JwtKeySource>> openJwtKeySource(const ServerConfig &config, Storage &storage, qint64 now,
                                                       const QByteArray &ownKey = {});

} // namespace smartbot
