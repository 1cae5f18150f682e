#pragma once

// Pure functions from Runtime API text to typed values. No sockets here: every hostile or odd
// reply can be unit-tested with a string.

#include "app/backends/haproxy_types.h"
#include "app/net/result.h"

#include <QByteArray>
#include <QStringList>

namespace cutover::backends::haproxy {

// HAProxy ends each command's output with an empty line; a command that succeeds silently
// prints only that empty line. Splits a reply to `count` ';'-separated commands into one list
// of lines per command. Fewer or more replies than commands is a Protocol error.
net::Result<QList<QStringList>> splitReplies(const QByteArray &text, int count,
                                             const QString &backend);

// The refusal in a command's output, if that output is a known (or any) error text.
std::optional<RuntimeRefusal> classifyRefusal(const QStringList &lines);

// A typed error for a command whose output is `lines` where success looks different.
net::Error refusalError(const QStringList &lines, const QString &backend, const QString &command);

// Names are interpolated into commands: only HAProxy's own name characters are allowed, so
// a name can never smuggle a ';' or a newline (a second command) in.
bool isValidName(const QString &name);

net::Result<net::Ack> expectEmpty(const QStringList &lines, const QString &backend,
                                  const QString &command);
net::Result<ServerWeight> parseWeight(const QStringList &lines, const QString &backend,
                                      const QString &command);
net::Result<QList<StatRow>> parseStat(const QStringList &lines, const QString &backend);
net::Result<QList<ServerStateRow>> parseServersState(const QStringList &lines,
                                                     const QString &backend);
net::Result<ProcessInfo> parseInfo(const QStringList &lines, const QString &backend);

// One CSV line as HAProxy writes it (fields may be quoted when they contain a comma).
QStringList splitCsvLine(const QString &line);

} // namespace cutover::backends::haproxy
