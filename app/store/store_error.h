#pragma once

// The one error type of the store. Store calls never throw: every failure comes back as a
// StoreError inside a StoreResult, so callers (engine, UI, command line) can tell a busy database
// from a lost race from a damaged file, and say so.

#include <QDateTime>
#include <QMetaType>
#include <QString>

#include <utility>
#include <variant>

namespace cutover::store {

struct StoreError {
    enum class Kind {
        Io,       // cannot open, read or write the file / reach the server; disk full
        Busy,     // another console held the database longer than the busy timeout: retry
        Conflict, // a concurrent change won (version moved, already ticked or signed)
        Corrupt,  // the file is not a store, or its contents are damaged
        Schema,   // schema newer than this program knows, or a migration failed
        Timeout,  // no answer within the caller's deadline (the call may still complete later)
    };

    Kind kind = Kind::Io;
    QString message;

    // Conflict only: who made the change that won, when, and the version it left.
    QString changedBy;
    QDateTime changedAt;
    qint64 currentVersion = 0;

    static StoreError io(QString message) { return {Kind::Io, std::move(message), {}, {}, 0}; }
    static StoreError busy(QString message) { return {Kind::Busy, std::move(message), {}, {}, 0}; }
    static StoreError corrupt(QString message) {
        return {Kind::Corrupt, std::move(message), {}, {}, 0};
    }
    static StoreError timeout(QString message) {
        return {Kind::Timeout, std::move(message), {}, {}, 0};
    }
    static StoreError schema(QString message) {
        return {Kind::Schema, std::move(message), {}, {}, 0};
    }
    // message: e.g. "stage changed by alice at 2024-05-01T10:00:00.000Z".
    static StoreError conflict(QString message, QString changedBy, QDateTime changedAt,
                               qint64 currentVersion = 0) {
        return {Kind::Conflict, std::move(message), std::move(changedBy), std::move(changedAt),
                currentVersion};
    }

    // "conflict: stage changed by alice at …" — never contains a secret.
    QString toString() const;
    // For an operator: a lost race says only who changed what and when; anything else its kind.
    QString forPeople() const { return kind == Kind::Conflict ? message : toString(); }
};

QString storeErrorKindName(StoreError::Kind kind);

// A value or a StoreError (std::expected is C++23).
template <typename T>
class [[nodiscard]] StoreResult {
public:
    StoreResult(T value)
        : m_data(std::in_place_index<0>, std::move(value)) {}
    StoreResult(StoreError error)
        : m_data(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_data); }
    T &value() & { return std::get<0>(m_data); }
    // By value on a temporary, so `for (auto &x : store.ticks(env).value())` cannot dangle.
    T value() && { return std::get<0>(std::move(m_data)); }
    const T &operator*() const & { return value(); }
    T operator*() && { return std::get<0>(std::move(m_data)); }
    const T *operator->() const { return &value(); }
    const StoreError &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, StoreError> m_data;
};

template <>
class [[nodiscard]] StoreResult<void> {
public:
    StoreResult() = default;
    StoreResult(StoreError error)
        : m_error(std::move(error))
        , m_failed(true) {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    const StoreError &error() const { return m_error; }

private:
    StoreError m_error;
    bool m_failed = false;
};

} // namespace cutover::store

Q_DECLARE_METATYPE(cutover::store::StoreError)
