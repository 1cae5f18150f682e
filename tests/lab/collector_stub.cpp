// A stand-in for one telemetry collector behind the lab's HAProxy pair.
//
// Serves minimal HTTP/1.1 (keep-alive, Content-Length bodies) on two loopback ports:
//   data port:    any POST is "telemetry" (200, or 503 in 5xx mode, or delayed in slow mode);
//                 GET /metrics is Prometheus text with OTel-collector-like metrics, and
//                 lab_webhook_requests_total{path} for the POSTs/PUTs received per path;
//                 GET /healthz answers 200.
//   control port: POST /control?mode=healthy|5xx|slow|down[&delay_ms=N] switches the mode
//                 (healthy also clears the data faults);
//                 POST /control?drop=N|latency=N|cardinality=N sets a data fault, independent of
//                 the mode: drop N% of the accepted points silently (never exported), answer
//                 N% slower, export N times as many series (see DataFaults);
//                 GET /control prints the state as JSON;
//                 GET /received[?after=SEQ] lists the POSTs/PUTs the data port received, oldest
//                 first (the webhook sink's record, see Received below); DELETE /received
//                 forgets them.
// "down" closes the data port and drops its connections, as a crashed collector would, while the
// control port stays up so the lab can bring it back on the same port.
//
// Usage: collector_stub --name otel-collector-1 --port P --control-port C
//                       [--mode healthy] [--delay-ms 2000] [--latency-ms 0]
//                       [--max-seconds 7200]

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTextStream>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <sys/resource.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype MaxHeaderBytes = 16 * 1024;
constexpr qsizetype MaxBodyBytes = 1024 * 1024;
constexpr int MaxConnections = 1024;
constexpr int MaxDelayMs = 60'000;
// GET /received keeps only the last MaxRecorded requests (and at most MaxRecordedBytes of their
// bodies): the oldest are forgotten first, so a stub under steady traffic stays small.
constexpr qsizetype MaxRecorded = 5000;
constexpr qsizetype MaxRecordedBytes = 64 * 1024 * 1024;
// lab_webhook_requests_total gets one series per path, for this many distinct paths; any
// further path is counted under path="(other)".
constexpr qsizetype MaxCountedPaths = 256;

struct Request {
    QByteArray method;
    QByteArray path;
    QUrlQuery query;
    QByteArray body;
    bool keepAlive = true;
};

struct Response {
    int status = 200;
    QByteArray contentType = "text/plain; charset=utf-8";
    QByteArray body;
    bool close = false;
};

