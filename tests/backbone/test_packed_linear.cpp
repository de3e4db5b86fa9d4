// SPDX-License-Identifier: GPL-3.0-or-later
// PackedLinear (the oneDNN product with the weight reordered once) and the ViT kernels built on
// it, against the same products computed in float64 from their definitions.
#include "backbone/packed_linear.h"
#include "backbone/vit_kernels.h"

#include <QtTest>

using namespace freesel;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/// x W^T + b in float64, from the definition.
torch::Tensor linearReference(const torch::Tensor& x, const torch::Tensor& w,
                              const torch::Tensor& b) {
    const torch::Tensor xd = x.to(torch::kFloat64), wd = w.to(torch::kFloat64);
    return at::matmul(xd, wd.t()) + b.to(torch::kFloat64);
}

} // namespace

class TestPackedLinear : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        if (!PackedLinear::available())
            QSKIP("LibTorch without oneDNN's prepacked ops: the exact paths run instead");
    }
    void matchesTheDefinitionInFloat32();
    void anyRowCountAndLayout();
    void bfloat16ProductsRoundOnlyTheInputs();
    void badShapesAreRefused();
    void mlpIsFc2OfGeluOfFc1();
    void batchedProductsMatchTheDefinition();
};

void TestPackedLinear::matchesTheDefinitionInFloat32() {
    torch::manual_seed(1);
    // 40 outputs (not a multiple of oneDNN's 16-wide blocks) from 24 inputs.
    const torch::Tensor w = torch::randn({40, 24}), b = torch::randn({40});
    const PackedLinear layer = PackedLinear::pack(w, b, 12);
    QVERIFY(layer.defined());
    QCOMPARE(layer.inFeatures(), int64_t(24));
    QCOMPARE(layer.outFeatures(), int64_t(40));
    const torch::Tensor x = torch::randn({12, 24});
    const torch::Tensor y = layer(x);
    QVERIFY(y.sizes() == c10::IntArrayRef({12, 40}));
    QCOMPARE(y.scalar_type(), torch::kFloat32);
    QVERIFY(y.is_contiguous());
    QVERIFY(maxAbsDiff(y, linearReference(x, w, b)) < 1e-4);
    // The bias really is added (a zero bias would leave y - xW^T at 0).
    QVERIFY(maxAbsDiff(y, linearReference(x, w, torch::zeros({40}))) > 0.1);
}

void TestPackedLinear::anyRowCountAndLayout() {
    torch::manual_seed(2);
    const torch::Tensor w = torch::randn({33, 16}), b = torch::randn({33});
    const PackedLinear layer = PackedLinear::pack(w, b, 256); // hint differs from every call
    for (const std::vector<int64_t>& shape :
         {std::vector<int64_t>{1, 16}, {3, 5, 16}, {2, 197, 16}, {1000, 16}}) {
        const torch::Tensor x = torch::randn(shape);
        const torch::Tensor y = layer(x);
        std::vector<int64_t> expected = shape;
        expected.back() = 33;
        QVERIFY(y.sizes().vec() == expected);
        QVERIFY2(maxAbsDiff(y, linearReference(x, w, b)) < 1e-4, c10::str(shape).c_str());
    }
    // A strided input (the transpose of a contiguous tensor) and a float64 one.
    const torch::Tensor strided = torch::randn({16, 7}).t();
    QVERIFY(maxAbsDiff(layer(strided), linearReference(strided, w, b)) < 1e-4);
    const torch::Tensor doubles = torch::randn({4, 16}, torch::kFloat64);
    QVERIFY(maxAbsDiff(layer(doubles), linearReference(doubles, w, b)) < 1e-4);
}

void TestPackedLinear::bfloat16ProductsRoundOnlyTheInputs() {
    torch::manual_seed(3);
    const torch::Tensor w = torch::randn({48, 64}).to(torch::kBFloat16);
    const torch::Tensor b = torch::randn({48});
    const PackedLinear layer = PackedLinear::pack(w, b);
    QCOMPARE(layer.scalarType(), torch::kBFloat16);
    const torch::Tensor x = torch::randn({20, 64});
    const torch::Tensor y = layer(x);
    QCOMPARE(y.scalar_type(), torch::kBFloat16);
    // Inputs rounded to bfloat16, products accumulated in float32, the output rounded once:
    // within a few bfloat16 ulps (2^-8 relative) of the float64 product of the rounded inputs.
    const torch::Tensor reference =
        linearReference(x.to(torch::kBFloat16), w, b.to(torch::kBFloat16));
    const double scale = reference.abs().max().item<double>();
    QVERIFY(maxAbsDiff(y, reference) < 2.0 * scale / 256.0);
}

void TestPackedLinear::badShapesAreRefused() {
    const torch::Tensor w = torch::randn({8, 4});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PackedLinear::pack(w, torch::zeros({7})));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             PackedLinear::pack(torch::randn({8}), torch::zeros({8})));
    const PackedLinear layer = PackedLinear::pack(w, torch::zeros({8}));
    try {
        layer(torch::randn({2, 5}));
        QFAIL("a 5-wide input to a 4-input layer was accepted");
    } catch (const std::invalid_argument& e) {
        QVERIFY(std::string(e.what()).find(".. x 4") != std::string::npos);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, PackedLinear{}(torch::randn({2, 4})));
}

void TestPackedLinear::mlpIsFc2OfGeluOfFc1() {
    torch::manual_seed(4);
    const torch::Tensor w1 = torch::randn({32, 8}) * 0.5, b1 = torch::randn({32});
    const torch::Tensor w2 = torch::randn({8, 32}) * 0.5, b2 = torch::randn({8});
    const torch::Tensor y = torch::randn({2, 9, 8});
    const torch::Tensor out = packedMlp(y, PackedLinear::pack(w1, b1), PackedLinear::pack(w2, b2));
    // GELU(h) = h Phi(h) = h (1 + erf(h / sqrt 2)) / 2, the exact one (not the tanh form).
    const torch::Tensor h = linearReference(y, w1, b1);
    const torch::Tensor gelu = h * (1.0 + torch::erf(h / std::sqrt(2.0))) / 2.0;
    QVERIFY(maxAbsDiff(out, linearReference(gelu, w2, b2)) < 1e-4);
}

void TestPackedLinear::batchedProductsMatchTheDefinition() {
    torch::manual_seed(5);
    const torch::Tensor a = torch::randn({7, 5, 3}), b = torch::randn({7, 3, 4});
    const torch::Tensor out = parallelBatchedProducts(a, b);
    for (int64_t g = 0; g < 7; ++g) // each group on its own, in float64
        QVERIFY(maxAbsDiff(out[g], at::matmul(a[g].to(torch::kFloat64), b[g].to(torch::kFloat64))) <
                1e-5);
}

QTEST_GUILESS_MAIN(TestPackedLinear)
#include "test_packed_linear.moc"
