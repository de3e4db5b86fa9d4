// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_selection.h"

#include "selection/clip_label_scores.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

Eigen::MatrixXf normalisedRows(const Eigen::MatrixXf& m) {
    Eigen::VectorXf norms = m.rowwise().norm();
    norms = norms.cwiseMax(1e-12f);
    return norms.cwiseInverse().asDiagonal() * m;
}

double mean(const std::vector<double>& v) {
    return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

} // namespace

Eigen::MatrixXf ClipAdapter::apply(const Eigen::MatrixXf& x) const {
    if (isIdentity())
        return x;
    if (weight.cols() != x.cols() || (bias.size() != 0 && bias.size() != weight.rows()))
        throw std::invalid_argument("CLIP adapter: a " + std::to_string(weight.rows()) + " x " +
                                    std::to_string(weight.cols()) +
                                    " weight cannot map embeddings of width " +
                                    std::to_string(x.cols()));
    Eigen::MatrixXf y = x * weight.transpose();
    if (bias.size() != 0)
        y.rowwise() += bias.transpose();
    return y;
}

std::vector<double> minMaxNormalise(const std::vector<double>& values) {
    if (values.empty())
        return {};
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double range = *hi - *lo;
    std::vector<double> out(values.size(), 1.0);
    if (range > 0)
        for (size_t i = 0; i < values.size(); ++i)
            out[i] = (values[i] - *lo) / range;
    return out;
}

std::vector<double> combinedScores(const std::vector<double>& alignment,
                                   const std::vector<double>& diversity, double weight) {
    if (alignment.size() != diversity.size())
        throw std::invalid_argument("combinedScores: alignment and diversity differ in length");
    const double ms = mean(alignment), md = mean(diversity);
    std::vector<double> a(alignment.size());
    for (size_t i = 0; i < a.size(); ++i)
        a[i] = (ms > 0 ? alignment[i] / ms : 0.0) + (md > 0 ? weight * diversity[i] / md : 0.0);
    return a;
}

ClipScores clipScores(const Eigen::MatrixXf& rawImages, const Eigen::MatrixXf& rawTexts,
                      const std::vector<int>& labels, const ClipScoreParams& params) {
    const ClipAdapter& imageAdapter =
        params.officialAdapterAliasing ? params.textAdapter : params.imageAdapter;
    Eigen::MatrixXf adapted; // stays empty for the identity: no copy of the embeddings
    if (!imageAdapter.isIdentity())
        adapted = imageAdapter.apply(rawImages);
    const Eigen::MatrixXf& images = imageAdapter.isIdentity() ? rawImages : adapted;
    const Eigen::MatrixXf texts = params.textAdapter.apply(rawTexts);
    const auto n = images.rows();
    if (size_t(n) != labels.size())
        throw std::invalid_argument("CLIP scores: " + std::to_string(n) + " images but " +
                                    std::to_string(labels.size()) + " labels");
    if (texts.cols() != images.cols())
        throw std::invalid_argument("CLIP scores: text embeddings are " +
                                    std::to_string(texts.cols()) + " wide, images " +
                                    std::to_string(images.cols()));
    if (params.neighbours < 1)
        throw std::invalid_argument("CLIP scores: K (neighbours) must be >= 1, got " +
                                    std::to_string(params.neighbours));
    std::vector<std::vector<int>> members(size_t(texts.rows()));
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] < 0 || labels[i] >= texts.rows())
            throw std::invalid_argument("CLIP scores: image " + std::to_string(i) + " has label " +
                                        std::to_string(labels[i]) + ", valid: 0.." +
                                        std::to_string(texts.rows() - 1));
        members[size_t(labels[i])].push_back(int(i));
    }
    // SDS by label, not by the official code's contiguous index blocks.
    LabelScores byLabel = labelScores(images, normalisedRows(texts), members, params.neighbours);
    ClipScores s;
    s.sas = std::move(byLabel.sas);
    s.sds = std::move(byLabel.sds);
    s.alignment = minMaxNormalise(s.sas);
    s.diversity = minMaxNormalise(s.sds);
    s.combined = combinedScores(s.alignment, s.diversity, params.diversityWeight);
    return s;
}

std::vector<int> topKByScore(const std::vector<double>& scores, int64_t k) {
    const auto n = int64_t(scores.size());
    k = std::clamp<int64_t>(k, 0, n);
    std::vector<int> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    const auto better = [&scores](int a, int b) {
        return scores[size_t(a)] > scores[size_t(b)] ||
               (scores[size_t(a)] == scores[size_t(b)] && a < b);
    };
    std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
    order.resize(size_t(k));
    return order;
}

