/* k-means (k-means++ seeding, restarts, all seeded), HCSC's hierarchical
 * prototypes and PCL's concentration estimate φ.
 *
 * The hierarchy follows the official HCSC code (pretrain.py, run_hkmeans):
 * level 1 clusters the features; level l+1 clusters the L2-normalised level-l
 * centroids; each level's φ uses squared distances of its members (images at
 * level 1, child centroids above) to the raw centroid; the stored centroids are
 * then L2-normalised.  Image labels compose through the child→parent maps. */
#ifndef BENCH_HCSC_CLUSTER_H
#define BENCH_HCSC_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "bench/error.h"
#include "bench/rng.h"

/* Lloyd's k-means on points (n, d): `restarts` runs from k-means++ seeds, each of
 * at most `iterations` Lloyd steps, keeping the run of least inertia.
 * Outputs (caller-allocated): centroids (k, d), assignment (n) and, when not
 * NULL, squared_distance (n) of each point to its centroid and *inertia (their
 * sum).  An emptied cluster is re-seeded with the point farthest from its
 * centroid, so every cluster keeps at least one member when n >= k.
 * BENCH_BAD_INPUT when k == 0 or k > n. */
int hcsc_kmeans(float *centroids, int32_t *assignment, float *squared_distance, double *inertia,
                const float *points, size_t n, size_t d, size_t k, size_t iterations, size_t restarts,
                bench_rng *rng, bench_error *error);

/* Nearest centroid of each point: assignment (n), squared_distance (n) or NULL.
 * Allocates its own scratch (BENCH_NO_MEMORY when that fails). */
int hcsc_assign_nearest(int32_t *assignment, float *squared_distance, const float *points, size_t n,
                        const float *centroids, size_t k, size_t d, bench_error *error);

/* PCL's concentration: for cluster m with members S_m (squared distances to the
 * raw centroid given), φ_m = mean sqrt(D) / log(|S_m| + 10) when |S_m| > 1, the
 * largest such φ otherwise; then clipped to the 10th..90th percentiles (numpy's
 * linear interpolation) and rescaled so that mean φ = temperature.  If every φ
 * is zero the result is φ = temperature everywhere.  phi is (k). */
void hcsc_concentration(float *phi, const float *squared_distance, const int32_t *assignment, size_t n,
                        size_t k, double temperature);

/* numpy.percentile(values, q) with linear interpolation; sorts a copy in scratch (count). */
double hcsc_percentile(const float *values, size_t count, double q, float *scratch);

void hcsc_l2_normalize_rows(float *rows, size_t count, size_t d);

#define HCSC_MAX_LEVELS 8

typedef struct hcsc_level {
    size_t cluster_count;       /* M_l */
    float *centroids;           /* (M_l, d), L2-normalised */
    float *phi;                 /* (M_l) concentration */
    int32_t *image_to_cluster;  /* (n) label of every image at this level */
    int32_t *parent;            /* (M_l) cluster of level l+1; NULL at the top level */
    float *parent_logits;       /* (M_l, M_{l+1}) = C^l (C^{l+1})ᵀ; NULL at the top */
    int32_t max_label;          /* largest label any image has at this level */
} hcsc_level;

typedef struct hcsc_hierarchy {
    size_t level_count, image_count, dim;
    hcsc_level levels[HCSC_MAX_LEVELS];
} hcsc_hierarchy;

/* Build the hierarchy from features (n, d) (normalised by the caller, as training
 * does) with cluster_counts[0..level_count) clusters per level; each level's
 * k-means uses a child stream of `rng` named after the level.  *out is released
 * with hcsc_hierarchy_free().  BENCH_BAD_INPUT when a level asks for more
 * clusters than it has points. */
int hcsc_hierarchy_build(hcsc_hierarchy *out, const float *features, size_t n, size_t d,
                         const size_t *cluster_counts, size_t level_count, double temperature, size_t iterations,
                         size_t restarts, uint64_t seed, bench_error *error);
void hcsc_hierarchy_free(hcsc_hierarchy *hierarchy);

#endif
