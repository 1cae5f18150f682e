// Anchored audit checkpoints (app/store/audit_checkpoint.h): whoever decides signs the chain's
// head every N entries or T minutes and publishes it outside the store.

#include "app/backends/webhook_notifier.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/store/audit_checkpoint.h"

#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace cutover::engine {

// The console's key, loaded on the store's thread on first use and kept there.
struct CheckpointDesk {
    QString keyPath;
    std::shared_ptr<const store::SigningKey> key;
    bool inFlight = false;
};

namespace {

struct CheckpointOutcome {
    std::optional<store::Checkpoint> checkpoint;
    QString error;        // the key could not be had
    QString publishError; // the file could not be appended
};

} // namespace

void CutoverEngine::checkpointIfDue(std::function<void(qint64, const QString &)> done) {
    if (!done)
        done = [](qint64, const QString &) {
        };
    if (!m_checkpoints) {
        m_checkpoints = std::make_shared<CheckpointDesk>();
        m_checkpoints->keyPath = m_options.checkpointKeyPath.isEmpty()
                                     ? store::defaultConsoleKeyPath()
                                     : m_options.checkpointKeyPath;
    }
    if (!decides() || m_checkpoints->inFlight) {
        done(0, {});
        return;
    }
    m_checkpoints->inFlight = true;
    const store::CheckpointPolicy policy{m_plan.audit.checkpointEveryEntries,
                                         m_plan.audit.checkpointEvery.ms()};
    m_runner.run<CheckpointOutcome>(
        this,
        [desk = m_checkpoints, policy, at = now(),
         file = m_plan.audit.checkpointFile](store::Store &store) {
            CheckpointOutcome outcome;
            if (!desk->key) {
                desk->key = store::loadOrCreateConsoleKey(desk->keyPath, &outcome.error);
                if (!desk->key)
                    return store::StoreResult<CheckpointOutcome>(outcome);
            }
            auto written = store::writeCheckpointIfDue(store, *desk->key, policy, at);
            if (!written)
                return store::StoreResult<CheckpointOutcome>(written.error());
            outcome.checkpoint = written.value();
            if (outcome.checkpoint && !file.isEmpty()) {
                if (auto error = store::appendCheckpointLine(file, *outcome.checkpoint)) {
                    outcome.publishError = *error;
                    // Not published is itself evidence: the gap is explained in the log.
                    (void)store.appendAudit({u"system"_s,
                                             {},
                                             u"audit_checkpoint_not_published"_s,
                                             {},
                                             u"seq %1"_s.arg(outcome.checkpoint->seq),
                                             {{u"file"_s, file}, {u"error"_s, error->left(300)}}});
                }
            }
            return store::StoreResult<CheckpointOutcome>(outcome);
        },
        [this, done](const store::StoreResult<CheckpointOutcome> &result) {
            m_checkpoints->inFlight = false;
            if (!result) {
                qCWarning(lcEngine) << "audit checkpoint not written:" << result.error().toString();
                done(0, result.error().toString());
                return;
            }
            const CheckpointOutcome &outcome = result.value();
            if (!outcome.error.isEmpty()) {
                qCWarning(lcEngine).noquote() << "audit checkpoint not written:" << outcome.error;
                done(0, outcome.error);
                return;
            }
            if (!outcome.checkpoint) {
                done(0, {});
                return;
            }
            const store::Checkpoint &checkpoint = *outcome.checkpoint;
            qCInfo(lcEngine) << "audit checkpoint at seq" << checkpoint.seq;
            if (!outcome.publishError.isEmpty())
                qCWarning(lcEngine).noquote()
                    << "audit checkpoint not published:" << outcome.publishError;
            // Only to webhooks that asked for it: checkpoints are not escalated.
            if (!m_options.dryRun) {
                QJsonObject body = checkpoint.toJson();
                body.insert(u"plan"_s, m_plan.name);
                for (backends::WebhookNotifier *webhook : std::as_const(m_webhooks)) {
                    if (!webhook->wants(u"audit_checkpoint"_s))
                        continue;
                    webhook->send(u"audit_checkpoint"_s, body)
                        ->onFinished(this, [name = webhook->notification().name](
                                               const net::Result<backends::WebhookDelivery> &d) {
                            if (!d.ok() || !d.value().delivered)
                                qCWarning(lcEngine) << "audit checkpoint not delivered to" << name;
                        });
                }
            }
            pullAudit();
            done(checkpoint.seq, outcome.publishError);
        });
}

} // namespace cutover::engine
