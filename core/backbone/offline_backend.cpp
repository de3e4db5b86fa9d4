// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/offline_backend.h"

#include <opencv2/core.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/saliency.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

/// Row-major n x 128 upright SIFT descriptors at the patch centres, rows L2-normalised.
cv::Mat siftDescriptors(const cv::Mat& gray, PatchGrid grid, int patch) {
    std::vector<cv::KeyPoint> keypoints;
    keypoints.reserve(size_t(grid.size()));
    for (int i = 0; i < grid.size(); ++i)
        keypoints.emplace_back(float(grid.colOf(i) * patch) + 0.5f * float(patch),
                               float(grid.rowOf(i) * patch) + 0.5f * float(patch), float(patch),
                               0.0f);
    cv::Mat descriptors;
    cv::SIFT::create()->compute(gray, keypoints, descriptors);
    if (descriptors.rows != grid.size() || descriptors.cols != OfflineBackend::kSiftDims)
        throw std::runtime_error("offline backend: SIFT returned " +
                                 std::to_string(descriptors.rows) + " descriptors for " +
                                 std::to_string(grid.size()) + " patches");
    for (int i = 0; i < descriptors.rows; ++i)
        cv::normalize(descriptors.row(i), descriptors.row(i)); // zero rows stay zero
    return descriptors;
}

/// n x 6: per-patch mean and standard deviation of L / 100, a / 128, b / 128.
cv::Mat labStatistics(const cv::Mat& rgb, PatchGrid grid) {
    cv::Mat rgbFloat, lab;
    rgb.convertTo(rgbFloat, CV_32F, 1.0 / 255.0);
    cv::cvtColor(rgbFloat, lab, cv::COLOR_RGB2Lab);
    cv::multiply(lab, cv::Scalar(1.0 / 100.0, 1.0 / 128.0, 1.0 / 128.0), lab);
    // INTER_AREA at an integer factor is the exact box mean of each patch.
    cv::Mat mean, meanOfSquares;
    cv::resize(lab, mean, cv::Size(grid.cols, grid.rows), 0, 0, cv::INTER_AREA);
    cv::resize(lab.mul(lab), meanOfSquares, cv::Size(grid.cols, grid.rows), 0, 0, cv::INTER_AREA);
    cv::Mat variance = cv::max(meanOfSquares - mean.mul(mean), 0.0), deviation;
    cv::sqrt(variance, deviation);
    cv::Mat stats;
    cv::hconcat(mean.reshape(1, grid.size()), deviation.reshape(1, grid.size()), stats);
    return stats;
}

/// Spectral-residual saliency averaged per patch, normalised to sum 1.
std::vector<float> patchSaliency(const cv::Mat& gray, PatchGrid grid) {
    cv::Mat map;
    auto saliency = cv::saliency::StaticSaliencySpectralResidual::create();
    if (!saliency->computeSaliency(gray, map) || map.size() != gray.size())
        throw std::runtime_error("offline backend: spectral-residual saliency failed");
    map.convertTo(map, CV_32F);
    cv::Mat perPatch;
    cv::resize(map, perPatch, cv::Size(grid.cols, grid.rows), 0, 0, cv::INTER_AREA);
    std::vector<float> attention(perPatch.begin<float>(), perPatch.end<float>());
    double total = 0.0;
    for (float& a : attention)
        total += (a = std::max(a, 0.0f));
    for (float& a : attention)
        a = total > 0.0 ? float(a / total) : 1.0f / float(attention.size());
    return attention;
}

