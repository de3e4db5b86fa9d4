// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Prompts for CLIP's text side (docs/ALGORITHM.md section C1): the paper's single template and
// the 80-template ImageNet ensemble of openai/CLIP's zero-shot notebook, and class-name files.

#include <QString>
#include <QStringList>

namespace freesel {

/// "A photo of a {}": the one template the paper's code uses.
QString defaultClipTemplate();

/// The 80 ImageNet templates of openai/CLIP (notebooks/Prompt_Engineering_for_ImageNet.ipynb),
/// in their order; embeddings are averaged over them per class.
const QStringList& clipEnsembleTemplates();

/// `templ` with every "{}" replaced by `className`. Throws std::invalid_argument when the
/// template has no "{}".
QString fillClipTemplate(const QString& templ, const QString& className);

/// Class names from a text file, one per line (trimmed; blank lines and lines starting with
/// '#' skipped). Throws std::invalid_argument naming the file and line of a duplicate, or an
/// unreadable or empty file.
QStringList readClassNames(const QString& path);

} // namespace freesel
