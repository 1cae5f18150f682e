// The controller's parts that need no lab: the Prometheus text it serves (values, escaping), the
// /metrics and /healthz endpoints over real HTTP on loopback, the --listen address parser, and
// the evidence archive (round trip through libarchive, its SHA-256, a folder it cannot create).

#include "app/controller/controller_metrics.h"
#include "app/controller/metrics_server.h"
#include "app/store/evidence_archive.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimeZone>

using namespace Qt::StringLiterals;
using namespace cutover;

namespace {

struct Answer {
    int status = 0;
    QByteArray body;
};

Answer get(QNetworkAccessManager &manager, const QUrl &url) {
    QNetworkRequest request(url);
    request.setTransferTimeout(5000);
    QNetworkReply *reply = manager.get(request);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(6000))
        return {};
    Answer a{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
    reply->deleteLater();
    return a;
}

quint16 freeLoopbackPort() {
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

engine::EnvironmentSnapshot snapshotAtTenPercent() {
    engine::EnvironmentSnapshot s;
    s.environment = u"prod \"eu\"\\1"_s; // a name that needs escaping
    s.currentPercent = 10;
    s.phase = engine::Phase::Holding;
    s.measuredShare = 0.101;
    s.triggerStates = {{u"data_loss"_s, true}, {u"latency"_s, false}};
    engine::BackendHealth lb{u"lb-a"_s, engine::BackendHealth::State::Ok, {}, {}};
    engine::BackendHealth prom{u"prometheus"_s, engine::BackendHealth::State::Down, {}, u"x"_s};
    engine::BackendHealth unknown{u"lb-b"_s, engine::BackendHealth::State::Unknown, {}, {}};
    s.backends = {lb, prom, unknown};
    s.warRoom.active = true;
    return s;
}

} // namespace

class TestControllerParts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void metricsText() {
        controller::MetricsInput in;
        in.environments = {snapshotAtTenPercent()};
        in.leader = true;
        in.lastEvaluationAt = QDateTime::fromMSecsSinceEpoch(1'796'000'000'500, QTimeZone::utc());
        in.startedAt = in.lastEvaluationAt.addSecs(-60);
        in.rollbacks[u"prod \"eu\"\\1"_s][u"trigger:data_loss"_s] = 2;
        const QString text = QString::fromUtf8(controller::renderMetrics(in));
        const QString env = u"environment=\"prod \\\"eu\\\"\\\\1\""_s;
        for (const QString &line :
             {u"cutover_controller_leader 1"_s,
              u"cutover_last_evaluation_timestamp_seconds 1796000000.5"_s,
              u"cutover_stage_percent{%1} 10"_s.arg(env),
              u"cutover_phase{%1,phase=\"Holding\"} 1"_s.arg(env),
              u"cutover_phase{%1,phase=\"RolledBack\"} 0"_s.arg(env),
              u"cutover_measured_share{%1} 0.101"_s.arg(env),
              u"cutover_rollbacks_total{%1,reason=\"trigger:data_loss\"} 2"_s.arg(env),
              u"cutover_trigger_firing{%1,trigger=\"data_loss\"} 1"_s.arg(env),
              u"cutover_trigger_firing{%1,trigger=\"latency\"} 0"_s.arg(env),
              u"cutover_backend_up{backend=\"lb-a\"} 1"_s,
              u"cutover_backend_up{backend=\"prometheus\"} 0"_s, u"cutover_war_room_active 1"_s,
              u"# TYPE cutover_rollbacks_total counter"_s})
            QVERIFY2(text.contains(u'\n' + line + u'\n') || text.startsWith(line + u'\n'),
                     qPrintable(line + u"\n--- in ---\n"_s + text));
        // Not asked yet is absent, not "down".
        QVERIFY(!text.contains(u"backend=\"lb-b\""_s));
        QCOMPARE(controller::escapeLabelValue(u"a\nb"_s), u"a\\nb"_s);
    }

    void listenAddresses() {
        QString host;
        quint16 port = 0;
        QVERIFY(controller::parseListenAddress(u"127.0.0.1:9464"_s, &host, &port));
        QCOMPARE(host, u"127.0.0.1"_s);
        QCOMPARE(port, 9464);
        QVERIFY(controller::parseListenAddress(u"[::1]:80"_s, &host, &port));
        QCOMPARE(host, u"::1"_s);
        for (const QString &bad :
             {u"127.0.0.1"_s, u":9464"_s, u"127.0.0.1:"_s, u"h:0"_s, u"h:65536"_s, u"h:port"_s})
            QVERIFY2(!controller::parseListenAddress(bad, &host, &port), qPrintable(bad));
    }

