// SPDX-License-Identifier: GPL-3.0-or-later
#include "util/error.h"

namespace freesel {

QString errorCategoryName(ErrorCategory category) {
    switch (category) {
    case ErrorCategory::UserInput:
        return QStringLiteral("user input");
    case ErrorCategory::Environment:
        return QStringLiteral("environment");
    case ErrorCategory::Internal:
        break;
    }
    return QStringLiteral("internal");
}

Error errorFromException(const std::exception& exception) {
    const QString message = QString::fromStdString(exception.what());
    if (const auto* failure = dynamic_cast<const Failure*>(&exception))
        return failure->error();
    if (dynamic_cast<const std::invalid_argument*>(&exception))
        return Error::userInput(message);
    return Error::internal(message);
}

} // namespace freesel
