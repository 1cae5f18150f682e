#include "app/store/operators_file.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>

#ifdef Q_OS_UNIX
#include <sys/stat.h>
#include <unistd.h>
#endif

using namespace Qt::StringLiterals;

namespace cutover::store {

namespace {

const QString kFormat = u"cutover-operators-v1"_s;

class Parser {
public:
    Parser(QString displayName, const config::Plan *plan)
        : m_file(std::move(displayName))
        , m_plan(plan) {}

    QStringList errors;

    void error(const QString &path, const QString &message) {
        errors.append(path.isEmpty() ? u"%1: %2"_s.arg(m_file, message)
                                     : u"%1: %2: %3"_s.arg(m_file, path, message));
    }

    void onlyKeys(const QJsonObject &object, const QStringList &allowed, const QString &path) {
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!allowed.contains(it.key()))
                error(path.isEmpty() ? it.key() : path + u'.' + it.key(),
                      u"unknown key (expected one of: %1)"_s.arg(allowed.join(u", "_s)));
        }
    }

    std::optional<OperatorsFile> parse(const QByteArray &bytes) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
        if (parseError.error != QJsonParseError::NoError) {
            error({}, u"not valid JSON at byte %1: %2"_s.arg(parseError.offset)
                          .arg(parseError.errorString()));
            return std::nullopt;
        }
        if (!doc.isObject()) {
            error({}, u"expected a JSON object with an \"operators\" array"_s);
            return std::nullopt;
        }
        const QJsonObject root = doc.object();
        onlyKeys(root, {u"format"_s, u"operators"_s}, {});
        if (root.contains(u"format"_s) && root.value(u"format"_s).toString() != kFormat)
            error(u"format"_s, u"expected \"%1\""_s.arg(kFormat));
        if (!root.value(u"operators"_s).isArray()) {
            error(u"operators"_s, u"missing or not an array"_s);
            return std::nullopt;
        }
        OperatorsFile file;
        const QJsonArray array = root.value(u"operators"_s).toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QString path = u"operators[%1]"_s.arg(i);
            if (!array.at(i).isObject()) {
                error(path, u"expected an object"_s);
                continue;
            }
            if (auto op = parseOperator(array.at(i).toObject(), path)) {
                if (file.find(op->name))
                    error(path + u".name"_s, u"duplicate operator '%1'"_s.arg(op->name));
                else
                    file.operators.append(*op);
            }
        }
        if (!errors.isEmpty())
            return std::nullopt;
        return file;
    }

