#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tests/data/clip/tokenizer_cases.json, the token ids test_clip_tokenizer checks.

    python3 tests/generate_clip_tokens.py [--vocab models/clip/bpe_simple_vocab_16e6.txt.gz]

A reference tokenizer written from the published description of CLIP's byte-level BPE
(openai/CLIP, clip/simple_tokenizer.py; docs/ALGORITHM.md section C6), independent of
the C++ one (core/text/clip_tokenizer.cpp): Python's html.unescape, str.lower, the `regex`
module for the Unicode classes, and the merge loop on tuples. ftfy has no twin on either side;
for the strings below it would change nothing. Needs the `regex` module (PyPI), not PyTorch.
"""
import argparse
import gzip
import html
import json
import os

import regex

SOT, EOT, CONTEXT = "<|startoftext|>", "<|endoftext|>", 77
PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)


def byte_symbols():
    """Byte -> printable character: printable Latin-1 bytes map to themselves, the rest to
    256, 257, ... in byte order. The dict keeps the vocabulary order (printable first)."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
            + list(range(ord("®"), ord("ÿ") + 1)))
    table = {b: chr(b) for b in keep}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class Tokenizer:
    def __init__(self, vocab_path):
        lines = gzip.open(vocab_path).read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
        self.symbols = byte_symbols()
        vocab = list(self.symbols.values())
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += [SOT, EOT]
        self.ids = {v: i for i, v in enumerate(vocab)}
        self.rank = {m: i for i, m in enumerate(merges)}
        assert len(vocab) == 49408

    def bpe(self, token):
        if token in (SOT, EOT):  # the special markers are whole symbols (bpe's seeded cache)
            return [token]
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[i], word[i + 1]) for i in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.rank.get(p, float("inf")))
            if best not in self.rank:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def encode(self, text):
        text = html.unescape(html.unescape(text)).strip()
        text = regex.sub(r"\s+", " ", text).strip().lower()
        out = []
        for token in PATTERN.findall(text):
            token = "".join(self.symbols[b] for b in token.encode("utf-8"))
            out += [self.ids[piece] for piece in self.bpe(token)]
        return out

    def tokenize(self, text, truncate):
        ids = [self.ids[SOT]] + self.encode(text) + [self.ids[EOT]]
        if len(ids) > CONTEXT:
            if not truncate:
                return None
            ids = ids[:CONTEXT]
            ids[-1] = self.ids[EOT]
        return ids + [0] * (CONTEXT - len(ids))


WORDS = ("the quick brown fox jumps over the lazy dog while seven curious otters watch from "
         "a mossy riverbank under a pale autumn sky").split()
LONG_TEXT = " ".join(WORDS[i % len(WORDS)] for i in range(80))

CASES = [
    "a photo of a dog",
    "A photo of a {}".format("golden retriever"),
    "Hello, World!!! What's up?... (yes) [no] {maybe} -- #tag @user 50% $3.99",
    "it's they're we've I'm you'll he'd don't ISN'T",
    "3.14159 and 1,000,000 and 2026 and 007",
    "Café naïve résumé Ærøskøbing Straße façade",
    "Привет мир, как дела",
    "日本語のテキストと中文",
    "🐶🐱 dog 👍🏽 ❤️ party 🎉🎉",
    "&amp; &lt;b&gt;bold&lt;/b&gt; &quot;quoted&quot; &amp;amp;",
    "  multiple   spaces\n\tand\ttabs \n ",
    "SHOUTING In MiXeD cAsE",
    "<|startoftext|>already marked<|endoftext|>",
    "x_y-z/w\\v e-mail@example.com https://example.org/a?b=c",
    "",
    LONG_TEXT,
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--vocab", default=os.path.join(
        here, "..", "models", "clip", "bpe_simple_vocab_16e6.txt.gz"))
    parser.add_argument("--out", default=os.path.join(here, "data", "clip",
                                                      "tokenizer_cases.json"))
    args = parser.parse_args()
    tok = Tokenizer(args.vocab)
    # Published ids (openai/CLIP README and notebooks) the reference must reproduce.
    assert tok.tokenize("a photo of a dog", False)[:7] == [49406, 320, 1125, 539, 320, 1929,
                                                           49407]
    cases = []
    for text in CASES:
        for truncate in (False, True):
            ids = tok.tokenize(text, truncate)
            cases.append({"text": text, "truncate": truncate,
                          "ids": ids if ids is not None else None})
    with open(args.out, "w", encoding="utf-8") as f:  # one case per line, reviewable diffs
        f.write('{"context_length": %d, "cases": [\n' % CONTEXT)
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
