// What happens when the cutover goes wrong: rollback and its triggers, drift, and the
// notifications and escalation that tell people.

#include "app/config/named_list_reader.h"
#include "app/config/plan_loader_internal.h"

#include <QSet>

namespace cutover::config::detail {

std::optional<Trigger> SchemaReader::readTrigger(const YAML::Node &node, const QString &path) {
    MapReader map(d, node, path,
                  {"id", "title", "query", "condition", "for", "action", "level", "compare"});
    if (!map.isMap())
        return std::nullopt;
    Trigger trigger;
    bool ok = true;
    if (auto n = map.required("id", u"a unique name"_s)) {
        if (auto v = identifier(*n, map.pathOf("id")))
            trigger.id = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    if (auto n = map.required("title", u"the trigger as people read it"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("title")))
            trigger.title = *v;
    }
    if (auto compare = map.optional("compare")) {
        // Fires while legacy and OTel differ (high or low) for `for`; nodata never counts.
        CompareSpec spec;
        if (readCompare(*compare, map.pathOf("compare"), spec))
            trigger.compare = spec;
        else
            ok = false;
        trigger.condition = {Condition::Op::Greater, 0};
        for (const char *key : {"query", "condition"}) {
            if (auto n = map.optional(key))
                d.error(n->Mark(), map.pathOf(key),
                        u"'%1' does not apply to a compare trigger: it fires when the comparison "
                        u"is high or low"_s.arg(QLatin1StringView(key)));
        }
    } else {
        if (auto n = map.required("query", u"PromQL (or a compare: mapping)"_s)) {
            if (auto v = yaml::readString(d, *n, map.pathOf("query")))
                trigger.query = *v;
        }
        if (auto n = map.required("condition", u"a comparison such as '< 0.99'"_s)) {
            if (auto c = condition(*n, map.pathOf("condition")))
                trigger.condition = *c;
        }
    }
    if (auto n = map.optional("for")) {
        if (auto v = yaml::readDuration(d, *n, map.pathOf("for")))
            trigger.forDuration = *v;
    }
    if (auto n = map.required("action", u"auto or prompt"_s)) {
        auto v = yaml::readString(d, *n, map.pathOf("action"));
        if (v == u"auto")
            trigger.action = Trigger::Action::Auto;
        else if (v == u"prompt")
            trigger.action = Trigger::Action::Prompt;
        else if (v)
            d.error(n->Mark(), map.pathOf("action"),
                    u"expected auto (roll back at once) or prompt (alarm a human), found %1"_s.arg(
                        yaml::describe(*n)));
    }
    if (auto n = map.optional("level"))
        trigger.level = escalationLevel(*n, map.pathOf("level"));
    return ok ? std::optional<Trigger>(trigger) : std::nullopt;
}

void SchemaReader::readRollback(MapReader &top, Plan &plan) {
    auto node = top.optional("rollback");
    if (!node)
        return;
    MapReader map(d, *node, u"rollback"_s,
                  {"on_validation_failure", "reset", "max_attempts", "retry_backoff", "deadline",
                   "triggers", "assign_to", "verify_legacy", "evidence", "upload"});
    if (auto n = map.optional("on_validation_failure")) {
        const auto v = yaml::readString(d, *n, map.pathOf("on_validation_failure"));
        bool known = false;
        for (FailurePolicy p :
             {FailurePolicy::PreviousStage, FailurePolicy::Full, FailurePolicy::Hold}) {
            if (v == failurePolicyName(p)) {
                plan.rollback.onValidationFailure = p;
                known = true;
            }
        }
        if (v && !known)
            d.error(n->Mark(), map.pathOf("on_validation_failure"),
                    u"expected previous_stage, full or hold, found %1"_s.arg(yaml::describe(*n)));
    }
    if (auto n = map.optional("reset")) {
        const auto v = yaml::readString(d, *n, map.pathOf("reset"));
        if (v == u"stage_gates")
            plan.rollback.reset = RollbackConfig::Reset::StageGates;
        else if (v == u"all")
            plan.rollback.reset = RollbackConfig::Reset::All;
        else if (v)
            d.error(n->Mark(), map.pathOf("reset"),
                    u"expected stage_gates (void the gates of the stages rolled back over; the "
                    u"pre-cutover checklist stays signed) or all (void every gate), found %1"_s.arg(
                        yaml::describe(*n)));
    }
    if (auto n = map.optional("max_attempts")) {
        if (auto v = yaml::readInteger(d, *n, map.pathOf("max_attempts"), 1, 100,
                                       u"an integer from 1 to 100"_s))
            plan.rollback.maxAttempts = int(*v);
    }
    if (auto n = map.optional("retry_backoff")) {
        if (auto v = yaml::readDuration(d, *n, map.pathOf("retry_backoff")))
            plan.rollback.retryBackoff = *v;
    }
    optionalDuration(map, "deadline", plan.rollback.deadline);
    if (auto n = map.optional("assign_to")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("assign_to")))
            plan.rollback.assignTo = *v;
    }
    readLegacyVerification(map, plan);
    readEvidence(map, plan);
    readUpload(map, plan);
    readTriggers(map, plan);
}

