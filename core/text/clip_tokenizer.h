// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// CLIP's text tokenizer (openai/CLIP, clip/simple_tokenizer.py): byte-level BPE over the merges
// of bpe_simple_vocab_16e6.txt.gz (MIT, OpenAI; shipped in the data folder as
// clip/bpe_simple_vocab_16e6.txt.gz). Spec: docs/ALGORITHM.md section C6.

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

namespace freesel {

class ClipTokenizer {
public:
    static constexpr int kContextLength = 77;
    static constexpr int kStartOfText = 49406;
    static constexpr int kEndOfText = 49407;
    static constexpr int kVocabularySize = 49408;
    /// Where the vocabulary lives inside a data folder (util/resource_locator.h).
    static constexpr const char* kVocabularyPath = "clip/bpe_simple_vocab_16e6.txt.gz";

    /// `mergesText`: the decompressed vocabulary file (a header line, then one merge "a b" per
    /// line, in rank order). Throws std::runtime_error naming `source` when it is malformed.
    ClipTokenizer(const QByteArray& mergesText, const QString& source);

    /// Reads a bpe_simple_vocab_16e6.txt.gz file.
    static ClipTokenizer fromGzipFile(const QString& path);
    /// The vocabulary of the installation (first data folder that has it), read once.
    static const ClipTokenizer& shipped();

    /// The BPE ids of `text`, without start / end markers: html entities decoded, whitespace
    /// collapsed, lowercased, split by CLIP's pattern, each piece byte-encoded and merged.
    std::vector<int> encode(const QString& text) const;

    /// [start] + encode(text) + [end], zero-padded to `contextLength`. Longer: with `truncate`
    /// the first contextLength ids are kept and the last becomes the end marker; without, a
    /// std::invalid_argument that quotes the text and says how to fix it.
    std::vector<int> tokenize(const QString& text, bool truncate = false,
                              int contextLength = kContextLength) const;

    /// The vocabulary symbol of an id (byte-encoded text, "</w>" ends a word); for tests/debugging.
    const std::string& symbol(int id) const { return vocabulary_.at(static_cast<size_t>(id)); }

private:
    std::vector<int> encodeWord(const std::string& utf8) const;
    std::vector<std::string> mergeWord(std::vector<std::string> word) const;

    std::array<std::string, 256> byteSymbols_; ///< byte -> UTF-8 of its printable stand-in
    std::vector<std::string> vocabulary_;
    std::unordered_map<std::string, int> ids_;
    std::unordered_map<std::string, int> ranks_; ///< "first second" -> merge rank
};

} // namespace freesel
