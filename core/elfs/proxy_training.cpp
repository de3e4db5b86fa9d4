// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/proxy_training.h"

#include "elfs/torch_threads.h"
#include "selection/selection.h"

#include <torch/torch.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

struct ProxyNetImpl : torch::nn::Module {
    ProxyNetImpl(int in, int hidden, int classes)
        : first(register_module("first", torch::nn::Linear(in, hidden))),
          second(register_module("second", torch::nn::Linear(hidden, classes))) {}
    torch::Tensor forward(const torch::Tensor& x) {
        return second->forward(torch::relu(first->forward(x)));
    }
    torch::nn::Linear first, second;
};
TORCH_MODULE(ProxyNet);

/// Per-column mean and inverse standard deviation of the unaugmented views.
std::pair<torch::Tensor, torch::Tensor> viewStatistics(const ProxyInputs& inputs) {
    torch::Tensor views = torch::empty({inputs.images, inputs.viewWidth()});
    for (int i = 0; i < inputs.images; ++i)
        buildFullView(inputs, i, views[i].data_ptr<float>());
    const torch::Tensor mean = views.mean(0);
    const torch::Tensor inverse = 1.0 / (views.std(0, false) + 1e-6);
    return {mean, inverse};
}

void validate(const ProxyInputs& inputs, const std::vector<int>& labels,
              const ProxyOptions& options) {
    if (int(labels.size()) != inputs.images)
        throw std::invalid_argument("ELFS proxy: " + std::to_string(labels.size()) +
                                    " labels for " + std::to_string(inputs.images) + " images");
    if (options.epochs < 1 || options.epochs > 10000)
        throw std::invalid_argument("--elfs-epochs: " + std::to_string(options.epochs) +
                                    " is outside the valid range [1, 10000]");
    if (options.batchSize < 1 || options.hidden < 1)
        throw std::invalid_argument("ELFS proxy: batch size and hidden width must be >= 1");
}

} // namespace

ProxyReport trainProxy(const ProxyInputs& inputs, const std::vector<int>& labels, int classes,
                       const ProxyOptions& options, const ProxyProgress& progress,
                       const std::atomic<bool>* cancel) {
    validate(inputs, labels, options);
    TrainingDynamics dynamics(labels, classes);
    ProxyReport report;
    if (inputs.images == 0) {
        report.scores = dynamics.scores();
        return report;
    }
    const int threads = resolveThreadCount(options.threads);
    TorchThreads torchThreads(threads);
    torch::manual_seed(options.seed);
    ProxyNet net(inputs.viewWidth(), options.hidden, classes);
    torch::optim::SGD optimiser(net->parameters(), torch::optim::SGDOptions(options.learningRate)
                                                       .momentum(options.momentum)
                                                       .nesterov(true)
                                                       .weight_decay(options.weightDecay));
    const auto [mean, inverse] = viewStatistics(inputs);
    const torch::Tensor target = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()));
    const int64_t n = inputs.images;
    const int64_t batches = (n + options.batchSize - 1) / options.batchSize;
    const int64_t totalSteps = batches * options.epochs;
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        // One stream per (epoch, image): views and shuffles never depend on thread timing.
        const uint64_t epochSeed = RandomStream::forItem(options.seed, uint64_t(epoch)).next();
        RandomStream shuffle = RandomStream::forItem(epochSeed, uint64_t(n));
        for (int64_t i = n - 1; i > 0; --i)
            std::swap(order[size_t(i)], order[shuffle.uniformIndex(uint64_t(i + 1))]);
        torch::Tensor views = torch::empty({n, inputs.viewWidth()});
        float* viewData = views.data_ptr<float>();
        // Serial: a few adds per cell, far cheaper than the network; an OpenMP team here
        // would spin against torch's own threads.
        for (int64_t i = 0; i < n; ++i) {
            RandomStream random = RandomStream::forItem(epochSeed, uint64_t(i));
            buildView(inputs, int(i), options.views, random, viewData + i * inputs.viewWidth());
        }
        views = (views - mean) * inverse;
        double lossSum = 0.0;
        int64_t agreed = 0;
        for (int64_t b = 0; b < batches; ++b) {
            const int64_t begin = b * options.batchSize;
            const int64_t end = std::min(n, begin + options.batchSize);
            const std::vector<int64_t> ids(order.begin() + begin, order.begin() + end);
            const torch::Tensor index = torch::tensor(ids);
            const int64_t step = int64_t(epoch) * batches + b;
            const double cosine = 0.5 * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
            for (auto& group : optimiser.param_groups())
                static_cast<torch::optim::SGDOptions&>(group.options())
                    .lr(options.finalLearningRate +
                        (options.learningRate - options.finalLearningRate) * cosine);
            const torch::Tensor logits = net->forward(views.index_select(0, index));
            const torch::Tensor batchTarget = target.index_select(0, index);
            const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, batchTarget);
            const torch::Tensor detached = logits.detach().contiguous();
            dynamics.record(ids.data(), detached.data_ptr<float>(), end - begin, epoch);
            agreed += detached.argmax(1).eq(batchTarget).sum().item<int64_t>();
            lossSum += loss.item<double>() * double(end - begin);
            optimiser.zero_grad();
            loss.backward();
            optimiser.step();
        }
        report.curve.push_back(
            ProxyEpoch{epoch + 1, options.epochs, lossSum / double(n), double(agreed) / double(n)});
        const bool stop =
            (cancel && cancel->load()) || (progress && !progress(report.curve.back()));
        if (stop && epoch + 1 < options.epochs) {
            report.cancelled = true;
            break;
        }
    }
    report.scores = dynamics.scores();
    return report;
}

} // namespace freesel
