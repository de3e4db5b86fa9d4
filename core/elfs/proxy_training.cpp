// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/proxy_training.h"

#include "elfs/torch_threads.h"
#include "selection/selection.h"

#include <torch/torch.h>

#include <cmath>
#include <future>
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

void setLearningRate(torch::optim::SGD& optimiser, double rate) {
    for (auto& group : optimiser.param_groups())
        static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
}

/// One minibatch's standardised views and pseudo-labels, in buffers reused all run long (so no
/// minibatch allocates). Filled on a helper thread while the previous minibatch trains.
struct Minibatch {
    torch::Tensor input;  ///< batch x viewWidth
    torch::Tensor target; ///< batch, int64
    const int64_t* ids = nullptr;
    int64_t rows = 0;
};

struct BatchSource {
    const ProxyInputs& inputs;
    const std::vector<int>& labels;
    const ViewRule& rule;
    const ViewScaling& scaling;
};

void fillMinibatch(Minibatch& batch, const BatchSource& source, const int64_t* ids, int64_t rows,
                   uint64_t epochSeed) {
    batch.ids = ids;
    batch.rows = rows;
    buildViewBatch(source.inputs, ids, rows, source.rule, epochSeed, source.scaling,
                   batch.input.data_ptr<float>());
    int64_t* target = batch.target.data_ptr<int64_t>();
    for (int64_t r = 0; r < rows; ++r)
        target[r] = source.labels[size_t(ids[r])];
}

struct EpochTally {
    double lossSum = 0.0;
    int64_t agreed = 0;
};

/// Logs the minibatch's training forward pass (weights before the step) into `dynamics`, then
/// takes the SGD step.
void trainMinibatch(const Minibatch& batch, int epoch, ProxyNet& net, torch::optim::SGD& optimiser,
                    TrainingDynamics& dynamics, EpochTally& tally) {
    const torch::Tensor target = batch.target.narrow(0, 0, batch.rows);
    const torch::Tensor logits = net->forward(batch.input.narrow(0, 0, batch.rows));
    const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, target);
    {
        torch::NoGradGuard noGrad;
        const torch::Tensor detached = logits.detach().contiguous();
        dynamics.record(batch.ids, detached.data_ptr<float>(), batch.rows, epoch);
        tally.agreed += detached.argmax(1).eq(target).sum().item<int64_t>();
        tally.lossSum += loss.item<double>() * double(batch.rows);
    }
    optimiser.zero_grad();
    loss.backward();
    optimiser.step();
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
    // The products run on one thread: OpenBLAS splits a product differently for 1 and 2
    // threads, which changes the rounding and so the scores; one thread keeps a seed's result
    // the same whatever --threads is. A second thread, when allowed, builds the next
    // minibatch's views meanwhile. LibTorch's own OpenMP workers stay off too: they would spin
    // between ops (measured 2.5x slower on a loaded 2-core machine, docs/ALGORITHM.md E2).
    TorchThreads torchThreads(1);
    BlasThreads blasThreads(1);
    const bool overlap = resolveThreadCount(options.threads) > 1;
    torch::manual_seed(options.seed);
    ProxyNet net(inputs.viewWidth(), options.hidden, classes);
    torch::optim::SGD optimiser(net->parameters(), torch::optim::SGDOptions(options.learningRate)
                                                       .momentum(options.momentum)
                                                       .nesterov(true)
                                                       .weight_decay(options.weightDecay));
    const int64_t n = inputs.images;
    const int64_t batch = std::min<int64_t>(options.batchSize, n);
    const ViewScaling scaling = fullViewScaling(inputs);
    const BatchSource source{inputs, labels, options.views, scaling};
    Minibatch buffers[2];
    for (Minibatch& buffer : buffers) {
        buffer.input = torch::empty({batch, inputs.viewWidth()});
        buffer.target = torch::empty({batch}, torch::kLong);
    }
    const int64_t batches = (n + batch - 1) / batch;
    const int64_t totalSteps = batches * options.epochs;
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), int64_t{0});
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        // One stream per (epoch, image): views and shuffles never depend on thread timing.
        const uint64_t epochSeed = RandomStream::forItem(options.seed, uint64_t(epoch)).next();
        RandomStream shuffle = RandomStream::forItem(epochSeed, uint64_t(n));
        for (int64_t i = n - 1; i > 0; --i)
            std::swap(order[size_t(i)], order[shuffle.uniformIndex(uint64_t(i + 1))]);
        const auto fill = [&](int64_t b) {
            const int64_t begin = b * batch;
            fillMinibatch(buffers[b % 2], source, order.data() + begin,
                          std::min(n, begin + batch) - begin, epochSeed);
        };
        EpochTally tally;
        fill(0);
        for (int64_t b = 0; b < batches; ++b) {
            std::future<void> next;
            if (overlap && b + 1 < batches)
                next = std::async(std::launch::async, fill, b + 1);
            const int64_t step = int64_t(epoch) * batches + b;
            const double cosine = 0.5 * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
            setLearningRate(optimiser,
                            options.finalLearningRate +
                                (options.learningRate - options.finalLearningRate) * cosine);
            trainMinibatch(buffers[b % 2], epoch, net, optimiser, dynamics, tally);
            if (next.valid())
                next.get();
            else if (b + 1 < batches)
                fill(b + 1);
        }
        report.curve.push_back(ProxyEpoch{epoch + 1, options.epochs, tally.lossSum / double(n),
                                          double(tally.agreed) / double(n)});
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
