// SPDX-License-Identifier: GPL-3.0-or-later
// The fused element-wise steps of a ViT block (vit_row_kernels.h through the torch wrappers of
// vit_kernels.h) against their definitions computed in float64: residual add + LayerNorm, the
// softmax, the exact erf GELU, in float32 and bfloat16 in and out.
#include "backbone/vit_kernels.h"
#include "backbone/vit_row_kernels.h"

#include <QtTest>

#include <cmath>

using namespace freesel;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

/// The largest |a - b| relative to max(|b|, floor): bfloat16 keeps 8 significant bits.
double maxRelativeDiff(const torch::Tensor& a, const torch::Tensor& b, double floor) {
    const torch::Tensor bd = b.to(torch::kFloat64);
    return ((a.to(torch::kFloat64) - bd).abs() / bd.abs().clamp_min(floor)).max().item<double>();
}

torch::Tensor layerNormReference(const torch::Tensor& x, const torch::Tensor& w,
                                 const torch::Tensor& b, double eps) {
    const torch::Tensor xd = x.to(torch::kFloat64);
    const torch::Tensor mean = xd.mean(-1, true);
    const torch::Tensor var = (xd - mean).pow(2).mean(-1, true);
    return (xd - mean) / (var + eps).sqrt() * w.to(torch::kFloat64) + b.to(torch::kFloat64);
}

torch::Tensor geluReference(const torch::Tensor& x) {
    const torch::Tensor xd = x.to(torch::kFloat64);
    return xd * (1.0 + torch::erf(xd / std::sqrt(2.0))) / 2.0;
}

} // namespace

class TestVitRowKernels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { torch::manual_seed(7); }
    void expAndErfAreAccurate();
    void residualLayerNormMatchesTheDefinition_data();
    void residualLayerNormMatchesTheDefinition();
    void softmaxMatchesTheDefinition_data();
    void softmaxMatchesTheDefinition();
    void geluIsTheExactErfOne();
    void bf16GeluIsCorrectlyRoundedForEveryInput();
    void badInputsAreRefused();
};

void TestVitRowKernels::expAndErfAreAccurate() {
    double expError = 0, erfError = 0;
    for (int i = 0; i <= 200000; ++i) {
        // The arguments as floats first: the reference must see the same input.
        const float x = float(-87.0 * i / 200000.0);
        const double e = std::exp(double(x));
        expError = std::max(expError, std::abs(vitrows::expNonPositive(x) - e) / e);
        const float y = float(-6.0 + 12.0 * i / 200000.0);
        erfError = std::max(erfError, std::abs(vitrows::erfApprox(y) - std::erf(double(y))));
    }
    QVERIFY2(expError < 1e-6, qPrintable(QString::number(expError)));
    // A&S 7.1.26 is within 1.5e-7; float arithmetic of 1 - r t exp(-x^2) adds a few ulp of 1.
    QVERIFY2(erfError < 1e-6, qPrintable(QString::number(erfError)));
    QCOMPARE(vitrows::expNonPositive(0.0f), 1.0f);
    QVERIFY(vitrows::expNonPositive(-1000.0f) < 1e-37f); // clamped, not garbage
    QCOMPARE(vitrows::erfApprox(0.0f), 0.0f);
    QVERIFY(vitrows::erfApprox(-0.5f) < 0.0f);
}

void TestVitRowKernels::residualLayerNormMatchesTheDefinition_data() {
    QTest::addColumn<bool>("branchBf16");
    QTest::addColumn<bool>("withGamma");
    QTest::addColumn<bool>("withBranch");
    QTest::addColumn<bool>("outBf16");
    for (bool branchBf16 : {false, true})
        for (bool withGamma : {false, true})
            for (bool outBf16 : {false, true})
                QTest::addRow("branch %s, gamma %d, out %s", branchBf16 ? "bf16" : "f32",
                              int(withGamma), outBf16 ? "bf16" : "f32")
                    << branchBf16 << withGamma << true << outBf16;
    QTest::newRow("no branch, out f32") << false << false << false << false;
    QTest::newRow("no branch, out bf16") << false << false << false << true;
}

void TestVitRowKernels::residualLayerNormMatchesTheDefinition() {
    QFETCH(bool, branchBf16);
    QFETCH(bool, withGamma);
    QFETCH(bool, withBranch);
    QFETCH(bool, outBf16);
    // 37 rows (not a multiple of the grain), width 100 (not a multiple of a vector), a large
    // mean (the two-pass variance must not cancel).
    const torch::Tensor x0 = torch::randn({37, 100}) * 3.0 + 50.0;
    const torch::Tensor branch =
        (torch::randn({37, 100}) * 2.0).to(branchBf16 ? torch::kBFloat16 : torch::kFloat32);
    const torch::Tensor gamma = withGamma ? torch::rand({100}) + 0.5 : torch::Tensor();
    const torch::Tensor w = torch::rand({100}) + 0.5, b = torch::randn({100});
    torch::Tensor x = x0.clone();
    const torch::Tensor out =
        fusedResidualLayerNorm(x, withBranch ? branch : torch::Tensor(), gamma, w, b, 1e-6,
                               outBf16 ? torch::kBFloat16 : torch::kFloat32);
    QCOMPARE(out.scalar_type(), outBf16 ? torch::kBFloat16 : torch::kFloat32);
    torch::Tensor expectedX = x0.to(torch::kFloat64);
    if (withBranch)
        expectedX += branch.to(torch::kFloat64) *
                     (withGamma ? gamma.to(torch::kFloat64) : torch::ones({100}, torch::kFloat64));
    QVERIFY(maxAbsDiff(x, expectedX) < 1e-4); // float32 rounding of values ~50
    const torch::Tensor expected = layerNormReference(expectedX, w, b, 1e-6);
    if (outBf16)
        QVERIFY(maxRelativeDiff(out, expected, 0.1) < 1.0 / 256); // bfloat16 rounding
    else
        QVERIFY2(maxAbsDiff(out, expected) < 2e-5,
                 qPrintable(QString::number(maxAbsDiff(out, expected))));
}

