// SPDX-License-Identifier: GPL-3.0-or-later
#include "selection/clip_search.h"

#include "selection/clip_selection.h"

#include <stdexcept>
#include <string>

namespace freesel {

std::vector<SearchHit> searchByEmbedding(const Eigen::MatrixXf& images,
                                         const Eigen::VectorXf& query, int64_t top) {
    if (images.cols() != query.size())
        throw std::invalid_argument("search: the query embedding is " +
                                    std::to_string(query.size()) + " wide, the images " +
                                    std::to_string(images.cols()) + " (a different CLIP model?)");
    const float queryNorm = query.norm();
    std::vector<double> cosines(size_t(images.rows()), 0.0);
    for (Eigen::Index i = 0; i < images.rows(); ++i) {
        const float norm = images.row(i).norm() * queryNorm;
        cosines[size_t(i)] = norm > 0 ? double(images.row(i).dot(query)) / norm : 0.0;
    }
    std::vector<SearchHit> hits;
    for (int image : topKByScore(cosines, top)) // exact order, ties by index
        hits.push_back({image, cosines[size_t(image)]});
    return hits;
}

} // namespace freesel