void SchemaReader::readTriggers(MapReader &rollback, Plan &plan) {
    auto n = rollback.optional("triggers");
    if (!n)
        return;
    const yaml::NamedList list{
        .path = rollback.pathOf("triggers"),
        .items = u"triggers"_s,
        .key = "id",
        .duplicate = u"duplicate trigger id '%1' (first at %2)"_s,
        .shortPath = u"triggers"_s,
    };
    yaml::readNamedList(d, *n, list, plan.rollback.triggers,
                        [&](const YAML::Node &item, const QString &path,
                            yaml::ItemName &id) -> std::optional<Trigger> {
                            auto trigger = readTrigger(item, path);
                            if (!trigger || !id.claim(trigger->id))
                                return std::nullopt;
                            return trigger;
                        });
}

// The seed's rollback step 2, "verify legacy collection".
void SchemaReader::readLegacyVerification(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("verify_legacy");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("verify_legacy"), {"query", "condition", "deadline"});
    if (!map.isMap())
        return;
    LegacyVerification verification;
    bool ok = true;
    if (auto n = map.required("query", u"PromQL for legacy collection, e.g. its 2xx rate"_s)) {
        if (auto v = yaml::readString(d, *n, map.pathOf("query")))
            verification.query = *v;
        else
            ok = false;
    } else {
        ok = false;
    }
    if (auto n = map.required("condition", u"a comparison such as '> 0'"_s)) {
        if (auto c = condition(*n, map.pathOf("condition")))
            verification.condition = *c;
        else
            ok = false;
    } else {
        ok = false;
    }
    optionalDuration(map, "deadline", verification.deadline);
    if (ok)
        plan.rollback.verifyLegacy = verification;
}

// The seed's rollback step 4, "preserve evidence": where the archive goes and what it covers.
void SchemaReader::readEvidence(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("evidence");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("evidence"), {"directory", "span"});
    if (auto n = map.optional("directory")) {
        if (auto v = yaml::readString(d, *n, map.pathOf("directory")))
            plan.rollback.evidenceDirectory = resolvePath(*v);
    }
    optionalDuration(map, "span", plan.rollback.evidenceSpan,
                     DurationBounds{.max = Duration::hours(24)});
}

// The seed's "upload_to_incident_bucket": run without a shell, so only an argv list is accepted.
void SchemaReader::readUpload(MapReader &rollback, Plan &plan) {
    auto node = rollback.optional("upload");
    if (!node)
        return;
    MapReader map(d, *node, rollback.pathOf("upload"), {"command", "timeout"});
    if (!map.isMap())
        return;
    UploadCommand upload;
    optionalDuration(map, "timeout", upload.timeout);
    const QString example =
        u"an argv list such as [aws, s3, cp, \"{archive}\", \"s3://bucket/\"]"_s;
    auto command = map.required("command", example);
    if (!command)
        return;
    if (!command->IsSequence()) {
        d.error(command->Mark(), map.pathOf("command"),
                u"expected %1, found %2: the command runs without a shell, so it must be an argv "
                u"list, never a shell string"_s.arg(example, yaml::describe(*command)));
        return;
    }
    if (auto argv = yaml::readStringList(d, *command, map.pathOf("command"), false)) {
        upload.argv = *argv;
        plan.rollback.upload = upload;
    }
}

void SchemaReader::readDrift(MapReader &top, Plan &plan) {
    auto node = top.optional("drift");
    if (!node)
        return;
    MapReader map(d, *node, u"drift"_s, {"interval", "policy", "policy_at_complete"});
    optionalDuration(map, "interval", plan.drift.interval);
    auto policy = [&](const char *key, DriftConfig::Policy &into) {
        auto n = map.optional(key);
        if (!n)
            return;
        const auto v = yaml::readString(d, *n, map.pathOf(key));
        if (v == u"alarm")
            into = DriftConfig::Policy::Alarm;
        else if (v == u"reassert")
            into = DriftConfig::Policy::Reassert;
        else if (v)
            d.error(n->Mark(), map.pathOf(key),
                    u"expected alarm or reassert, found %1"_s.arg(yaml::describe(*n)));
    };
    policy("policy", plan.drift.policy);
    policy("policy_at_complete", plan.drift.policyAtComplete);
}