    void servesMetricsAndHealth() {
        bool healthy = true;
        controller::MetricsServer server([] { return "cutover_controller_leader 1\n"_ba; },
                                         [&healthy] {
                                             return controller::MetricsServer::Health{
                                                 healthy, healthy ? u"leading"_s : u"store: x"_s};
                                         });
        const quint16 port = freeLoopbackPort();
        QVERIFY(port != 0);
        QString error;
        QVERIFY2(server.listen(u"127.0.0.1:%1"_s.arg(port), &error), qPrintable(error));
        QNetworkAccessManager manager;
        const QString base = u"http://127.0.0.1:%1"_s.arg(port);
        const Answer metrics = get(manager, QUrl(base + u"/metrics"_s));
        QCOMPARE(metrics.status, 200);
        QCOMPARE(metrics.body, "cutover_controller_leader 1\n"_ba);
        QCOMPARE(get(manager, QUrl(base + u"/healthz"_s)).status, 200);
        healthy = false;
        const Answer sick = get(manager, QUrl(base + u"/healthz"_s));
        QCOMPARE(sick.status, 503);
        QCOMPARE(sick.body, "store: x\n"_ba);
        QCOMPARE(get(manager, QUrl(base + u"/other"_s)).status, 404);

        // A second server on the same port, and a name that is not an address: refused clearly.
        controller::MetricsServer second([] { return QByteArray(); },
                                         [] { return controller::MetricsServer::Health{}; });
        QVERIFY(!second.listen(u"127.0.0.1:%1"_s.arg(port), &error));
        QVERIFY2(error.contains(u"port is taken"_s), qPrintable(error));
        QVERIFY(!second.listen(u"metrics.example:9464"_s, &error));
        QVERIFY2(error.contains(u"not an IP address"_s), qPrintable(error));
    }

    void evidenceArchiveRoundTrip() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(u"nested/rollback-lab.tar.gz"_s);
        QByteArray big(300'000, 'x');
        for (int i = 0; i < big.size(); i += 97)
            big[i] = char('a' + i % 26);
        const QList<store::EvidenceFile> files{{u"manifest.json"_s, "{\"a\":1}"_ba},
                                               {u"series/split.json"_s, big},
                                               {u"empty.txt"_s, QByteArray()}};
        const auto written = store::writeEvidenceArchive(
            path, files, QDateTime(QDate(2026, 12, 2), QTime(10, 0), QTimeZone::utc()));
        QVERIFY2(written, qPrintable(written ? QString() : written.error().toString()));
        QCOMPARE(written.value().path, QFileInfo(path).absoluteFilePath());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray bytes = file.readAll();
        QCOMPARE(written.value().bytes, bytes.size());
        QCOMPARE(written.value().sha256Hex,
                 QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
        QVERIFY(bytes.size() < big.size()); // compressed
        QVERIFY(!QFile::exists(path + u".part"_s));
        const auto read = store::readEvidenceArchive(path);
        QVERIFY(read);
        QCOMPARE(read.value().size(), files.size());
        for (int i = 0; i < files.size(); ++i) {
            QCOMPARE(read.value().at(i).name, files.at(i).name);
            QCOMPARE(read.value().at(i).data, files.at(i).data);
        }

        // A folder that cannot be made (a file is in the way): an Io error naming it.
        const auto refused = store::writeEvidenceArchive(
            dir.filePath(u"nested/rollback-lab.tar.gz/x.tar.gz"_s), files, {});
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, store::StoreError::Kind::Io);
        QVERIFY2(refused.error().message.contains(u"rollback-lab.tar.gz"_s),
                 qPrintable(refused.error().message));
        // Not a .tar.gz: a Corrupt error, never a crash.
        QFile garbage(dir.filePath(u"garbage.tar.gz"_s));
        QVERIFY(garbage.open(QIODevice::WriteOnly));
        garbage.write("definitely not gzip");
        garbage.close();
        QVERIFY(!store::readEvidenceArchive(garbage.fileName()));
    }
};

QTEST_GUILESS_MAIN(TestControllerParts)
#include "test_controller_parts.moc"