/// Each row: softmax over the in-grid neighbours within `radius` of cos / temperature.
NeighbourhoodAttention neighbourBand(const cv::Mat& tokens, PatchGrid grid, int radius,
                                     float temperature) {
    NeighbourhoodAttention band(grid, radius);
    std::vector<float> logits(size_t(band.slotsPerPatch()));
    for (int i = 0; i < grid.size(); ++i) {
        const int r = grid.rowOf(i), c = grid.colOf(i);
        float* row = band.row(i);
        float largest = -INFINITY;
        for (int slot = 0; slot < band.slotsPerPatch(); ++slot) {
            const int rr = r + slot / band.window() - radius;
            const int cc = c + slot % band.window() - radius;
            logits[size_t(slot)] = -INFINITY;
            if (!grid.contains(rr, cc))
                continue;
            const float cosine = float(tokens.row(i).dot(tokens.row(grid.indexOf(rr, cc))));
            logits[size_t(slot)] = cosine / temperature;
            largest = std::max(largest, logits[size_t(slot)]);
        }
        double total = 0.0;
        for (int slot = 0; slot < band.slotsPerPatch(); ++slot)
            total += row[slot] =
                std::isinf(logits[size_t(slot)]) ? 0.0f : std::exp(logits[size_t(slot)] - largest);
        for (int slot = 0; slot < band.slotsPerPatch(); ++slot)
            row[slot] = float(row[slot] / total);
    }
    return band;
}

} // namespace

OfflineBackend::OfflineBackend() : OfflineBackend(Options{}) {}

OfflineBackend::OfflineBackend(const Options& options) : options_(options) {
    if (options.patchSize < 4 || options.patchSize > 64)
        throw std::invalid_argument("offline backend: patchSize must be in [4, 64], got " +
                                    std::to_string(options.patchSize));
    if (options.neighbourhoodRadius < 0 || options.neighbourhoodRadius > 16)
        throw std::invalid_argument(
            "offline backend: neighbourhoodRadius must be in [0, 16], got " +
            std::to_string(options.neighbourhoodRadius));
    if (!(options.temperature > 0.0f))
        throw std::invalid_argument("offline backend: temperature must be > 0");
}

QString OfflineBackend::name() const {
    return QStringLiteral("offline");
}

QString OfflineBackend::fingerprint() const {
    return QStringLiteral("offline|method=sift+lab+spectral-residual|v1|patch=%1|temperature=%2")
        .arg(options_.patchSize)
        .arg(double(options_.temperature));
}

QString OfflineBackend::deviceDescription() const {
    return QStringLiteral("CPU (OpenCV, %1 threads)").arg(cv::getNumThreads());
}

ImageFeatures OfflineBackend::extract(const cv::Mat& rgb) const {
    const int p = options_.patchSize;
    if (rgb.empty() || rgb.type() != CV_8UC3 || rgb.rows % p != 0 || rgb.cols % p != 0)
        throw std::invalid_argument("offline backend: the image must be non-empty 8-bit RGB with "
                                    "sides multiples of the patch size " +
                                    std::to_string(p));
    ImageFeatures f;
    f.grid = PatchGrid{rgb.rows / p, rgb.cols / p};
    f.dims = kDims;
    cv::Mat gray;
    cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);

    cv::Mat tokens;
    cv::hconcat(siftDescriptors(gray, f.grid, p), labStatistics(rgb, f.grid), tokens);
    for (int i = 0; i < tokens.rows; ++i)
        cv::normalize(tokens.row(i), tokens.row(i));
    f.patchTokens.assign(tokens.begin<float>(), tokens.end<float>());

    f.clsAttention = patchSaliency(gray, f.grid);
    f.clsToken.assign(size_t(kDims), 0.0f);
    for (int i = 0; i < tokens.rows; ++i)
        for (int k = 0; k < kDims; ++k)
            f.clsToken[size_t(k)] += f.clsAttention[size_t(i)] * tokens.at<float>(i, k);
    f.neighbourhood =
        neighbourBand(tokens, f.grid, options_.neighbourhoodRadius, options_.temperature);
    return f;
}

std::vector<ImageFeatures> OfflineBackend::run(const std::vector<cv::Mat>& rgbImages) {
    std::vector<ImageFeatures> out;
    out.reserve(rgbImages.size());
    for (size_t i = 0; i < rgbImages.size(); ++i) {
        try {
            out.push_back(extract(rgbImages[i]));
        } catch (const std::invalid_argument& e) {
            throw std::invalid_argument("image " + std::to_string(i) + ": " + e.what());
        }
    }
    return out;
}

} // namespace freesel
