// SPDX-License-Identifier: GPL-3.0-or-later
#include "text/clip_tokenizer.h"

#include "text/gzip_data.h"
#include "util/resource_locator.h"

#include <QRegularExpression>

#include <limits>
#include <stdexcept>

namespace freesel {

namespace {

// simple_tokenizer.py keeps lines 1 .. 49152-256-2 of the file (line 0 is a header).
constexpr int kMergeCount = 49152 - 256 - 2;

std::string utf8Of(char32_t codePoint) {
    return QString::fromUcs4(&codePoint, 1).toStdString();
}

/// bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes for
/// U+0100.. in byte order. `order` receives the bytes in vocabulary order (printable first).
std::array<std::string, 256> byteSymbolTable(std::vector<int>& order) {
    std::array<bool, 256> printable{};
    for (int b = '!'; b <= '~'; ++b)
        printable[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b)
        printable[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b)
        printable[b] = true;
    std::array<std::string, 256> table;
    for (int b = 0; b < 256; ++b)
        if (printable[b]) {
            table[b] = utf8Of(static_cast<char32_t>(b));
            order.push_back(b);
        }
    char32_t next = 256;
    for (int b = 0; b < 256; ++b)
        if (!printable[b]) {
            table[b] = utf8Of(next++);
            order.push_back(b);
        }
    return table;
}

/// html.unescape for what prompts and class names contain: the XML entities, &nbsp; and
/// numeric references. (Python knows all 2,231 HTML5 names; the rest are left as written.)
QString unescapeHtml(const QString& text) {
    static const QRegularExpression entity(
        QStringLiteral("&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos|nbsp);"));
    QString out;
    qsizetype last = 0;
    for (auto it = entity.globalMatch(text); it.hasNext();) {
        const auto match = it.next();
        out += text.mid(last, match.capturedStart() - last);
        last = match.capturedEnd();
        const QString name = match.captured(1);
        if (name.startsWith(QLatin1Char('#'))) {
            const bool hex =
                name.size() > 1 && (name[1] == QLatin1Char('x') || name[1] == QLatin1Char('X'));
            const uint code = name.mid(hex ? 2 : 1).toUInt(nullptr, hex ? 16 : 10);
            const char32_t cp = (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code < 0xE000))
                                    ? char32_t(0xFFFD)
                                    : char32_t(code);
            out += QString::fromUcs4(&cp, 1);
        } else {
            static const QHash<QString, QString> named = {
                {QStringLiteral("amp"), QStringLiteral("&")},
                {QStringLiteral("lt"), QStringLiteral("<")},
                {QStringLiteral("gt"), QStringLiteral(">")},
                {QStringLiteral("quot"), QStringLiteral("\"")},
                {QStringLiteral("apos"), QStringLiteral("'")},
                {QStringLiteral("nbsp"), QString(QChar(0xA0))}};
            out += named.value(name);
        }
    }
    out += text.mid(last);
    return out;
}

/// basic_clean + whitespace_clean + lower(), in simple_tokenizer.py's order.
QString normalise(const QString& text) {
    static const QRegularExpression spaces(QStringLiteral("\\s+"),
                                           QRegularExpression::UseUnicodePropertiesOption);
    QString clean = unescapeHtml(unescapeHtml(text)).trimmed();
    clean.replace(spaces, QStringLiteral(" "));
    return clean.trimmed().toLower();
}

const QRegularExpression& splitPattern() {
    // \p{L} / \p{N} are PCRE2's Unicode classes; UseUnicodeProperties makes \s Unicode too, as
    // in Python's `regex` on str.
    static const QRegularExpression pattern(
        QStringLiteral("<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|"
                       "[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"),
        QRegularExpression::CaseInsensitiveOption | QRegularExpression::UseUnicodePropertiesOption);
    return pattern;
}

} // namespace

ClipTokenizer::ClipTokenizer(const QByteArray& mergesText, const QString& source) {
    std::vector<int> byteOrder;
    byteSymbols_ = byteSymbolTable(byteOrder);
    for (int b : byteOrder)
        vocabulary_.push_back(byteSymbols_[b]);
    for (int b : byteOrder)
        vocabulary_.push_back(byteSymbols_[b] + "</w>");
    const QList<QByteArray> lines = mergesText.split('\n');
    if (lines.size() < kMergeCount + 1)
        throw std::runtime_error(QStringLiteral("%1: %2 lines, a CLIP vocabulary has at least %3")
                                     .arg(source)
                                     .arg(lines.size())
                                     .arg(kMergeCount + 1)
                                     .toStdString());
    for (int i = 1; i <= kMergeCount; ++i) {
        const QList<QByteArray> pair = lines[i].simplified().split(' ');
        if (pair.size() != 2)
            throw std::runtime_error(QStringLiteral("%1: line %2 is not a merge \"first second\"")
                                         .arg(source)
                                         .arg(i + 1)
                                         .toStdString());
        ranks_.emplace(pair[0].toStdString() + ' ' + pair[1].toStdString(), i - 1);
        vocabulary_.push_back(pair[0].toStdString() + pair[1].toStdString());
    }
    vocabulary_.push_back("<|startoftext|>");
    vocabulary_.push_back("<|endoftext|>");
    for (size_t id = 0; id < vocabulary_.size(); ++id)
        ids_.emplace(vocabulary_[id], static_cast<int>(id));
}