private:
    std::optional<Operator> parseOperator(const QJsonObject &o, const QString &path) {
        const qsizetype before = errors.size();
        onlyKeys(o, {u"name"_s, u"display_name"_s, u"roles"_s, u"passphrase"_s, u"key"_s}, path);
        Operator op;
        static const QRegularExpression namePattern(u"^[A-Za-z0-9._@-]+$"_s);
        op.name = o.value(u"name"_s).toString();
        if (!namePattern.match(op.name).hasMatch())
            error(path + u".name"_s, u"expected a name of letters, digits, . _ @ or -"_s);
        const QJsonValue display = o.value(u"display_name"_s);
        if (!display.isUndefined() && !display.isString())
            error(path + u".display_name"_s, u"expected a string"_s);
        op.displayName = display.toString().trimmed();
        if (op.displayName.isEmpty())
            op.displayName = op.name;
        const QJsonValue roles = o.value(u"roles"_s);
        if (!roles.isArray() || roles.toArray().isEmpty()) {
            error(path + u".roles"_s, u"expected a non-empty array of role names"_s);
        } else {
            const QJsonArray roleArray = roles.toArray();
            for (qsizetype r = 0; r < roleArray.size(); ++r) {
                const QString role = roleArray.at(r).toString();
                const QString rolePath = u"%1.roles[%2]"_s.arg(path).arg(r);
                if (role.isEmpty())
                    error(rolePath, u"expected a role name"_s);
                else if (m_plan && !m_plan->role(role))
                    error(rolePath, unknownRoleMessage(role, *m_plan));
                else
                    op.roles.append(role);
            }
        }
        parsePassphrase(o.value(u"passphrase"_s), path + u".passphrase"_s, op.passphrase);
        parseKey(o.value(u"key"_s), path + u".key"_s, op);
        if (errors.size() != before)
            return std::nullopt;
        return op;
    }

    void parsePassphrase(const QJsonValue &value, const QString &path, PassphraseHash &hash) {
        if (!value.isObject()) {
            error(path, u"missing or not an object (run cutover-console --hash-passphrase)"_s);
            return;
        }
        const QJsonObject p = value.toObject();
        hash.algorithm = p.value(u"algorithm"_s).toString();
        if (hash.algorithm == kPassphraseAlgorithm) {
            onlyKeys(p, {u"algorithm"_s, u"passes"_s, u"memory_kib"_s, u"salt"_s, u"hash"_s}, path);
            const double passes = p.value(u"passes"_s).toDouble(-1);
            const double memory = p.value(u"memory_kib"_s).toDouble(-1);
            // Checked before any derivation: an absurd cost is refused, not run.
            if (passes != static_cast<double>(static_cast<int>(passes)) ||
                memory != static_cast<double>(static_cast<qint64>(memory)))
                error(path, u"passes and memory_kib must be integers"_s);
            else if (auto problem =
                         argon2CostProblem(static_cast<int>(passes), static_cast<qint64>(memory)))
                error(path, *problem);
            else {
                hash.passes = static_cast<int>(passes);
                hash.memoryKiB = static_cast<qint64>(memory);
            }
        } else if (hash.algorithm == kLegacyPassphraseAlgorithm) {
            onlyKeys(p, {u"algorithm"_s, u"iterations"_s, u"salt"_s, u"hash"_s}, path);
            const double iterations = p.value(u"iterations"_s).toDouble(-1);
            if (auto problem = pbkdf2CostProblem(iterations))
                error(path + u".iterations"_s, *problem);
            else
                hash.iterations = static_cast<int>(iterations);
        } else {
            error(path + u".algorithm"_s, u"expected \"%1\" (or \"%2\" for older entries)"_s.arg(
                                              kPassphraseAlgorithm, kLegacyPassphraseAlgorithm));
            return;
        }
        hash.salt = decode(p.value(u"salt"_s), path + u".salt"_s);
        const int saltBytes = hash.isLegacy() ? kSaltBytes : kArgon2SaltBytes;
        if (!hash.salt.isNull() &&
            (hash.salt.size() < saltBytes || (!hash.isLegacy() && hash.salt.size() != saltBytes)))
            error(path + u".salt"_s,
                  u"expected %1%2 bytes"_s.arg(hash.isLegacy() ? u"at least "_s : QString())
                      .arg(saltBytes));
        hash.hash = decode(p.value(u"hash"_s), path + u".hash"_s);
        if (!hash.hash.isNull() && hash.hash.size() != kDerivedKeyBytes)
            error(path + u".hash"_s, u"expected %1 bytes"_s.arg(kDerivedKeyBytes));
    }

    void parseKey(const QJsonValue &value, const QString &path, Operator &op) {
        if (value.isUndefined())
            return;
        if (!value.isObject()) {
            error(path, u"expected an object"_s);
            return;
        }
        if (op.passphrase.isLegacy()) {
            error(path, u"a key needs an argon2id passphrase (it is sealed with it)"_s);
            return;
        }
        const QJsonObject k = value.toObject();
        onlyKeys(k, {u"algorithm"_s, u"public"_s, u"nonce"_s, u"sealed_seed"_s}, path);
        if (k.value(u"algorithm"_s).toString() != u"ed25519"_s)
            error(path + u".algorithm"_s, u"expected \"ed25519\""_s);
        SealedKey key;
        key.publicKey = decode(k.value(u"public"_s), path + u".public"_s);
        key.nonce = decode(k.value(u"nonce"_s), path + u".nonce"_s);
        key.sealedSeed = decode(k.value(u"sealed_seed"_s), path + u".sealed_seed"_s);
        const auto sized = [&](const QByteArray &bytes, int expected, const QString &field) {
            if (!bytes.isNull() && bytes.size() != expected)
                error(path + u'.' + field, u"expected %1 bytes"_s.arg(expected));
        };
        sized(key.publicKey, kPublicKeyBytes, u"public"_s);
        sized(key.nonce, kSealNonceBytes, u"nonce"_s);
        sized(key.sealedSeed, kSealedSeedBytes, u"sealed_seed"_s);
        op.key = key;
    }

    QByteArray decode(const QJsonValue &value, const QString &path) {
        auto decoded = QByteArray::fromBase64Encoding(value.toString().toLatin1(),
                                                      QByteArray::AbortOnBase64DecodingErrors);
        if (!value.isString() || value.toString().isEmpty() || !decoded) {
            error(path, u"expected base64"_s);
            return {};
        }
        return *decoded;
    }

    static QString unknownRoleMessage(const QString &role, const config::Plan &plan) {
        QStringList names;
        for (const config::Role &r : plan.roles)
            names.append(r.name);
        return u"role '%1' is not defined in the plan (roles: %2)"_s.arg(role, names.join(u", "_s));
    }

    QString m_file;
    const config::Plan *m_plan;
};

} // namespace

