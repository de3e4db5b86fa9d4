// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the image view draws for one image, computed off the GUI thread: the decoded image,
// its stored [CLS] attention, and the pattern stage of that image re-run from the store with
// the current tau, K and eps (exactly the per-image seed the pool run used), so the overlays
// follow the sliders live without the network.

#include "backbone/patch_grid.h"
#include "patterns/semantic_patterns.h"

#include <QImage>
#include <QMetaType>
#include <QMutex>
#include <QObject>
#include <QRectF>
#include <QThreadPool>

#include <memory>
#include <vector>

namespace freesel {

class FeatureStore;

struct ImageDetail {
    int poolIndex = -1;
    QString path;
    QImage image;             ///< at most 1024 px on its longer side
    bool hasFeatures = false; ///< false before a run, or for an image that failed
    PatchGrid grid;           ///< patch grid the features were computed on
    /// In `image`'s pixels: the part of the image the grid covers (the whole image for DINO's
    /// resize, the centre square for CLIP's crop); null before features are known.
    QRectF gridArea;
    std::vector<float> attention; ///< [CLS] attention per patch, summing to 1
    std::vector<double> mass;     ///< cumulative attention mass in rank order
    std::vector<int> kept;        ///< patches kept at tau
    std::vector<int> labels;      ///< pattern of each kept patch
    int patternCount = 0;         ///< rows of the image's semantic patterns
    PatternParameters parameters; ///< what kept/labels were computed with
    QString error;                ///< decoding or store problem (shown, never thrown)
};

/// Which store record and seed each pool image uses, from the last finished run.
struct DetailContext {
    QString storeFolder;
    quint64 patternSeed = 0;
    std::vector<int> storeRecords; ///< per pool image, -1 when absent
    std::vector<int> usableIndex;  ///< per pool image, -1 when failed
};

class ImageDetailLoader : public QObject {
    Q_OBJECT
public:
    explicit ImageDetailLoader(QObject* parent = nullptr);
    ~ImageDetailLoader() override; ///< waits for the task in flight

    void setContext(const DetailContext& context);
    /// Computes the detail of one image; only the latest request is delivered.
    void request(int poolIndex, const QString& path, const PatternParameters& parameters);
    bool isBusy() const { return inFlight_ > 0; }

Q_SIGNALS:
    void detailReady(const freesel::ImageDetail& detail);

private:
    struct Shared; // the read-only store and a decoded-image cache, used by the task thread
    ImageDetail compute(int poolIndex, const QString& path, const PatternParameters& parameters,
                        int generation) const;

    QThreadPool pool_;
    std::shared_ptr<Shared> shared_;
    std::atomic<int> generation_{0};
    int inFlight_ = 0;
};

} // namespace freesel

Q_DECLARE_METATYPE(freesel::ImageDetail)