ClipTokenizer ClipTokenizer::fromGzipFile(const QString& path) {
    return ClipTokenizer(readGzipFile(path), path);
}

const ClipTokenizer& ClipTokenizer::shipped() {
    static const ClipTokenizer tokenizer = [] {
        const QString relative = QString::fromLatin1(kVocabularyPath);
        const QStringList found = ResourceLocator().findAll(relative);
        if (found.isEmpty()) {
            QStringList searched;
            for (const DataDirectory& dir : ResourceLocator().candidates())
                searched << dir.path;
            throw std::runtime_error(
                QStringLiteral("the CLIP vocabulary %1 is in none of the data folders (%2); "
                               "reinstall FreeSel Studio")
                    .arg(relative, searched.join(QStringLiteral(", ")))
                    .toStdString());
        }
        return fromGzipFile(found.first());
    }();
    return tokenizer;
}

std::vector<std::string> ClipTokenizer::mergeWord(std::vector<std::string> word) const {
    // bpe(): repeatedly merge every occurrence (left to right) of the best-ranked adjacent pair.
    while (word.size() > 1) {
        int bestRank = std::numeric_limits<int>::max();
        std::string bestFirst, bestSecond;
        for (size_t i = 0; i + 1 < word.size(); ++i) {
            const auto it = ranks_.find(word[i] + ' ' + word[i + 1]);
            if (it != ranks_.end() && it->second < bestRank) {
                bestRank = it->second;
                bestFirst = word[i];
                bestSecond = word[i + 1];
            }
        }
        if (bestRank == std::numeric_limits<int>::max())
            break;
        std::vector<std::string> merged;
        for (size_t i = 0; i < word.size();) {
            if (i + 1 < word.size() && word[i] == bestFirst && word[i + 1] == bestSecond) {
                merged.push_back(word[i] + word[i + 1]);
                i += 2;
            } else {
                merged.push_back(word[i++]);
            }
        }
        word = std::move(merged);
    }
    return word;
}

std::vector<int> ClipTokenizer::encodeWord(const std::string& utf8) const {
    if (utf8 == "<|startoftext|>")
        return {kStartOfText};
    if (utf8 == "<|endoftext|>")
        return {kEndOfText};
    std::vector<std::string> word;
    for (unsigned char byte : utf8)
        word.push_back(byteSymbols_[byte]);
    word.back() += "</w>";
    std::vector<int> ids;
    for (const std::string& piece : mergeWord(std::move(word)))
        ids.push_back(ids_.at(piece)); // every merge result is in the vocabulary by construction
    return ids;
}

std::vector<int> ClipTokenizer::encode(const QString& text) const {
    std::vector<int> ids;
    for (auto it = splitPattern().globalMatch(normalise(text)); it.hasNext();) {
        const std::vector<int> word = encodeWord(it.next().captured().toStdString());
        ids.insert(ids.end(), word.begin(), word.end());
    }
    return ids;
}

std::vector<int> ClipTokenizer::tokenize(const QString& text, bool truncate,
                                         int contextLength) const {
    if (contextLength < 2)
        throw std::invalid_argument("CLIP context length must be at least 2, got " +
                                    std::to_string(contextLength));
    std::vector<int> ids{kStartOfText};
    const std::vector<int> body = encode(text);
    ids.insert(ids.end(), body.begin(), body.end());
    ids.push_back(kEndOfText);
    const auto context = static_cast<size_t>(contextLength);
    if (ids.size() > context) {
        if (!truncate)
            throw std::invalid_argument(
                QStringLiteral("the text \"%1\" is %2 tokens long, more than CLIP's context of "
                               "%3; shorten it or ask for truncation")
                    .arg(text)
                    .arg(ids.size())
                    .arg(contextLength)
                    .toStdString());
        ids.resize(context);
        ids.back() = kEndOfText;
    }
    ids.resize(context, 0);
    return ids;
}

} // namespace freesel
