#include "app/decommission/step_runner.h"

#include "app/backends/haproxy_reply_parser.h"
#include "app/backends/haproxy_runtime_client.h"
#include "app/backends/prometheus_client.h"
#include "app/config/plan_loader.h"
#include "app/net/http_client.h"
#include "app/store/evidence_archive.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>
#include <QThreadPool>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

using namespace Qt::StringLiterals;

namespace cutover::decommission {

namespace {

// Where a step's output goes. A plan file's relative paths were made absolute against its folder
// when it was loaded; the embedded default plan has no folder, so its relative outputs go to the
// application's data folder (never the working directory of whoever started the console).
QString outputPath(const QString &output) {
    if (output.isEmpty() || QDir::isAbsolutePath(output))
        return output;
    return QDir::cleanPath(QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                               .absoluteFilePath(u"decommission/"_s + output));
}

using config::DecommissionStep;
using config::LoadBalancer;
using Action = DecommissionStep::Action;

// HAProxy's srv_admin_state bits (`show servers state`): forced maintenance, forced drain.
constexpr int kAdminForcedMaint = 0x01;
constexpr int kAdminForcedDrain = 0x08;
// What a command's output may keep in the audit log; the whole output is hashed.
constexpr qsizetype kOutputKept = 4096;

void finishLater(QObject *context, StepDone done, StepResult result) {
    QTimer::singleShot(0, context, [done = std::move(done), result] { done(result); });
}

// Every LB's findings as one answer: done when nothing was found wrong, else the problems.
StepResult fromLoadBalancers(const QString &key, const QJsonObject &perLb,
                             const QStringList &problems, const QString &separator = u"; "_s) {
    return {problems.isEmpty(), problems.join(separator), {{key, perLb}}};
}

// Calls every LB of the environment at once; `all` gets each LB's result in the plan's order.
template <typename T, typename Call, typename All>
void eachLb(QObject *context, const StepContext &ctx, Call call, All all) {
    using Results = QList<std::pair<LoadBalancer, std::optional<net::Result<T>>>>;
    struct Pending {
        Results results;
        qsizetype left = 0;
    };
    auto pending = std::make_shared<Pending>();
    pending->left = ctx.loadBalancers.size();
    for (const LoadBalancer &lb : ctx.loadBalancers)
        pending->results.append({lb, std::nullopt});
    if (pending->left == 0) {
        QTimer::singleShot(0, context, [all, pending] { all(pending->results); });
        return;
    }
    for (qsizetype i = 0; i < ctx.loadBalancers.size(); ++i) {
        const LoadBalancer &lb = ctx.loadBalancers.at(i);
        auto *client = new backends::HaproxyRuntimeClient(lb, context);
        call(*client, lb)->onFinished(context, [=](const net::Result<T> &result) {
            pending->results[i].second = result;
            client->deleteLater();
            if (--pending->left == 0)
                all(pending->results);
        });
    }
}

QString adminCommand(Action action) {
    switch (action) {
    case Action::Drain:
        return u"drain"_s;
    case Action::Maintenance:
        return u"maint"_s;
    default:
        break;
    }
    return u"ready"_s;
}

bool inState(Action action, int adminState) {
    switch (action) {
    case Action::Drain:
        return adminState & kAdminForcedDrain;
    case Action::Maintenance:
        return adminState & kAdminForcedMaint;
    case Action::Ready:
        return !(adminState & (kAdminForcedMaint | kAdminForcedDrain));
    default:
        break;
    }
    return false;
}

QString stateWord(int adminState) {
    if (adminState & kAdminForcedMaint)
        return u"maint"_s;
    if (adminState & kAdminForcedDrain)
        return u"drain"_s;
    return u"ready"_s;
}

// Sets the targets' state on every LB, then reads `show servers state` back.
void setStates(QObject *context, const DecommissionStep &step, const StepContext &ctx,
               StepDone done) {
    const QString word = adminCommand(step.action);
    const QStringList targets = step.targets;
    eachLb<QList<QStringList>>(
        context, ctx,
        [targets, word](backends::HaproxyRuntimeClient &client, const LoadBalancer &lb) {
            QStringList commands;
            for (const QString &server : targets)
                commands.append(u"set server %1/%2 state %3"_s.arg(lb.backend, server, word));
            commands.append(u"show servers state "_s + lb.backend);
            return client.execute(commands);
        },
        [done, targets, action = step.action, word](const auto &results) {
            QStringList problems;
            QJsonObject perLb;
            for (const auto &[lb, result] : results) {
                QJsonObject states;
                if (!result->ok()) {
                    problems.append(u"%1: %2"_s.arg(lb.name, result->error().toString()));
                    perLb.insert(lb.name, QJsonObject{{u"error"_s, result->error().toString()}});
                    continue;
                }
                const QList<QStringList> &replies = result->value();
                for (qsizetype i = 0; i < targets.size(); ++i) {
                    const QString reply = replies.value(i).join(u' ').trimmed();
                    if (!reply.isEmpty())
                        problems.append(u"%1: %2: %3"_s.arg(lb.name, targets.at(i), reply));
                }
                // The read-back: what HAProxy now holds for each target.
                const auto rows =
                    backends::haproxy::parseServersState(replies.value(targets.size()), lb.name);
                if (!rows.ok()) {
                    problems.append(rows.error().toString());
                    continue;
                }
                QHash<QString, int> admin;
                for (const backends::ServerStateRow &row : rows.value()) {
                    if (row.backend == lb.backend)
                        admin.insert(row.server, row.adminState);
                }
                for (const QString &server : targets) {
                    if (!admin.contains(server)) {
                        problems.append(u"%1: %2 is not in %3"_s.arg(lb.name, server, lb.backend));
                        continue;
                    }
                    states.insert(server, stateWord(admin.value(server)));
                    if (!inState(action, admin.value(server)))
                        problems.append(u"%1: %2 reads %3 after 'state %4'"_s.arg(
                            lb.name, server, stateWord(admin.value(server)), word));
                }
                perLb.insert(lb.name, states);
            }
            done(fromLoadBalancers(u"load_balancers"_s, perLb, problems));
        });
}

struct ServerLoad {
    bool present = false;
    QString status;
    qint64 sessions = 0;
    qint64 queued = 0;
};

// Every target's status, sessions and queue on every LB (`show stat`).
template <typename Judge>
void readLoad(QObject *context, const DecommissionStep &step, const StepContext &ctx, StepDone done,
              Judge judge) {
    const QStringList targets = step.targets;
    eachLb<QList<backends::StatRow>>(
        context, ctx,
        [](backends::HaproxyRuntimeClient &client, const LoadBalancer &) {
            return client.showStat();
        },
        [done, judge, targets](const auto &results) {
            QStringList problems;
            QJsonObject perLb;
            for (const auto &[lb, result] : results) {
                if (!result->ok()) {
                    problems.append(u"%1: %2"_s.arg(lb.name, result->error().toString()));
                    continue;
                }
                QJsonObject servers;
                for (const QString &server : targets) {
                    ServerLoad load;
                    for (const backends::StatRow &row : result->value()) {
                        if (row.proxy == lb.backend && row.server == server) {
                            load = {true, row.status, row.currentSessions, row.currentQueue};
                            break;
                        }
                    }
                    servers.insert(server, load.present
                                               ? QJsonObject{{u"status"_s, load.status},
                                                             {u"sessions"_s, load.sessions},
                                                             {u"queued"_s, load.queued}}
                                               : QJsonObject{{u"status"_s, u"removed"_s}});
                    const QString problem = judge(load);
                    if (!problem.isEmpty())
                        problems.append(u"%1: %2 %3"_s.arg(lb.name, server, problem));
                }
                perLb.insert(lb.name, servers);
            }
            done(fromLoadBalancers(u"load_balancers"_s, perLb, problems));
        });
}

// `del server` answers "Server deleted." or an error without the empty line that frames the
// replies of a multi-command connection, so each goes in a connection of its own; then every LB
// is read back.
void removeServers(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                   StepDone done) {
    const QStringList targets = step.targets;
    struct Replies {
        QHash<QString, QString> text; // "lb/server" -> HAProxy's answer or the error
        qsizetype left = 0;
    };
    auto replies = std::make_shared<Replies>();
    replies->left = ctx.loadBalancers.size() * targets.size();
    auto readBack = [context, ctx, targets, replies, done] {
        eachLb<QList<backends::ServerStateRow>>(
            context, ctx,
            [](backends::HaproxyRuntimeClient &client, const LoadBalancer &lb) {
                return client.showServersState(lb.backend);
            },
            [done, targets, replies](const auto &results) {
                QStringList problems;
                QJsonObject perLb;
                for (const auto &[lb, result] : results) {
                    QJsonObject servers;
                    for (const QString &server : targets)
                        servers.insert(server, replies->text.value(lb.name + u'/' + server));
                    perLb.insert(lb.name, servers);
                    if (!result->ok()) {
                        problems.append(u"%1: %2"_s.arg(lb.name, result->error().toString()));
                        continue;
                    }
                    for (const backends::ServerStateRow &row : result->value()) {
                        if (row.backend == lb.backend && targets.contains(row.server))
                            problems.append(u"%1: %2 is still there (%3)"_s.arg(
                                lb.name, row.server,
                                replies->text.value(lb.name + u'/' + row.server)));
                    }
                }
                done(fromLoadBalancers(u"load_balancers"_s, perLb, problems));
            });
    };
    if (replies->left == 0) {
        QTimer::singleShot(0, context, readBack);
        return;
    }
    for (const LoadBalancer &lb : ctx.loadBalancers) {
        for (const QString &server : targets) {
            auto *client = new backends::HaproxyRuntimeClient(lb, context);
            // Once: a second `del` of a deleted server answers "No such server.", and the
            // read-back decides either way.
            net::CallOptions once = client->defaultOptions();
            once.idempotent = false;
            once.retry = net::RetryPolicy::none();
            const QString key = lb.name + u'/' + server;
            client->execute({u"del server %1/%2"_s.arg(lb.backend, server)}, once)
                ->onFinished(context, [client, key, replies,
                                       readBack](const net::Result<QList<QStringList>> &r) {
                    client->deleteLater();
                    QString text;
                    if (r.ok()) {
                        for (const QStringList &lines : r.value())
                            text += lines.join(u' ');
                    } else {
                        text = r.error().toString();
                    }
                    replies->text.insert(key, text.trimmed());
                    if (--replies->left == 0)
                        readBack();
                });
        }
    }
}

QByteArray sha256Hex(const QByteArray &bytes) {
    return QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
}

// The output kept in the audit log, with every secret the step passed replaced by its
// variable's name (a command may echo its token).
QString redacted(const QByteArray &output,
                 const QList<std::pair<QString, config::Secret>> &secrets) {
    QString text = QString::fromUtf8(output.right(kOutputKept));
    for (const auto &[name, secret] : secrets) {
        if (secret.value().size() >= 4)
            text.replace(secret.value(), secret.redacted());
    }
    return text;
}

// An argv run without a shell, with a deadline; its output is hashed and its tail kept. Only the
// program is recorded, not its arguments: the plan may have expanded a variable into them.
void runCommand(QObject *context, const QStringList &argv, const QProcessEnvironment &environment,
                const QList<std::pair<QString, config::Secret>> &secrets,
                const QString &workingDirectory, std::chrono::milliseconds timeout, StepDone done) {
    auto *process = new QProcess(context);
    auto *deadline = new QTimer(process);
    deadline->setSingleShot(true);
    auto finished = std::make_shared<bool>(false);
    auto finish = [process, done, finished, argv, secrets](StepResult result) {
        if (*finished)
            return;
        *finished = true;
        const QByteArray out = process->readAllStandardOutput();
        const QByteArray err = process->readAllStandardError();
        result.details.insert(u"program"_s, argv.first());
        result.details.insert(u"arguments"_s, double(argv.size() - 1));
        result.details.insert(u"stdout_sha256"_s, QString::fromLatin1(sha256Hex(out)));
        result.details.insert(u"stderr_sha256"_s, QString::fromLatin1(sha256Hex(err)));
        result.details.insert(u"stdout"_s, redacted(out, secrets));
        result.details.insert(u"stderr"_s, redacted(err, secrets));
        process->deleteLater();
        done(result);
    };
    // Killed at its deadline: the answer waits for the process to be reaped (SIGKILL ends it at
    // once), so that nothing is destroyed while it still runs.
    auto killed = std::make_shared<bool>(false);
    QObject::connect(process, &QProcess::finished, context,
                     [finish, argv, killed, timeout](int code, QProcess::ExitStatus status) {
                         StepResult r;
                         r.ok = !*killed && status == QProcess::NormalExit && code == 0;
                         r.details.insert(u"exit_code"_s, code);
                         if (*killed)
                             r.error = u"%1 ran past its timeout of %2 s and was killed"_s
                                           .arg(argv.first())
                                           .arg(timeout.count() / 1000.0);
                         else if (!r.ok)
                             r.error = status == QProcess::NormalExit
                                           ? u"%1 exited with %2"_s.arg(argv.first()).arg(code)
                                           : u"%1 crashed"_s.arg(argv.first());
                         finish(r);
                     });
    QObject::connect(
        process, &QProcess::errorOccurred, context,
        [process, finish, argv](QProcess::ProcessError error) {
            if (error != QProcess::FailedToStart)
                return; // finished() follows
            finish(
                {false, u"%1 did not start: %2"_s.arg(argv.first(), process->errorString()), {}});
        });
    QObject::connect(deadline, &QTimer::timeout, context, [process, killed] {
        *killed = true;
        process->kill();
    });
    process->setProcessEnvironment(environment);
    if (!workingDirectory.isEmpty())
        process->setWorkingDirectory(workingDirectory);
    process->setProgram(argv.first());
    process->setArguments(argv.mid(1));
    deadline->start(timeout);
    process->start();
}

// What an archive may hold: configuration and documents, read into memory before writing.
constexpr qint64 kMaxArchivedBytes = 1024LL * 1024 * 1024;

bool isGlob(const QString &path) {
    return path.contains(u'*') || path.contains(u'?') || path.contains(u'[');
}

// Every file the paths name (folders recursively, globs in their folder), in a stable order;
// a path that names nothing is an error: an archive that silently lacks a folder is no backup.
StepResult collectAndArchive(const QStringList &paths, const QString &output) {
    QStringList files;
    for (const QString &path : paths) {
        QStringList found;
        const QFileInfo info(path);
        if (isGlob(path)) {
            const QDir dir = info.absoluteDir();
            for (const QFileInfo &match :
                 dir.entryInfoList({info.fileName()},
                                   QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
                found.append(match.absoluteFilePath());
        } else if (info.exists()) {
            found.append(info.absoluteFilePath());
        }
        if (found.isEmpty())
            return {false, u"%1: no such file or folder"_s.arg(path), {}};
        for (const QString &entry : std::as_const(found)) {
            if (QFileInfo(entry).isDir()) {
                QDirIterator it(entry, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
                QStringList inside;
                while (it.hasNext())
                    inside.append(it.next());
                inside.sort();
                files += inside;
            } else {
                files.append(entry);
            }
        }
    }
    files.removeDuplicates();
    QList<store::EvidenceFile> contents;
    qint64 total = 0;
    for (const QString &file : std::as_const(files)) {
        QFile in(file);
        if (!in.open(QIODevice::ReadOnly))
            return {false, u"%1: %2"_s.arg(file, in.errorString()), {}};
        total += in.size();
        if (total > kMaxArchivedBytes)
            return {false,
                    u"the files come to more than %1 MiB: archive data with export_metrics or a "
                    u"command, not archive_files"_s.arg(kMaxArchivedBytes / (1024 * 1024)),
                    {}};
        // Inside the archive each file keeps its absolute path (without the leading '/').
        contents.append({QDir::cleanPath(file).mid(1), in.readAll()});
    }
    const auto written =
        store::writeEvidenceArchive(output, contents, QDateTime::currentDateTimeUtc());
    if (!written)
        return {false, written.error().toString(), {}};
    QJsonArray names;
    for (qsizetype i = 0; i < contents.size() && i < 200; ++i)
        names.append(contents.at(i).name);
    return {true,
            {},
            {{u"archive"_s, written.value().path},
             {u"sha256"_s, QString::fromLatin1(written.value().sha256Hex)},
             {u"bytes"_s, double(written.value().bytes)},
             {u"files"_s, double(contents.size())},
             {u"names"_s, names}}};
}

// Disk work off the caller's thread; the answer comes back on it (never if it is gone).
void archiveFiles(QObject *context, const DecommissionStep &step, StepDone done) {
    QPointer<QObject> guard(context);
    QThreadPool::globalInstance()->start(
        [guard, paths = step.paths, output = outputPath(step.output), done = std::move(done)] {
            const StepResult result = collectAndArchive(paths, output);
            QMetaObject::invokeMethod(guard.data(), [guard, result, done] {
                if (guard)
                    done(result);
            });
        });
}

// POST /api/v1/admin/tsdb/snapshot: Prometheus writes the snapshot under its data folder and
// answers its name. Not retried: each call makes another snapshot.
void prometheusSnapshot(QObject *context, const DecommissionStep &step, StepDone done) {
    net::HttpSettings settings;
    settings.backend = u"prometheus"_s;
    settings.baseUrl = step.endpointUrl;
    if (step.bearerToken.isSet())
        settings.authorization = "Bearer " + step.bearerToken.value().toUtf8();
    auto *client = new net::HttpClient(settings, context);
    net::HttpRequestSpec spec;
    spec.method = net::HttpRequestSpec::Method::Post;
    spec.url = client->resolve(u"api/v1/admin/tsdb/snapshot"_s);
    net::CallOptions options;
    options.deadline = std::chrono::minutes(5); // a large TSDB takes a while to hard-link
    const QString where = net::HttpClient::displayUrl(spec.url);
    client
        ->send<QString>(spec, options,
                        [where](const net::HttpResponse &r) -> net::Result<QString> {
                            const QJsonObject body = QJsonDocument::fromJson(r.body).object();
                            const QString name =
                                body.value(u"data"_s).toObject().value(u"name"_s).toString();
                            if (r.status == 200 && !name.isEmpty())
                                return name;
                            QString why = body.value(u"error"_s).toString();
                            if (why.isEmpty())
                                why = QString::fromUtf8(r.body.left(200)).trimmed();
                            return net::Error{net::ErrorKind::Protocol, u"prometheus"_s,
                                              u"%1 answered HTTP %2: %3 (is Prometheus started "
                                              u"with --web.enable-admin-api?)"_s.arg(where)
                                                  .arg(r.status)
                                                  .arg(why),
                                              r.status, u"snapshot_refused"_s};
                        })
        ->onFinished(context, [client, done, where](const net::Result<QString> &r) {
            client->deleteLater();
            if (!r.ok()) {
                done({false, r.error().toString(), {}});
                return;
            }
            done({true, {}, {{u"prometheus"_s, where}, {u"snapshot"_s, r.value()}}});
        });
}

// zero_traffic: the query's largest value over the window must be exactly 0; query: the
// condition must hold at every evaluation over `for` (or now, without one). No data is never a
// pass: "no traffic" must be written so that it is 0 (e.g. `… or vector(0)`).
void promqlValidation(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                      StepDone done) {
    if (!ctx.prometheus) {
        QTimer::singleShot(0, context, [done] {
            done({false, u"no Prometheus to ask: the plan names none"_s, {}});
        });
        return;
    }
    using V = config::StepValidation::Kind;
    const config::StepValidation v = step.validation;
    const QString query = config::expandQuery(v.query, ctx.environment);
    auto *client = new backends::PrometheusClient(*ctx.prometheus, context);
    net::Reply<backends::QueryResult> *reply = nullptr;
    QString asked;
    if (v.kind == V::ZeroTraffic) {
        asked = u"max_over_time((%1)[%2s:])"_s.arg(query).arg(v.window.ms() / 1000);
        reply = client->query(asked);
    } else if (v.forDuration.isZero()) {
        asked = query;
        reply = client->query(asked);
    } else {
        asked = query;
        const QDateTime end = QDateTime::currentDateTimeUtc();
        const qint64 stepMs = std::max<qint64>(1000, v.forDuration.ms() / 200);
        reply = client->queryRange(asked, end.addMSecs(-v.forDuration.ms()), end,
                                   std::chrono::milliseconds(stepMs));
    }
    reply->onFinished(context, [client, done, v,
                                asked](const net::Result<backends::QueryResult> &r) {
        client->deleteLater();
        StepResult out;
        out.details.insert(u"query"_s, asked);
        if (!r.ok()) {
            out.error = r.error().toString();
            done(out);
            return;
        }
        QList<double> values;
        if (r.value().type == backends::QueryResult::Type::Matrix) {
            if (r.value().matrix.size() == 1) {
                for (const backends::PromPoint &p : r.value().matrix.first().points)
                    values.append(p.value);
            }
        } else {
            values.append(r.value().singleValue());
        }
        if (values.isEmpty() || std::isnan(values.first())) {
            out.error = u"no data (one series expected): unknown is never a pass%1"_s.arg(
                v.kind == V::ZeroTraffic ? u"; write the query so that no traffic is 0, e.g. "
                                           u"'… or vector(0)'"_s
                                         : QString());
            done(out);
            return;
        }
        out.details.insert(u"values"_s, double(values.size()));
        out.details.insert(u"last"_s, values.last());
        if (v.kind == V::ZeroTraffic) {
            out.ok = values.first() == 0;
            if (!out.ok)
                out.error = u"traffic is not zero: %1 over the window"_s.arg(values.first());
        } else {
            out.ok = true;
            for (double value : std::as_const(values)) {
                if (!v.condition.holds(value)) {
                    out.ok = false;
                    out.error = u"%1 does not hold: %2"_s.arg(v.condition.toString()).arg(value);
                    break;
                }
            }
        }
        done(out);
    });
}

// A file name for what `url` fetched: its path, with anything but letters, digits, '.', '-'
// and '_' turned into '_' ("api/search?query=" -> "api_search_query_.json").
QString backupName(const QString &url, int index) {
    QString name = QUrl(url).path(QUrl::FullyDecoded) + u'_' + QUrl(url).query();
    for (QChar &c : name) {
        if (!c.isLetterOrNumber() && c != u'.' && c != u'-' && c != u'_')
            c = u'_';
    }
    while (name.startsWith(u'_'))
        name.remove(0, 1);
    while (name.endsWith(u'_'))
        name.chop(1);
    return u"%1-%2.json"_s.arg(index + 1, 2, 10, QChar(u'0')).arg(name.left(100));
}

struct Backup {
    QList<std::pair<QString, QByteArray>> files; // name -> body
    QStringList problems;
    qint64 fetched = 0;
    qint64 total = 0;
};
using Progress = std::function<void(qint64, qint64, const QString &)>;

// GETs every (url, file name) with `client`, adds the answers to `backup`, then calls `then` on
// the context's thread. Any answer but 2xx is a problem naming its URL and status.
void fetchInto(QObject *context, net::HttpClient *client,
               const QList<std::pair<QString, QString>> &urls, std::shared_ptr<Backup> backup,
               const Progress &progress, std::function<void()> then) {
    if (urls.isEmpty()) {
        then();
        return;
    }
    auto left = std::make_shared<qsizetype>(urls.size());
    for (const auto &[url, name] : urls) {
        net::HttpRequestSpec spec;
        spec.url = client->resolve(url);
        net::CallOptions options;
        options.deadline = std::chrono::minutes(2);
        options.idempotent = true;
        options.retry = net::RetryPolicy::attempts(3, std::chrono::milliseconds(200));
        const QString where = net::HttpClient::displayUrl(spec.url);
        client
            ->send<QByteArray>(spec, options,
                               [where](const net::HttpResponse &r) -> net::Result<QByteArray> {
                                   if (r.status >= 200 && r.status < 300)
                                       return r.body;
                                   return net::Error{
                                       net::ErrorKind::Http,
                                       u"backup"_s,
                                       u"%1 answered HTTP %2"_s.arg(where).arg(r.status),
                                       r.status,
                                       {}};
                               })
            ->onFinished(context,
                         [backup, name, left, progress, then](const net::Result<QByteArray> &r) {
                             if (r.ok())
                                 backup->files.append({name, r.value()});
                             else
                                 backup->problems.append(r.error().toString());
                             ++backup->fetched;
                             if (progress)
                                 progress(backup->fetched, backup->total, u"URLs fetched"_s);
                             if (--*left == 0)
                                 then();
                         });
    }
}

// The value at a JSON pointer (RFC 6901: "/data/0/uid"; "~1" is "/", "~0" is "~"). Written
// here because QJsonDocument has no pointer lookup; nullopt when a part does not exist.
std::optional<QJsonValue> atPointer(const QJsonValue &root, const QString &pointer) {
    QJsonValue value = root;
    if (pointer.isEmpty())
        return value;
    const QStringList parts = pointer.mid(1).split(u'/');
    for (QString part : parts) {
        part.replace(u"~1"_s, u"/"_s).replace(u"~0"_s, u"~"_s);
        if (value.isObject() && value.toObject().contains(part)) {
            value = value.toObject().value(part);
            continue;
        }
        bool isIndex = false;
        const int index = part.toInt(&isIndex);
        if (value.isArray() && isIndex && index >= 0 && index < value.toArray().size()) {
            value = value.toArray().at(index);
            continue;
        }
        return std::nullopt;
    }
    return value;
}

// For `each`: the URL of every item of every answer so far ({field} from an object item, {}
// for a scalar item, percent-encoded); their file names number on after the answers'.
QList<std::pair<QString, QString>> followUrls(const DecommissionStep &step, const Backup &backup,
                                              const QStringList &sources, QStringList &problems) {
    static const QRegularExpression placeholder(u"\\{([^{}]*)\\}"_s);
    QList<std::pair<QString, QString>> urls;
    int index = int(backup.files.size());
    for (qsizetype f = 0; f < backup.files.size(); ++f) {
        const QString &source = sources.value(f);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(backup.files.at(f).second, &error);
        if (error.error != QJsonParseError::NoError) {
            problems.append(
                u"%1: not JSON (%2), so no items to follow"_s.arg(source, error.errorString()));
            continue;
        }
        const QJsonValue root =
            document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
        const auto items = atPointer(root, step.eachItems);
        if (!items || !items->isArray()) {
            problems.append(u"%1: %2 is not a list"_s.arg(
                source, step.eachItems.isEmpty() ? u"the answer"_s : step.eachItems));
            continue;
        }
        const QJsonArray list = items->toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QJsonValue item = list.at(i);
            QString url = step.eachUrl;
            QString missing;
            for (const QRegularExpressionMatch &m : placeholder.globalMatch(step.eachUrl)) {
                const QString field = m.captured(1);
                const QJsonValue value = field.isEmpty() ? item : item.toObject().value(field);
                QString text = value.isString()   ? value.toString()
                               : value.isDouble() ? QString::number(value.toDouble(), 'g', 17)
                                                  : QString();
                if (text.isEmpty()) {
                    missing = field.isEmpty() ? u"a text or number"_s : u"'%1'"_s.arg(field);
                    break;
                }
                url.replace(m.captured(0), QString::fromLatin1(QUrl::toPercentEncoding(text)));
            }
            if (!missing.isEmpty()) {
                problems.append(u"%1: item %2 has no %3 for %4"_s.arg(source).arg(i + 1).arg(
                    missing, step.eachUrl));
                continue;
            }
            urls.append({url, backupName(url, index++)});
        }
    }
    return urls;
}

// GETs every URL (the plan's auth), then — with `each` — every item those answers list, then
// writes each answer whole (QSaveFile) into the output folder off the caller's thread; any
// answer but 2xx fails the step with its URL and status.
void httpBackup(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                StepDone done) {
    net::HttpSettings settings;
    settings.backend = u"backup"_s;
    settings.baseUrl = step.endpointUrl;
    if (step.bearerToken.isSet())
        settings.authorization = "Bearer " + step.bearerToken.value().toUtf8();
    auto *client = new net::HttpClient(settings, context);
    auto backup = std::make_shared<Backup>();
    backup->total = step.urls.size();
    const Progress progress = ctx.progress;
    if (progress)
        progress(0, backup->total, u"URLs fetched"_s);
    const QString output = outputPath(step.output);
    auto write = [context, client, backup, output, done] {
        client->deleteLater();
        if (!backup->problems.isEmpty()) {
            done({false, backup->problems.join(u"; "_s), {}});
            return;
        }
        QPointer<QObject> guard(context);
        QThreadPool::globalInstance()->start([guard, backup, output, done] {
            StepResult result{true, {}, {}};
            QDir().mkpath(output);
            QJsonObject files;
            for (const auto &[name, body] : backup->files) {
                QSaveFile file(QDir(output).filePath(name));
                if (!file.open(QIODevice::WriteOnly) || file.write(body) != body.size() ||
                    !file.commit()) {
                    result = {false, u"%1: %2"_s.arg(file.fileName(), file.errorString()), {}};
                    break;
                }
                files.insert(name, QString::fromLatin1(sha256Hex(body)));
            }
            if (result.ok)
                result.details = {{u"folder"_s, output}, {u"sha256"_s, files}};
            QMetaObject::invokeMethod(guard.data(), [guard, result, done] {
                if (guard)
                    done(result);
            });
        });
    };
    QList<std::pair<QString, QString>> first;
    for (int i = 0; i < step.urls.size(); ++i)
        first.append({step.urls.at(i), backupName(step.urls.at(i), i)});
    fetchInto(context, client, first, backup, progress,
              [context, client, step, backup, progress, write] {
                  if (!backup->problems.isEmpty() || step.eachUrl.isEmpty()) {
                      write();
                      return;
                  }
                  // Answers arrive in any order: in the plan's order (the file names start
                  // with it), so that a rerun names the followed files the same.
                  std::sort(backup->files.begin(), backup->files.end(),
                            [](const auto &a, const auto &b) { return a.first < b.first; });
                  QStringList sources;
                  for (const auto &[name, body] : backup->files) {
                      Q_UNUSED(body);
                      const int index = name.left(name.indexOf(u'-')).toInt() - 1;
                      sources.append(step.urls.value(index, name));
                  }
                  QStringList problems;
                  const auto more = followUrls(step, *backup, sources, problems);
                  if (!problems.isEmpty()) {
                      backup->problems = problems;
                      write();
                      return;
                  }
                  backup->total += more.size();
                  if (progress)
                      progress(backup->fetched, backup->total, u"URLs fetched"_s);
                  fetchInto(context, client, more, backup, progress, write);
              });
}

// Every named query over the range at the step (query_range, split under Prometheus' 11,000
// points a series by the client), one JSON file per query in a .tar.gz, hashed. No data for a
// query is recorded as such, not invented.
void exportMetrics(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                   StepDone done) {
    config::HttpEndpoint endpoint;
    endpoint.url = step.endpointUrl;
    endpoint.bearerToken = step.bearerToken;
    endpoint.timeout = config::Duration::minutes(2);
    if (ctx.prometheus && ctx.prometheus->url == step.endpointUrl)
        endpoint.tls = ctx.prometheus->tls;
    auto *client = new backends::PrometheusClient(endpoint, context);
    struct Exported {
        QList<store::EvidenceFile> files;
        QJsonObject summary;
        QStringList problems;
        qsizetype left = 0;
    };
    auto exported = std::make_shared<Exported>();
    exported->left = step.queries.size();
    const qint64 total = step.queries.size();
    const auto progress = ctx.progress;
    const QString unit = u"queries exported"_s;
    if (progress)
        progress(0, total, unit);
    const QDateTime end = QDateTime::currentDateTimeUtc();
    const QDateTime start = end.addMSecs(-step.range.ms());
    const QString output = outputPath(step.output);
    auto write = [context, client, exported, output, start, end, done] {
        client->deleteLater();
        if (!exported->problems.isEmpty()) {
            done({false, exported->problems.join(u"; "_s), {}});
            return;
        }
        QPointer<QObject> guard(context);
        QThreadPool::globalInstance()->start([guard, exported, output, start, end, done] {
            StepResult result;
            const auto written = store::writeEvidenceArchive(output, exported->files, end);
            if (!written) {
                result = {false, written.error().toString(), {}};
            } else {
                result = {true,
                          {},
                          {{u"archive"_s, written.value().path},
                           {u"sha256"_s, QString::fromLatin1(written.value().sha256Hex)},
                           {u"bytes"_s, double(written.value().bytes)},
                           {u"from"_s, start.toString(Qt::ISODate)},
                           {u"to"_s, end.toString(Qt::ISODate)},
                           {u"queries"_s, exported->summary}}};
            }
            QMetaObject::invokeMethod(guard.data(), [guard, result, done] {
                if (guard)
                    done(result);
            });
        });
    };
    for (const auto &[name, promql] : step.queries) {
        const QString query = config::expandQuery(promql, ctx.environment);
        client->queryRange(query, start, end, step.step.value())
            ->onFinished(context, [exported, name, query, write, progress, total,
                                   unit](const net::Result<backends::QueryResult> &r) {
                if (!r.ok()) {
                    exported->problems.append(u"%1: %2"_s.arg(name, r.error().toString()));
                } else {
                    QJsonArray series;
                    qint64 points = 0;
                    for (const backends::PromSeries &s : r.value().matrix) {
                        QJsonObject labels;
                        for (auto it = s.labels.cbegin(); it != s.labels.cend(); ++it)
                            labels.insert(it.key(), it.value());
                        QJsonArray values;
                        for (const backends::PromPoint &p : s.points)
                            values.append(QJsonArray{p.time, p.value});
                        points += s.points.size();
                        series.append(QJsonObject{{u"labels"_s, labels}, {u"values"_s, values}});
                    }
                    exported->files.append(
                        {name + u".json"_s,
                         QJsonDocument(QJsonObject{{u"query"_s, query}, {u"series"_s, series}})
                             .toJson(QJsonDocument::Compact)});
                    exported->summary.insert(name,
                                             QJsonObject{{u"series"_s, series.size()},
                                                         {u"points"_s, double(points)},
                                                         {u"requests"_s, r.value().requests}});
                }
                --exported->left;
                if (progress)
                    progress(total - exported->left, total, unit);
                if (exported->left == 0)
                    write();
            });
    }
}

QProcessEnvironment environmentOf(const DecommissionStep &step) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const auto &[name, value] : step.environment)
        environment.insert(name, value);
    for (const auto &[name, secret] : step.secretEnvironment)
        environment.insert(name, secret.value());
    return environment;
}

} // namespace

QString unavailablePart(const DecommissionStep &step) {
    Q_UNUSED(step); // every built-in action and validation runs in this version
    return {};
}

void runAction(QObject *context, const DecommissionStep &step, const StepContext &ctx,
               StepDone done) {
    switch (step.action) {
    case Action::Drain:
    case Action::Maintenance:
    case Action::Ready:
        setStates(context, step, ctx, std::move(done));
        return;
    case Action::RemoveFromLb:
        removeServers(context, step, ctx, std::move(done));
        return;
    case Action::Command:
        runCommand(context, step.argv, environmentOf(step), step.secretEnvironment,
                   step.workingDirectory, step.timeout.value(), std::move(done));
        return;
    case Action::Manual:
        finishLater(context, std::move(done), {true, {}, {}});
        return;
    case Action::ArchiveFiles:
        archiveFiles(context, step, std::move(done));
        return;
    case Action::PrometheusSnapshot:
        prometheusSnapshot(context, step, std::move(done));
        return;
    case Action::HttpBackup:
        httpBackup(context, step, ctx, std::move(done));
        return;
    case Action::ExportMetrics:
        exportMetrics(context, step, ctx, std::move(done));
        return;
    default:
        break;
    }
    finishLater(
        context, std::move(done),
        {false,
         u"the %1 action is not available in this version"_s.arg(config::actionName(step.action)),
         {}});
}

void runValidation(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                   StepDone done) {
    using V = config::StepValidation::Kind;
    switch (step.validation.kind) {
    case V::None:
        finishLater(context, std::move(done), {true, {}, {}});
        return;
    case V::NoActiveConnections:
        readLoad(context, step, ctx, std::move(done), [](const ServerLoad &load) -> QString {
            if (!load.present || load.sessions + load.queued == 0)
                return {};
            return u"has %1 sessions and %2 queued"_s.arg(load.sessions).arg(load.queued);
        });
        return;
    case V::ZeroTraffic:
    case V::Query:
        promqlValidation(context, step, ctx, std::move(done));
        return;
    case V::Command:
        runCommand(context, step.validation.argv, environmentOf(step), step.secretEnvironment,
                   step.workingDirectory, step.validation.timeout.value(), std::move(done));
        return;
    default:
        break;
    }
    finishLater(context, std::move(done),
                {false,
                 u"the %1 validation is not available in this version"_s.arg(
                     config::validationKindName(step.validation.kind)),
                 {}});
}

void checkRemovable(QObject *context, const DecommissionStep &step, const StepContext &ctx,
                    StepDone done) {
    readLoad(context, step, ctx, std::move(done), [](const ServerLoad &load) -> QString {
        if (!load.present)
            return {}; // already removed
        QStringList why;
        if (!load.status.startsWith(u"MAINT"_s))
            why.append(u"is %1, not in maintenance"_s.arg(load.status));
        if (load.sessions > 0)
            why.append(u"has %1 sessions"_s.arg(load.sessions));
        if (load.queued > 0)
            why.append(u"has %1 queued"_s.arg(load.queued));
        return why.join(u", "_s);
    });
}

void checkPermanence(QObject *context, const StepContext &ctx, StepDone done) {
    const QMap<QString, int> intended = ctx.intendedWeights;
    eachLb<QMap<QString, backends::ServerWeight>>(
        context, ctx,
        [intended](backends::HaproxyRuntimeClient &client, const LoadBalancer &lb) {
            return client.getWeights(lb.backend, intended.keys());
        },
        [done, intended](const auto &results) {
            QStringList problems;
            QJsonObject perLb;
            for (const auto &[lb, result] : results) {
                if (!result->ok()) {
                    problems.append(u"%1: %2"_s.arg(lb.name, result->error().toString()));
                    continue;
                }
                QStringList lines;
                QJsonObject initial;
                for (auto it = intended.cbegin(); it != intended.cend(); ++it) {
                    const int configured = result->value().value(it.key()).initial;
                    initial.insert(it.key(), configured);
                    if (configured != it.value())
                        lines.append(u"    server %1 … weight %2   (configured: %3)"_s.arg(it.key())
                                         .arg(it.value())
                                         .arg(configured));
                }
                perLb.insert(lb.name, initial);
                if (!lines.isEmpty())
                    problems.append(u"%1 (backend %2) would go back to its configured weights on "
                                    u"a reload; set in haproxy.cfg:\n%3"_s.arg(lb.name, lb.backend,
                                                                               lines.join(u'\n')));
            }
            done(fromLoadBalancers(u"configured_weights"_s, perLb, problems, u"\n"_s));
        });
}

} // namespace cutover::decommission
