// Steady, bounded telemetry traffic for the lab: HTTP/1.1 POSTs spread evenly over the targets
// (the two HAProxy frontends) at a fixed rate, over a bounded pool of keep-alive connections
// per target, for a bounded time. When every connection of a target is busy the request is
// skipped and counted, never queued: a slow or dead backend cannot make the generator grow.
//
// Usage: traffic_generator --target http://127.0.0.1:P/v1/metrics [--target ...]
//                          [--rate 200] [--seconds 1800] [--connections 32]
//                          [--timeout-ms 10000] [--points 10]
// Only http://127.0.0.1 targets are accepted.

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QList>
#include <QTcpSocket>
#include <QTextStream>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

using namespace Qt::StringLiterals;

namespace {

constexpr int TickMs = 10;
constexpr int StatsEverySeconds = 10;
constexpr qsizetype MaxResponseBytes = 1024 * 1024;

struct Stats {
    qint64 sent = 0;
    qint64 ok = 0;          // 2xx
    qint64 clientError = 0; // 4xx
    qint64 serverError = 0; // 5xx
    qint64 failed = 0;      // connect error, reset, malformed response
    qint64 timedOut = 0;
    qint64 skipped = 0; // every connection busy
};

// A keep-alive HTTP/1.1 connection carrying one request at a time.
class Connection : public QObject {
public:
    enum class Outcome { Status, Failed, TimedOut };
    using Done = std::function<void(Connection *, Outcome, int status)>;

    Connection(const QUrl &target, Done done, QObject *parent)
        : QObject(parent)
        , m_target(target)
        , m_done(std::move(done)) {
        connect(&m_socket, &QTcpSocket::connected, this, [this] { m_socket.write(m_pending); });
        connect(&m_socket, &QTcpSocket::readyRead, this, &Connection::read);
        connect(&m_socket, &QTcpSocket::disconnected, this, [this] { closed(); });
        connect(&m_socket, &QTcpSocket::errorOccurred, this, [this] { closed(); });
    }

    bool busy() const { return m_busy; }
    bool usable() const { return !m_broken; }

    void send(const QByteArray &request) {
        m_busy = true;
        m_buffer.clear();
        m_started.start();
        if (m_socket.state() == QAbstractSocket::ConnectedState) {
            m_socket.write(request);
            return;
        }
        m_pending = request;
        m_socket.connectToHost(QHostAddress::LocalHost, quint16(m_target.port()));
    }

    // Called on every tick: a request older than the timeout fails the connection.
    void checkDeadline(qint64 timeoutMs) {
        if (m_busy && m_started.elapsed() > timeoutMs)
            finish(Outcome::TimedOut, 0, true);
    }

private:
    void read() {
        m_buffer += m_socket.readAll();
        if (m_buffer.size() > MaxResponseBytes) {
            finish(Outcome::Failed, 0, true);
            return;
        }
        if (!m_busy) {
            m_buffer.clear();
            return;
        }
        const qsizetype headerEnd = m_buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QList<QByteArray> lines = m_buffer.left(headerEnd).split('\n');
        const QList<QByteArray> statusLine = lines.value(0).split(' ');
        bool ok = false;
        const int status = statusLine.value(1).toInt(&ok);
        if (!statusLine.value(0).startsWith("HTTP/1.") || !ok) {
            finish(Outcome::Failed, 0, true);
            return;
        }
        qint64 length = -1;
        bool close = statusLine.value(0) == "HTTP/1.0";
        for (const QByteArray &line : lines) {
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            const QByteArray name = line.left(colon).trimmed().toLower();
            const QByteArray value = line.mid(colon + 1).trimmed().toLower();
            if (name == "content-length")
                length = value.toLongLong();
            else if (name == "connection" && value.contains("close"))
                close = true;
            else if (name == "transfer-encoding")
                close = true; // not parsed: count the status and drop the connection
        }
        if (length >= 0 && m_buffer.size() < headerEnd + 4 + length)
            return;
        if (length < 0 && !close) {
            finish(Outcome::Status, status, true);
            return;
        }
        if (length < 0)
            return; // the body ends when the server closes
        finish(Outcome::Status, status, close);
    }