void TestVitRowKernels::softmaxMatchesTheDefinition_data() {
    QTest::addColumn<bool>("inBf16");
    QTest::addColumn<bool>("outBf16");
    QTest::newRow("f32 -> f32 (in place)") << false << false;
    QTest::newRow("f32 -> bf16") << false << true;
    QTest::newRow("bf16 -> f32") << true << false;
    QTest::newRow("bf16 -> bf16 (in place)") << true << true;
}

void TestVitRowKernels::softmaxMatchesTheDefinition() {
    QFETCH(bool, inBf16);
    QFETCH(bool, outBf16);
    // 6 x 197 x 197: ViT-S/16's rows; a wide spread so some terms underflow.
    const torch::Tensor scores =
        (torch::randn({6, 197, 197}) * 8.0).to(inBf16 ? torch::kBFloat16 : torch::kFloat32);
    const torch::Tensor expected = at::softmax(scores.to(torch::kFloat64), -1);
    const torch::Tensor input = scores.clone();
    const torch::Tensor out = fusedSoftmax(input, outBf16 ? torch::kBFloat16 : torch::kFloat32);
    QCOMPARE(out.data_ptr() == input.data_ptr(), inBf16 == outBf16);
    QVERIFY(maxRelativeDiff(out, expected, 1e-3) < (outBf16 ? 1.0 / 256 : 1e-5));
    QVERIFY(maxAbsDiff(out.to(torch::kFloat64).sum(-1), torch::ones({6, 197})) <
            (outBf16 ? 0.02 : 1e-5));
}

void TestVitRowKernels::geluIsTheExactErfOne() {
    // Includes |x| > 5 (erf saturates) and values near 0; 70001 elements: several tasks.
    const torch::Tensor x = torch::linspace(-8.0, 8.0, 70001);
    const torch::Tensor f32 = x.clone();
    fusedGeluInPlace(f32);
    QVERIFY2(maxAbsDiff(f32, geluReference(x)) < 1e-6,
             qPrintable(QString::number(maxAbsDiff(f32, geluReference(x)))));
    // Not the tanh approximation: it differs from erf-GELU by up to ~1e-3 near |x| = 2.
    const torch::Tensor tanhGelu = at::gelu(x, "tanh");
    QVERIFY(maxAbsDiff(tanhGelu, geluReference(x)) > 1e-4);
    const torch::Tensor bf16 = x.to(torch::kBFloat16);
    fusedGeluInPlace(bf16);
    QVERIFY(maxRelativeDiff(bf16, geluReference(x.to(torch::kBFloat16)), 0.01) < 1.0 / 256);
}

void TestVitRowKernels::bf16GeluIsCorrectlyRoundedForEveryInput() {
    // Every bfloat16 bit pattern: the float64 GELU rounded by LibTorch's own conversion.
    const torch::Tensor all =
        torch::arange(0, 65536, torch::kInt32).to(torch::kInt16).view(torch::kBFloat16);
    const torch::Tensor finite = all.masked_select(all.isfinite());
    const torch::Tensor gelu = finite.clone();
    fusedGeluInPlace(gelu);
    const torch::Tensor expected = geluReference(finite).to(torch::kBFloat16);
    const torch::Tensor differs = gelu.view(torch::kInt16) != expected.view(torch::kInt16);
    QVERIFY2(differs.sum().item<int64_t>() == 0,
             qPrintable(QStringLiteral("%1 of %2 inputs differ, e.g. GELU(%3)")
                            .arg(differs.sum().item<int64_t>())
                            .arg(finite.numel())
                            .arg(differs.any().item<bool>()
                                     ? finite.masked_select(differs)[0].item<double>()
                                     : 0.0)));
    // Non-finite inputs: GELU(inf) = inf, NaN stays NaN.
    const torch::Tensor special =
        torch::tensor({INFINITY, NAN}, torch::kFloat32).to(torch::kBFloat16);
    fusedGeluInPlace(special);
    QCOMPARE(special[0].item<float>(), INFINITY);
    QVERIFY(std::isnan(special[1].item<float>()));
}

void TestVitRowKernels::badInputsAreRefused() {
    torch::Tensor halfStream = torch::zeros({2, 4}, torch::kBFloat16);
    const torch::Tensor w = torch::ones({4}), b = torch::zeros({4});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fusedResidualLayerNorm(halfStream, {}, {}, w, b,
                                                                           1e-6, torch::kFloat32));
    torch::Tensor x = torch::zeros({2, 4});
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        fusedResidualLayerNorm(x, torch::zeros({2, 5}), {}, w, b, 1e-6, torch::kFloat32));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             fusedSoftmax(torch::zeros({4, 4}, torch::kFloat64), torch::kFloat32));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fusedGeluInPlace(torch::zeros({4, 4}).t()));
}

QTEST_GUILESS_MAIN(TestVitRowKernels)
#include "test_vit_row_kernels.moc"