bool Operator::may(const config::Plan &plan, config::Permission permission,
                   QString *viaRole) const {
    for (const QString &roleName : roles) {
        const config::Role *role = plan.role(roleName);
        if (role && role->grants(permission)) {
            if (viaRole)
                *viaRole = roleName;
            return true;
        }
    }
    return false;
}

const Operator *OperatorsFile::find(const QString &name) const {
    for (const Operator &op : operators) {
        if (op.name == name)
            return &op;
    }
    return nullptr;
}

void OperatorsFile::upsert(const Operator &op) {
    for (Operator &existing : operators) {
        if (existing.name == op.name) {
            existing = op;
            return;
        }
    }
    operators.append(op);
}

OperatorsLoadResult parseOperators(const QByteArray &bytes, const QString &displayName,
                                   const config::Plan *plan) {
    Parser parser(displayName, plan);
    OperatorsLoadResult result;
    result.file = parser.parse(bytes);
    result.errors = parser.errors;
    if (!result.errors.isEmpty())
        result.file.reset();
    return result;
}

OperatorsLoadResult loadOperatorsFile(const QString &path, const config::Plan *plan) {
    OperatorsLoadResult result;
    const QFileInfo info(path);
    QFile file(path);
    if (!info.exists() || !info.isFile()) {
        result.unreadable = true;
        result.errors.append(u"%1: no such file"_s.arg(path));
        return result;
    }
    if (info.size() > kMaxOperatorsFileBytes) {
        result.unreadable = true;
        result.errors.append(u"%1: larger than %2 bytes"_s.arg(path).arg(kMaxOperatorsFileBytes));
        return result;
    }
    if (auto problem = operatorsFilePermissionProblem(path)) {
        result.errors.append(*problem);
        return result;
    }
    if (!file.open(QIODevice::ReadOnly)) {
        result.unreadable = true;
        result.errors.append(u"%1: %2"_s.arg(path, file.errorString()));
        return result;
    }
    const QByteArray bytes = file.read(kMaxOperatorsFileBytes);
    OperatorsLoadResult parsed = parseOperators(bytes, path, plan);
    parsed.sha256Hex = QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex();
    if (parsed.file) {
        parsed.file->sourceFile = QFileInfo(path).absoluteFilePath();
        parsed.file->sha256Hex = parsed.sha256Hex;
    }
    return parsed;
}