void SchemaReader::readNotifications(MapReader &top, Plan &plan) {
    auto node = top.optional("notifications");
    if (!node)
        return;
    const yaml::NamedList webhooks{
        .path = u"notifications"_s,
        .items = u"webhooks"_s,
        .duplicate = u"duplicate notification name '%1' (first at %2)"_s,
    };
    yaml::readNamedList(
        d, *node, webhooks, plan.notifications,
        [&](const YAML::Node &item, const QString &path,
            yaml::ItemName &name) -> std::optional<Notification> {
            MapReader map(d, item, path, {"name", "url", "events", "bearer_token", "ca_file"});
            if (!map.isMap())
                return std::nullopt;
            Notification notification;
            if (auto v = name.read(map, u"a unique name"_s))
                notification.name = *v;
            if (auto n = map.required("url", u"an http:// or https:// URL"_s)) {
                if (auto v = httpUrl(*n, map.pathOf("url")))
                    notification.url = *v;
            }
            // Without events of its own, a target hears only what escalation sends it.
            const auto events = map.optional("events");
            if (events) {
                if (auto list =
                        namesFrom(*events, map.pathOf("events"), notificationEvents(), u"event"_s))
                    notification.events = *list;
            }
            if (!events || (events->IsSequence() && events->size() == 0))
                m_notificationsWithoutEvents.append({notification.name, item.Mark(), path});
            if (auto n = map.optional("bearer_token")) {
                if (auto v = yaml::readSecret(d, *n, map.pathOf("bearer_token")))
                    notification.bearerToken = *v;
                if (notification.url.isValid())
                    refuseCleartextCredentials(notification.url, *n, map.pathOf("bearer_token"),
                                               u"the bearer token"_s);
            }
            if (auto n = map.optional("ca_file")) {
                if (auto v = yaml::readString(d, *n, map.pathOf("ca_file")))
                    notification.tls.caFile = resolvePath(*v);
            }
            return notification;
        });
}

// The seed's escalation matrix: which notifications each level L1..L4 reaches, and the level of
// an event when it is not its default.
void SchemaReader::readEscalation(MapReader &top, Plan &plan) {
    auto node = top.optional("escalation");
    if (!node)
        return;
    MapReader map(d, *node, u"escalation"_s, {"L1", "L2", "L3", "L4", "events"});
    QStringList notificationNames;
    for (const Notification &notification : std::as_const(plan.notifications)) {
        if (!notification.name.isEmpty())
            notificationNames.append(notification.name);
    }
    for (EscalationLevel level :
         {EscalationLevel::L1, EscalationLevel::L2, EscalationLevel::L3, EscalationLevel::L4}) {
        const QByteArray key = escalationLevelName(level).toLatin1();
        if (auto n = map.optional(key.constData())) {
            if (auto names = namesFrom(*n, map.pathOf(key.constData()), notificationNames,
                                       u"notification"_s))
                plan.escalation.targets.insert(int(level), *names);
        }
    }
    if (auto n = map.optional("events"))
        readEscalationEvents(*n, map.pathOf("events"), plan);
}

void SchemaReader::readEscalationEvents(const YAML::Node &node, const QString &path, Plan &plan) {
    MapReader events(d, node, path, {});
    for (const auto &entry : events.entries()) {
        const QString eventPath = path + u'.' + entry.key;
        if (!notificationEvents().contains(entry.key)) {
            d.error(entry.keyNode.Mark(), eventPath,
                    unknownName(u"event"_s, entry.key, notificationEvents()));
            continue;
        }
        if (auto level = escalationLevel(entry.value, eventPath))
            plan.escalation.eventLevels.insert(entry.key, *level);
    }
}

// A notification that neither lists events nor is named by a level would never be sent anything:
// surely a mistake in the plan.
void SchemaReader::checkEveryNotificationIsReached(const Plan &plan) {
    QSet<QString> named;
    for (const QStringList &names : plan.escalation.targets)
        named.unite(QSet<QString>(names.cbegin(), names.cend()));
    for (const Located &notification : std::as_const(m_notificationsWithoutEvents)) {
        if (!notification.name.isEmpty() && !named.contains(notification.name))
            d.error(notification.mark, notification.path,
                    u"never notified: give it events or name it in escalation"_s);
    }
}

} // namespace cutover::config::detail
