#include "core/address_list.h"

#include <algorithm>

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

namespace {

// The subnet's address with its host bits cleared, as QHostAddress::parseSubnet returns it for text, so that the
// canonical text parses back to itself (fuzz_json_request: "0.0.0.1/0" printed, "0.0.0.0/0" read back).
QHostAddress networkAddress(const QHostAddress &a, int prefix)
{
    if (a.protocol() == QAbstractSocket::IPv4Protocol) {
        const quint32 mask = prefix <= 0 ? 0u : ~quint32(0) << (32 - prefix);
        return QHostAddress(a.toIPv4Address() & mask);
    }
    Q_IPV6ADDR bytes = a.toIPv6Address();
    for (int i = 0; i < 16; ++i) {
        const int keep = std::clamp(prefix - i * 8, 0, 8); // bits of byte i inside the prefix
        bytes[i] &= quint8(0xff00u >> keep);
    }
    return QHostAddress(bytes);
}

bool hasControlCharacter(const QString &s)
{
    return std::any_of(s.begin(), s.end(), [](QChar c) { return c.unicode() < 0x20 || c.unicode() == 0x7f; });
}

} // namespace

Result<AddressList> AddressList::parse(const QString &text)
{
    AddressList out;
    static const QRegularExpression sep(QStringLiteral("[,\\s]+"));
    for (const QString &entry : text.split(sep, Qt::SkipEmptyParts)) {
        QPair<QHostAddress, int> subnet;
        if (hasControlCharacter(entry)) // Qt's parser stops at a NUL: "1\0::/0" read as 0.0.0.1/0
            return makeError("an address or subnet holds a control character");
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
            if (subnet.second >= 96)
                subnet = {v4, subnet.second - 96};
            else
                subnet.first.setScopeId(QString()); // "::%0/0": a scope id means nothing in a subnet
        } else {
            subnet.first = v4;
        }
        subnet.first = networkAddress(subnet.first, subnet.second); // "::ffff:10.0.0.1/108" is 10.0.0.0/12
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
