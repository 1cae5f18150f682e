// The engine's notifications: every event has an escalation level (the seed's Incident
// Communication matrix, L1–L4) that routes it to the plan's targets, and L4 raises the WAR ROOM
// that every window shows until an operator acknowledges it.

#include "app/backends/webhook_notifier.h"
#include "app/cutover/cutover_engine.h"
#include "app/cutover/engine_internal.h"
#include "app/store/store.h"

using namespace Qt::StringLiterals;

namespace cutover::engine {

void CutoverEngine::notify(const QString &event, const QString &environment,
                           const QJsonObject &payload,
                           std::optional<config::EscalationLevel> level) {
    const config::EscalationLevel effective = level.value_or(m_plan.escalation.levelOf(event));
    QJsonObject body = payload;
    body.insert(u"environment"_s, environment);
    body.insert(u"plan"_s, m_plan.name);
    body.insert(u"at"_s, now().toString(Qt::ISODateWithMs));
    body.insert(u"level"_s, config::escalationLevelName(effective));
    Q_EMIT notified(event, environment, config::escalationLevelName(effective));
    if (m_options.dryRun) {
        // A rehearsal must not page anyone: say what would have been sent.
        qCInfo(lcEngine) << "dry run: would notify" << event << environment
                         << config::escalationLevelName(effective);
        return;
    }
    const QStringList escalated = m_plan.escalation.targetsOf(effective);
    for (backends::WebhookNotifier *webhook : std::as_const(m_webhooks)) {
        if (!webhook->wants(event) && !escalated.contains(webhook->notification().name))
            continue;
        ++m_pendingNotifications;
        webhook->send(event, body)
            ->onFinished(this, [this, name = webhook->notification().name,
                                event](const net::Result<backends::WebhookDelivery> &delivery) {
                if (--m_pendingNotifications == 0)
                    Q_EMIT notificationsIdle();
                if (!delivery.ok() || !delivery.value().delivered)
                    qCWarning(lcEngine) << "webhook" << name << event << "not delivered:"
                                        << (delivery.ok() && delivery.value().error
                                                ? delivery.value().error->toString()
                                                : QString());
            });
    }
    if (effective == config::EscalationLevel::L4) {
        const QString reason =
            payload.value(u"reason"_s)
                .toString(payload.value(u"title"_s)
                              .toString(payload.value(u"problem"_s).toString(event)));
        raiseWarRoom(event, environment, reason);
    }
}

void CutoverEngine::raiseWarRoom(const QString &event, const QString &environment,
                                 const QString &reason) {
    if (m_warRoom.active)
        return; // already up, until somebody acknowledges it
    audit(m_options.actorForAutomatic, u"automatic"_s, u"war_room_activated"_s, environment, event,
          {{u"event"_s, event}, {u"reason"_s, reason}, {u"level"_s, u"L4"_s}});
    // pullAudit() (inside audit) applied the entry; a store that could not take it still
    // shows the banner on this desk.
    if (!m_warRoom.active) {
        m_warRoom.active = true;
        m_warRoom.activatedAt = now();
        m_warRoom.event = event;
        m_warRoom.reason = reason;
        m_warRoom.environment = environment;
        for (const auto &rt : m_environments)
            changed(rt->env->name);
    }
}

void CutoverEngine::applyAuditEntry(const store::AuditEntry &entry) {
    if (entry.action.startsWith(u"decommission_"_s)) {
        m_decommission.apply(entry);
        if (m_plan.environment(entry.environment))
            changed(entry.environment);
        return;
    }
    if (entry.action == u"war_room_activated"_s) {
        m_warRoom.active = true;
        m_warRoom.activatedAt = entry.at;
        const QJsonObject details = entry.detailsObject();
        m_warRoom.event = details.value(u"event"_s).toString();
        m_warRoom.reason = details.value(u"reason"_s).toString();
        m_warRoom.environment = entry.environment;
    } else if (entry.action == u"war_room_acknowledged"_s) {
        m_warRoom.active = false;
        m_warRoom.acknowledgedBy = entry.actor;
        m_warRoom.acknowledgedAt = entry.at;
    } else if (entry.action == u"trigger_fired"_s) {
        m_triggerFiredAt.insert(entry.environment + u'/' + entry.subject, entry.at);
        return;
    } else {
        return;
    }
    for (const auto &rt : m_environments)
        changed(rt->env->name);
}

ActionOutcome CutoverEngine::acknowledgeWarRoom(const Operator &who, const QString &comment) {
    return waitedOutcome([&](ActionDone done) { acknowledgeWarRoom(who, comment, done); });
}

void CutoverEngine::acknowledgeWarRoom(const Operator &who, const QString &comment,
                                       ActionDone done) {
    ActionOutcome outcome;
    if (who.name.isEmpty())
        outcome.addRefusals(
            {{RefusalCode::NotSignedIn, {{u"action"_s, u"acknowledge_war_room"_s}}}});
    else if (!who.may(m_plan, config::Permission::Rollback) &&
             !who.may(m_plan, config::Permission::Sign))
        outcome.addRefusals({{RefusalCode::MayNotAcknowledgeWarRoom,
                              {{u"operator"_s, who.name}, {u"roles"_s, who.roles.join(u", "_s)}}}});
    if (!m_warRoom.active)
        outcome.addRefusals({{RefusalCode::NoWarRoomActive, {}}});
    if (!outcome.refusals.isEmpty()) {
        done(outcome);
        return;
    }
    const QString role = who.roleFor(m_plan, config::Permission::Rollback).isEmpty()
                             ? who.roleFor(m_plan, config::Permission::Sign)
                             : who.roleFor(m_plan, config::Permission::Rollback);
    const WarRoomStatus raised = m_warRoom;
    const store::AuditEvent event{
        who.name,
        role,
        u"war_room_acknowledged"_s,
        raised.environment,
        raised.event,
        QJsonObject{{u"comment"_s, comment.trimmed()},
                    {u"activated_at"_s, raised.activatedAt.toString(Qt::ISODateWithMs)},
                    {u"reason"_s, raised.reason}}};
    m_runner.run<store::AuditEntry>(
        this, [event](store::Store &store) { return store.appendAudit(event); },
        [this, who, raised, done](const store::StoreResult<store::AuditEntry> &appended) {
            ActionOutcome answer;
            if (!appended) {
                answer.error = appended.error().toString();
                done(answer);
                return;
            }
            pullAudit();
            if (m_warRoom.active) {
                // Queued in the journal (store away): acknowledged on this desk now.
                m_warRoom.active = false;
                m_warRoom.acknowledgedBy = who.name;
                m_warRoom.acknowledgedAt = now();
                for (const auto &rt : m_environments)
                    changed(rt->env->name);
            }
            answer.ok = true;
            notify(u"war_room_acknowledged"_s, raised.environment,
                   {{u"acknowledged_by"_s, who.printedName}, {u"reason"_s, raised.reason}});
            done(answer);
        });
}

} // namespace cutover::engine
