// SPDX-License-Identifier: GPL-3.0-or-later
// Fuzz target: reading a .freesel project file (JSON) into RunParameters, then deriving the stage
// keys from whatever was read.

#include "fuzz_support.h"

#include "window/project_file.h"

using namespace freesel;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QString path =
        fuzz::writeScratchFile(QStringLiteral("project.freesel"), fuzz::view(data, size));
    ProjectFile project;
    QString error;
    if (!project.load(path, &error)) {
        fuzz::check(!error.isEmpty()); // a refusal always says why
        return 0;
    }
    const RunParameters& p = project.parameters;
    fuzz::check(!p.selectionKey().isEmpty() && !p.patternKey().isEmpty());
    // What was loaded must survive a save and a second load unchanged.
    const QString copy = QDir(fuzz::scratchDir()).filePath(QStringLiteral("copy.freesel"));
    fuzz::check(project.save(copy, &error));
    ProjectFile reloaded;
    fuzz::check(reloaded.load(copy, &error));
    fuzz::check(reloaded.parameters.toJson() == RunParameters::fromJson(p.toJson()).toJson());
    return 0;
}
