// SPDX-License-Identifier: GPL-3.0-or-later
// mergeStores (declared in feature_store.h): joins the shard stores of a split extraction.

#include "store/feature_store.h"

#include <QDir>
#include <QFileInfo>
#include <QHash>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace freesel {

namespace {

struct Pick {
    qint64 poolIndex;
    int input;
    int record;
};

/// The current record of every path of one store: the latest one in its log.
std::vector<int> currentRecords(const FeatureStore& store) {
    std::vector<int> records;
    for (int i = 0; i < store.count(); ++i)
        if (store.find(store.entry(i).path, store.entry(i).size, store.entry(i).mtimeMs) == i)
            records.push_back(i);
    return records;
}

/// One record per path over all inputs: an ok record beats a failed one, then the earlier
/// input wins (a path only appears in several shards when shards overlap).
std::vector<Pick> pickRecords(const std::vector<std::unique_ptr<FeatureStore>>& stores) {
    QHash<QString, size_t> chosen;
    std::vector<Pick> picks;
    for (int s = 0; s < int(stores.size()); ++s) {
        for (int r : currentRecords(*stores[size_t(s)])) {
            const StoreEntry& e = stores[size_t(s)]->entry(r);
            const qint64 order = e.poolIndex < 0 ? std::numeric_limits<qint64>::max() : e.poolIndex;
            const auto it = chosen.constFind(e.path);
            if (it == chosen.constEnd()) {
                chosen.insert(e.path, picks.size());
                picks.push_back({order, s, r});
                continue;
            }
            Pick& old = picks[*it];
            if (!stores[size_t(old.input)]->entry(old.record).ok && e.ok)
                old = {order, s, r};
        }
    }
    // Pool order, whatever way the shards split the pool; ties keep input and log order.
    std::stable_sort(picks.begin(), picks.end(), [](const Pick& a, const Pick& b) {
        return a.poolIndex != b.poolIndex
                   ? a.poolIndex < b.poolIndex
                   : (a.input != b.input ? a.input < b.input : a.record < b.record);
    });
    return picks;
}

} // namespace

Status mergeStores(const QStringList& inputs, const QString& output) {
    if (inputs.isEmpty())
        return Error::userInput(QStringLiteral("merge: no input stores given"));
    std::vector<std::unique_ptr<FeatureStore>> stores;
    for (const QString& input : inputs) {
        auto store = std::make_unique<FeatureStore>();
        if (const Status opened = store->openForReading(input); !opened)
            return opened;
        if (!stores.empty()) {
            const QString why = stores.front()->header().incompatibility(store->header());
            if (!why.isEmpty())
                return Error::userInput(QStringLiteral("merge: %1 and %2 differ: %3")
                                            .arg(stores.front()->folder(), store->folder(), why));
        }
        stores.push_back(std::move(store));
    }
    if (QFileInfo::exists(QDir(output).filePath(QStringLiteral("store.json"))))
        return Error::userInput(
            QStringLiteral("%1: already holds a feature store; merge into a new folder")
                .arg(output));

    FeatureStore merged;
    if (const Status opened = merged.openForWriting(output, stores.front()->header()); !opened)
        return opened;
    try {
        for (const Pick& pick : pickRecords(stores))
            if (const Status copied =
                    merged.appendRaw(stores[size_t(pick.input)]->rawRecord(pick.record));
                !copied)
                return copied;
    } catch (const std::exception& e) {
        return errorFromException(e);
    }
    return merged.flush(true);
}

} // namespace freesel
