#include "app/config/application_identity.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace cutover::config {

void setApplicationIdentity() {
    QCoreApplication::setOrganizationName(u"cutover-console"_s);
    QCoreApplication::setApplicationName(u"cutover-console"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(CONSOLE_VERSION));
}

} // namespace cutover::config
