// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "export/export_format.h"
#include "export/selection_export.h"
#include "run_parameters.h"
#include "selection/selection.h"

namespace freesel {

/// Where rank 0 writes the selection of `freesel select --mpi`.
struct MpiSelectOutput {
    QString out;
    ExportFormat format = ExportFormat::Txt;
    ExportOptions exportOptions;
};

/// freesel select --mpi (docs/SCALE.md): every rank reads its contiguous share of the usable
/// images from the store (which must hold them all: extraction runs before, e.g. as a Slurm
/// array), computes their patterns, and takes part in one distributed D^2 (freesel) or FDS
/// selection; rank 0 writes the outputs. The picks equal the single-process run's. Throws
/// UsageError for what --mpi does not support and when the build has no MPI.
int runMpiSelection(const RunParameters& run, StrategyKind strategy, const MpiSelectOutput& output);

} // namespace freesel
