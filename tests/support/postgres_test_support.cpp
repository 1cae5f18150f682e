#include "tests/support/postgres_test_support.h"

#include <QFile>
#include <QUrlQuery>

namespace enginetest::pg {

bool freshSchema(const QString &schema) {
    return rawSql(u"DROP SCHEMA IF EXISTS %1 CASCADE; CREATE SCHEMA %1"_s.arg(schema));
}

// A store on `schema`; its local audit journal at `journalPath` (empty: none).
cutover::store::PostgresStore::Options options(const QString &schema, const QString &journalPath) {
    const auto s = state();
    cutover::store::PostgresStore::Options o;
    QUrl url(u"postgresql://%1:%2/%3"_s.arg(s.value(u"PGHOST"_s), s.value(u"PGPORT"_s),
                                            s.value(u"PGDATABASE"_s)));
    QUrlQuery query;
    query.addQueryItem(u"sslmode"_s, u"disable"_s);
    query.addQueryItem(u"options"_s, u"-csearch_path="_s + schema);
    url.setQuery(query);
    o.url = url;
    o.user = s.value(u"PGUSER"_s);
    o.password = s.value(u"PGPASSWORD"_s);
    o.journalPath = journalPath;
    return o;
}

// Opens a console on the shared store; returns its PostgresStore (owned by the console) or null.
cutover::store::PostgresStore *
openConsole(Console &console, const cutover::config::Plan &plan,
            const cutover::store::PostgresStore::Options &storeOptions,
            CutoverEngine::Options engineOptions) {
    auto opened = cutover::store::PostgresStore::open(storeOptions);
    if (!opened) {
        qWarning().noquote() << "store:" << opened.error().toString();
        return nullptr;
    }
    cutover::store::PostgresStore *store = opened.value().get();
    return console.adopt(plan, std::move(opened).value(), engineOptions) ? store : nullptr;
}

std::optional<cutover::engine::BackendHealth> storeHealth(const EnvironmentSnapshot &s) {
    for (const auto &b : s.backends)
        if (b.name == u"store"_s)
            return b;
    return std::nullopt;
}

bool storeDown(const EnvironmentSnapshot &s) {
    const auto health = storeHealth(s);
    return health && health->state == cutover::engine::BackendHealth::State::Down;
}

bool storeOk(const EnvironmentSnapshot &s) {
    const auto health = storeHealth(s);
    return health && health->state == cutover::engine::BackendHealth::State::Ok;
}

// The lab plan with its store on `schema` of the shared server, as an operator would write it
// (the credentials stay ${VARIABLES}, exported to child processes here). Empty on failure.
QString writeSharedPlan(const QString &folder, const QString &schema) {
    QFile lab(QStringLiteral(CONSOLE_SOURCE_DIR "/resources/plans/lab.yaml"));
    if (!lab.open(QIODevice::ReadOnly))
        return {};
    QString text = QString::fromUtf8(lab.readAll());
    const QString sqliteLine = u"  path: \"${LAB_DIR}/cutover-console.sqlite\""_s;
    if (!text.contains(sqliteLine))
        return {};
    text.replace(sqliteLine,
                 u"  url: \"postgresql://${PGHOST}:${PGPORT}/${PGDATABASE}?sslmode=disable&"
                 u"options=-csearch_path=%1\"\n"
                 u"  user: \"${PGUSER}\"\n"
                 u"  password: \"${PGPASSWORD}\""_s.arg(schema));
    const auto s = state();
    for (const char *name : {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"})
        qputenv(name, s.value(QString::fromLatin1(name)).toUtf8());
    const QString path = folder + u"/lab-shared-"_s + schema + u".yaml"_s;
    QFile out(path);
    const QByteArray bytes = text.toUtf8();
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
        return {};
    return path;
}

} // namespace enginetest::pg