    void closed() {
        if (!m_busy) {
            m_broken = true;
            return;
        }
        // A response without a length ends with the connection.
        const qsizetype headerEnd = m_buffer.indexOf("\r\n\r\n");
        const int status = headerEnd > 0 ? m_buffer.split(' ').value(1).toInt() : 0;
        if (status > 0)
            finish(Outcome::Status, status, true);
        else
            finish(Outcome::Failed, 0, true);
    }

    void finish(Outcome outcome, int status, bool dropConnection) {
        if (!m_busy)
            return;
        m_busy = false;
        m_buffer.clear();
        if (dropConnection) {
            m_broken = true;
            m_socket.abort();
        }
        m_done(this, outcome, status);
    }

    QUrl m_target;
    Done m_done;
    QTcpSocket m_socket;
    QByteArray m_pending;
    QByteArray m_buffer;
    QElapsedTimer m_started;
    bool m_busy = false;
    bool m_broken = false;
};

struct Target {
    QUrl url;
    QByteArray request;
    std::vector<std::unique_ptr<Connection>> connections;
};

class Generator : public QObject {
public:
    Generator(const QList<QUrl> &urls, double rate, int seconds, int connections, int timeoutMs,
              int points)
        : m_rate(rate)
        , m_seconds(seconds)
        , m_maxConnections(connections)
        , m_timeoutMs(timeoutMs) {
        QByteArray body;
        for (int i = 0; i < points; ++i)
            body += "lab_metric{series=\"" + QByteArray::number(i) + "\"} 1\n";
        for (const QUrl &url : urls) {
            Target target;
            target.url = url;
            const QByteArray path = url.path(QUrl::FullyEncoded).toUtf8();
            target.request = "POST " + (path.isEmpty() ? QByteArray("/") : path) +
                             " HTTP/1.1\r\nHost: " + url.authority().toUtf8() +
                             "\r\nContent-Type: text/plain\r\nContent-Length: " +
                             QByteArray::number(body.size()) + "\r\n\r\n" + body;
            m_targets.push_back(std::move(target));
        }
        m_tick.setTimerType(Qt::PreciseTimer);
        m_tick.setInterval(TickMs);
        connect(&m_tick, &QTimer::timeout, this, &Generator::tick);
    }

    void start() {
        m_clock.start();
        m_tick.start();
        QTextStream(stdout) << "traffic_generator: " << m_rate << " req/s over " << m_targets.size()
                            << " targets for " << m_seconds << " s\n"
                            << Qt::flush;
    }

    void printStats(const char *when) const {
        QTextStream(stdout) << "traffic_generator " << when << " t=" << m_clock.elapsed() / 1000
                            << "s sent=" << m_stats.sent << " 2xx=" << m_stats.ok
                            << " 4xx=" << m_stats.clientError << " 5xx=" << m_stats.serverError
                            << " failed=" << m_stats.failed << " timeout=" << m_stats.timedOut
                            << " skipped=" << m_stats.skipped << '\n'
                            << Qt::flush;
    }

private:
    void tick() {
        const qint64 elapsedMs = m_clock.elapsed();
        if (elapsedMs >= qint64(m_seconds) * 1000) {
            m_tick.stop();
            printStats("done");
            QCoreApplication::quit();
            return;
        }
        for (Target &target : m_targets) {
            for (auto &connection : target.connections)
                connection->checkDeadline(m_timeoutMs);
        }
        // Owed requests since the start; after a stall at most one tick's worth is caught up,
        // so the rate stays bounded whatever the event loop went through.
        const auto due = qint64(double(elapsedMs) * m_rate / 1000.0);
        const qint64 perTick = qint64(m_rate * TickMs / 1000.0) + 1;
        if (due - m_attempts > perTick)
            m_attempts = due - perTick;
        while (m_attempts < due) {
            ++m_attempts;
            Target &target = m_targets[size_t(m_attempts % qint64(m_targets.size()))];
            Connection *connection = idleConnection(target);
            if (!connection) {
                ++m_stats.skipped;
                continue;
            }
            ++m_stats.sent;
            connection->send(target.request);
        }
        if (elapsedMs / 1000 >= m_nextStatsSecond) {
            m_nextStatsSecond += StatsEverySeconds;
            printStats("progress");
        }
    }

