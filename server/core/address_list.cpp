#include "core/address_list.h"

#include <QRegularExpression>
#include <QStringList>

namespace smartbot {

QHostAddress normalizedAddress(const QHostAddress &address)
{
    bool ok = false;
    const quint32 v4 = address.toIPv4Address(&ok);
    if (ok)
        return QHostAddress(v4);
    QHostAddress a = address;
    a.setScopeId(QString());
    return a;
}

Result<AddressList> AddressList::parse(const QString &text)
{
    AddressList out;
    static const QRegularExpression sep(QStringLiteral("[,\\s]+"));
    for (const QString &entry : text.split(sep, Qt::SkipEmptyParts)) {
        QPair<QHostAddress, int> subnet;
        if (entry.contains('/')) {
            subnet = QHostAddress::parseSubnet(entry);
        } else {
            QHostAddress a;
            if (a.setAddress(entry))
                subnet = {a, a.protocol() == QAbstractSocket::IPv4Protocol ? 32 : 128};
        }
        if (subnet.first.isNull() || subnet.second < 0)
            return makeError("'" + entry.toStdString() + "' is not an IP address or CIDR subnet");
        // An IPv4-mapped (or ::) IPv6 subnet of /96 or narrower is stored as the IPv4 subnet it covers, so that the
        // canonical text parses back to the same list (fuzz_json_request found "::" -> "0.0.0.0/128").
        const QHostAddress v4 = normalizedAddress(subnet.first);
        if (v4.protocol() == QAbstractSocket::IPv4Protocol &&
            subnet.first.protocol() == QAbstractSocket::IPv6Protocol) {
            if (subnet.second >= 96) {
                // Host bits cleared, as parseSubnet does for IPv4 text ("::ffff:10.0.0.1/108" is 10.0.0.0/12).
                const int bits = subnet.second - 96;
                const quint32 mask = bits == 0 ? 0u : ~quint32(0) << (32 - bits);
                subnet = {QHostAddress(v4.toIPv4Address() & mask), bits};
            } else
                subnet.first.setScopeId(QString()); // "::%0/0": a scope id means nothing in a subnet
        } else {
            subnet.first = v4;
        }
        out.subnets_.push_back(subnet);
    }
    return out;
}

bool AddressList::contains(const QHostAddress &address) const
{
    const QHostAddress a = normalizedAddress(address);
    for (const auto &s : subnets_)
        if (a.isInSubnet(s.first, s.second))
            return true;
    return false;
}

QString AddressList::toString() const
{
    QStringList parts;
    for (const auto &s : subnets_)
        parts << QStringLiteral("%1/%2").arg(s.first.toString(), QString::number(s.second));
    return parts.join(QStringLiteral(","));
}

} // namespace smartbot
