// SPDX-License-Identifier: GPL-3.0-or-later
// --precision auto: bfloat16 where the CPU multiplies it natively (flags from /proc/cpuinfo),
// float32 elsewhere and on CUDA; an explicit precision always wins; the store fingerprint and
// the backend's precision() say what ran, never "auto".
#include "backbone/dino_backend.h"
#include "backbone/dino_vit.h"
#include "backbone/precision_choice.h"
#include "run_parameters.h"
#include "support/vit_test_support.h"

#include <QtTest>

using namespace freesel;
using freesel::test::smallConfig;

namespace {

const std::vector<std::string> kZen4{"fpu", "avx2", "avx512f", "avx512_bf16", "avx512_vnni"};
const std::vector<std::string> kSapphireRapids{"avx512f", "amx_bf16", "amx_tile", "amx_int8"};
const std::vector<std::string> kSkylake{"fpu", "avx2", "avx512f", "avx512bw", "avx512_vnni"};

DinoBackend backendIn(VitPrecision precision) {
    DinoVitOptions options;
    options.device = "cpu";
    options.threads = 1;
    options.precision = precision;
    return DinoBackend(DinoVit::withSyntheticWeights(smallConfig(), 3, options),
                       QStringLiteral("random:3"));
}

} // namespace

class TestPrecisionChoice : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void autoFollowsTheFlags() {
        QVERIFY(hasNativeBfloat16(kZen4));
        QVERIFY(hasNativeBfloat16(kSapphireRapids));
        QVERIFY(!hasNativeBfloat16(kSkylake)); // AVX-512 without BF16: emulated, slower
        QVERIFY(!hasNativeBfloat16({}));
        QVERIFY(!hasNativeBfloat16({"avx512_bf16x"})); // whole words only
        QCOMPARE(resolvePrecision(VitPrecision::Auto, false, kZen4), VitPrecision::BFloat16);
        QCOMPARE(resolvePrecision(VitPrecision::Auto, false, kSapphireRapids),
                 VitPrecision::BFloat16);
        QCOMPARE(resolvePrecision(VitPrecision::Auto, false, kSkylake), VitPrecision::Float32);
        QCOMPARE(resolvePrecision(VitPrecision::Auto, false, {}), VitPrecision::Float32);
        QCOMPARE(resolvePrecision(VitPrecision::Auto, true, kZen4), VitPrecision::Float32);
    }

    void anExplicitPrecisionWins() {
        QCOMPARE(resolvePrecision(VitPrecision::Float32, false, kZen4), VitPrecision::Float32);
        QCOMPARE(resolvePrecision(VitPrecision::BFloat16, false, kSkylake), VitPrecision::BFloat16);
        QCOMPARE(resolvePrecision(VitPrecision::Float16, true, {}), VitPrecision::Float16);
        QCOMPARE(parseVitPrecision("auto"), VitPrecision::Auto);
        QCOMPARE(std::string(vitPrecisionName(VitPrecision::Auto)), std::string("auto"));
    }

    void theDefaultIsAuto() {
        QCOMPARE(RunParameters().precision, QStringLiteral("auto"));
        QCOMPARE(BackendChoice().precision, QStringLiteral("auto"));
        QCOMPARE(RunParameters().backendChoice().precision, QStringLiteral("auto"));
    }

    void theFingerprintSaysWhatRan() {
        const DinoBackend f32 = backendIn(VitPrecision::Float32);
        const DinoBackend b16 = backendIn(VitPrecision::BFloat16);
        const DinoBackend automatic = backendIn(VitPrecision::Auto);
        QVERIFY(f32.fingerprint() != b16.fingerprint()); // a bf16 store is not an fp32 store
        QVERIFY(f32.fingerprint().endsWith(QStringLiteral("precision=float32")));
        QVERIFY(b16.fingerprint().endsWith(QStringLiteral("precision=bfloat16")));
        QCOMPARE(f32.precision(), QStringLiteral("float32"));
        QCOMPARE(b16.precision(), QStringLiteral("bfloat16"));
        // Auto resolved on this machine's CPU: the same store as the explicit choice.
        const VitPrecision here = resolvePrecision(VitPrecision::Auto, false, cpuFlags());
        QCOMPARE(automatic.precision(), QLatin1String(vitPrecisionName(here)));
        QCOMPARE(automatic.fingerprint(),
                 here == VitPrecision::BFloat16 ? b16.fingerprint() : f32.fingerprint());
        QVERIFY(!automatic.fingerprint().contains(QStringLiteral("auto")));
    }

    void cpuFlagsAreRead() {
        // Linux lists at least the baseline flag of every x86-64 CPU.
#if defined(__linux__) && defined(__x86_64__)
        const std::vector<std::string> flags = cpuFlags();
        QVERIFY(std::find(flags.begin(), flags.end(), "sse2") != flags.end());
#endif
    }
};

QTEST_GUILESS_MAIN(TestPrecisionChoice)
#include "test_precision_choice.moc"