QByteArray serializeOperators(const OperatorsFile &file) {
    QJsonArray operators;
    for (const Operator &op : file.operators) {
        const PassphraseHash &p = op.passphrase;
        QJsonObject passphrase{{u"algorithm"_s, p.algorithm},
                               {u"salt"_s, QString::fromLatin1(p.salt.toBase64())},
                               {u"hash"_s, QString::fromLatin1(p.hash.toBase64())}};
        if (p.isLegacy()) {
            passphrase.insert(u"iterations"_s, p.iterations);
        } else {
            passphrase.insert(u"passes"_s, p.passes);
            passphrase.insert(u"memory_kib"_s, p.memoryKiB);
        }
        QJsonObject entry{{u"name"_s, op.name},
                          {u"display_name"_s, op.displayName},
                          {u"roles"_s, QJsonArray::fromStringList(op.roles)},
                          {u"passphrase"_s, passphrase}};
        if (op.key)
            entry.insert(
                u"key"_s,
                QJsonObject{
                    {u"algorithm"_s, u"ed25519"_s},
                    {u"public"_s, QString::fromLatin1(op.key->publicKey.toBase64())},
                    {u"nonce"_s, QString::fromLatin1(op.key->nonce.toBase64())},
                    {u"sealed_seed"_s, QString::fromLatin1(op.key->sealedSeed.toBase64())}});
        operators.append(entry);
    }
    const QJsonObject root{{u"format"_s, kFormat}, {u"operators"_s, operators}};
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

std::optional<QString> saveOperatorsFile(const QString &path, const OperatorsFile &file) {
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return u"cannot write %1: %2"_s.arg(path, out.errorString());
    out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    const QByteArray bytes = serializeOperators(file);
    if (out.write(bytes) != bytes.size() || !out.commit())
        return u"cannot write %1: %2"_s.arg(path, out.errorString());
    return std::nullopt;
}

std::shared_ptr<const SigningKey> setPassphrase(Operator &op, const QString &passphrase,
                                                Argon2Cost cost) {
    auto key = SigningKey::generate();
    if (!key)
        return nullptr;
    QByteArray keyEncryptionKey;
    PassphraseHash hash = hashPassphrase(passphrase, cost, &keyEncryptionKey);
    if (keyEncryptionKey.size() != kKeyEncryptionKeyBytes)
        return nullptr;
    SealedKey sealed = sealKey(*key, keyEncryptionKey);
    keyEncryptionKey.fill('\0');
    if (!sealed.isValid())
        return nullptr;
    op.passphrase = hash;
    op.key = sealed;
    return key;
}

std::optional<QString> operatorsFilePermissionProblem(const QString &path) {
#ifdef Q_OS_UNIX
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return std::nullopt; // reading will say what is wrong
    if (info.st_mode & (S_IWGRP | S_IWOTH))
        return u"%1: refused: the operators file is writable by %2 (mode %3); whoever can write "
               u"it can grant themselves any role. Run: chmod go-w %1"_s.arg(path)
                   .arg((info.st_mode & S_IWOTH) ? u"everyone"_s : u"its group"_s)
                   .arg(QString::number(info.st_mode & 07777, 8));
    if (info.st_uid != ::geteuid() && info.st_uid != 0)
        return u"%1: refused: the operators file is owned by uid %2, not by the user running the "
               u"console (uid %3) or root; whoever owns it can grant themselves any role"_s
                   .arg(path)
                   .arg(info.st_uid)
                   .arg(::geteuid());
#else
    Q_UNUSED(path)
#endif
    return std::nullopt;
}

QStringList unknownRoles(const Operator &op, const config::Plan &plan) {
    QStringList unknown;
    for (const QString &role : op.roles) {
        if (!plan.role(role))
            unknown.append(role);
    }
    return unknown;
}

} // namespace cutover::store
