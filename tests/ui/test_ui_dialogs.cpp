// SPDX-License-Identifier: GPL-3.0-or-later
// The window's dialogs and panels, offscreen, without a run: the export dialog's extension and
// overwrite question, the weights dialog, shortcuts inside text fields, typed numbers, presets.
#include "weights/model_manifest.h"
#include "window/export_dialog.h"
#include "window/main_window.h"
#include "window/parameters_panel.h"
#include "window/weights_dialog.h"

#include <QCheckBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace freesel;

class TestUiDialogs : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(dir_.isValid());
    }

    void exportDialogExtensionFollowsTheFormatAndAsksBeforeReplacing() {
        ExportDialog dialog;
        dialog.setFormat(QStringLiteral("csv"));
        dialog.setOutputPath(dir_.filePath(QStringLiteral("picks.csv")));
        dialog.setFormat(QStringLiteral("labelstudio")); // Label Studio JSON, not in picks.csv
        QCOMPARE(dialog.outputPath(), dir_.filePath(QStringLiteral("picks.json")));
        dialog.setFormat(QStringLiteral("cvat"));
        QCOMPARE(dialog.outputPath(), dir_.filePath(QStringLiteral("picks.jsonl")));
        dialog.setFormat(QStringLiteral("folder")); // a folder keeps the name it was given
        QCOMPARE(dialog.outputPath(), dir_.filePath(QStringLiteral("picks.jsonl")));
        // The options a format has are the ones enabled.
        auto enabled = [&dialog](const QString& text) {
            for (QCheckBox* box : dialog.findChildren<QCheckBox*>())
                if (box->text().contains(text))
                    return box->isEnabled();
            return false;
        };
        QVERIFY(enabled(QStringLiteral("Copy the images")));
        dialog.setFormat(QStringLiteral("txt"));
        QVERIFY(!enabled(QStringLiteral("Copy the images")));

        // An existing file is replaced only when the question is answered yes.
        QFile existing(dir_.filePath(QStringLiteral("exists.txt")));
        QVERIFY(existing.open(QIODevice::WriteOnly));
        existing.close();
        QStringList asked;
        bool answer = false;
        dialog.setOverwriteQuestion([&](const QString& path) {
            asked << path;
            return answer;
        });
        dialog.setOutputPath(existing.fileName());
        dialog.show();
        dialog.accept();
        QCOMPARE(asked, QStringList{existing.fileName()});
        QVERIFY(dialog.isVisible()); // "no": the dialog stays for another name
        answer = true;
        dialog.accept();
        QVERIFY(!dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        // A new file is not asked about.
        asked.clear();
        dialog.setOutputPath(dir_.filePath(QStringLiteral("new.txt")));
        dialog.show();
        dialog.accept();
        QVERIFY(asked.isEmpty());
    }

    void windowShortcutsWorkInTextFields() {
        MainWindow window;
        window.setAutoRerun(false);
        window.show();
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QLineEdit* field = window.parametersPanel()->sourceField();
        field->setFocus();
        QTRY_VERIFY(field->hasFocus());
        // Ctrl+E is "end of line" to a QLineEdit; the window's Export must win. With nothing
        // to export yet, the export action answers with its message.
        QTest::keyClick(field, Qt::Key_E, Qt::ControlModifier);
        QVERIFY2(window.lastError().contains(QStringLiteral("Nothing to export")),
                 qPrintable(window.lastError()));
    }

    void typedNumbersApplyWhenTheEditIsFinished() {
        MainWindow window;
        window.setAutoRerun(false);
        ParametersPanel* panel = window.parametersPanel();
        QSignalSpy changed(panel, &ParametersPanel::parametersChanged);
        QSpinBox* k = panel->clustersBox();
        k->selectAll();
        QTest::keyClicks(k, QStringLiteral("12"));
        QCOMPARE(changed.count(), 0); // not K = 1, then K = 12
        QTest::keyClick(k, Qt::Key_Return);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel->parameters().clusters, 12);
    }

    void weightsDialogShowsTheSizeAndAFailedDownload() {
        const ModelManifest manifest = ModelManifest::builtin();
        const ModelInfo* model = manifest.find(QStringLiteral("dino_vits16"));
        QVERIFY(model);
        // ViT-S/16 has 21.7 M parameters (DINO, table of models): about 87 MB in float32.
        QVERIFY(model->estimatedSize() > 4 * 21'600'000LL &&
                model->estimatedSize() < 4 * 21'800'000LL);
        WeightsDialog dialog(*model, dir_.filePath(QStringLiteral("w.pth")));
        auto* download = dialog.findChild<QPushButton*>(QStringLiteral("downloadWeights"));
        QVERIFY(download);
        QVERIFY2(download->text().contains(QStringLiteral("about 87")),
                 qPrintable(download->text()));
        QVERIFY(!download->text().contains(QStringLiteral("unknown")));
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        DownloadResult failed;
        failed.status = Error::environment(QStringLiteral("connection refused by dl.example.org"));
        dialog.onFinished(failed);
        auto* error = dialog.findChild<QLabel*>(QStringLiteral("downloadError"));
        QVERIFY(error);
        QVERIFY(error->isVisible());
        QVERIFY(error->text().contains(QStringLiteral("connection refused")));
        // Inside the dialog, not cut off below it.
        QTRY_VERIFY(error->geometry().bottom() < dialog.height());
        QVERIFY(download->isEnabled()); // and it can be tried again
    }

    void presets() {
        MainWindow window;
        window.setAutoRerun(false);
        ParametersPanel* panel = window.parametersPanel();
        panel->applyPreset(TaskPreset::Segmentation);
        QCOMPARE(panel->parameters().clusters, 10);
        QCOMPARE(panel->parameters().inputSize, 448);
        panel->applyPreset(TaskPreset::Classification);
        QCOMPARE(panel->parameters().clusters, 1);
        panel->applyPreset(TaskPreset::Detection);
        QCOMPARE(panel->parameters().clusters, 5);
        QCOMPARE(panel->parameters().tau, 0.5);
        QCOMPARE(panel->parameters().inputSize, 224);
    }
};

QTEST_MAIN(TestUiDialogs)
#include "test_ui_dialogs.moc"