QByteArray reasonPhrase(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

// One HTTP/1.1 server on one loopback port. Requests on a connection are answered strictly in
// order, and a handler may answer later (slow mode), so a connection holds further requests
// until the pending one is answered.
class HttpServer : public QObject {
public:
    using Reply = std::function<void(Response)>;
    using Handler = std::function<void(const Request &, Reply)>;

    explicit HttpServer(Handler handler, QObject *parent = nullptr)
        : QObject(parent)
        , m_handler(std::move(handler)) {
        m_server.setMaxPendingConnections(128);
        connect(&m_server, &QTcpServer::newConnection, this, &HttpServer::accept);
    }

    bool listen(quint16 port) { return m_server.listen(QHostAddress::LocalHost, port); }
    bool isListening() const { return m_server.isListening(); }
    QString errorString() const { return m_server.errorString(); }

    // Closes the port and drops every connection, as a crash would.
    void shutDown() {
        m_server.close();
        const auto sockets = m_connections;
        m_connections.clear();
        for (const auto &[socket, state] : sockets) {
            socket->abort();
            socket->deleteLater();
        }
    }

private:
    struct Connection {
        QByteArray buffer;
        bool busy = false;
    };

    void accept() {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            if (int(m_connections.size()) >= MaxConnections) {
                socket->abort();
                socket->deleteLater();
                continue;
            }
            m_connections.emplace(socket, Connection{});
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { readFrom(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                m_connections.erase(socket);
                socket->deleteLater();
            });
        }
    }

    void readFrom(QTcpSocket *socket) {
        auto it = m_connections.find(socket);
        if (it == m_connections.end())
            return;
        it->second.buffer += socket->readAll();
        processNext(socket);
    }

    void processNext(QTcpSocket *socket) {
        auto it = m_connections.find(socket);
        if (it == m_connections.end() || it->second.busy)
            return;
        Connection &connection = it->second;
        const qsizetype headerEnd = connection.buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0) {
            if (connection.buffer.size() > MaxHeaderBytes)
                send(socket, Response{431, {}, "header too large\n", true});
            return;
        }
        const QList<QByteArray> lines = connection.buffer.left(headerEnd).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.")) {
            send(socket, Response{400, {}, "bad request line\n", true});
            return;
        }
        Request request;
        request.method = requestLine[0];
        request.keepAlive = requestLine[2] == "HTTP/1.1";
        qint64 contentLength = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray &line = lines[i];
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed().toLower();
            if (name == "content-length") {
                bool ok = false;
                contentLength = value.toLongLong(&ok);
                if (!ok || contentLength < 0) {
                    send(socket, Response{400, {}, "bad content-length\n", true});
                    return;
                }
            } else if (name == "transfer-encoding" && value != "identity") {
                send(socket, Response{501, {}, "chunked bodies are not supported\n", true});
                return;
            } else if (name == "connection") {
                if (value.contains("close"))
                    request.keepAlive = false;
                else if (value.contains("keep-alive"))
                    request.keepAlive = true;
            }
        }
        if (contentLength > MaxBodyBytes) {
            send(socket, Response{413, {}, "body too large\n", true});
            return;
        }
        const qsizetype total = headerEnd + 4 + qsizetype(contentLength);
        if (connection.buffer.size() < total)
            return;
        request.body = connection.buffer.mid(headerEnd + 4, qsizetype(contentLength));
        const QUrl target = QUrl::fromEncoded(requestLine[1]);
        request.path = target.path().toUtf8();
        request.query = QUrlQuery(target);
        connection.buffer.remove(0, total);
        connection.busy = true;

        const bool keepAlive = request.keepAlive;
        QPointer<QTcpSocket> guard(socket);
        m_handler(request, [this, guard, keepAlive](Response response) {
            if (!guard || !m_connections.contains(guard.data()))
                return; // the client went away, or the port was shut down, meanwhile
            response.close = response.close || !keepAlive;
            send(guard.data(), response);
        });
    }

    void send(QTcpSocket *socket, const Response &response) {
        QByteArray head =
            "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
            reasonPhrase(response.status) + "\r\nContent-Type: " + response.contentType +
            "\r\nContent-Length: " + QByteArray::number(response.body.size()) +
            (response.close ? "\r\nConnection: close" : "\r\nConnection: keep-alive") + "\r\n\r\n";
        socket->write(head + response.body);
        auto it = m_connections.find(socket);
        if (response.close || it == m_connections.end()) {
            if (it != m_connections.end())
                it->second.busy = true; // nothing more is read from a closing connection
            socket->disconnectFromHost();
            return;
        }
        it->second.busy = false;
        if (!it->second.buffer.isEmpty())
            processNext(socket);
    }

    Handler m_handler;
    QTcpServer m_server;
    std::map<QTcpSocket *, Connection> m_connections;
};

enum class Mode { Healthy, Errors, Slow, Down };

constexpr std::array ModeNames{"healthy", "5xx", "slow", "down"};

QLatin1StringView modeName(Mode mode) {
    return QLatin1StringView(ModeNames[size_t(mode)]);
}

std::optional<Mode> modeFromName(const QString &name) {
    for (size_t i = 0; i < ModeNames.size(); ++i) {
        if (name == QLatin1StringView(ModeNames[i]))
            return Mode(i);
    }
    return std::nullopt;
}

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

qint64 residentBytes() {
    QFile statm(u"/proc/self/statm"_s);
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.value(1).toLongLong() * sysconf(_SC_PAGESIZE);
}