    Connection *idleConnection(Target &target) {
        auto &pool = target.connections;
        // Broken connections are replaced; the first idle one is reused so that few
        // connections stay warm.
        for (auto &connection : pool) {
            if (!connection->usable() && !connection->busy()) {
                connection.reset(newConnection(target));
                return connection.get();
            }
            if (!connection->busy())
                return connection.get();
        }
        if (int(pool.size()) >= m_maxConnections)
            return nullptr;
        pool.emplace_back(newConnection(target));
        return pool.back().get();
    }

    Connection *newConnection(const Target &target) {
        return new Connection(
            target.url,
            [this](Connection *, Connection::Outcome outcome, int status) {
                switch (outcome) {
                case Connection::Outcome::Status:
                    if (status >= 200 && status < 300)
                        ++m_stats.ok;
                    else if (status >= 500)
                        ++m_stats.serverError;
                    else
                        ++m_stats.clientError;
                    break;
                case Connection::Outcome::Failed:
                    ++m_stats.failed;
                    break;
                case Connection::Outcome::TimedOut:
                    ++m_stats.timedOut;
                    break;
                }
            },
            nullptr);
    }

    double m_rate;
    int m_seconds;
    int m_maxConnections;
    int m_timeoutMs;
    std::vector<Target> m_targets;
    QTimer m_tick;
    QElapsedTimer m_clock;
    qint64 m_attempts = 0;
    qint64 m_nextStatsSecond = StatsEverySeconds;
    Stats m_stats;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"traffic_generator"_s);

    QCommandLineParser parser;
    parser.setApplicationDescription(u"Lab traffic generator: steady HTTP POSTs to loopback "
                                     u"targets for a bounded time."_s);
    parser.addHelpOption();
    const QCommandLineOption targetOption(u"target"_s, u"http://127.0.0.1:PORT/path (repeat)."_s,
                                          u"url"_s);
    const QCommandLineOption rateOption(u"rate"_s, u"Requests per second, all targets."_s,
                                        u"rate"_s, u"200"_s);
    const QCommandLineOption secondsOption(u"seconds"_s, u"Stop after this long."_s, u"seconds"_s,
                                           u"1800"_s);
    const QCommandLineOption connectionsOption(u"connections"_s, u"Connections per target."_s,
                                               u"n"_s, u"32"_s);
    const QCommandLineOption timeoutOption(u"timeout-ms"_s, u"Per-request timeout."_s, u"ms"_s,
                                           u"10000"_s);
    const QCommandLineOption pointsOption(u"points"_s, u"Data points per request body."_s, u"n"_s,
                                          u"10"_s);
    parser.addOptions(
        {targetOption, rateOption, secondsOption, connectionsOption, timeoutOption, pointsOption});
    parser.process(app);

    QTextStream err(stderr);
    QList<QUrl> urls;
    for (const QString &value : parser.values(targetOption)) {
        const QUrl url(value, QUrl::StrictMode);
        // The lab never sends anything beyond this machine's loopback.
        if (!url.isValid() || url.scheme() != u"http"_s || url.host() != u"127.0.0.1"_s ||
            url.port() <= 0) {
            err << "traffic_generator: refusing target " << value
                << ": only http://127.0.0.1:PORT/... is allowed\n";
            return 2;
        }
        urls.append(url);
    }
    if (urls.isEmpty()) {
        err << "traffic_generator: at least one --target is required\n";
        return 2;
    }
    bool ok[5] = {};
    const double rate = parser.value(rateOption).toDouble(&ok[0]);
    const int seconds = parser.value(secondsOption).toInt(&ok[1]);
    const int connections = parser.value(connectionsOption).toInt(&ok[2]);
    const int timeoutMs = parser.value(timeoutOption).toInt(&ok[3]);
    const int points = parser.value(pointsOption).toInt(&ok[4]);
    if (!ok[0] || rate <= 0 || rate > 5000 || !ok[1] || seconds <= 0 || seconds > 86400 || !ok[2] ||
        connections < 1 || connections > 256 || !ok[3] || timeoutMs < 100 || timeoutMs > 120'000 ||
        !ok[4] || points < 1 || points > 1000) {
        err << "traffic_generator: expected --rate in (0, 5000], --seconds in 1..86400, "
               "--connections in 1..256, --timeout-ms in 100..120000, --points in 1..1000\n";
        return 2;
    }

    Generator generator(urls, rate, seconds, connections, timeoutMs, points);
    generator.start();
    const int status = app.exec();
    return status;
}