OptimiserReplay replayOfficialOptimiser(const std::vector<double>& alignment,
                                        const std::vector<double>& diversity, int64_t k,
                                        double diversityWeight, int maxSteps) {
    // Hand-written rather than torch::optim::SGD: the loss is separable, so its gradient is
    // one line per sample; the arithmetic is float32 like the official torch loop.
    const size_t n = alignment.size();
    if (diversity.size() != n)
        throw std::invalid_argument("optimiser replay: alignment and diversity differ in length");
    const float ms = float(mean(alignment)), md = float(mean(diversity));
    const float invN = 1.0f / float(n);
    std::vector<float> w(n, 0.01f), momentum(n, 0.0f);
    OptimiserReplay replay;
    const auto countKept = [&w] {
        int64_t c = 0;
        for (float wi : w)
            c += 1.0f / (1.0f + std::exp(-100.0f * wi)) > 0.5f;
        return c;
    };
    for (replay.steps = 0; replay.steps < maxSteps; ++replay.steps) {
        const int64_t count = countKept();
        if (std::abs(double(count - k)) < 0.0005 * double(n)) {
            replay.converged = true;
            break;
        }
        // d|count - k|/dx_i through the straight-through count is sign(count - k).
        const float sign = count > k ? 1.0f : (count < k ? -1.0f : 0.0f);
        for (size_t i = 0; i < n; ++i) {
            const float x = 1.0f / (1.0f + std::exp(-100.0f * w[i]));
            const float dx =
                -(ms > 0 ? float(alignment[i]) / ms : 0.0f) * invN -
                float(diversityWeight) * (md > 0 ? float(diversity[i]) / md : 0.0f) * invN +
                2.0f * sign * invN;
            const float grad = dx * 100.0f * x * (1.0f - x);
            momentum[i] = replay.steps == 0 ? grad : 0.9f * momentum[i] + grad;
            w[i] -= 1e-3f * momentum[i];
        }
    }
    for (size_t i = 0; i < n; ++i)
        if (1.0f / (1.0f + std::exp(-100.0f * w[i])) > 0.5f)
            replay.kept.push_back(int(i));
    return replay;
}

std::vector<int> zeroShotLabels(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts) {
    if (texts.rows() == 0 || texts.cols() != images.cols())
        throw std::invalid_argument("zero-shot labels need at least one class embedding as wide "
                                    "as the image embeddings");
    const Eigen::MatrixXf sims = normalisedRows(images) * normalisedRows(texts).transpose();
    std::vector<int> labels(size_t(images.rows()));
    for (Eigen::Index i = 0; i < sims.rows(); ++i) {
        Eigen::Index best = 0;
        sims.row(i).maxCoeff(&best); // first maximum: the smaller class on ties
        labels[size_t(i)] = int(best);
    }
    return labels;
}

ClassRanking rankClasses(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts,
                         const std::vector<int>& labels, int keep) {
    if (texts.rows() == 0 || texts.cols() != images.cols() ||
        size_t(images.rows()) != labels.size())
        throw std::invalid_argument("class ranking: need one label per image and class "
                                    "embeddings as wide as the image embeddings");
    const Eigen::MatrixXf sims = normalisedRows(images) * normalisedRows(texts).transpose();
    const auto classes = int(texts.rows());
    ClassRanking ranking;
    ranking.labelRank.resize(labels.size());
    ranking.top.resize(labels.size());
    std::vector<double> row(static_cast<size_t>(classes));
    for (Eigen::Index i = 0; i < sims.rows(); ++i) {
        for (int c = 0; c < classes; ++c)
            row[size_t(c)] = double(sims(i, c));
        const int label = labels[size_t(i)];
        if (label < 0 || label >= classes)
            throw std::invalid_argument("class ranking: image " + std::to_string(i) +
                                        " has label " + std::to_string(label) + ", valid: 0.." +
                                        std::to_string(classes - 1));
        // The label's rank: the classes strictly closer, and the equally close ones before it.
        int rank = 0;
        for (int c = 0; c < classes; ++c)
            rank += row[size_t(c)] > row[size_t(label)] ||
                    (row[size_t(c)] == row[size_t(label)] && c < label);
        ranking.labelRank[size_t(i)] = rank;
        ranking.top[size_t(i)] = topKByScore(row, std::min(keep, classes));
    }
    return ranking;
}

std::vector<int> suspectedLabelErrors(const std::vector<int>& labelRank,
                                      const std::vector<double>& sas,
                                      const std::vector<char>& eligible, int top) {
    if (top < 1)
        throw std::invalid_argument("suspected label errors: the number of top classes must be "
                                    ">= 1, got " +
                                    std::to_string(top));
    if (sas.size() != labelRank.size() || eligible.size() != labelRank.size())
        throw std::invalid_argument("suspected label errors: ranks, SAS and eligibility differ "
                                    "in length");
    std::vector<int> suspects;
    for (size_t i = 0; i < labelRank.size(); ++i)
        if (eligible[i] && labelRank[i] >= top)
            suspects.push_back(int(i));
    std::stable_sort(suspects.begin(), suspects.end(),
                     [&sas](int a, int b) { return sas[size_t(a)] < sas[size_t(b)]; });
    return suspects;
}

} // namespace freesel