// One JSON value as compact text (QJsonDocument holds only arrays and objects: wrap, unwrap).
QByteArray jsonText(const QJsonValue &value) {
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

// A body as JSON when it is one JSON value (object, array, string, number, true/false/null),
// otherwise as a string. Wrapped in [ ] so that a top-level scalar parses too.
QJsonValue bodyAsJson(const QByteArray &body) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson('[' + body + ']', &error);
    if (error.error == QJsonParseError::NoError && document.isArray() &&
        document.array().size() == 1)
        return document.array().first();
    return QString::fromUtf8(body);
}

// A Prometheus label value: backslash, double quote and newline escaped.
QByteArray labelValue(const QByteArray &value) {
    QByteArray out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// One POST or PUT received on the data port, as GET /received lists it.
struct Received {
    qint64 seq = 0;
    QByteArray method;
    QByteArray path;
    qint64 atMs = 0;  // epoch milliseconds, when the request was complete
    int status = 200; // what the stub answered (or will answer: slow mode delays it)
    QByteArray body;
};

// Faults of the data rather than of the transport: what the console's parity checks must catch
// (issue 14). A collector that drops points still answers 200; one that multiplies its series
// still exports every point.
struct DataFaults {
    int dropPercent = 0;       // 0..100: accepted points never exported
    int latencyPercent = 0;    // 0..1000: extra answer latency, relative to --latency-ms
    int cardinalityFactor = 1; // 1..100: series exported per real stream
};

// Streams each collector exports a series for (times the cardinality fault).
constexpr int StreamsPerCollector = 10;
// The exporter's sending queue, as otelcol reports it.
constexpr int QueueCapacity = 1000;

class Collector : public QObject {
public:
    Collector(QString name, quint16 port, int delayMs, int latencyMs)
        : m_name(std::move(name))
        , m_port(port)
        , m_delayMs(delayMs)
        , m_latencyMs(latencyMs)
        , m_data([this](const Request &r, HttpServer::Reply reply) { serveData(r, reply); })
        , m_control([this](const Request &r, HttpServer::Reply reply) { serveControl(r, reply); }) {
        m_uptime.start();
    }

    bool start(quint16 controlPort, Mode mode, QString *error) {
        if (!m_control.listen(controlPort)) {
            *error = u"control port %1: %2"_s.arg(controlPort).arg(m_control.errorString());
            return false;
        }
        // The data port is bound even when starting "down", so that a port already taken is
        // reported now rather than at the first switch to healthy.
        if (!m_data.listen(m_port)) {
            *error = u"data port %1: %2"_s.arg(m_port).arg(m_data.errorString());
            return false;
        }
        return setMode(mode, m_delayMs, error);
    }

private:
    bool setMode(Mode mode, int delayMs, QString *error) {
        if (mode == Mode::Down) {
            m_data.shutDown();
        } else if (!m_data.isListening() && !m_data.listen(m_port)) {
            *error =
                u"cannot listen again on data port %1: %2"_s.arg(m_port).arg(m_data.errorString());
            return false;
        }
        m_mode = mode;
        m_delayMs = delayMs;
        QTextStream(stdout) << m_name << ": mode " << modeName(mode) << '\n' << Qt::flush;
        return true;
    }

    void serveData(const Request &request, const HttpServer::Reply &reply) {
        if (request.method == "GET" && request.path == "/metrics") {
            reply(Response{200, "text/plain; version=0.0.4; charset=utf-8", metrics(), false});
            return;
        }
        if (request.method == "GET" && request.path == "/healthz") {
            reply(Response{200, {}, "ok\n", false});
            return;
        }
        if (request.method != "POST" && request.method != "PUT") {
            reply(Response{405, {}, "POST telemetry here\n", false});
            return;
        }
        // Every non-empty line of a body is one data point; an empty body counts as one.
        const qint64 points =
            qMax<qint64>(1, request.body.count('\n') + (request.body.endsWith('\n') ? 0 : 1) -
                                (request.body.isEmpty() ? 1 : 0));
        Response response{200, {}, "accepted\n", false};
        if (m_mode == Mode::Errors) {
            m_refused += points;
            response = Response{503, {}, "collector failing (lab 5xx mode)\n", false};
        } else {
            m_accepted += points;
            // Exactly dropPercent of the points over time: the fraction carries over.
            m_exportCredit += double(points) * (100 - m_faults.dropPercent) / 100.0;
            const auto whole = qint64(m_exportCredit);
            m_exported += whole;
            m_exportCredit -= double(whole);
        }
        record(request, response.status);
        const int wait =
            m_mode == Mode::Slow ? m_delayMs : m_latencyMs * (100 + m_faults.latencyPercent) / 100;
        if (wait <= 0) {
            ++m_responses[response.status];
            reply(response);
            return;
        }
        ++m_delayed;
        QTimer::singleShot(wait, Qt::PreciseTimer, this, [this, reply, response] {
            --m_delayed;
            ++m_responses[response.status];
            reply(response);
        });
    }

    // Keeps a POST/PUT for GET /received (bounded, see MaxRecorded) and counts it by path.
    void record(const Request &request, int status) {
        m_received.push_back(Received{++m_lastSeq, request.method, request.path,
                                      QDateTime::currentMSecsSinceEpoch(), status, request.body});
        m_receivedBytes += request.body.size();
        while (!m_received.empty() &&
               (qsizetype(m_received.size()) > MaxRecorded || m_receivedBytes > MaxRecordedBytes)) {
            m_receivedBytes -= m_received.front().body.size();
            m_received.pop_front();
        }
        auto counted = m_requestsByPath.find(request.path);
        if (counted == m_requestsByPath.end()) {
            const QByteArray key = qsizetype(m_requestsByPath.size()) < MaxCountedPaths
                                       ? request.path
                                       : QByteArray("(other)");
            counted = m_requestsByPath.try_emplace(key, 0).first;
        }
        ++counted->second;
    }

    // GET /received[?after=SEQ]: a JSON array, oldest first, of what record() kept with a
    // sequence number above SEQ; DELETE /received forgets them all (sequence numbers go on).
    void serveReceived(const Request &request, const HttpServer::Reply &reply) {
        if (request.method == "DELETE") {
            const qsizetype forgotten = qsizetype(m_received.size());
            m_received.clear();
            m_receivedBytes = 0;
            reply(Response{200, "application/json",
                           "{\"forgotten\":" + QByteArray::number(forgotten) +
                               ",\"last_seq\":" + QByteArray::number(m_lastSeq) + "}\n",
                           false});
            return;
        }
        if (request.method != "GET") {
            reply(Response{405, {}, "GET or DELETE /received\n", false});
            return;
        }
        qint64 after = 0;
        if (request.query.hasQueryItem(u"after"_s)) {
            bool ok = false;
            after = request.query.queryItemValue(u"after"_s).toLongLong(&ok);
            if (!ok || after < 0) {
                reply(Response{400, {}, "expected after=SEQ (a number >= 0)\n", false});
                return;
            }
        }
        // Written by hand rather than as a QJsonObject, which would sort the keys: seq first
        // reads better. One entry a line.
        QByteArray json = "[";
        for (const Received &received : m_received) {
            if (received.seq <= after)
                continue;
            json += (json.size() > 1 ? ",\n" : "\n");
            json += "{\"seq\":" + QByteArray::number(received.seq) +
                    ",\"method\":" + jsonText(QString::fromLatin1(received.method)) +
                    ",\"path\":" + jsonText(QString::fromUtf8(received.path)) +
                    ",\"at_ms\":" + QByteArray::number(received.atMs) +
                    ",\"status\":" + QByteArray::number(received.status) +
                    ",\"body\":" + jsonText(bodyAsJson(received.body)) + '}';
        }
        json += "\n]\n";
        reply(Response{200, "application/json", json, false});
    }

    void serveControl(const Request &request, const HttpServer::Reply &reply) {
        if (request.path == "/healthz") {
            reply(Response{200, {}, "ok\n", false});
            return;
        }
        if (request.path == "/received") {
            serveReceived(request, reply);
            return;
        }
        if (request.path != "/control") {
            reply(Response{404, {}, "try /control or /received\n", false});
            return;
        }
        if ((request.method == "POST" || request.method == "PUT") && isFaultRequest(request)) {
            if (!setFaults(request, reply))
                return;
        } else if (request.method == "POST" || request.method == "PUT") {
            const auto mode = modeFromName(request.query.queryItemValue(u"mode"_s));
            if (!mode) {
                reply(Response{400, {}, "expected mode=healthy|5xx|slow|down\n", false});
                return;
            }
            int delay = m_delayMs;
            if (request.query.hasQueryItem(u"delay_ms"_s)) {
                bool ok = false;
                delay = request.query.queryItemValue(u"delay_ms"_s).toInt(&ok);
                if (!ok || delay < 0 || delay > MaxDelayMs) {
                    reply(Response{400, {}, "expected delay_ms in 0..60000\n", false});
                    return;
                }
            }
            QString error;
            if (!setMode(*mode, delay, &error)) {
                reply(Response{500, {}, error.toUtf8() + '\n', false});
                return;
            }
            if (*mode == Mode::Healthy)
                m_faults = DataFaults();
        } else if (request.method != "GET") {
            reply(Response{405, {}, "GET or POST /control\n", false});
            return;
        }
        const QByteArray json =
            "{\"name\":\"" + m_name.toUtf8() + "\",\"mode\":\"" +
            QByteArray(ModeNames[size_t(m_mode)]) +
            "\",\"delay_ms\":" + QByteArray::number(m_delayMs) +
            ",\"port\":" + QByteArray::number(m_port) +
            ",\"listening\":" + (m_data.isListening() ? "true" : "false") +
            ",\"drop\":" + QByteArray::number(m_faults.dropPercent) +
            ",\"latency\":" + QByteArray::number(m_faults.latencyPercent) +
            ",\"cardinality\":" + QByteArray::number(m_faults.cardinalityFactor) + "}\n";
        reply(Response{200, "application/json", json, false});
    }

    static bool isFaultRequest(const Request &request) {
        return request.query.hasQueryItem(u"drop"_s) || request.query.hasQueryItem(u"latency"_s) ||
               request.query.hasQueryItem(u"cardinality"_s);
    }

    // drop=0..100, latency=0..1000, cardinality=1..100; each given one is set, the others kept.
    bool setFaults(const Request &request, const HttpServer::Reply &reply) {
        struct Field {
            const char *key;
            int min;
            int max;
            int *target;
        };
        DataFaults next = m_faults;
        const Field fields[] = {{"drop", 0, 100, &next.dropPercent},
                                {"latency", 0, 1000, &next.latencyPercent},
                                {"cardinality", 1, 100, &next.cardinalityFactor}};
        for (const Field &f : fields) {
            const QString key = QString::fromLatin1(f.key);
            if (!request.query.hasQueryItem(key))
                continue;
            bool ok = false;
            const int value = request.query.queryItemValue(key).toInt(&ok);
            if (!ok || value < f.min || value > f.max) {
                reply(Response{400,
                               {},
                               QByteArray("expected ") + f.key + " in " +
                                   QByteArray::number(f.min) + ".." + QByteArray::number(f.max) +
                                   '\n',
                               false});
                return false;
            }
            *f.target = value;
        }
        m_faults = next;
        QTextStream(stdout) << m_name << ": faults drop " << m_faults.dropPercent << "% latency +"
                            << m_faults.latencyPercent << "% cardinality x"
                            << m_faults.cardinalityFactor << '\n'
                            << Qt::flush;
        return true;
    }

    QByteArray metrics() const {
        QByteArray out;
        auto metric = [&out](const char *name, const char *type, const char *help) {
            out +=
                QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
        };
        metric("otelcol_process_cpu_seconds", "counter", "Total CPU user and system time.");
        out += "otelcol_process_cpu_seconds " + QByteArray::number(cpuSeconds(), 'f', 6) + '\n';
        metric("otelcol_process_memory_rss", "gauge", "Resident set size in bytes.");
        out += "otelcol_process_memory_rss " + QByteArray::number(residentBytes()) + '\n';
        metric("otelcol_process_uptime", "counter", "Seconds since the collector started.");
        out += "otelcol_process_uptime " + QByteArray::number(m_uptime.elapsed() / 1000.0, 'f', 3) +
               '\n';
        const QByteArray receiver = "{receiver=\"otlp\",transport=\"http\"} ";
        metric("otelcol_receiver_accepted_metric_points", "counter",
               "Metric points accepted by the receiver.");
        out += "otelcol_receiver_accepted_metric_points" + receiver +
               QByteArray::number(m_accepted) + '\n';
        metric("otelcol_receiver_refused_metric_points", "counter",
               "Metric points refused by the receiver.");
        out += "otelcol_receiver_refused_metric_points" + receiver + QByteArray::number(m_refused) +
               '\n';
        // The pipeline behind the receiver, as otelcol reports it: exported vs accepted is the
        // completeness the parity checks judge; the queue carries a little noise, as a real one.
        const QByteArray exporter = "{exporter=\"otlphttp\"} ";
        metric("otelcol_exporter_sent_metric_points", "counter",
               "Metric points sent by the exporter.");
        out += "otelcol_exporter_sent_metric_points" + exporter + QByteArray::number(m_exported) +
               '\n';
        metric("otelcol_exporter_send_failed_metric_points", "counter",
               "Metric points the exporter failed to send.");
        out += "otelcol_exporter_send_failed_metric_points" + exporter + "0\n";
        metric("otelcol_exporter_enqueue_failed_metric_points", "counter",
               "Metric points that could not be queued.");
        out += "otelcol_exporter_enqueue_failed_metric_points" + exporter + "0\n";
        metric("otelcol_exporter_queue_size", "gauge", "Batches in the sending queue.");
        out += "otelcol_exporter_queue_size" + exporter +
               QByteArray::number(QRandomGenerator::global()->bounded(5) + m_delayed) + '\n';
        metric("otelcol_exporter_queue_capacity", "gauge", "Capacity of the sending queue.");
        out +=
            "otelcol_exporter_queue_capacity" + exporter + QByteArray::number(QueueCapacity) + '\n';
        // One series per stream it carries: what a cardinality comparison counts.
        metric("lab_collector_stream_points", "counter", "Points exported, per stream.");
        const int streams = StreamsPerCollector * m_faults.cardinalityFactor;
        for (int i = 0; i < streams; ++i)
            out += "lab_collector_stream_points{stream=\"s" + QByteArray::number(i) + "\"} " +
                   QByteArray::number(m_exported / streams) + '\n';
        metric("lab_collector_http_requests_total", "counter",
               "Telemetry requests answered, by status code.");
        for (int code : {200, 503})
            out += "lab_collector_http_requests_total{code=\"" + QByteArray::number(code) + "\"} " +
                   QByteArray::number(m_responses.value(code)) + '\n';
        metric("lab_collector_requests_in_delay", "gauge", "Requests held back by slow mode.");
        out += "lab_collector_requests_in_delay " + QByteArray::number(m_delayed) + '\n';
        metric("lab_collector_mode", "gauge", "1 for the current failure mode.");
        for (size_t i = 0; i < ModeNames.size(); ++i)
            out += QByteArray("lab_collector_mode{mode=\"") + ModeNames[i] + "\"} " +
                   (Mode(i) == m_mode ? "1" : "0") + '\n';
        if (!m_requestsByPath.empty()) {
            metric("lab_webhook_requests_total", "counter",
                   "POST and PUT requests received, by path (the paths seen so far).");
            for (const auto &[path, count] : m_requestsByPath)
                out += "lab_webhook_requests_total{path=\"" + labelValue(path) + "\"} " +
                       QByteArray::number(count) + '\n';
        }
        return out;
    }

    QString m_name;
    quint16 m_port;
    int m_delayMs;
    int m_latencyMs;
    Mode m_mode = Mode::Healthy;
    qint64 m_accepted = 0;
    qint64 m_refused = 0;
    qint64 m_exported = 0;
    double m_exportCredit = 0; // the part of a point owed to the exporter
    DataFaults m_faults;
    qint64 m_delayed = 0;
    QMap<int, qint64> m_responses;
    std::deque<Received> m_received; // oldest first; at most MaxRecorded
    qint64 m_receivedBytes = 0;
    qint64 m_lastSeq = 0;
    std::map<QByteArray, qint64> m_requestsByPath;
    QElapsedTimer m_uptime;
    HttpServer m_data;
    HttpServer m_control;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"collector_stub"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Lab collector stub: HTTP on 127.0.0.1 with a failure "
                                     u"mode switched at run time."_s);
    parser.addHelpOption();
    const QCommandLineOption nameOption(u"name"_s, u"Collector name."_s, u"name"_s);
    const QCommandLineOption portOption(u"port"_s, u"Data port."_s, u"port"_s);
    const QCommandLineOption controlOption(u"control-port"_s, u"Control port."_s, u"port"_s);
    const QCommandLineOption modeOption(u"mode"_s, u"healthy, 5xx, slow or down."_s, u"mode"_s,
                                        u"healthy"_s);
    const QCommandLineOption delayOption(u"delay-ms"_s, u"Delay of slow mode."_s, u"ms"_s,
                                         u"2000"_s);
    const QCommandLineOption latencyOption(
        u"latency-ms"_s,
        u"Time to answer telemetry when not slow. HAProxy measures response times in whole "
        u"milliseconds: on loopback a stub answering at once would read 0 ms and make latency "
        u"ratios 0/0."_s,
        u"ms"_s, u"0"_s);
    const QCommandLineOption lifetimeOption(
        u"max-seconds"_s, u"Exit after this long, so a forgotten lab does not live forever."_s,
        u"seconds"_s, u"7200"_s);
    parser.addOptions({nameOption, portOption, controlOption, modeOption, delayOption,
                       latencyOption, lifetimeOption});
    parser.process(app);

    QTextStream err(stderr);
    bool portOk = false;
    bool controlOk = false;
    bool delayOk = false;
    bool lifetimeOk = false;
    bool latencyOk = false;
    const uint port = parser.value(portOption).toUInt(&portOk);
    const uint controlPort = parser.value(controlOption).toUInt(&controlOk);
    const int delay = parser.value(delayOption).toInt(&delayOk);
    const int lifetime = parser.value(lifetimeOption).toInt(&lifetimeOk);
    const int latency = parser.value(latencyOption).toInt(&latencyOk);
    const auto mode = modeFromName(parser.value(modeOption));
    if (!parser.isSet(nameOption) || !portOk || !controlOk || port == 0 || port > 65535 ||
        controlPort == 0 || controlPort > 65535 || port == controlPort) {
        err << "collector_stub: --name, --port and --control-port (two different ports) are "
               "required\n";
        return 2;
    }
    if (!mode || !delayOk || delay < 0 || delay > MaxDelayMs || !lifetimeOk || lifetime <= 0 ||
        lifetime > 7 * 24 * 3600) {
        err << "collector_stub: bad --mode, --delay-ms (0..60000) or --max-seconds\n";
        return 2;
    }

    Collector collector(parser.value(nameOption), quint16(port), delay, latency);
    QString error;
    if (!collector.start(quint16(controlPort), *mode, &error)) {
        // Exit status 3 tells scripts/lab the port was taken, so it picks another one.
        err << "collector_stub: " << error << '\n';
        return 3;
    }
    QTimer::singleShot(std::chrono::seconds(lifetime), &app, &QCoreApplication::quit);
    QTextStream(stdout) << parser.value(nameOption) << ": listening on 127.0.0.1:" << port
                        << ", control on 127.0.0.1:" << controlPort << '\n'
                        << Qt::flush;
    return app.exec();
}
