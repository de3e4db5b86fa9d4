// SPDX-License-Identifier: GPL-3.0-or-later
// The attention filter of Eq. 2 (docs/ALGORITHM.md section 2).
#include "patterns/attention_filter.h"

#include <QtTest>
#include <stdexcept>

using namespace freesel;

class TestAttentionFilter : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void keepsThePrefixThatCrossesTau();
    void keepsThePatchThatCrossesTauExactly();
    void breaksTiesByPatchIndex();
    void tauOneKeepsEveryPatchEvenWithZeroAttention();
    void oneDominantPatch();
    void alwaysKeepsAtLeastOnePatch();
    void normalisesUnnormalisedAttention();
    void refusesBadTauAndBadAttention();
    void cumulativeMassFollowsTheRankOrder();
};

void TestAttentionFilter::keepsThePrefixThatCrossesTau() {
    // Shares 0.1, 0.4, 0.2, 0.3 (given unnormalised, so 4/10 is exactly the double 0.4).
    // Ranked: patch 1 (0.4), patch 3 (0.3), patch 2 (0.2), patch 0 (0.1).
    const float a[] = {1.0f, 4.0f, 2.0f, 3.0f};
    QCOMPARE(keepByAttention(a, 4, 0.5), (std::vector<int>{1, 3})); // 0.4 < 0.5, 0.7 >= 0.5
    QCOMPARE(keepByAttention(a, 4, 0.4), (std::vector<int>{1}));    // 0.4 reaches 0.4
    QCOMPARE(keepByAttention(a, 4, 0.75), (std::vector<int>{1, 2, 3}));
    QCOMPARE(keepByAttention(a, 4, 0.95), (std::vector<int>{0, 1, 2, 3}));
}

void TestAttentionFilter::keepsThePatchThatCrossesTauExactly() {
    // Masses are exact binary fractions: 0.5 is reached by the first patch alone.
    const float a[] = {0.25f, 0.5f, 0.25f};
    QCOMPARE(keepByAttention(a, 3, 0.5), (std::vector<int>{1}));
    QCOMPARE(keepByAttention(a, 3, 0.5000001), (std::vector<int>{0, 1}));
}

void TestAttentionFilter::breaksTiesByPatchIndex() {
    const float a[] = {0.2f, 0.2f, 0.2f, 0.2f, 0.2f};
    QCOMPARE(rankPatchesByAttention(a, 5), (std::vector<int>{0, 1, 2, 3, 4}));
    QCOMPARE(keepByAttention(a, 5, 0.3), (std::vector<int>{0, 1}));
    const float b[] = {0.1f, 0.3f, 0.1f, 0.3f, 0.2f};
    QCOMPARE(rankPatchesByAttention(b, 5), (std::vector<int>{1, 3, 4, 0, 2}));
}

void TestAttentionFilter::tauOneKeepsEveryPatchEvenWithZeroAttention() {
    const float a[] = {0.7f, 0.0f, 0.3f, 0.0f};
    QCOMPARE(keepByAttention(a, 4, 1.0), (std::vector<int>{0, 1, 2, 3}));
    QCOMPARE(keepByAttention(a, 4, 0.99), (std::vector<int>{0, 2}));
}

void TestAttentionFilter::oneDominantPatch() {
    std::vector<float> a(196, 0.0001f);
    a[57] = 0.97f;
    QCOMPARE(keepByAttention(a.data(), 196, 0.5), (std::vector<int>{57}));
    QCOMPARE(keepByAttention(a.data(), 196, 0.97).size(), size_t(1));
}

void TestAttentionFilter::alwaysKeepsAtLeastOnePatch() {
    const float a[] = {0.3f, 0.3f, 0.4f};
    QCOMPARE(keepByAttention(a, 3, 1e-9), (std::vector<int>{2}));
    const float zeros[] = {0.0f, 0.0f, 0.0f};
    QCOMPARE(keepByAttention(zeros, 3, 0.2), (std::vector<int>{0}));
}

void TestAttentionFilter::normalisesUnnormalisedAttention() {
    const float a[] = {1.0f, 4.0f, 2.0f, 3.0f};
    QCOMPARE(keepByAttention(a, 4, 0.5), (std::vector<int>{1, 3}));
}

void TestAttentionFilter::refusesBadTauAndBadAttention() {
    const float a[] = {0.5f, 0.5f};
    for (double tau : {0.0, -0.1, 1.0001, std::nan("")}) {
        try {
            keepByAttention(a, 2, tau);
            QFAIL("bad tau accepted");
        } catch (const std::invalid_argument& error) {
            QVERIFY(
                QString::fromUtf8(error.what()).contains(QStringLiteral("tau must be in (0, 1]")));
        }
    }
    const float negative[] = {0.5f, -0.1f};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, keepByAttention(negative, 2, 0.5));
    const float notFinite[] = {0.5f, std::numeric_limits<float>::infinity()};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, keepByAttention(notFinite, 2, 0.5));
}

void TestAttentionFilter::cumulativeMassFollowsTheRankOrder() {
    const float a[] = {1.0f, 4.0f, 2.0f, 3.0f};
    const std::vector<double> mass = cumulativeAttentionMass(a, 4);
    QCOMPARE(mass.size(), size_t(4));
    QVERIFY(qFuzzyCompare(mass[0], 0.4));
    QVERIFY(qFuzzyCompare(mass[1], 0.7));
    QVERIFY(qFuzzyCompare(mass[2], 0.9));
    QVERIFY(qFuzzyCompare(mass[3], 1.0));
}

QTEST_APPLESS_MAIN(TestAttentionFilter)
#include "test_attention_filter.moc"
