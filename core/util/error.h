// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one error convention of the project (docs/ARCHITECTURE.md, "Errors").
//
// Every failure is an `Error`: a category (who can fix it) and a message that names the file
// or parameter at fault. It travels in one of two ways:
//  - returned, as `Status` or `Result<T>`, where failing is an ordinary outcome the caller
//    handles on the spot (an export, a download, a store open, a manifest read);
//  - thrown, as `Failure` (or a subclass: StoreError, CheckpointError, SafetensorsError,
//    UsageError), from deep inside a stage that cannot return one; the CLI's top level and the
//    Studio's worker catch it. A parameter check may also throw std::invalid_argument, which
//    is user input by definition (errorFromException).
// The CLI maps categories to exit codes in one place (cli/exit_code.h).

#include <QString>

#include <optional>
#include <stdexcept>
#include <utility>

namespace freesel {

/// Who can fix a failure: decides the exit code and how the Studio words it.
enum class ErrorCategory {
    UserInput,   ///< a parameter, a file the user named, a store of another model
    Environment, ///< the machine: disk full, permission denied, the network; nothing is lost
    Internal,    ///< a bug of ours
};

/// "user input", "environment", "internal".
QString errorCategoryName(ErrorCategory category);

struct Error {
    ErrorCategory category = ErrorCategory::Internal;
    QString message; ///< names the file or parameter at fault, and the valid range

    static Error userInput(QString message) {
        return {ErrorCategory::UserInput, std::move(message)};
    }
    static Error environment(QString message) {
        return {ErrorCategory::Environment, std::move(message)};
    }
    static Error internal(QString message) { return {ErrorCategory::Internal, std::move(message)}; }
};

/// An Error thrown through a stage.
class Failure : public std::runtime_error {
public:
    explicit Failure(Error error)
        : std::runtime_error(error.message.toStdString()), error_(std::move(error)) {}
    Failure(ErrorCategory category, const QString& message) : Failure(Error{category, message}) {}
    const Error& error() const { return error_; }
    ErrorCategory category() const { return error_.category; }

private:
    Error error_;
};

/// The Error an exception stands for: a Failure's own; std::invalid_argument (the parameter
/// checks throw it) is user input; anything else is internal.
Error errorFromException(const std::exception& exception);

/// Success, or the Error that prevented it. Converts to true on success.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error error) : error_(std::move(error)) {} // NOLINT: an Error is a failed Status

    bool ok() const { return !error_; }
    explicit operator bool() const { return ok(); }
    /// Only on failure.
    const Error& error() const { return *error_; }
    /// The failure's message; empty on success.
    QString message() const { return error_ ? error_->message : QString(); }
    /// Throws the error as a Failure when there is one.
    void throwIfFailed() const {
        if (error_)
            throw Failure(*error_);
    }

private:
    std::optional<Error> error_;
};

/// A value, or the Error that prevented it. Converts to true when it holds a value.
template <typename T> class [[nodiscard]] Result {
public:
    /// No value yet: an internal error until assigned (queued signals need a default value).
    Result() : status_(Error::internal(QStringLiteral("no result"))) {}
    Result(T value) : value_(std::move(value)) {}      // NOLINT: a value is a successful Result
    Result(Error error) : status_(std::move(error)) {} // NOLINT: an Error is a failed Result

    bool ok() const { return status_.ok(); }
    explicit operator bool() const { return ok(); }
    const Status& status() const { return status_; }
    /// Only on failure.
    const Error& error() const { return status_.error(); }
    QString message() const { return status_.message(); }
    /// Only on success.
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    const T* operator->() const { return &*value_; }
    /// The value, or throws the error as a Failure.
    T valueOrThrow() && {
        status_.throwIfFailed();
        return std::move(*value_);
    }

private:
    std::optional<T> value_;
    Status status_;
};

} // namespace freesel
