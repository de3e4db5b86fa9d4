// SPDX-License-Identifier: GPL-3.0-or-later
// The fused per-head attention (vit_attention_kernel.h through fusedAttention in vit_kernels.h)
// against its definition computed in float64 from the same Q, K and V: softmax(scale Q K^T) V
// per head, in float32 and bfloat16, through the dispatched (vector) kernel and the portable one.
#include "backbone/vit_attention_kernel.h"
#include "backbone/vit_kernels.h"

#include <QtTest>

#include <cmath>

using namespace freesel;

namespace {

double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

struct Definition {
    torch::Tensor out;   ///< B x T x d float64
    torch::Tensor probs; ///< B x heads x T x T float64
};

/// softmax(scale Q K^T) V in float64 from `qkv` (B x T x 3d). `roundProbs`: P rounded to
/// bfloat16 before P V, as a bfloat16 attention multiplies it.
Definition definition(const torch::Tensor& qkv, int heads, double scale, bool roundProbs) {
    const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
    const torch::Tensor parts = qkv.to(torch::kFloat64)
                                    .view({batch, tokens, 3, heads, width / heads})
                                    .permute({2, 0, 3, 1, 4}); // 3 x B x heads x T x dh
    const torch::Tensor scores = at::matmul(parts[0], parts[1].transpose(-1, -2)) * scale;
    Definition d;
    d.probs = at::softmax(scores, -1);
    const torch::Tensor p = roundProbs ? d.probs.to(torch::kBFloat16).to(torch::kFloat64) : d.probs;
    d.out = at::matmul(p, parts[2]).transpose(1, 2).reshape({batch, tokens, width});
    return d;
}

/// Q K^T V with peaked scores (std ~ 4 after the scale): a wrong scale, key or value moves
/// the output by O(1), not by a fraction of an average.
torch::Tensor randomQkv(int64_t batch, int64_t tokens, int64_t width, torch::ScalarType type) {
    return (torch::randn({batch, tokens, 3 * width}) * 2.0).to(type);
}

/// The portable kernel over every (image, head), as fusedAttention splits them.
torch::Tensor portableAttention(const torch::Tensor& qkv, int heads, double scale) {
    const int64_t batch = qkv.size(0), tokens = qkv.size(1), width = qkv.size(2) / 3;
    const int64_t dh = width / heads, size = qkv.element_size();
    torch::Tensor out = torch::empty({batch, tokens, width}, qkv.options());
    const auto* base = static_cast<const char*>(qkv.data_ptr());
    for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < heads; ++h) {
            const char* rows = base + b * tokens * 3 * width * size;
            vitattn::AttentionHead head;
            head.q = rows + h * dh * size;
            head.k = rows + (width + h * dh) * size;
            head.v = rows + (2 * width + h * dh) * size;
            head.rowStride = 3 * width;
            head.bf16 = qkv.scalar_type() == torch::kBFloat16;
            head.tokens = tokens;
            head.headDim = dh;
            head.scale = float(scale);
            head.out = static_cast<char*>(out.data_ptr()) + (b * tokens * width + h * dh) * size;
            head.outStride = width;
            vitattn::attentionHeadPortable(head);
        }
    return out;
}

} // namespace

class TestVitAttentionKernel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { torch::manual_seed(11); }
    void matchesTheDefinition_data();
    void matchesTheDefinition();
    void badInputsAreRefused();
};

void TestVitAttentionKernel::matchesTheDefinition_data() {
    QTest::addColumn<bool>("bf16");
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<double>("scale");
    // 197 = ViT-S/16 at 224 (odd: bfloat16 pads a pair), 1 token, 64 and 128 (two passes of
    // P V) on the vector kernels, 24 only on the portable one.
    for (bool bf16 : {false, true}) {
        const char* type = bf16 ? "bfloat16" : "float32";
        QTest::addRow("%s 197 tokens, 2 x 64", type) << bf16 << 197 << 2 << 64 << 0.125;
        QTest::addRow("%s 1 token", type) << bf16 << 1 << 2 << 64 << 0.125;
        QTest::addRow("%s 40 tokens, 1 x 128", type) << bf16 << 40 << 1 << 128 << 0.1;
        QTest::addRow("%s 19 tokens, 3 x 24", type) << bf16 << 19 << 3 << 24 << 0.2;
    }
}

void TestVitAttentionKernel::matchesTheDefinition() {
    QFETCH(bool, bf16);
    QFETCH(int, tokens);
    QFETCH(int, heads);
    QFETCH(int, headDim);
    QFETCH(double, scale);
    const torch::Tensor qkv =
        randomQkv(2, tokens, int64_t(heads) * headDim, bf16 ? torch::kBFloat16 : torch::kFloat32);
    const Definition d = definition(qkv, heads, scale, bf16);
    qInfo("vector kernel: %s",
          vitattn::attentionHeadVectorised(bf16, headDim) ? "yes" : "no (portable)");
    // float32: accumulation rounding only. bfloat16: the output rounded once (2^-9 relative,
    // |values| < ~8) plus probabilities rounded a bfloat16 ulp apart from float64's.
    const double tolerance = bf16 ? 0.04 : 2e-5;
    torch::Tensor probs;
    const torch::Tensor out = fusedAttention(qkv, heads, scale, &probs);
    QCOMPARE(out.scalar_type(), qkv.scalar_type());
    QVERIFY2(maxAbsDiff(out, d.out) < tolerance,
             qPrintable(QString::number(maxAbsDiff(out, d.out))));
    QVERIFY2(maxAbsDiff(probs, d.probs) < 1e-5,
             qPrintable(QString::number(maxAbsDiff(probs, d.probs))));
    // Without the probabilities: the other softmax path (straight to bfloat16 when bf16).
    const torch::Tensor alone = fusedAttention(qkv, heads, scale);
    QVERIFY(maxAbsDiff(alone, d.out) < tolerance);
    const torch::Tensor portable = portableAttention(qkv, heads, scale);
    QVERIFY2(maxAbsDiff(portable, d.out) < tolerance,
             qPrintable(QString::number(maxAbsDiff(portable, d.out))));
    // The outputs really depend on the attention: far from V's plain mean.
    const torch::Tensor mean =
        qkv.to(torch::kFloat64).slice(2, 2 * heads * headDim).mean(1, true).expand_as(d.out);
    if (tokens > 1)
        QVERIFY(maxAbsDiff(mean, d.out) > 0.5);
}

void TestVitAttentionKernel::badInputsAreRefused() {
    const torch::Tensor qkv = torch::randn({1, 5, 3 * 64});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fusedAttention(qkv, 5, 1.0)); // 64 % 5
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fusedAttention(qkv.view({5, 192}), 1, 1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             fusedAttention(qkv.to(torch::kFloat64), 1, 1.0));
}

QTEST_GUILESS_MAIN(TestVitAttentionKernel)
#include "test_vit_attention_kernel.moc"
