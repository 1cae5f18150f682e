#include "app/net/error.h"

using namespace Qt::StringLiterals;

namespace cutover::net {

QString errorKindName(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::Timeout:
        return u"timeout"_s;
    case ErrorKind::Connect:
        return u"connect"_s;
    case ErrorKind::Tls:
        return u"tls"_s;
    case ErrorKind::Http:
        return u"http"_s;
    case ErrorKind::Protocol:
        return u"protocol"_s;
    case ErrorKind::Cancelled:
        return u"cancelled"_s;
    }
    return u"unknown"_s;
}

QString Error::toString() const {
    QString text = backend + u": "_s + errorKindName(kind);
    if (httpStatus > 0)
        text += u' ' + QString::number(httpStatus);
    if (!reason.isEmpty())
        text += u" ["_s + reason + u']';
    return text + u": "_s + message;
}

} // namespace cutover::net
