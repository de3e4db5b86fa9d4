// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_adapter_training.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

torch::Tensor toTensor(const Eigen::MatrixXf& m) {
    // Eigen is column-major: a row-major copy gives the N x E tensor.
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
    return torch::from_blob(const_cast<float*>(rows.data()), {rows.rows(), rows.cols()},
                            torch::kFloat32)
        .clone();
}

ClipAdapter toAdapter(torch::nn::Linear& layer) {
    const torch::Tensor w = layer->weight.detach().contiguous();
    const torch::Tensor b = layer->bias.detach().contiguous();
    ClipAdapter adapter;
    adapter.weight =
        Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
            w.data_ptr<float>(), w.size(0), w.size(1));
    adapter.bias = Eigen::Map<const Eigen::VectorXf>(b.data_ptr<float>(), b.size(0));
    return adapter;
}

torch::nn::Linear identityLinear(int64_t width) {
    torch::nn::Linear layer(torch::nn::LinearOptions(width, width).bias(true));
    torch::NoGradGuard noGrad;
    layer->weight.copy_(torch::eye(width));
    layer->bias.zero_();
    return layer;
}

/// Cross-entropy against soft targets (rows summing to 1), averaged over the rows.
torch::Tensor softCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets) {
    return -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
}

} // namespace

void AdapterTrainingOptions::validate() const {
    if (epochs < 1 || epochs > 10000)
        throw std::invalid_argument("adapter training: epochs must be in 1..10000, got " +
                                    std::to_string(epochs));
    if (batchSize < 2)
        throw std::invalid_argument("adapter training: the batch size must be >= 2, got " +
                                    std::to_string(batchSize));
    if (!(learningRate > 0.0))
        throw std::invalid_argument("adapter training: the learning rate must be > 0");
    if (!(logitScale > 0.0))
        throw std::invalid_argument("adapter training: the logit scale must be > 0");
}

AdapterTrainingResult trainClipAdapters(const Eigen::MatrixXf& images, const Eigen::MatrixXf& texts,
                                        const std::vector<int>& labels,
                                        const AdapterTrainingOptions& options) {
    options.validate();
    if (size_t(images.rows()) != labels.size() || images.cols() != texts.cols())
        throw std::invalid_argument("adapter training: need one label per image and text "
                                    "embeddings as wide as the image embeddings");
    std::vector<int64_t> used; // the labelled images
    for (size_t i = 0; i < labels.size(); ++i) {
        if (labels[i] >= texts.rows())
            throw std::invalid_argument("adapter training: image " + std::to_string(i) +
                                        " has label " + std::to_string(labels[i]) + ", valid: 0.." +
                                        std::to_string(texts.rows() - 1));
        if (labels[i] >= 0)
            used.push_back(int64_t(i));
    }
    if (used.size() < 2)
        throw std::invalid_argument("--train-adapters needs at least two labelled images");

    const torch::Tensor allImages = toTensor(images);
    const torch::Tensor allTexts = toTensor(texts);
    const torch::Tensor allLabels =
        torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()));
    torch::manual_seed(options.seed);
    torch::nn::Linear imageAdapter = identityLinear(images.cols());
    torch::nn::Linear textAdapter = identityLinear(texts.cols());
    std::vector<torch::Tensor> parameters = imageAdapter->parameters();
    for (const torch::Tensor& p : textAdapter->parameters())
        parameters.push_back(p);
    torch::optim::AdamW optimiser(
        parameters, torch::optim::AdamWOptions(options.learningRate).weight_decay(0.0));

    AdapterTrainingResult result;
    std::mt19937_64 shuffle(options.seed);
    const auto batch = size_t(options.batchSize);
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        std::shuffle(used.begin(), used.end(), shuffle);
        double lossSum = 0.0;
        int steps = 0;
        for (size_t begin = 0; begin + 1 < used.size(); begin += batch) {
            const size_t end = std::min(used.size(), begin + batch);
            const torch::Tensor index = torch::tensor(
                std::vector<int64_t>(used.begin() + long(begin), used.begin() + long(end)));
            const torch::Tensor batchLabels = allLabels.index_select(0, index);
            const torch::Tensor f = torch::nn::functional::normalize(
                imageAdapter(allImages.index_select(0, index)),
                torch::nn::functional::NormalizeFuncOptions().dim(1));
            const torch::Tensor t = torch::nn::functional::normalize(
                textAdapter(allTexts.index_select(0, batchLabels)),
                torch::nn::functional::NormalizeFuncOptions().dim(1));
            const torch::Tensor logits = options.logitScale * f.matmul(t.t());
            // Images of one label share their text: every such pair is a positive.
            torch::Tensor targets =
                batchLabels.unsqueeze(1).eq(batchLabels.unsqueeze(0)).to(torch::kFloat32);
            targets = targets / targets.sum(1, true);
            const torch::Tensor loss =
                0.5 * (softCrossEntropy(logits, targets) + softCrossEntropy(logits.t(), targets));
            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
            lossSum += loss.item<double>();
            ++steps;
        }
        result.epochLoss.push_back(lossSum / std::max(1, steps));
    }
    result.image = toAdapter(imageAdapter);
    result.text = toAdapter(textAdapter);
    return result;
}

} // namespace freesel
