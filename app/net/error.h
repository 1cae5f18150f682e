#pragma once

// The one error type of every network call: what went wrong (kind), where (backend), and a
// message fit for an operator. Messages never contain credentials: producers build them from
// URLs without user info and from server replies, never from request headers.

#include <QMetaType>
#include <QString>

namespace cutover::net {

enum class ErrorKind {
    Timeout,   // the overall deadline (or one attempt's timeout) passed without an answer
    Connect,   // could not reach the backend: refused, unknown host, socket missing, reset
    Tls,       // certificate or handshake failure; never ignored
    Http,      // the server answered with an HTTP error status (see httpStatus)
    Protocol,  // an answer we cannot use: garbage, truncated, too large, or a refusal in text
    Cancelled, // cancelled by the caller, superseded, or the client went away
};

QString errorKindName(ErrorKind kind); // "timeout", "connect", ...

struct Error {
    ErrorKind kind = ErrorKind::Protocol;
    QString backend;    // the plan's name for the server: "lb-a", "prometheus", ...
    QString message;    // human readable, one line
    int httpStatus = 0; // set for Http, and for Protocol when a status was received
    // A stable machine-readable refinement: Prometheus' errorType ("bad_data"), an HAProxy
    // refusal ("no_such_server"), "response_too_large", "superseded"... Empty when none.
    QString reason;

    // "lb-a: connect: connection refused (tcp://127.0.0.1:9998)"
    QString toString() const;
};

} // namespace cutover::net

Q_DECLARE_METATYPE(cutover::net::Error)
