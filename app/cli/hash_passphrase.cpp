#include "app/cli/hash_passphrase.h"

#include "app/cli/command_line.h"
#include "app/cli/passphrase_input.h"
#include "app/store/operators_file.h"

#include <QFileInfo>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace cutover::cli {

int hashPassphraseCommand(const HashPassphraseRequest &request, const config::Plan *plan,
                          QTextStream &in, QTextStream &out, QTextStream &err) {
    auto fail = [&err](const QString &message, int code) {
        err << message << '\n';
        err.flush();
        return code;
    };
    const QString file = !request.operatorsFile.isEmpty()
                             ? request.operatorsFile
                             : (plan ? plan->operators.file : QString());
    if (request.operatorName.isEmpty())
        return fail(u"--hash-passphrase needs --operator NAME"_s, ExitUsage);
    if (request.roles.isEmpty())
        return fail(u"--hash-passphrase needs --roles ROLE[,ROLE…]"_s, ExitUsage);
    if (file.isEmpty())
        return fail(
            u"no operators file: give --operators-file FILE or a plan with operators.file"_s,
            ExitUsage);

    store::Operator op;
    op.name = request.operatorName;
    op.roles = request.roles;
    if (!QRegularExpression(u"^[A-Za-z0-9._@-]+$"_s).match(op.name).hasMatch())
        return fail(u"operator name '%1': use letters, digits, . _ @ or -"_s.arg(op.name),
                    ExitInvalid);
    if (plan) {
        const QStringList unknown = store::unknownRoles(op, *plan);
        if (!unknown.isEmpty()) {
            QStringList known;
            for (const config::Role &role : plan->roles)
                known.append(role.name);
            return fail(u"role(s) %1 not defined in the plan (roles: %2)"_s.arg(
                            unknown.join(u", "_s), known.join(u", "_s)),
                        ExitInvalid);
        }
    }

    store::OperatorsFile operators;
    if (QFileInfo::exists(file)) {
        // Loaded without the plan: entries for roles of another plan are kept as they are.
        store::OperatorsLoadResult loaded = store::loadOperatorsFile(file);
        if (!loaded.ok())
            return fail(loaded.errorText() + u"\nnot changing %1"_s.arg(file), ExitInvalid);
        operators = *loaded.file;
    }

    const QString passphrase =
        readPassphraseLine(in, err, u"New passphrase for %1: "_s.arg(op.name));
    if (passphrase.size() < kMinPassphraseLength)
        return fail(u"passphrase on standard input must be at least %1 characters"_s.arg(
                        kMinPassphraseLength),
                    ExitInvalid);

    const store::Operator *existing = operators.find(op.name);
    op.displayName = !request.displayName.trimmed().isEmpty() ? request.displayName.trimmed()
                     : existing                               ? existing->displayName
                                                              : op.name;
    // A new Argon2id hash and a new key pair: a passphrase change also changes the key, so the
    // audit log records the new public key when the file is next loaded.
    if (!store::setPassphrase(op, passphrase, request.cost))
        return fail(
            u"libsodium could not derive the key or make a key pair; %1 not changed"_s.arg(file),
            ExitUsage);
    const bool replaced = existing != nullptr;
    operators.upsert(op);
    if (auto error = store::saveOperatorsFile(file, operators))
        return fail(*error, ExitUsage);
    out << u"%1 operator %2 (roles: %3) in %4\n"_s.arg(replaced ? u"updated"_s : u"added"_s,
                                                       op.name, op.roles.join(u", "_s), file);
    out.flush();
    return ExitOk;
}

} // namespace cutover::cli
