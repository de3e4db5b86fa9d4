// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Projection bounds for cosine D^2 sampling: each bound group gets a few orthonormal directions
// (its centre and the leading principal directions of its rows around it), and each row keeps
// its coordinates along them and a bound on what is left over. For unit q and r
//
//     q.r = (Uq).(Ur) + q_perp.r_perp <= (Uq).(Ur) + |q_perp| |r_perp|
//
// so a row whose D cannot drop below 1 - that bound is ruled out with a dot of `width` floats
// instead of one of 384. On pools where most variation within a group lies in a few
// directions (semantic patterns do) this is far tighter than the triangle inequality through
// the group centre, which in high dimensions sees every row at about the same distance.

#include "selection/pattern_groups.h"

#include <cstdint>
#include <vector>

namespace freesel {

/// Directions per group (the centre and 15 principal directions): wide enough for the
/// variation of one semantic mode, narrow enough that a check is one AVX-512 register.
constexpr int kProjectionWidth = 16;

/// Rounding allowance of the projection bound, in dot units (see projectedBoundSlack): float
/// coordinates err by at most 384 x 2^-24 each, a few 1e-4 over all; the exact float dot by
/// 2.3e-5. Ten times that, still far below the D differences the bound separates.
constexpr float kProjectionSlack = 2e-3f;

/// Added under the square root of 1 - |coordinates|^2 so that the left-over norm of a row or
/// query is an upper bound despite float rounding of the coordinates (errors of ~1e-4 in
/// |Ur|^2 would otherwise turn a small residual into a smaller one).
constexpr float kResidualAllowance = 5e-4f;

/// `width` orthonormal directions (row-major, width x dims) for the unit rows
/// [begin, end) of `rows` around the unit `centre`: the centre, then the leading principal
/// directions of the rows' components orthogonal to it (from an evenly strided sample of at
/// most 32 rows). Directions that the rows do not span are left zero.
void groupDirections(const GroupingRows& rows, int64_t begin, int64_t end, const float* centre,
                     int width, float* directions);

/// The coordinates of a unit vector along `directions` (width x dims) and an upper bound on
/// the norm of what they leave over: sqrt(max(0, 1 - |coordinates|^2 + allowance)).
float projectUnit(const float* vector, const float* directions, int width, int dims,
                  float* coordinates);

/// projectUnit for `count` contiguous unit rows at once (coordinates: count x width, row by
/// row; leftOvers: count), in the 4 x 4 tiles of dotsOfRowsWithRows: the directions are read
/// once per four rows instead of once per row.
void projectUnitRows(const float* rows, int count, const float* directions, int width, int dims,
                     float* coordinates, float* leftOvers);

} // namespace freesel
