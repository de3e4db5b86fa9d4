// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Shared by test_dino_vit and test_checkpoint_reader: the configs of
// tests/generate_vit_reference.py and access to its reference files in tests/data/vit.

#include "backbone/vit_config.h"
#include "backbone/vit_model.h"
#include "weights/checkpoint_reader.h"

#include <QtTest>

#include <string>

namespace freesel::test {

constexpr std::uint64_t kWeightSeed = 1; // WEIGHT_SEED in the script
constexpr std::uint64_t kImageSeed = 7;  // IMAGE_SEED: input i uses kImageSeed + i

inline std::string vitDataPath(const std::string& file) {
    return std::string(FREESEL_SOURCE_DIR) + "/tests/data/vit/" + file;
}

/// CASES["small"]: DINO layout, patch 8, width 48, depth 2, heads 3, trained 4 x 4 grid.
inline VitConfig smallConfig() {
    VitConfig c;
    c.name = "test_small";
    c.patchSize = 8;
    c.width = 48;
    c.depth = 2;
    c.heads = 3;
    c.mlpHidden = 192;
    c.positionGrid = 4;
    return c;
}

/// CASES["small_v2"]: DINOv2 layout with layer scale and 2 registers, patch 7.
inline VitConfig smallV2Config() {
    VitConfig c = smallConfig();
    c.name = "test_small_v2";
    c.patchSize = 7;
    c.layerScale = true;
    c.registers = 2;
    return c;
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

inline double cosine(const torch::Tensor& a, const torch::Tensor& b) {
    const torch::Tensor x = a.flatten().to(torch::kFloat64), y = b.flatten().to(torch::kFloat64);
    return (x.dot(y) / (x.norm() * y.norm())).item<double>();
}

inline std::string shapeOf(const torch::Tensor& t) {
    return c10::str(t.sizes());
}

} // namespace freesel::test

/// QVERIFY2 for a tensor difference, printing the error.
#define FREESEL_VERIFY_CLOSE(a, b, tolerance)                                                      \
    do {                                                                                           \
        const torch::Tensor a_ = (a), b_ = (b);                                                    \
        QVERIFY2(a_.sizes() == b_.sizes(),                                                         \
                 qPrintable(QString::fromStdString(freesel::test::shapeOf(a_) + " vs " +           \
                                                   freesel::test::shapeOf(b_))));                  \
        const double error_ = freesel::test::maxAbsDiff(a_, b_);                                   \
        QVERIFY2(error_ < (tolerance),                                                             \
                 qPrintable(QStringLiteral("max abs error %1 >= %2").arg(error_).arg(tolerance))); \
    } while (false)
