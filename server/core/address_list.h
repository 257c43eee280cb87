// AddressList: a list of IP addresses and CIDR subnets (IPv4 and IPv6), e.g. "192.168.1.0/24, 10.0.0.5, fd00::/8".
// Used by [network] allow / trusted_proxies and by the per-key IP allow lists. IPv4-mapped IPv6 client addresses
// (::ffff:a.b.c.d) match their IPv4 entries.
#pragma once

#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>

#include "core/server_config.h"

namespace smartbot {

class AddressList {
public:
    // Comma- or space-separated entries; empty text gives an empty list. The error names the bad entry.
    static Result<AddressList> parse(const QString &text);

    bool isEmpty() const { return subnets_.isEmpty(); }
    bool contains(const QHostAddress &address) const;
    QString toString() const; // canonical, comma-separated

private:
    QList<QPair<QHostAddress, int>> subnets_;
};

// The address with IPv4-mapped IPv6 turned into plain IPv4, scope id dropped.
QHostAddress normalizedAddress(const QHostAddress &address);

} // namespace smartbot
